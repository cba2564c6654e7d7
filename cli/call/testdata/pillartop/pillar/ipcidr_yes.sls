ipcidr_yes: true
