pcre_no: true
