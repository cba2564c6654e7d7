base:
  '*':
    - bench50
