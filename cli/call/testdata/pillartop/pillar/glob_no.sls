glob_no: true
