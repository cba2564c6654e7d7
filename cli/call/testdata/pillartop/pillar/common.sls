common:
  flag: on
selected:
  - common
