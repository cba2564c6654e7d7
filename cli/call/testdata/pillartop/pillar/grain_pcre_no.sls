grain_pcre_no: true
