compound_not_no: true
