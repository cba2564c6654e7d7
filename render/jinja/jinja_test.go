package jinja

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
)

// memLoader serves templates from a map.
func memLoader(files map[string]string) Loader {
	return func(ctx context.Context, name string) (string, string, error) {
		s, ok := files[name]
		if !ok {
			return "", "", fmt.Errorf("%s: %w", name, ErrNotFound)
		}
		return s, "/cache/files/base/" + name, nil
	}
}

func testVars() map[string]any {
	return map[string]any{
		"grains":  data.M("os", "Debian", "id", "minion1", "num_cpus", int64(2), "ipv4", []any{"127.0.0.1", "10.0.0.5"}),
		"pillar":  data.M("users", data.M("zoe", data.M("uid", int64(1001)), "adam", data.M("uid", int64(1000))), "pkgs", []any{"vim", "git"}, "empty", data.NewMap()),
		"saltenv": "base",
		"tpldir":  "formula/sub",
		"tplfile": "formula/sub/init.sls",
	}
}

func render(t *testing.T, src string, files map[string]string) (string, error) {
	t.Helper()
	env := &Env{
		Loader: memLoader(files),
		Salt: func(ctx context.Context, fun string, args []any, kw *data.Map) (any, error) {
			switch fun {
			case "test.echo":
				return args[0], nil
			case "grains.get":
				return "got:" + pyStr(args[0]), nil
			case "test.kwarg":
				return kw, nil
			case "match.compound":
				return args[0] == "minion1", nil
			}
			return nil, errors.New("no " + fun)
		},
	}
	return env.Render(context.Background(), src, testVars(), "formula/sub/init.sls")
}

