package render

import (
	"context"
	"errors"
	"testing"

	"github.com/saltgo/saltgo/data"
)

// opts is a render context like the one the state compiler builds for
// specprobe/sub/jctx2.sls (spec §5.2, live values).
func opts() Options {
	return Options{
		Vars: map[string]any{
			"grains":       data.M("os", "Debian", "id", "minion1", "ipv4", []any{"127.0.0.1"}),
			"pillar":       data.M("pkgs", []any{"a", "b"}, "root", "/srv/app"),
			"opts":         data.M("renderer", "jinja|yaml"),
			"saltenv":      "base",
			"sls":          "specprobe.sub.jctx2",
			"slspath":      "specprobe/sub",
			"slsdotpath":   "specprobe.sub",
			"slscolonpath": "specprobe:sub",
			"sls_path":     "specprobe_sub",
			"tplpath":      "/var/cache/salt/minion/files/base/specprobe/sub/jctx2.sls",
			"tplfile":      "specprobe/sub/jctx2.sls",
			"tpldir":       "specprobe/sub",
			"tpldot":       "specprobe.sub",
		},
		Saltenv: "base",
		SaltHas: func(fun string) bool { return fun == "test.echo" || fun == "test.fail" },
		Salt: func(ctx context.Context, fun string, args []any, kw *data.Map) (any, error) {
			switch fun {
			case "test.echo":
				return args[0], nil
			case "test.fail":
				return nil, errors.New("boom")
			}
			return nil, errors.New("'" + fun + "' is not available.")
		},
	}
}

// ord marks v's maps as OrderedDicts, as Salt's YAML renderer returns them.
func ord(v any) any {
	data.MarkOrdered(v)
	return v
}

func TestRenderPipeline(t *testing.T) {
	tests := []struct {
		name, src string
		want      any
	}{
		{"default jinja|yaml", "a:\n  - {{ grains.os }}\nb: {{ pillar.pkgs|json }}\n", ord(data.M("a", []any{"Debian"}, "b", []any{"a", "b"}))},
		{"yaml keeps order", "z: 1\na: 2\nm: 3\n", ord(data.M("z", int64(1), "a", int64(2), "m", int64(3)))},
		{"yaml 1.1 typing", "a: yes\nb: 010\nc: 1e3\n", ord(data.M("a", true, "b", int64(10), "c", "1e3"))},
		{"shebang yaml skips jinja", "#!yaml\na: '{{ x }}'\n", ord(data.M("a", "{{ x }}"))},
		{"shebang json", "#!json\n{\"b\": 1, \"a\": [true, null]}", data.M("b", int64(1), "a", []any{true, nil})},
		{"shebang jinja|json", "#!jinja|json\n{\"os\": \"{{ grains.os }}\"}", data.M("os", "Debian")},
		{"shebang jinja alone keeps text", "#!jinja\n{{ grains.id }}\n", "#!jinja\nminion1\n"},
		{"old style yaml_jinja", "#!yaml_jinja\na: {{ 1 + 1 }}\n", ord(data.M("a", int64(2)))},
		{"empty file", "", data.NewMap()},
		{"windows newlines back on text", "#!jinja\r\na\r\n{{ 1 }}\r\n", "#!jinja\r\na\r\n1\r\n"},
		{"windows newlines in yaml", "a: 1\r\nb: {{ 2 }}\r\n", ord(data.M("a", int64(1), "b", int64(2)))},
		{"whitespace only", "  \n\n", data.NewMap()},
		{"comments only is an empty map", "# nothing\n", data.NewMap()},
		{"salt context", "e: {{ salt['test.echo']('e') }}\nf: {{ salt.test.echo('f') }}\n", ord(data.M("e", "e", "f", "f"))},
		{"function in salt", "- {{ 'test.echo' in salt }}\n- {{ 'nope.fun' in salt }}\n", []any{true, false}},
		{"context vars", "- {{ sls }}\n- {{ slspath }}\n- {{ slsdotpath }}\n- {{ slscolonpath }}\n- {{ sls_path }}\n- {{ tplfile }}\n- {{ tpldir }}\n- {{ tpldot }}\n- {{ saltenv }}\n- {{ opts['renderer'] }}\n",
			[]any{"specprobe.sub.jctx2", "specprobe/sub", "specprobe.sub", "specprobe:sub", "specprobe_sub", "specprobe/sub/jctx2.sls", "specprobe/sub", "specprobe.sub", "base", "jinja|yaml"}},
		{"default on undefined", "a: {{ env|default('UNDEF') }}\n", ord(data.M("a", "UNDEF"))},
		{"loop states", "{% for p in pillar.pkgs %}\npkg_{{ p }}:\n  test.nop:\n    - name: {{ p }}\n{% endfor %}\n",
			ord(data.M("pkg_a", data.M("test.nop", []any{data.M("name", "a")}), "pkg_b", data.M("test.nop", []any{data.M("name", "b")})))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Render(context.Background(), []byte(tc.src), opts())
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if !data.Equal(got, tc.want) || data.Repr(got) != data.Repr(tc.want) {
				t.Errorf("got %s, want %s", data.Repr(got), data.Repr(tc.want))
			}
		})
	}
}

