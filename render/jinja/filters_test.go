package jinja

import "testing"

// TestSaltFilters checks Salt's filters, tests and globals; the values
// marked live are the ones a 3007.14 minion gave (spec §5.4).
func TestSaltFilters(t *testing.T) {
	tests := []struct{ src, want string }{
		{"{{ {'a':[1,'b']}|yaml }}", "{a: [1, b]}"}, // live
		{"{{ {'a':[1,'b']}|yaml(False) }}", "a:\n- 1\n- b"},
		{"{{ {'b': 1, 'a': {'c': [1, 2]}}|yaml(False) }}", "a:\n  c:\n  - 1\n  - 2\nb: 1"},
		{"{{ 'x'|yaml }}|{{ 'yes'|yaml }}|{{ '1'|yaml }}|{{ 1|yaml }}|{{ None|yaml }}|{{ 'a: b'|yaml }}", "x|'yes'|'1'|1|null|'a: b'"},
		{"{{ {'a': 1, 'b': [true, None]}|json }}", `{"a": 1, "b": [true, null]}`}, // live
		{"{{ {'b': 1, 'a': 2}|json }}", `{"a": 2, "b": 1}`},
		{"{{ {'a': 1}|tojson }}", `{"a": 1}`}, // live
		{"{{ '<é>'|tojson }}", `"\u003c\u00e9\u003e"`},
		{"{{ {'a': [1]}|json(indent=2) }}", "{\n  \"a\": [\n    1\n  ]\n}"},
		{"{{ {'k': 'v'}|python }}", "{'k': 'v'}"},
		{"{{ {'b': [1, (2,)], 'a': None}|python }}", "{'a': None, 'b': [1, (2,)]}"},
		{"{{ ('k: 1'|load_yaml).k }}", "1"}, // live
		{"{{ '{\"a\": [1, 2]}'|load_json }}", "{'a': [1, 2]}"},
		{"{{ 'text'|load_text }}", "text"},
		{"{{ 'x'|yaml_dquote }}", `"x"`},          // live
		{"{{ \"it's\"|yaml_squote }}", "'it''s'"}, // live
		{"{{ 'x y'|yaml_encode }}", `"x y"`},      // live
		{"{{ 'a\"b\\tc'|yaml_dquote }}", `"a\"b\tc"`},
		{"{{ True|yaml_encode }}|{{ None|yaml_encode }}|{{ 1.5|yaml_encode }}|{{ 3|yaml_encode }}", "true|null|1.5|3"},
		{"{{ 'yes'|to_bool }}|{{ 'TRUE'|to_bool }}|{{ '1'|to_bool }}|{{ 'on'|to_bool }}|{{ 2|to_bool }}|{{ 0|to_bool }}|{{ [1]|to_bool }}|{{ None|to_bool }}", "True|True|True|False|True|False|True|False"}, // live: 'yes' -> True
		{"{{ 'a'|sequence }}|{{ ['a']|sequence }}", "['a']|['a']"},                        // live
		{"{{ [1, 2, 1, 2]|unique }}", "[1, 2]"},                                           // live
		{"{{ 'abc'|regex_match('(b)') }}|{{ 'abc'|regex_match('a(b)') }}", "None|('b',)"}, // live
		{"{{ 'abc'|regex_search('b') }}|{{ 'abc'|regex_search('(b)(c)') }}|{{ 'abc'|regex_search('x') }}", "()|('b', 'c')|None"},
		{"{{ 'abc'|regex_replace('b', 'X') }}", "aXc"}, // live
		{"{{ 'a1b22'|regex_replace('(\\\\d+)', '<\\\\1>') }}", "a<1>b<22>"},
		{"{{ 'ABC'|regex_match('a(b)', ignorecase=True) }}", "('B',)"},
		{"{{ 'a.b*c'|regex_escape }}", `a\.b\*c`},
		{"{{ 'a'|md5 }}", "0cc175b9c0f1b6a831c399e269772661"}, // live
		{"{{ 'a'|sha1 }}", "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8"},
		{"{{ 'a'|sha256 }}", "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"},
		{"{{ 'a'|sha512|length }}", "128"},
		{"{{ 'salt'|base64_encode }}|{{ 'c2FsdA=='|base64_decode }}", "c2FsdA==|salt"},
		{"{{ \"it's a\"|quote }}|{{ 'plain'|quote }}", `'it'"'"'s a'|plain`},
		{"{{ 1577923200|strftime('%Y') }}", "2020"}, // live
		{"{{ 0|strftime('%Y-%m-%d %H:%M:%S') }}", "1970-01-01 00:00:00"},
		{"{{ [3, 1, 2]|min }}|{{ [3, 1, 2]|max }}|{{ [1, 2, 3, 4]|avg }}", "1|3|2.5"},
		{"{{ [1, 2]|union([2, 3]) }}|{{ [1, 2]|intersect([2, 3]) }}|{{ [1, 2]|difference([2, 3]) }}|{{ [1, 2]|symmetric_difference([2, 3]) }}", "[1, 2, 3]|[2]|[1]|[1, 3]"},
		{"{{ [1, [2, [3, None]]]|flatten }}|{{ [1, [2, [3]]]|flatten(levels=1) }}", "[1, 2, 3]|[1, 2, [3]]"},
		{"{{ '5'|to_num }}|{{ '1.5'|to_num }}|{{ 'x'|to_num }}", "5|1.5|x"},
		{"{{ [1]|is_list }}|{{ 'a'|is_list }}", "True|False"},
		{"{{ '10.0.0.1'|is_ip }}|{{ '::1'|is_ipv6 }}|{{ '::1'|is_ipv4 }}|{{ 'x'|is_ip }}", "True|True|False|False"},
		{"{{ '/etc'|path_join('salt', 'minion') }}|{{ 'a'|path_join('/abs') }}", "/etc/salt/minion|/abs"},
		{"{{ {'a': {'b': [1, 2]}}|traverse('a:b:1') }}|{{ {'a': 1}|traverse('x', 'def') }}", "2|def"},
		{"{{ ifelse(False, 'a', True, 'b', 'c') }}|{{ ifelse(False, 'a', 'c') }}|{{ ifelse('minion1', 'm', 'c') }}|{{ ifelse('other*', 'o', 'd') }}", "b|c|m|d"},
		{"{{ odict([('b', 1), ('a', 2)]) }}", "OrderedDict([('b', 1), ('a', 2)])"},
		// Jinja's own filters as formulas use them
		{"{{ none|default('d') }}|{{ ''|default('d', true) }}|{{ x|d('u') }}", "None|d|u"},
		{"{{ [1, 2]|join(',') }}|{{ ['b', 'a']|sort }}|{{ [3, 1]|sort(reverse=true) }}|{{ 'abc'|length }}|{{ [1, 2]|count }}", "1,2|['a', 'b']|[3, 1]|3|2"},
		{"{{ 'x'|upper }}|{{ 'Ab'|lower }}|{{ ' x '|trim }}|{{ 'ab'|replace('a', 'b') }}|{{ 'hello world'|title }}|{{ 'hello'|capitalize }}", "X|ab|x|bb|Hello World|Hello"},
		{"{{ '3'|int }}|{{ 'x'|int }}|{{ 'x'|int(7) }}|{{ 3.9|int }}|{{ '1.5'|float }}|{{ 2|float }}|{{ 3|string }}", "3|0|7|3|1.5|2.0|3"},
		{"{{ [1, 2]|first }}|{{ [1, 2]|last }}|{{ 'ab'|list }}|{{ [1, 2]|reverse|list }}|{{ -3|abs }}|{{ 2.567|round(1) }}", "1|2|['a', 'b']|[2, 1]|3|2.6"},
		{"{{ {'b': 1, 'a': 2}|dictsort }}", "[('a', 2), ('b', 1)]"},
		{"{{ [{'n': 'a', 'v': 1}, {'n': 'b', 'v': 0}]|selectattr('v')|map(attribute='n')|list }}", "['a']"},
		{"{{ [{'n': 'a', 'v': 1}, {'n': 'b', 'v': 2}]|selectattr('v', 'equalto', 2)|map(attribute='n')|list }}", "['b']"},
		{"{{ [1, 2, 3, 4]|select('odd')|list }}|{{ [1, 2, 3, 4]|reject('odd')|list }}|{{ ['a', 'b']|map('upper')|list }}", "[1, 3]|[2, 4]|['A', 'B']"},
		{"{{ [1, 2, 3]|sum }}|{{ [1, 2, 3, 4, 5]|batch(2)|list }}", "6|[[1, 2], [3, 4], [5]]"},
		{"{{ 'a\nb'|indent(2) }}|{{ 'a\nb'|indent(2, true) }}", "a\n  b|  a\n  b"},
		{"{{ '%s=%s'|format('a', 1) }}|{{ '<a>'|e }}|{{ 'a b'|urlencode }}", "a=1|&lt;a&gt;|a%20b"},
		{"{{ {'a': 1}|items|list }}", "[('a', 1)]"},
		{"{{ [{'a': {'b': 1}}]|map(attribute='a.b')|list }}", "[1]"},
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
