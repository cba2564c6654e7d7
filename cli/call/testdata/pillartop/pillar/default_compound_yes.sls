default_compound_yes: true
