nodegroup_no: true
