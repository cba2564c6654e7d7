{% set root = pillar['root'] %}
{% for i in range(50) %}
bench_dir_{{ i }}:
  file.directory:
    - name: {{ root }}/d{{ i }}
    - makedirs: True
    - mode: '0755'
{% endfor %}
