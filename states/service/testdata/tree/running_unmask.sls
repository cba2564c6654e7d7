demod2:
  service.running:
    - unmask: True
