ipcidr_addr_yes: true
