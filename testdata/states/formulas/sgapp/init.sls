{% from "sgapp/map.jinja" import sgapp with context %}
{% set root = salt['pillar.get']('root') %}

sgapp_packages:
  pkg.installed:
    - pkgs: {{ sgapp.packages|json }}

sgapp_config:
  file.managed:
    - name: {{ root }}{{ sgapp.config_dir }}/app.conf
    - source: salt://sgapp/files/app.conf.jinja
    - template: jinja
    - makedirs: True
    - mode: '0640'
    - context:
        app: {{ sgapp|json }}
    - require:
      - pkg: sgapp_packages

{% for hostname, ip in sgapp.hosts|dictsort %}
sgapp_host_{{ hostname }}:
  host.present:
    - name: {{ hostname }}
    - ip: {{ ip }}
{% endfor %}

sgapp_grain:
  grains.present:
    - name: sgapp_port
    - value: {{ sgapp.port }}

sgapp_reload:
  module.wait:
    - name: test.echo
    - text: reload sgapp
    - watch:
      - file: sgapp_config
