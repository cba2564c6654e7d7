nodegroup_yes: true
