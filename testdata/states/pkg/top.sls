base:
  '*':
    - pkg.install
