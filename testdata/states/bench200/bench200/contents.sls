{% set root = pillar['root'] %}
{% for i in range(20) %}
bench_contents_{{ i }}:
  file.managed:
    - name: {{ root }}/d{{ i }}/c{{ i }}.txt
    - contents: |
        contents file {{ i }}
        of {{ grains['id'] }}
    - require:
      - file: bench_dir_{{ i }}
{% endfor %}
