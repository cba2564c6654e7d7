base:
  '*':
    - inc
