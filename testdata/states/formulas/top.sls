base:
  '*':
    - sgusers
    - sgapp
    - sgmotd
