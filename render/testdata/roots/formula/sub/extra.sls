{%- from './helpers.jinja' import banner %}
extra_{{ tpldir|replace('/', '_') }}:
  test.succeed_without_changes:
    - name: {{ banner(grains.id) }}
