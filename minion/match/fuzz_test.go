package match

import "testing"

// FuzzMatch feeds arbitrary targets of every type to the matcher, as a
// master (or anyone holding the AES key) could publish them: a result or an
// error, never a panic or a runaway (compound nesting, nodegroup cycles,
// regular expressions, subdict traversal).
func FuzzMatch(f *testing.F) {
	types := []string{"glob", "pcre", "list", "grain", "grain_pcre", "pillar", "pillar_pcre",
		"pillar_exact", "ipcidr", "nodegroup", "compound", "data", "", "bogus"}
	for _, s := range []string{
		"web*", `web\d`, "a,web1.example.com", "roles:web", "os:Deb*", "makina-states:cloud:lxc:vms:cn1.test:vm1.test:ip:10.5.0.2",
		"10.5.0.0/16", "127.0.0.1", "webs", "nested", "G@roles:web and web*", "not ( L@x or E@w.* ) and I@role:front*",
		"J|@roles|web", "S@10.5.0.0/16 or P@os:D.*", "N@webs or N@nested", "((((((", "and or not", "G@:",
		"items:0:name:x", "int_keys:1:one", "*:*:*:*",
	} {
		for i := range types {
			f.Add(s, uint8(i), ":")
		}
	}
	f.Add("roles|web", uint8(3), "|")
	m := testMinion()
	f.Fuzz(func(t *testing.T, tgt string, typ uint8, delim string) {
		tt := types[int(typ)%len(types)]
		ok, err := Match(m, tgt, tt, delim)
		if err != nil && ok {
			t.Fatalf("Match(%q, %s) = true with error %v", tgt, tt, err)
		}
		_, _ = Match(m, []any{tgt, delim}, tt, delim)
		_, _, _ = ParseTarget(tgt)
	})
}
