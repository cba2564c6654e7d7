base:
  '*':
    - modrun
