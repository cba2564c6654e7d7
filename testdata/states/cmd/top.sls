base:
  '*':
    - cmd
