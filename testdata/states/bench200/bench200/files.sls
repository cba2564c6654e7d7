{% set root = pillar['root'] %}
{% for i in range(60) %}
bench_file_{{ i }}:
  file.managed:
    - name: {{ root }}/d{{ i % 50 }}/f{{ i }}.txt
    - source: salt://bench200/files/f{{ '%02d' % (i % 20) }}.txt
    - mode: '0644'
    - require:
      - file: bench_dir_{{ i % 50 }}
{% endfor %}
