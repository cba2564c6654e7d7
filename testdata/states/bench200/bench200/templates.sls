{% set root = pillar['root'] %}
{% for i in range(40) %}
bench_template_{{ i }}:
  file.managed:
    - name: {{ root }}/d{{ i % 50 }}/t{{ i }}.conf
    - source: salt://bench200/templates/app.conf.j2
    - template: jinja
    - mode: '0640'
    - context:
        index: {{ i }}
        name: app{{ i }}
        options: [alpha, beta, gamma]
    - require:
      - file: bench_dir_{{ i % 50 }}
{% endfor %}
