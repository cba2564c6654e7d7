{% from 'jinja/macros.jinja' import greet, shared_value %}
{% import_yaml 'jinja/data.yaml' as data %}
{% set root = pillar['root'] %}
{% macro show(id, value) -%}
{{ id }}:
  test.succeed_without_changes:
    - comment: {{ value | json }}
{% endmacro %}
{{ show('salt_call', salt['test.echo']('echoed')) }}
{{ show('salt_dot_call', salt.test.echo('echoed-dot')) }}
{{ show('grain_id', grains['id']) }}
{{ show('grain_role', grains.get('role', 'no-role')) }}
{{ show('grains_get', salt['grains.get']('role')) }}
{{ show('pillar_root', pillar['root']) }}
{{ show('pillar_get_default', salt['pillar.get']('missing:key', 'default-value')) }}
{{ show('var_sls', sls) }}
{{ show('var_slspath', slspath) }}
{{ show('var_sls_path', sls_path) }}
{{ show('var_slsdotpath', slsdotpath) }}
{{ show('var_slscolonpath', slscolonpath) }}
{{ show('var_tpldir', tpldir) }}
{{ show('var_tpldot', tpldot) }}
{{ show('var_tplfile', tplfile) }}
{{ show('var_saltenv', saltenv) }}
{{ show('macro_import', greet('world')) }}
{{ show('macro_shared', shared_value) }}
{{ show('import_yaml', data.key ~ ' ' ~ data.nested.inner ~ ' ' ~ (data.list | sum)) }}
{{ show('f_yaml', {'b': 1, 'a': [1, 2]} | yaml) }}
{{ show('f_yaml_flow_false', {'b': 1, 'a': [1, 2]} | yaml(False)) }}
{{ show('f_json', {'b': 1, 'a': [1, 'x']} | json) }}
{{ show('f_tojson', {'b': 1, 'a': '<tag>'} | tojson) }}
{{ show('f_yaml_encode', 'a: string' | yaml_encode) }}
{{ show('f_yaml_dquote', 'say "hi"' | yaml_dquote) }}
{{ show('f_load_yaml', ('{x: [1, 2], y: yes}' | load_yaml).y) }}
{{ show('f_load_json', ('{"x": [1, 2]}' | load_json).x) }}
{{ show('f_regex_search', 'abc123def' | regex_search('([a-z]+)([0-9]+)')) }}
{{ show('f_regex_match', 'abc123' | regex_match('([a-z]+)')) }}
{{ show('f_regex_match_none', 'abc123' | regex_match('([0-9]+)')) }}
{{ show('f_regex_replace', 'a1b22c333' | regex_replace('[0-9]+', '#')) }}
{{ show('f_unique', [3, 1, 3, 2, 1] | unique) }}
{{ show('f_to_bool_yes', 'yes' | to_bool) }}
{{ show('f_to_bool_zero', 0 | to_bool) }}
{{ show('f_to_bool_str', 'nope' | to_bool) }}
{{ show('f_sequence_str', 'one' | sequence) }}
{{ show('f_sequence_list', ['a', 'b'] | sequence) }}
{{ show('f_strftime', '2024-03-05 10:11:12' | strftime('%d/%m/%Y %H:%M')) }}
{{ show('print_dict', {'k': 'v', 'n': none, 't': true} | string) }}
{{ show('print_list', ['a', 1, none] | string) }}
{% include 'jinja/included.jinja' %}
{% include 'jinja/not-there.jinja' ignore missing %}
