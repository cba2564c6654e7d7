base:
  '*':
    - jinja
