demod:
  service.disabled: []
nosuch:
  service.disabled: []
