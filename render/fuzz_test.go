package render

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzRender: any source renders or fails with an error; it never panics
// and never runs away (the Jinja engine bounds steps, recursion and output
// size). Seeded with the test trees' files (render's and the state trees') and
// tricky fragments.
func FuzzRender(f *testing.F) {
	seeds := []string{
		"{{ undefined_var.attr }}",
		"{% for i in range(10) %}{{ loop.index }}{% endfor %}",
		"{% macro m(a, b=1) %}{{ a ~ b }}{% endmacro %}{{ m(1) }}{% call m(2) %}x{% endcall %}",
		"{% set d = {} %}{% do d.update({'a': [1, 2]}) %}{{ d|json }}{{ d|yaml }}{{ d.items()|list }}",
		"{% macro r(n) %}{{ r(n) }}{% endmacro %}{{ r(1) }}",
		"{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
		"{{ 'x' * 1000000000 }}{{ 2 ** 100000 }}",
		"#!json\n{\"a\": [1, 2, {\"b\": null}]}",
		"#!yaml\na: &a [1, 2]\nb: *a\n",
		"{% raw %}{{ x }}{% endraw %}{#- c -#}{%- if true -%} y {%- endif %}",
		"{{ '%s %d %(x)s' % (1, 2) }}{{ '{0!r:>5}'.format('a') }}",
		"{% load_yaml as v %}a: 1{% endload %}{% import_yaml 'formula/defaults.yaml' as d %}{{ v }}{{ d }}",
		"{% include 'formula/sub/extra.sls' %}{% from './x' import y %}",
		"{{ 'abc'|regex_replace('(', 'x') }}{{ [1, [2]]|flatten|unique|sort }}",
		"{{ a[1:2:0] }}{{ ((((((((((1)))))))))) }}{{ [[[[[[]]]]]] }}",
	}
	for _, dir := range []string{"testdata/roots", "../testdata/states"} {
		_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".sls") || strings.HasSuffix(p, ".jinja") || strings.HasSuffix(p, ".yaml")) {
				if b, err := os.ReadFile(p); err == nil {
					seeds = append(seeds, string(b))
				}
			}
			return nil
		})
	}
	for _, s := range seeds {
		f.Add(s)
	}
	fc, err := localFilesFuzz(f)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src string) {
		o := opts()
		o.Files = fc
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		v, err := Render(ctx, []byte(src), o)
		if err == nil && v == nil && !strings.Contains(src, "json") {
			// Only a JSON null renders to None (Salt's json renderer
			// returns json.loads' None); every other pipeline gives data,
			// text or an error.
			t.Fatalf("Render(%q) = nil, nil", src)
		}
		if ctx.Err() != nil {
			t.Fatalf("Render(%q) ran into the 20 s guard", src)
		}
	})
}
