grain_pcre_yes: true
