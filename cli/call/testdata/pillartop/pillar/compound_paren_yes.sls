compound_paren_yes: true
