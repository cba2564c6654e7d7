{% for x in %}
broken:
  test.nop: []
{% endfor %}
