compound_yes: true
