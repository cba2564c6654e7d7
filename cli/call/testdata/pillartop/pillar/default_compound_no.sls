default_compound_no: true
