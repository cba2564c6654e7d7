base:
  '*':
    - errors.unknown_function
