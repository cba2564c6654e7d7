glob_yes: true
