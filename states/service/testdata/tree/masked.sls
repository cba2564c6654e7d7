demod2:
  service.{{ pillar.get('fun', 'masked') }}:
    - runtime: {{ pillar.get('runtime', False) }}
