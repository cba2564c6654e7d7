demod:
  service.running:
    - enable: False
