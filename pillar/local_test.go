package pillar

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/minion/match"
)

// minion is who the top targets are matched for in these tests.
func minion() match.Minion {
	return match.Minion{
		ID:         "web1.example.com",
		Grains:     data.M("id", "web1.example.com", "role", "web", "tier", []any{"gold", "silver"}, "ipv4", []any{"127.0.0.1", "203.0.113.9"}),
		Pillar:     data.M("site", data.M("name", "paris")),
		Nodegroups: data.M("webs", "G@role:web", "dbs", "G@role:db"),
	}
}

// compileTop writes a pillar root with top (the entries under base) and an
// SLS "picked" setting picked: true, and compiles it for m.
func compileTop(t *testing.T, top string, m match.Minion) (*data.Map, error) {
	t.Helper()
	root := t.TempDir()
	for name, text := range map[string]string{"top.sls": "base:\n" + top, "picked.sls": "picked: true\n", "other.sls": "other: true\n"} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return Compile(Options{Roots: map[string][]string{"base": {root}}, Minion: m})
}

// TestTopMatchTypes: every match type of a pillar top entry, matching and
// not, as Salt's confirm_top with the minion's matchers decides.
func TestTopMatchTypes(t *testing.T) {
	tests := []struct {
		name, tgt, matchType string // matchType "" writes no {match: ...}
		want                 bool
	}{
		{"default is compound: grain and glob", "G@role:web and web*", "", true},
		{"default is compound: no", "G@role:db or L@x,y", "", false},
		{"default, bare glob", "web1.*", "", true},
		{"default, bare glob no", "db*", "", false},
		{"glob", "web?.example.com", "glob", true},
		{"glob no", "web?", "glob", false},
		{"glob star crosses dots", "*com", "glob", true},
		{"pcre", `^web\d\.`, "pcre", true},
		{"pcre anchored at the start", "example", "pcre", false},
		{"list", "other,web1.example.com", "list", true},
		{"list no", "web1,web2", "list", false},
		{"grain", "role:web", "grain", true},
		{"grain glob", "role:w*", "grain", true},
		{"grain list member", "tier:silver", "grain", true},
		{"grain no", "role:db", "grain", false},
		{"grain missing", "nosuch:web", "grain", false},
		{"grain_pcre", "role:w.b", "grain_pcre", true},
		{"grain_pcre no", "role:^d", "grain_pcre", false},
		{"compound", "G@tier:gold and not E@^db", "compound", true},
		{"compound parentheses", "G@role:web and ( L@x or E@web1 )", "compound", true},
		{"compound no", "G@role:web and not web1*", "compound", false},
		{"ipcidr network", "203.0.113.0/24", "ipcidr", true},
		{"ipcidr address", "203.0.113.9", "ipcidr", true},
		{"ipcidr no", "198.51.100.0/24", "ipcidr", false},
		{"nodegroup", "webs", "nodegroup", true},
		{"nodegroup no", "dbs", "nodegroup", false},
		{"nodegroup unknown", "nosuch", "nodegroup", false},
		{"pillar", "site:name:paris", "pillar", true},
		{"pillar no", "site:name:lyon", "pillar", false},
		{"pillar_pcre", "site:name:par.s", "pillar_pcre", true},
		{"pillar_exact", "site:name:paris", "pillar_exact", true},
		{"pillar_exact no", "site:name:par*", "pillar_exact", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			entry := "  '" + tc.tgt + "':\n"
			if tc.matchType != "" {
				entry += "    - match: " + tc.matchType + "\n"
			}
			entry += "    - picked\n"
			p, err := compileTop(t, entry, minion())
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Has("picked"); got != tc.want {
				t.Fatalf("selected = %v, want %v (pillar %v)", got, tc.want, p)
			}
		})
	}
}

// TestTopMatchDetails: the last {match: ...} of a list wins; pillar
// targets see the pillar the minion held before (none on a first
// compile); SLS names are collected once, in top order.
func TestTopMatchDetails(t *testing.T) {
	t.Run("last match wins", func(t *testing.T) {
		p, err := compileTop(t, "  'role:web':\n    - match: glob\n    - picked\n    - match: grain\n", minion())
		if err != nil || !p.Has("picked") {
			t.Fatalf("%v %v", p, err)
		}
	})
	t.Run("pillar target on a first compile", func(t *testing.T) {
		m := minion()
		m.Pillar = nil
		p, err := compileTop(t, "  'site:name:paris':\n    - match: pillar\n    - picked\n", m)
		if err != nil || p.Has("picked") {
			t.Fatalf("%v %v", p, err)
		}
	})
	t.Run("order and duplicates", func(t *testing.T) {
		p, err := compileTop(t, "  'G@role:web':\n    - other\n    - picked\n  '*':\n    - picked\n    - other\n", minion())
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(anyStrings(p.Keys()), ","); got != "other,picked" {
			t.Fatalf("keys %s", got)
		}
	})
}

// TestTopMatchErrors: a target that cannot be evaluated selects nothing
// and is reported under _errors with the target and match type (Salt 3007
// stops with a traceback instead); the other targets still apply.
func TestTopMatchErrors(t *testing.T) {
	tests := []struct{ name, entry, want string }{
		{"unknown match type", "  'x':\n    - match: bogus\n    - other\n", `pillar top target x (match: bogus): match: unknown target type "bogus"`},
		{"bad regex", "  'a(':\n    - match: pcre\n    - other\n", "pillar top target a( (match: pcre)"},
		{"grain target without a delimiter", "  'role':\n    - match: grain\n    - other\n", "pillar top target role (match: grain)"},
		{"match type not a string", "  'x':\n    - match: [grain]\n    - other\n", "pillar top target x: match type ['grain'] is not a string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := compileTop(t, tc.entry+"  '*':\n    - picked\n", minion())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if p.Has("other") || !p.Has("picked") {
				t.Fatalf("pillar %v", p)
			}
			errs, _ := p.Get("_errors")
			if l, ok := errs.([]any); !ok || len(l) != 1 || !strings.Contains(l[0].(string), tc.want) {
				t.Fatalf("_errors = %v", errs)
			}
		})
	}
}

func anyStrings(l []any) []string {
	out := make([]string, len(l))
	for i, e := range l {
		out[i], _ = data.AsString(e)
	}
	return out
}
