demod:
  service.dead:
    - enable: True
nosuch:
  service.dead: []
