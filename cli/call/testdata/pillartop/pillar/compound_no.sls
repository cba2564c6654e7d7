compound_no: true
