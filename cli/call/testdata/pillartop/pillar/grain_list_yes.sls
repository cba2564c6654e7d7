grain_list_yes: true
