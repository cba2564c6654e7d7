package render

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
)

// bench200 is a 200-state SLS: a loop over pillar data with a few filters
// and a macro, the shape of a real formula.
const bench200 = `{%- set root = pillar.get('root', '/srv/app') %}
{%- macro mode(i) -%}{{ '0%o' % (420 + i % 2 * 73) }}{%- endmacro %}
{% for name, item in pillar['items'].items() %}
{{ name }}:
  file.managed:
    - name: {{ root ~ '/' ~ name|lower }}.conf
    - source: salt://app/files/{{ item.tpl|default('base.conf') }}
    - mode: '{{ mode(loop.index) }}'
    - template: jinja
    - context:
        tags: {{ item.tags|unique|json }}
        owner: {{ item.get('owner', grains['id'])|yaml_encode }}
{%- if loop.index is even %}
    - require:
      - file: {{ loop.previtem[0] if loop.previtem is defined else name }}
{%- endif %}
{% endfor %}
`

func benchOptions(n int) Options {
	items := data.NewMap()
	for i := 0; i < n; i++ {
		items.Set(fmt.Sprintf("State_%03d", i), data.M("tags", []any{"a", "b", "a", fmt.Sprint(i % 7)}, "owner", "app"))
	}
	o := opts()
	o.Vars["pillar"] = data.M("root", "/srv/app", "items", items)
	return o
}

// BenchmarkRender200 renders bench200 (jinja|yaml) for 200 states.
func BenchmarkRender200(b *testing.B) {
	o := benchOptions(200)
	src := []byte(bench200)
	v, err := Render(context.Background(), src, o)
	if err != nil {
		b.Fatal(err)
	}
	if n := v.(*data.Map).Len(); n != 200 {
		b.Fatalf("%d states", n)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Render(context.Background(), src, o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJinja200 is BenchmarkRender200 without the YAML step.
func BenchmarkJinja200(b *testing.B) {
	o := benchOptions(200)
	o.Pipeline = "jinja"
	src := []byte(bench200)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		out, err := Render(context.Background(), src, o)
		if err != nil {
			b.Fatal(err)
		}
		if !strings.Contains(out.(string), "State_199") {
			b.Fatal("short output")
		}
	}
}
