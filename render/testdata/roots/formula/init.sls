{%- from 'formula/map.jinja' import nginx, vhost_file with context %}
{%- set vhosts = pillar.get('vhosts', {}) %}

nginx_pkg:
  pkg.installed:
    - name: {{ nginx.pkg }}

{% for name, vhost in vhosts.items() %}
{{ name }}_vhost:
  file.managed:
    - name: {{ vhost_file(name) }}
    - source: salt://formula/files/vhost.conf.jinja
    - template: jinja
    - context:
        port: {{ vhost.get('port', 80) }}
        aliases: {{ vhost.get('aliases', [])|json }}
        {%- if vhost.ssl is defined and vhost.ssl %}
        ssl: {{ vhost.ssl|yaml }}
        {%- endif %}
    - require:
      - pkg: nginx_pkg
    - watch_in:
      - service: nginx_service
{% endfor %}

nginx_service:
  service.running:
    - name: {{ nginx.service }}
    - enable: {{ 'yes'|to_bool }}
    - user: {{ nginx.user|yaml_encode }}
    - workers: {{ nginx.worker_processes }}
{%- if grains.os_family == 'Debian' %}
    - reload: True
{%- endif %}

{% include 'formula/sub/extra.sls' %}
