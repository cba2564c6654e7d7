{% set root = pillar['root'] %}
{% for i in range(30) %}
bench_cmd_{{ i }}:
  cmd.run:
    - name: echo bench {{ i }} > {{ root }}/d{{ i }}/cmd{{ i }}.out
    - unless: test -e {{ root }}/d{{ i }}/cmd{{ i }}.out
    - require:
      - file: bench_dir_{{ i }}
{% endfor %}
