package mount_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/lxc/lxctest"
)

func TestMain(m *testing.M) { lxctest.Main(m) }

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

var steps = []lxctest.Step{
	{Name: "mount1_test", Fun: "state.apply", Args: []string{"mount1", "test=True"}},
	{Name: "mount1_apply", Fun: "state.apply", Args: []string{"mount1"}},
	{Name: "mount1_again", Fun: "state.apply", Args: []string{"mount1"}},
	{Name: "mount2_test", Fun: "state.apply", Args: []string{"mount2", "test=True"}},
	{Name: "mount2_remount", Fun: "state.apply", Args: []string{"mount2"}},
	{Name: "mount3_test", Fun: "state.apply", Args: []string{"mount3", "test=True"}},
	{Name: "mount3_apply", Fun: "state.apply", Args: []string{"mount3"}},
	{Name: "mount3_again", Fun: "state.apply", Args: []string{"mount3"}},
	{Name: "mount4_watch", Fun: "state.apply", Args: []string{"mount4"}},
	{Name: "mount4_again", Fun: "state.apply", Args: []string{"mount4"}},
	{Name: "mount5_mod_watch", Fun: "state.apply", Args: []string{"mount5"}},
}

// TestGoldenContainer mounts and unmounts tmpfs and bind mounts with
// saltgo inside a Debian container, persists them in its /etc/fstab, and
// compares every return with Salt 3007.14's; then it checks the mounts
// and the fstab the container was left with.
func TestGoldenContainer(t *testing.T) {
	shared := t.TempDir()
	lxctest.WriteFiles(t, filepath.Join(shared, "tree"), tree)
	conf := lxctest.WriteMinion(t, shared, lxctest.MinionConfig{RootDir: lxctest.SharedDir + "/root"})
	d := lxctest.NewDebian(t, lxctest.DebianOptions{Shared: shared})
	m := lxctest.NewMinion(t, d, shared, conf)
	m.Steps(t, "testdata/golden", steps)
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
