package match

import (
	"errors"
	"testing"

	"github.com/saltgo/saltgo/data"
)

func testMinion() *Minion {
	return &Minion{
		ID: "web1.example.com",
		Grains: data.M(
			"os", "Debian",
			"os_family", "Debian",
			"osrelease", "12",
			"num_cpus", int64(2),
			"virtual", "LXC",
			"roles", []any{"web", "db"},
			"ipv4", []any{"127.0.0.1", "10.5.0.12"},
			"ipv6", []any{"::1", "fe80::1"},
			"ssds", []any{},
			"locale_info", data.M("defaultencoding", "UTF-8", "detectedencoding", "utf-8"),
			"nested", data.M("a", data.M("b", "deep:value")),
			"items", []any{data.M("name", "x", "port", int64(80)), "plain"},
			"enabled", true,
			"nothing", nil,
			"ratio", 1.5,
		),
		Pillar: data.M(
			"role", "frontend",
			"makina-states", data.M("cloud", data.M("lxc", data.M("vms", data.M("cn1.test", data.M("vm1.test", data.M("ip", "10.5.0.2")))))),
			"ports", []any{int64(80), int64(443)},
			"int_keys", data.M(int64(1), "one"),
			"empty", data.NewMap(),
		),
		Nodegroups: data.M(
			"webs", "G@roles:web and web*",
			"dbs", []any{"db1", "db2"},
			"nested", "N@webs or L@x",
			"loop", "N@loop",
		),
	}
}

func TestMatch(t *testing.T) {
	m := testMinion()
	cases := []struct {
		tgt     any
		typ     string
		delim   string
		want    bool
		wantErr bool
	}{
		// glob: fnmatch
		{"web1.example.com", "glob", "", true, false},
		{"web*", "", "", true, false},
		{"*", "glob", "", true, false},
		{"web?.example.com", "glob", "", true, false},
		{"web[0-9].*", "glob", "", true, false},
		{"web[!1].*", "glob", "", false, false},
		{"Web*", "glob", "", false, false}, // case-sensitive
		{"web1", "glob", "", false, false},
		{"*example*", "glob", "", true, false},
		{"web1.example.co[", "glob", "", false, false}, // unclosed [ is literal
		{[]any{"web1.example.com"}, "glob", "", false, false},
		// pcre: re.match, anchored at the start only
		{`web\d`, "pcre", "", true, false},
		{`example`, "pcre", "", false, false},
		{`.*example`, "pcre", "", true, false},
		{`web1\.example\.com$`, "pcre", "", true, false},
		{`(?<=x)web`, "pcre", "", false, true},
		// list
		{"a,web1.example.com,b", "list", "", true, false},
		{"web1.example.com,b", "list", "", true, false},
		{"a,web1.example.com", "list", "", true, false},
		{"web1.example.com", "list", "", true, false},
		{"web1.example.co", "list", "", false, false},
		{"aweb1.example.com,b", "list", "", false, false},
		{[]any{"x", "web1.example.com"}, "list", "", true, false},
		{[]any{"x"}, "list", "", false, false},
		// grain
		{"os:Debian", "grain", "", true, false},
		{"os:debian", "grain", "", true, false}, // values compared lower-cased
		{"os:Deb*", "grain", "", true, false},
		{"os:Ubuntu", "grain", "", false, false},
		{"roles:web", "grain", "", true, false},
		{"roles:w?b", "grain", "", true, false},
		{"roles:mail", "grain", "", false, false},
		{"num_cpus:2", "grain", "", true, false},
		{"enabled:true", "grain", "", true, false},
		{"nothing:None", "grain", "", true, false},
		{"ratio:1.5", "grain", "", true, false},
		{"locale_info:defaultencoding", "grain", "", true, false}, // key exists
		{"locale_info:*", "grain", "", true, false},
		{"locale_info:defaultencoding:utf-8", "grain", "", true, false},
		{"locale_info:*:utf-8", "grain", "", true, false},
		{"nested:a:b:deep:value", "grain", "", true, false}, // value holds the delimiter
		{"items:name:x", "grain", "", true, false},
		{"items:0:name:x", "grain", "", true, false},
		{"items:1:plain", "grain", "", true, false},
		{"items:plain", "grain", "", true, false},
		{"missing:x", "grain", "", false, false},
		{"ssds:*", "grain", "", false, false},
		{"os", "grain", "", false, true}, // no delimiter
		{"os|Debian", "grain", "|", true, false},
		{"nested|a|b|deep:value", "grain", "|", true, false},
		{"*:Debian", "grain", "", true, false},
		// grain_pcre
		{"os:Deb.*", "grain_pcre", "", true, false},
		{"os:ian", "grain_pcre", "", false, false},
		{"roles:(web|mail)", "grain_pcre", "", true, false},
		{"os:(?=x)", "grain_pcre", "", false, true},
		// pillar
		{"role:front*", "pillar", "", true, false},
		{"makina-states:cloud:lxc:vms:cn1.test:vm1.test:ip:10.5.0.2", "pillar", "", true, false},
		{"ports:443", "pillar", "", true, false},
		{"int_keys:1:one", "pillar", "", true, false},
		{"empty:*", "pillar", "", false, false},
		{"role|frontend", "pillar", "|", true, false},
		// pillar_pcre / pillar_exact
		{"role:fr.nt", "pillar_pcre", "", true, false},
		{"role:frontend", "pillar_exact", "", true, false},
		{"role:front*", "pillar_exact", "", false, false},
		{"role:FRONTEND", "pillar_exact", "", true, false},
		// ipcidr
		{"10.5.0.12", "ipcidr", "", true, false},
		{"10.5.0.0/16", "ipcidr", "", true, false},
		{"10.6.0.0/16", "ipcidr", "", false, false},
		{"10.5.0.13", "ipcidr", "", false, false},
		{"fe80::/10", "ipcidr", "", true, false},
		{"10.5.0.1/16", "ipcidr", "", false, true}, // host bits set: invalid network
		{"not-an-ip", "ipcidr", "", false, true},
		// compound
		{"G@os:Debian and web*", "compound", "", true, false},
		{"G@os:Debian and not web*", "compound", "", false, false},
		{"G@os:Debian not web*", "compound", "", false, false}, // not after a term implies and
		{"G@os:Ubuntu or L@a,web1.example.com", "compound", "", true, false},
		{"( G@os:Ubuntu or E@web\\d ) and I@role:frontend", "compound", "", true, false},
		{"not ( G@os:Ubuntu or db* )", "compound", "", true, false},
		{"P@os:(Debian|Ubuntu) and J@role:^front", "compound", "", true, false},
		{"S@10.5.0.0/16 and G@virtual:LXC", "compound", "", true, false},
		{"G|@nested|a|b|deep:value", "compound", "", true, false},
		{"I%@makina-states%cloud%lxc%vms%cn1.test%vm1.test%ip%10.5.0.*", "compound", "", true, false},
		{"N@webs", "compound", "", true, false},
		{"N@nested and not N@dbs", "compound", "", true, false},
		{"N@loop", "compound", "", false, true},
		{"and web*", "compound", "", false, true},
		{"( and web* )", "compound", "", false, true},
		{"( web*", "compound", "", false, true},
		{"web* )", "compound", "", false, true},
		{"web* db*", "compound", "", false, true},     // two terms without operator
		{"X@foo", "compound", "", false, false},       // not an engine: glob word
		{"G@os:Debian", "compound", "|", true, false}, // the publish delimiter does not apply to compound
		{[]any{"G@os:Debian", "and", "web*"}, "compound", "", true, false},
		{"Z@x", "compound", "", false, false},
		// nodegroup
		{"webs", "nodegroup", "", true, false},
		{"dbs", "nodegroup", "", false, false},
		{"nope", "nodegroup", "", false, false},
		// unknown
		{"x", "range", "", false, true},
		{"x", "bogus", "", false, true},
	}
	for _, c := range cases {
		got, err := Match(m, c.tgt, c.typ, c.delim)
		if got != c.want || (err != nil) != c.wantErr {
			t.Errorf("Match(%v, %q, %q) = %v, %v; want %v (err %v)", c.tgt, c.typ, c.delim, got, err, c.want, c.wantErr)
		}
	}
	if _, err := Match(m, "x", "bogus", ""); !errors.Is(err, ErrUnknownType) {
		t.Errorf("unknown type error %v", err)
	}
}

