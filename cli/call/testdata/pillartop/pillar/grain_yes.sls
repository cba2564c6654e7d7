grain_yes: true
