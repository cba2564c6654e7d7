sysvd:
  service.{{ pillar.get('fun', 'enabled') }}: []
