package mount_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/internal/statecase"
	"github.com/saltgo/saltgo/lxc/lxctest"
)

func TestMain(m *testing.M) { lxctest.Main(m) }

// saltCall is the salt-call command the container test runs: saltgo's
// unless a recording sets Salt's (testdata/README.md).
var saltCall []string

const tmpfs16 = `tmp_mount:
  mount.mounted:
    - name: /mnt/saltgo-tmp
    - device: tmpfs
    - fstype: tmpfs
    - opts: size=16m,mode=755
    - mkmnt: True
`

const mount4 = `watched_file:
  file.managed:
    - name: /srv/saltgo-watch.conf
    - contents: v1
dumped:
  mount.mounted:
    - name: /mnt/saltgo-dump
    - device: tmpfs
    - fstype: tmpfs
    - opts: mode=700
    - dump: 1
    - pass_num: 2
    - mkmnt: True
    - watch:
      - file: watched_file
`

var tree = map[string]string{
	"mount1.sls": tmpfs16 + `bind_src:
  file.directory:
    - name: /srv/saltgo-bind-src
bind_mount:
  mount.mounted:
    - name: /mnt/saltgo-bind
    - device: /srv/saltgo-bind-src
    - fstype: none
    - opts: bind
    - mkmnt: True
    - persist: False
    - require:
      - file: bind_src
no_mount:
  mount.mounted:
    - name: /mnt/saltgo-nomount
    - device: tmpfs
    - fstype: tmpfs
    - mount: False
    - mkmnt: True
`,
	"mount2.sls": strings.ReplaceAll(tmpfs16, "size=16m", "size=32m"),
	"mount3.sls": `tmp_gone:
  mount.unmounted:
    - name: /mnt/saltgo-tmp
    - persist: True
new_mount:
  mount.mounted:
    - name: /mnt/saltgo-new
    - device: tmpfs
    - fstype: tmpfs
    - mkmnt: True
missing_dir:
  mount.mounted:
    - name: /mnt/saltgo-missing
    - device: tmpfs
    - fstype: tmpfs
bind_gone:
  mount.unmounted:
    - name: /mnt/saltgo-bind
`,
	"mount4.sls": mount4,
	"mount5.sls": strings.ReplaceAll(mount4, "v1", "v2"),
}

var steps = []statecase.Step{
	{Name: "mount1_test", SLS: "mount1", Test: true},
	{Name: "mount1_apply", SLS: "mount1"},
	{Name: "mount1_again", SLS: "mount1"},
	{Name: "mount2_test", SLS: "mount2", Test: true},
	{Name: "mount2_remount", SLS: "mount2"},
	{Name: "mount3_test", SLS: "mount3", Test: true},
	{Name: "mount3_apply", SLS: "mount3"},
	{Name: "mount3_again", SLS: "mount3"},
	{Name: "mount4_watch", SLS: "mount4"},
	{Name: "mount4_again", SLS: "mount4"},
	{Name: "mount5_mod_watch", SLS: "mount5"},
}

// TestGoldenContainer mounts and unmounts tmpfs and bind mounts with
// saltgo inside a Debian container, persists them in its /etc/fstab, and
// compares every return with Salt 3007.14's; then it checks the mounts
// and the fstab the container was left with.
func TestGoldenContainer(t *testing.T) {
	shared := t.TempDir()
	statecase.Minion(t, shared, tree)
	d := lxctest.NewDebian(t, lxctest.DebianOptions{Shared: shared})
	prefix := saltCall
	if prefix == nil {
		prefix = []string{lxctest.InstallSaltgo(t, shared), "call"}
	}
	for _, s := range steps {
		r := statecase.Apply(t, d, prefix, s)
		if saltCall != nil {
			statecase.Write(t, s, r)
			continue
		}
		statecase.Check(t, s, r)
	}
	mounts := d.MustRun(t, "cat", "/proc/self/mounts")
	for _, want := range []string{"tmpfs /mnt/saltgo-new tmpfs rw,relatime"} {
		if !strings.Contains(mounts, want) {
			t.Errorf("container mounts lack %q:\n%s", want, mounts)
		}
	}
	for _, gone := range []string{" /mnt/saltgo-tmp ", " /mnt/saltgo-bind "} {
		if strings.Contains(mounts, gone) {
			t.Errorf("container mounts still have %q:\n%s", gone, mounts)
		}
	}
	b, err := os.ReadFile(filepath.Join(d.Root, "etc/fstab"))
	if err != nil {
		t.Fatal(err)
	}
	host, err := os.ReadFile("/etc/fstab")
	if err != nil {
		t.Fatal(err)
	}
	if want := string(host) + "tmpfs\t\t/mnt/saltgo-nomount\ttmpfs\tdefaults\t0 0\ntmpfs\t\t/mnt/saltgo-new\ttmpfs\tdefaults\t0 0\n" +
		"tmpfs\t\t/mnt/saltgo-dump\ttmpfs\tmode=700\t1 2\n"; string(b) != want {
		t.Errorf("container fstab:\n%s\nwant:\n%s", b, want)
	}
}
