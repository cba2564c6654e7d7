/etc/demod.conf:
  file.managed:
    - contents: dead
demod:
  service.dead:
    - watch:
      - file: /etc/demod.conf
