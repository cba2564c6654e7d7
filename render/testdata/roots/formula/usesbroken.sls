{%- from 'formula/broken.jinja' import ok %}
a:
  test.nop
