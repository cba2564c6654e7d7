{% from "sgusers/map.jinja" import sgusers with context %}
{% set root = salt['pillar.get']('root') %}

{% for group, g in sgusers.groups|dictsort %}
sgusers_group_{{ group }}:
  group.present:
    - name: {{ group }}
    {% if g.gid is defined %}
    - gid: {{ g.gid }}
    {% endif %}
{% endfor %}

{% for name, u in sgusers.users|dictsort %}
sgusers_user_{{ name }}:
  user.present:
    - name: {{ name }}
    - home: {{ u.get('home', sgusers.home_base ~ '/' ~ name) }}
    - shell: {{ u.get('shell', sgusers.shell) }}
    - createhome: {{ u.get('createhome', sgusers.createhome) }}
    {% if u.uid is defined %}
    - uid: {{ u.uid }}
    {% endif %}
    {% if u.fullname is defined %}
    - fullname: {{ u.fullname }}
    {% endif %}
    - groups: {{ u.get('groups', [])|json }}
    {% if u.get('sudo') %}
    - optional_groups:
      - {{ sgusers.sudo_group }}
    {% endif %}
    - require:
    {% for group in u.get('groups', []) %}
      - group: sgusers_group_{{ group }}
    {% endfor %}
      - file: sgusers_profiles

sgusers_profile_{{ name }}:
  file.managed:
    - name: {{ root }}/profiles/{{ name }}.conf
    - contents: |
        user={{ name }}
        shell={{ u.get('shell', sgusers.shell) }}
        groups={{ u.get('groups', [])|join(',') }}
    - require:
      - user: sgusers_user_{{ name }}
{% endfor %}

sgusers_profiles:
  file.directory:
    - name: {{ root }}/profiles
    - makedirs: True

{% for name in sgusers.absent %}
sgusers_absent_{{ name }}:
  user.absent:
    - name: {{ name }}
{% endfor %}
