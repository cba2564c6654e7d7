demod:
  service.enabled: []
nosuch:
  service.enabled: []
