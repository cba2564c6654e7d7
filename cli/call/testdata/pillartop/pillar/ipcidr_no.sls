ipcidr_no: true
