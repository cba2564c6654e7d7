package cloud

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
)

// TestLoadConfig: salt-cloud's merge rules for the cloud, providers and
// profiles files.
func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		aliases string            // alias:driver,... in order
		names   string            // profiles, in order
		values  map[string]string // "profile.key" -> repr
		err     string
	}{
		{name: "cloud.providers.d overrides cloud.providers, sorted includes",
			files: map[string]string{
				"cloud.providers":          "a:\n  driver: lxc\n  target: old\n",
				"cloud.providers.d/1.conf": "a:\n  driver: lxc\n  target: one\n",
				"cloud.providers.d/2.conf": "a:\n  target: two\n",
				"cloud.profiles.d/p.conf":  "p1:\n  provider: a\n",
			},
			aliases: "a:lxc", names: "p1", values: map[string]string{"p1.provider": "'a:lxc'", "a.target": "'two'"}},
		{name: "provider without driver dropped (old makina file), its profiles too",
			files: map[string]string{
				"cloud.providers.d/m.conf": "old-lxc:\n  target: cn1\n  provider: lxc\nnew-lxc:\n  target: cn2\n  driver: lxc\n  provider: lxc\n",
				"cloud.profiles.d/m.conf":  "p-old:\n  provider: old-lxc\np-new:\n  provider: new-lxc\n",
			},
			aliases: "new-lxc:lxc", names: "p-new"},
		{name: "provider extends",
			files: map[string]string{
				"cloud.providers": "base:\n  driver: lxc\n  target: cn1\n  minion: {master: m1}\nchild:\n  extends: base\n  minion: {master_port: 4606}\n",
			},
			aliases: "base:lxc,child:lxc", values: map[string]string{"child.target": "'cn1'", "child.minion": "{'master': 'm1', 'master_port': 4606}"}},
		{name: "profile extends, provider alias:driver, unknown provider dropped",
			files: map[string]string{
				"cloud.providers": "a:\n  driver: lxc\n  target: cn1\n",
				"cloud.profiles":  "base:\n  provider: a:lxc\n  backing: dir\n  minion: {master: m1}\nweb:\n  extends: base\n  image: busybox\n  minion: {master_port: 1}\nghost:\n  provider: nowhere\norphan:\n  extends: missing\n",
			},
			aliases: "a:lxc", names: "base,web", values: map[string]string{"web.backing": "'dir'", "web.image": "'busybox'", "web.minion": "{'master': 'm1', 'master_port': 1}", "web.provider": "'a:lxc'"}},
		{name: "two entries of one alias with the same driver",
			files: map[string]string{"cloud.providers": "a:\n  - {driver: lxc, target: x}\n  - {driver: lxc, target: y}\n"},
			err:   "The cloud provider alias 'a' has multiple entries for the 'lxc' driver."},
		{name: "profiles_config in the cloud file",
			files: map[string]string{
				"cloud":                   "providers_config: elsewhere/prov\nprofiles_config: /PROFDIR/other/prof\n",
				"elsewhere/prov":          "a:\n  driver: lxc\n  target: cn1\n",
				"other/prof":              "p:\n  provider: a\n",
				"cloud.profiles.d/x.conf": "ignored:\n  provider: a\n", // not next to other/prof
			},
			aliases: "a:lxc", names: "p"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for p, s := range tc.files {
				s = strings.ReplaceAll(s, "/PROFDIR", dir)
				if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, p), []byte(s), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			c, err := LoadConfig(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var al []string
			for _, a := range c.Aliases {
				for _, d := range sortedKeys(c.Providers[a]) {
					al = append(al, a+":"+d)
				}
			}
			if got := strings.Join(al, ","); got != tc.aliases {
				t.Errorf("providers %s, want %s", got, tc.aliases)
			}
			if got := strings.Join(c.Names, ","); got != tc.names {
				t.Errorf("profiles %s, want %s", got, tc.names)
			}
			for k, want := range tc.values {
				obj, key, _ := strings.Cut(k, ".")
				m := c.Profiles[obj]
				if m == nil {
					for _, dm := range c.Providers[obj] {
						m = dm
					}
				}
				v, _ := m.Get(key)
				if got := data.Repr(v); got != want {
					t.Errorf("%s = %s, want %s", k, got, want)
				}
			}
		})
	}
}
