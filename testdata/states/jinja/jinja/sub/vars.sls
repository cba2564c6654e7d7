{% macro show(id, value) -%}
{{ id }}:
  test.succeed_without_changes:
    - comment: {{ value | string | json }}
{% endmacro %}
{{ show('nested_sls', sls) }}
{{ show('nested_slspath', slspath) }}
{{ show('nested_sls_path', sls_path) }}
{{ show('nested_slsdotpath', slsdotpath) }}
{{ show('nested_slscolonpath', slscolonpath) }}
{{ show('nested_tpldir', tpldir) }}
{{ show('nested_tpldot', tpldot) }}
{{ show('nested_tplfile', tplfile) }}
