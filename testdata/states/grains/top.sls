base:
  '*':
    - grains
