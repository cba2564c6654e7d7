list_no: true