// TestTemplateMode: file templates (file.managed, cp.get_template) keep a
// "#!" line as text and render an empty source to "".
func TestTemplateMode(t *testing.T) {
	o := opts()
	o.Pipeline, o.Template = "jinja", true
	for src, want := range map[string]string{
		"#!py\nid={{ grains.id }}\n": "#!py\nid=minion1\n",
		"#!/bin/sh\necho hi\n":       "#!/bin/sh\necho hi\n",
		"":                           "",
		"  \n":                       "  \n",
	} {
		got, err := Render(context.Background(), []byte(src), o)
		if err != nil || got != want {
			t.Errorf("Render(%q) = %q, %v; want %q", src, got, err, want)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"undefined (live)", "{{ undefined_var.attr }}\n", "Jinja variable 'undefined_var' is undefined; line 1\n\n---\n{{ undefined_var.attr }}    <======================\n---"},
		{"missing attribute", "a: {{ grains.nope }}\n", "Jinja variable 'dict object' has no attribute 'nope'; line 1\n\n---\na: {{ grains.nope }}    <======================\n---"},
		{"no such test (live)", "a: 1\nb: 2\nc: 3\n{{ x is ip_address }}\n", "Jinja syntax error: No test named 'ip_address'.; line 4\n\n---\na: 1\nb: 2\nc: 3\n{{ x is ip_address }}    <======================\n---"},
		{"yaml mapping values (live)", "a: b: c\n", "mapping values are not allowed in this context"},
		{"yaml conflicting ID", "a: 1\nb: 2\na: 3\n", "while constructing a mapping\n  in \"<unicode string>\", line 1, column 1\nfound conflicting ID 'a'\n  in \"<unicode string>\", line 3, column 1"},
		{"yaml nested conflicting ID", "top:\n  x: 1\n  y: 2\n  x: 3\n", "while constructing a mapping\n  in \"<unicode string>\", line 2, column 3\nfound conflicting ID 'x'\n  in \"<unicode string>\", line 4, column 3"},
		{"yaml unclosed flow sequence (live)", "broken:\n  test.nop:\n    - name: [unclosed\n", "while parsing a flow sequence\n  in \"<unicode string>\", line 3, column 13\ndid not find expected ',' or ']'\n  in \"<unicode string>\", line 4, column 1"},
		{"yaml unclosed flow mapping", "a: {b: 1\n", "while parsing a flow mapping\n  in \"<unicode string>\", line 1, column 4\ndid not find expected ',' or '}'\n  in \"<unicode string>\", line 2, column 1"},
		{"yaml tab", "a:\n\t- b\n", "found character that cannot start any token"},
		{"yaml unterminated quote", "a: 'x\n", "found unexpected end of stream"},
		{"unknown renderer", "#!py\ndef run():\n    return {}\n", `The renderer "py" is not available`},
		{"unknown renderer in pipe", "#!mako|yaml\na: 1\n", `The renderer "mako|yaml" is not available`},
		{"salt function fails", "{{ salt['test.fail']() }}\n", "Problem running salt function in Jinja template: boom; line 1\n\n---\n{{ salt['test.fail']() }}    <======================\n---"},
		{"missing salt function", "{{ salt['nope.fun']() }}\n", "Jinja variable 'salt.utils.templates.AliasedLoader object' has no attribute 'nope.fun'; line 1\n\n---\n{{ salt['nope.fun']() }}    <======================\n---"},
		{"raise", "{{ raise('custom') }}\n", "Jinja error: custom; line 1\n\n---\n{{ raise('custom') }}    <======================\n---"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Render(context.Background(), []byte(tc.src), opts())
			var re *Error
			if !errors.As(err, &re) {
				t.Fatalf("Render error = %v (%T), want a *render.Error", err, err)
			}
			if re.Text != tc.want {
				t.Errorf("error text\n got %q\nwant %q", re.Text, tc.want)
			}
		})
	}
}

func TestContextWindow(t *testing.T) {
	src := "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n"
	want := "---\n[...]\n3\n4\n5\n6\n7\n8    <======================\n9\n10\n11\n12\n13\n[...]\n---"
	if got := Context(src, 8, marker); got != want {
		t.Errorf("Context:\n got %q\nwant %q", got, want)
	}
}
