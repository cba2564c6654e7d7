pcre_yes: true
