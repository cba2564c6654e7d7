{# 50 states: 5 groups, 10 users, 5 directories, 15 files, 5 init.d
   scripts, 5 services, 5 cron entries. Files below the pillar root. #}
{% set root = salt['pillar.get']('root') %}

{% for i in range(5) %}
bench_group_{{ i }}:
  group.present:
    - name: sgbg{{ i }}
    - gid: {{ 3300 + i }}
{% endfor %}

{% for i in range(10) %}
bench_user_{{ i }}:
  user.present:
    - name: sgbu{{ i }}
    - uid: {{ 3400 + i }}
    - gid: {{ 3300 + i % 5 }}
    - home: /home/sgbu{{ i }}
    - shell: /bin/sh
    - groups:
      - sgbg{{ (i + 1) % 5 }}
    - require:
      - group: bench_group_{{ i % 5 }}
      - group: bench_group_{{ (i + 1) % 5 }}
{% endfor %}

{% for i in range(5) %}
bench_dir_{{ i }}:
  file.directory:
    - name: {{ root }}/d{{ i }}
    - makedirs: True
    - mode: '0755'
{% endfor %}

{% for i in range(15) %}
bench_file_{{ i }}:
  file.managed:
    - name: {{ root }}/d{{ i % 5 }}/f{{ i }}.conf
{% if i % 3 == 0 %}
    - source: salt://bench50/files/app.conf
{% else %}
    - contents: |
        file {{ i }}
        owner sgbu{{ i % 10 }}
{% endif %}
    - mode: '0644'
    - require:
      - file: bench_dir_{{ i % 5 }}
{% endfor %}

{% for i in range(5) %}
bench_initd_{{ i }}:
  file.managed:
    - name: /etc/init.d/sgbench{{ i }}
    - source: salt://bench50/files/initd.jinja
    - template: jinja
    - mode: '0755'
    - context:
        svc: sgbench{{ i }}

bench_service_{{ i }}:
  service.running:
    - name: sgbench{{ i }}
    - watch:
      - file: bench_initd_{{ i }}
{% endfor %}

{% for i in range(5) %}
bench_cron_{{ i }}:
  cron.present:
    - name: /bin/true bench{{ i }}
    - user: sgbu{{ i }}
    - minute: '{{ i * 10 }}'
    - hour: '*/2'
    - require:
      - user: bench_user_{{ i }}
{% endfor %}
