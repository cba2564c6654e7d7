demod:
  service.running:
    - enabled: True
