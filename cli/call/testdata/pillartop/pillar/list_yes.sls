list_yes: true