func TestExpressions(t *testing.T) {
	tests := []struct{ src, want string }{
		// output is Python's str()/repr() (spec §5.3, live)
		{"{{ {'k':'v'} }}", "{'k': 'v'}"},
		{"{{ ['a', 1] }}", "['a', 1]"},
		{"{{ None }}|{{ True }}|{{ false }}|{{ none }}", "None|True|False|None"},
		{"{{ (1, 'a') }}|{{ (1,) }}|{{ () }}", "(1, 'a')|(1,)|()"},
		{"{{ 1.0 }}|{{ 1.5e3 }}|{{ 10 / 4 }}|{{ 10 // 4 }}|{{ -7 // 2 }}|{{ -7 % 3 }}|{{ 2 ** 10 }}", "1.0|1500.0|2.5|2|-4|2|1024"},
		{"{{ 1 + 2 * 3 }}|{{ (1 + 2) * 3 }}|{{ 'a' ~ 1 ~ None }}|{{ 'ab' * 2 }}|{{ [1] + [2] }}", "7|9|a1None|abab|[1, 2]"},
		{"{{ 1 < 2 < 3 }}|{{ 1 == 1.0 }}|{{ 'a' != 'b' }}|{{ 2 >= 3 }}", "True|True|True|False"},
		{"{{ 'b' in 'abc' }}|{{ 2 in [1, 2] }}|{{ 'os' in grains }}|{{ 'x' not in grains }}", "True|True|True|True"},
		{"{{ not 1 }}|{{ 1 and 2 }}|{{ 0 or 'x' }}|{{ None or [] }}", "False|2|x|[]"},
		{"{{ 'yes' if grains.os == 'Debian' else 'no' }}|{{ 'a' if false else 'b' }}", "yes|b"},
		{"{{ grains.os }}|{{ grains['id'] }}|{{ grains.ipv4[1] }}|{{ grains.ipv4.0 }}|{{ grains.ipv4[-1] }}", "Debian|minion1|10.0.0.5|127.0.0.1|10.0.0.5"},
		{"{{ 'abcdef'[1:3] }}|{{ [1,2,3,4][::2] }}|{{ 'abc'[::-1] }}|{{ [1,2,3][-2:] }}", "bc|[1, 3]|cba|[2, 3]"},
		{"{{ '%s-%d' % ('x', 3) }}|{{ '%05.1f' % 3.14159 }}|{{ '%(a)s' % {'a': 1} }}|{{ '%s' % [1] }}", "x-3|003.1|1|[1]"},
		{"{{ '{}/{}'.format('a', 'b') }}|{{ '{0}{1}{0}'.format('x', 'y') }}|{{ '{a}:{b!r}'.format(a=1, b='q') }}|{{ '{:>4}'.format(7) }}", "a/b|xyx|1:'q'|   7"},
		{"{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a.b.c'.rsplit('.', 1) }}|{{ 'a=b=c'.split('=', 1) }}", "['a', 'b', '', 'c']|['a', 'b']|['a.b', 'c']|['a', 'b=c']"},
		{"{{ 'abc'.startswith('ab') }}|{{ 'abc'.endswith(('x', 'c')) }}|{{ '  x '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ 'AbC'.lower() }}|{{ 'abc'.upper() }}", "True|True|x|a|abc|ABC"},
		{"{{ 'a-b'.replace('-', '_') }}|{{ ','.join(['a', 'b']) }}|{{ 'hello world'.title() }}|{{ 'abc'.find('c') }}|{{ '42'.isdigit() }}", "a_b|a,b|Hello World|2|True"},
		{"{{ pillar.get('pkgs') }}|{{ pillar.get('nope', 'def') }}|{{ pillar.get('nope') }}|{{ grains.get('os') }}", "['vim', 'git']|def|None|Debian"},
		{"{{ pillar.users.keys()|list }}|{{ pillar.users.values()|map(attribute='uid')|list }}", "['zoe', 'adam']|[1001, 1000]"},
		{"{% for k, v in pillar.users.items() %}{{ k }}={{ v.uid }};{% endfor %}", "zoe=1001;adam=1000;"},
		{"{% for k in pillar.users %}{{ k }};{% endfor %}", "zoe;adam;"},
		{"{{ range(3)|list }}|{{ range(1, 7, 2)|list }}|{{ dict(a=1) }}|{{ dict([('b', 2)]) }}", "[0, 1, 2]|[1, 3, 5]|{'a': 1}|{'b': 2}"},
		{"{% set ns = namespace(n=0) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}", "3"},
		{"{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{% endfor %}{{ x }}", "1"},
		{"{% set x = 1 %}{% if true %}{% set x = 2 %}{% endif %}{{ x }}", "2"},
		{"{% set a, b = 1, 2 %}{{ a }}{{ b }}|{% set t = ('p', 'q') %}{% set c, d = t %}{{ c }}{{ d }}", "12|pq"},
		{"{% set block %}  text {{ 1 }}{% endset %}[{{ block }}]", "[  text 1]"},
		{"{% set up | upper %}abc{% endset %}{{ up }}", "ABC"},
		{"{{ salt['test.echo']('e') }}|{{ salt.test.echo('f') }}|{{ salt['grains.get']('os') }}", "e|f|got:os"},
		{"{{ salt['test.kwarg'](a=1, b='x') }}", "{'a': 1, 'b': 'x'}"},
		{"{{ 'test.echo' in salt }}", "True"},
		{"{{ x is defined }}|{{ grains is defined }}|{{ x is not defined }}|{{ grains.nope is defined }}|{{ x is undefined }}", "False|True|True|False|True"},
		{"{{ None is none }}|{{ 1 is number }}|{{ 'a' is string }}|{{ {} is mapping }}|{{ [] is iterable }}|{{ 3 is odd }}|{{ 4 is even }}|{{ 6 is divisibleby 3 }}", "True|True|True|True|True|True|True|True"},
		{"{{ 'abc' is match('a') }}|{{ 'abc' is match('b') }}|{{ 1 is equalto 1 }}|{{ [1] is list }}|{{ 'a' is list }}|{{ 2 is sameas 2 }}", "True|False|True|True|False|True"},
		{"{{ 3 is gt 2 }}|{{ 3 is lt 2 }}|{{ 1 is eq 1 }}|{{ 'a' is in ['a'] }}", "True|False|True|True"},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			got, err := render(t, tc.src, nil)
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestStatements(t *testing.T) {
	tests := []struct{ src, want string }{
		{"{% for i in [1,2,3] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.first }}{{ loop.last }}{{ loop.length }} {% endfor %}", "103TrueFalse3 212FalseFalse3 321FalseTrue3 "},
		{"{% for i in [] %}x{% else %}empty{% endfor %}", "empty"},
		{"{% for i in range(10) %}{% if i == 3 %}{% break %}{% endif %}{% if i == 1 %}{% continue %}{% endif %}{{ i }}{% endfor %}", "02"},
		{"{% for i in range(5) if i is odd %}{{ i }}{% endfor %}", "13"},
		{"{% for a, b in [(1, 2), (3, 4)] %}{{ a + b }},{% endfor %}", "3,7,"},
		{"{% for i in 'ab' %}{{ loop.cycle('x', 'y') }}{{ i }}{% endfor %}", "xayb"},
		{"{% for i in [1, 2] %}{% for j in 'ab' %}{{ loop.index }}{{ j }}{% endfor %}{{ loop.index }};{% endfor %}", "1a2b1;1a2b2;"},
		{"{% if 0 %}a{% elif [] %}b{% elif 'x' %}c{% else %}d{% endif %}", "c"},
		{"{% set l = [] %}{% do l.append(1) %}{% do l.extend([2, 3]) %}{% do l.insert(0, 0) %}{{ l }}{% do l.pop() %}{% do l.remove(0) %}{{ l }}", "[0, 1, 2, 3][1, 2]"},
		{"{% set d = {'a': {'l': []}} %}{% do d.a.l.append(1) %}{% do d['a']['l'].append(2) %}{{ d }}", "{'a': {'l': [1, 2]}}"},
		{"{% set d = {} %}{% do d.update({'b': 1}) %}{% do d.update(a=2) %}{% do d.setdefault('c', []) %}{{ d }}", "{'b': 1, 'a': 2, 'c': []}"},
		{"{% set d = {'x': 1} %}{{ d.pop('x') }}{{ d }}", "1{}"},
		{"{%- macro greet(name, greeting='Hello') -%}\n{{ greeting }} {{ name }}!\n{%- endmacro %}\n{{ greet('a') }}|{{ greet('b', greeting='Hi') }}|{{ greet(name='c') }}", "\nHello a!|Hi b!|Hello c!"},
		{"{% macro v() %}{{ varargs }}{{ kwargs }}{% endmacro %}{{ v(1, 2, k=3) }}", "(1, 2){'k': 3}"},
		{"{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1)|int }}{% endif %}{% endmacro %}{{ fact(5) }}", "120"},
		{"{% macro wrap() %}<{{ caller() }}>{% endmacro %}{% call wrap() %}inner{% endcall %}", "<inner>"},
		{"{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}{{ a is defined }}", "3False"},
		{"{% filter upper %}abc{{ 'd' }}{% endfilter %}", "ABCD"},
		{"{% raw %}{{ not rendered }}{% endraw %}", "{{ not rendered }}"},
		{"a {# comment #}b", "a b"},
		{"{% load_yaml as v %}\nk: 1\nl: [a, b]\n{% endload %}{{ v.k }}{{ v.l }}", "1['a', 'b']"},
		{"{% load_json as v %}{\"b\": 1, \"a\": 2}{% endload %}{{ v }}", "{'b': 1, 'a': 2}"},
		{"{% load_text as v %}raw {{ 1 }}{% endload %}{{ v }}", "raw 1"},
		{"{{ lipsum is defined }}", "True"},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			got, err := render(t, tc.src, nil)
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWhitespace(t *testing.T) {
	tests := []struct {
		src, want    string
		trim, lstrip bool
	}{
		{"a\n{% if true %}\nb\n{% endif %}\nc\n", "a\n\nb\n\nc\n", false, false},
		{"a\n{%- if true %}\nb\n{%- endif %}\nc\n", "a\nb\nc\n", false, false},
		{"a\n{% if true -%}\nb\n{% endif -%}\nc\n", "a\nb\nc\n", false, false},
		{"a\n  {% if true %}\nb\n  {% endif %}\nc\n", "a\nb\nc\n", true, true},
		{"a\n  {% if true %}\nb\n  {% endif %}\nc\n", "a\n  b\n  c\n", true, false},
		{"a\n  {%+ if true %}\nb\n{% endif %}", "a\n  \nb\n", false, true},
		{"x\n", "x\n", false, false},
		{"x\n\n", "x\n\n", false, false},
		{"x", "x", false, false},
		{"{{ 'a' }}\n{{ 'b' }}", "a\nb", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			env := &Env{TrimBlocks: tc.trim, LstripBlocks: tc.lstrip}
			got, err := env.Render(context.Background(), tc.src, nil, "")
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestImports(t *testing.T) {
	files := map[string]string{
		"formula/map.jinja":       "{% set conf = {'port': 80, 'os': grains.os} %}{% macro m(x) %}[{{ x }}]{% endmacro %}{% set _private = 1 %}",
		"formula/sub/rel.jinja":   "{% set here = tpldir ~ ':' ~ tplfile %}",
		"formula/defaults.yaml":   "port: 80\nos: {{ grains.os }}\n",
		"formula/defaults.json":   "{\"z\": 1, \"a\": 2}",
		"formula/motd.txt":        "hello {{ grains.id }}",
		"formula/inc.jinja":       "included {{ grains.id }} {{ local }}",
		"formula/tpl.jinja":       "{% set mine = tpldir ~ '|' ~ tplfile ~ '|' ~ tpldot %}",
		"formula/loop.jinja":      "{% include 'formula/loop.jinja' %}",
		"formula/nocontext.jinja": "{% set seen = grains is defined %}",
		"formula/ctx.jinja":       "{% set seen = mine is defined %}",
	}
	tests := []struct{ src, want string }{
		{"{% from 'formula/map.jinja' import conf with context %}{{ conf }}", "{'port': 80, 'os': 'Debian'}"},
		{"{% from 'formula/map.jinja' import conf, m as mm with context %}{{ mm(conf.port) }}", "[80]"},
		{"{% import 'formula/map.jinja' as map with context %}{{ map.conf.port }}{{ map.m(1) }}", "80[1]"},
		{"{% from './rel.jinja' import here %}{{ here }}", "formula/sub:./rel.jinja"},
		{"{% from '../map.jinja' import m %}{{ m(2) }}", "[2]"},
		{"{% from 'formula/tpl.jinja' import mine %}{{ mine }}", "formula|formula/tpl.jinja|formula"},
		// Salt puts the whole context in the environment's globals too, so
		// an import without context still sees grains; only the
		// importer's own variables need "with context"
		{"{% from 'formula/nocontext.jinja' import seen %}{{ seen }}", "True"},
		{"{% set mine = 1 %}{% from 'formula/ctx.jinja' import seen %}{{ seen }}", "False"},
		{"{% set mine = 1 %}{% from 'formula/ctx.jinja' import seen with context %}{{ seen }}", "True"},
		{"{% set local = 'L' %}{% include 'formula/inc.jinja' %}", "included minion1 L"},
		{"{% include 'formula/none.jinja' ignore missing %}ok", "ok"},
		{"{% import_yaml 'formula/defaults.yaml' as d %}{{ d }}", "{'port': 80, 'os': 'Debian'}"},
		{"{% import_json 'formula/defaults.json' as d %}{{ d }}", "{'z': 1, 'a': 2}"},
		{"{% import_text 'formula/motd.txt' as d %}{{ d }}", "hello minion1"},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			got, err := render(t, tc.src, files)
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	errTests := []struct{ src, want string }{
		{"{% from 'formula/map.jinja' import _private %}", "the template 'formula/map.jinja' (imported on line 1) does not export the requested name '_private'"},
		{"{% from 'formula/map.jinja' import nope %}", "the template 'formula/map.jinja' (imported on line 1) does not export the requested name 'nope'"},
		{"{% include 'formula/none.jinja' %}", "formula/none.jinja"},
		{"{% from '../../../etc/passwd' import x %}", "../../../etc/passwd"},
		{"{% include 'formula/loop.jinja' %}", "maximum recursion depth exceeded"},
	}
	for _, tc := range errTests {
		t.Run(tc.src, func(t *testing.T) {
			_, err := render(t, tc.src, files)
			var je *Error
			if !errors.As(err, &je) {
				t.Fatalf("error = %v, want a *jinja.Error", err)
			}
			if je.Msg != tc.want {
				t.Errorf("message %q, want %q", je.Msg, tc.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		src  string
		kind ErrKind
		msg  string
		line int
	}{
		{"{{ undefined_var.attr }}", KindUndefined, "'undefined_var' is undefined", 1},
		{"a\n{{ grains.nope }}", KindUndefined, "'dict object' has no attribute 'nope'", 2},
		{"{{ grains.ipv4[5] }}", KindUndefined, "list object has no element 5", 1},
		{"{% if x %}{% endif %}", KindUndefined, "'x' is undefined", 1},
		{"{% for i in x %}{% endfor %}", KindUndefined, "'x' is undefined", 1},
		{"{{ x == 1 }}", KindUndefined, "'x' is undefined", 1},
		{"{{ None.x }}", KindUndefined, "'None' has no attribute 'x'", 1},
		{"a\nb\n{{ 1 is ip_address }}", KindSyntax, "No test named 'ip_address'.", 3},
		{"{{ 1|nofilter }}", KindSyntax, "No filter named 'nofilter'.", 1},
		{"{% if true %}", KindSyntax, "Unexpected end of template. Jinja was looking for the following tags: 'elif' or 'else' or 'endif'. The innermost block that needs to be closed is 'if'.", 1},
		{"{% endfor %}", KindSyntax, "Encountered unknown tag 'endfor'.", 1},
		{"{% frobnicate %}", KindSyntax, "Encountered unknown tag 'frobnicate'.", 1},
		{"{{ 1 + }}", KindSyntax, "unexpected 'end of print statement'", 1},
		{"{{ 'a' + 1 }}", KindOther, "can only concatenate str (not \"int\") to str", 1},
		{"{{ 1 / 0 }}", KindOther, "division by zero", 1},
		{"{{ raise('stop here') }}", KindOther, "stop here", 1},
		{"{{ ifelse(True, 1) }}", KindOther, "The ifelse function must have an odd number of arguments!", 1},
		{"{{ 1|load_json }}", KindSyntax, "Unable to load json from 1", 1},
		{"{{ '{'|load_json }}", KindSyntax, "Unable to load json from {", 1},
		{"{{ salt['no.such']() }}", KindSalt, "no no.such", 1},
		{"{% macro m(a) %}{{ a }}{% endmacro %}{{ m() }}", KindUndefined, "parameter 'a' was not provided", 1},
		{"{% for a, b in [1] %}{% endfor %}", KindOther, "cannot unpack non-iterable int object", 1},
		{"{{ 'a' * 'b' }}", KindOther, "can't multiply sequence by non-int of type 'str'", 1},
		{"{{ -'a' }}", KindOther, "bad operand type for unary -: 'str'", 1},
		{"{{ 'open }}", KindSyntax, "unexpected char \"'\" at 3", 1},
		{"{{ }}", KindSyntax, "Expected an expression, got 'end of print statement'", 1},
		{"{{ [1, 2 }}", KindSyntax, "unexpected '}', expected ']'", 1},
		{"{{ {'a' 1} }}", KindSyntax, "expected token ':', got 'integer'", 1},
		{"{{ [1]|first(x) if false else [][0] }}", KindUndefined, "list object has no element 0", 1},
		{"{% macro r() %}{{ r() }}{% endmacro %}{{ r() }}", KindOther, "maximum recursion depth exceeded", 1},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			_, err := render(t, tc.src, nil)
			var je *Error
			if !errors.As(err, &je) {
				t.Fatalf("error = %v, want a *jinja.Error", err)
			}
			if je.Kind != tc.kind || je.Msg != tc.msg || je.Line != tc.line {
				t.Errorf("got kind %d %q line %d, want kind %d %q line %d", je.Kind, je.Msg, je.Line, tc.kind, tc.msg, tc.line)
			}
		})
	}
}

func TestStepBudget(t *testing.T) {
	src := "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"
	_, err := render(t, src, nil)
	if err == nil || !strings.Contains(err.Error(), "exceeded") {
		t.Fatalf("error = %v, want the step budget", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = (&Env{}).Render(ctx, src, nil, "")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
}

// TestNoCycles: a container stored inside itself is refused (Python
// allows it; nothing here could print or compare it).
func TestNoCycles(t *testing.T) {
	for _, src := range []string{
		"{% set d = {} %}{% do d.update({'x': d}) %}",
		"{% set d = {} %}{% do d.update(x=d) %}",
		"{% set d = {} %}{% do d.setdefault('x', [d]) %}",
		"{% set d = {'l': []} %}{% do d.l.append(d) %}",
		"{% set l = [[1]] %}{% do l[0].append(l) %}",
		"{% set ns = namespace() %}{% set ns.me = ns %}",
	} {
		_, err := render(t, src, nil)
		if err == nil || !strings.Contains(err.Error(), "inside itself") {
			t.Errorf("%s: error %v, want a refusal", src, err)
		}
	}
	// updating a dict with itself (a copy of its items) is fine
	if got, err := render(t, "{% set d = {'a': 1} %}{% do d.update(d) %}{{ d }}", nil); err != nil || got != "{'a': 1}" {
		t.Errorf("update with itself: %q, %v", got, err)
	}
}
