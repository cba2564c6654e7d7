base:
  '*':
    - bench200
