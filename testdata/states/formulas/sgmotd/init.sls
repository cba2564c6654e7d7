{% from "sgmotd/map.jinja" import motd with context %}
{% set root = salt['pillar.get']('root') %}

sgmotd:
  file.managed:
    - name: {{ root }}/etc/motd
    - makedirs: True
    - mode: '{{ motd.mode }}'
    - contents:
      - {{ motd.banner }} to {{ grains['id'] }}
      {% for line in motd.lines %}
      - {{ line }}
      {% endfor %}