func TestParseTarget(t *testing.T) {
	cases := []struct{ word, engine, delim, pattern string }{
		{"G@os:Debian", "G", "", "os:Debian"},
		{"G|@os|Debian", "G", "|", "os|Debian"},
		{"L@a,b", "L", "", "a,b"},
		{"Lx@a", "", "", "Lx@a"},
		{"web*", "", "", "web*"},
		{"E@web\\d+", "E", "", "web\\d+"},
		{"N@group", "N", "", "group"},
		{"foo@bar", "", "", "foo@bar"},
	}
	for _, c := range cases {
		e, d, p := ParseTarget(c.word)
		if e != c.engine || d != c.delim || p != c.pattern {
			t.Errorf("ParseTarget(%q) = %q %q %q", c.word, e, d, p)
		}
	}
}

func TestFnmatchAndPyStr(t *testing.T) {
	for _, c := range []struct {
		name, pat string
		want      bool
	}{
		{"a/b.c", "*", true},
		{"a]", "a[]]", true},
		{"a^", "a[\\^]", true},
		{"a\\", "a[\\]", true},
		{"ab", "a[!a]", true},
		{"aa", "a[!a]", false},
		{"a.b", "a?b", true},
		{"a\nb", "a*b", true},
		{"[x", "[x", true},
		{"a+b", "a+b", true},
		{"héllo", "h?llo", true},
	} {
		if got := FnmatchString(c.name, c.pat); got != c.want {
			t.Errorf("fnmatch(%q, %q) = %v", c.name, c.pat, got)
		}
	}
	for v, want := range map[any]string{true: "True", nil: "None", int64(-3): "-3", 2.0: "2.0", 1e-5: "1e-05", 0.1: "0.1"} {
		if got := data.Str(v); got != want {
			t.Errorf("data.Str(%v) = %q want %q", v, got, want)
		}
	}
	if got := data.Str([]any{"a", int64(1)}); got != "['a', 1]" {
		t.Errorf("data.Str(list) = %q", got)
	}
}
