base:
  '*':
    - host
