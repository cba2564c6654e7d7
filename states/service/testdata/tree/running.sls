demod:
  service.running: []
nosuch:
  service.running: []
