/etc/demod.conf:
  file.managed:
    - contents: {{ pillar.get('conf', 'v1') }}
demod:
  service.running:
    - reload: {{ pillar.get('reload', False) }}
    - force: {{ pillar.get('force', False) }}
    - watch:
      - file: /etc/demod.conf
