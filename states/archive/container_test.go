package archive_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/lxc/lxctest"
	"github.com/saltgo/saltgo/modules/archive/archivetest"
)

func TestMain(m *testing.M) { lxctest.Main(m) }

const zeros = "0000000000000000000000000000000000000000000000000000000000000000"

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// archives writes the test archives below shared (arc/ for local paths,
// tree/arc/ for salt://) and returns the state tree and the masks of
// their hashes by placeholders (so that the goldens do not depend on the
// bytes a compressor produced).
func archives(t *testing.T, shared string) (map[string]string, []lxctest.Mask) {
	app := archivetest.App("app")
	files := map[string][]byte{
		"app.tar.gz":     archivetest.Tar(t, app, "gz"),
		"app.tar.bz2":    archivetest.Tar(t, app, "bz2"),
		"app.tar.xz":     archivetest.Tar(t, app, "xz"),
		"app.zip":        archivetest.Zip(t, app),
		"flat.tar":       archivetest.Tar(t, []archivetest.Entry{{Name: "a.txt", Body: "a\n"}, {Name: "b/"}, {Name: "b/c.txt", Body: "c\n"}}, ""),
		"corrupt.tar.gz": append(archivetest.Tar(t, app, "gz")[:40], []byte("garbage, not the rest of a gzip stream")...),
	}
	var masks []lxctest.Mask
	for _, dir := range []string{"arc", "tree/arc"} {
		if err := os.MkdirAll(filepath.Join(shared, dir), 0o755); err != nil {
			t.Fatal(err)
		}
		for n, b := range files {
			archivetest.Write(t, filepath.Join(shared, dir, n), b)
		}
	}
	for n, b := range files {
		masks = append(masks, lxctest.Literal(sum(b), "@SHA256:"+n+"@"))
	}
	gz := sum(files["app.tar.gz"])
	tree := map[string]string{
		"arc/app.tar.bz2.sha256": sum(files["app.tar.bz2"]) + "  app.tar.bz2\n",
		"arch1.sls": `salt_tgz:
  archive.extracted:
    - name: /srv/arch/salt
    - source: salt://arc/app.tar.gz
    - source_hash: sha256=` + gz + `
local_bz2:
  archive.extracted:
    - name: /srv/arch/bz2
    - source: /saltgo-test/arc/app.tar.bz2
    - source_hash: salt://arc/app.tar.bz2.sha256
    - user: nobody
    - group: nogroup
local_xz:
  archive.extracted:
    - name: /srv/arch/xz/
    - source: file:///saltgo-test/arc/app.tar.xz
    - skip_verify: True
    - trim_output: 2
zip:
  archive.extracted:
    - name: /srv/arch/zip
    - source: /saltgo-test/arc/app.zip
    - if_missing: /srv/arch/zip/app/never-there
flat:
  archive.extracted:
    - name: /srv/arch/flat
    - source: /saltgo-test/arc/flat.tar
    - enforce_toplevel: False
strip:
  archive.extracted:
    - name: /srv/arch/strip
    - source: /saltgo-test/arc/app.tar.gz
    - options: --strip-components=1
    - enforce_toplevel: False
`,
		"arch2.sls": `bad_hash_local:
  archive.extracted:
    - name: /srv/arch/bad1
    - source: /saltgo-test/arc/app.tar.gz
    - source_hash: sha256=` + zeros + `
bad_hash_salt:
  archive.extracted:
    - name: /srv/arch/bad2
    - source: salt://arc/app.tar.gz
    - source_hash: sha256=` + zeros + `
corrupt:
  archive.extracted:
    - name: /srv/arch/corrupt
    - source: /saltgo-test/arc/corrupt.tar.gz
missing_local:
  archive.extracted:
    - name: /srv/arch/missing1
    - source: /saltgo-test/arc/nope.tar.gz
missing_salt:
  archive.extracted:
    - name: /srv/arch/missing2
    - source: salt://arc/nope.tar.gz
if_missing_exists:
  archive.extracted:
    - name: /srv/arch/ifm
    - source: /saltgo-test/arc/app.tar.gz
    - if_missing: /etc/hostname
toplevel:
  archive.extracted:
    - name: /srv/arch/top
    - source: /saltgo-test/arc/flat.tar
not_abs:
  archive.extracted:
    - name: srv/arch/rel
    - source: /saltgo-test/arc/app.tar.gz
no_format:
  archive.extracted:
    - name: /srv/arch/nofmt
    - source: /saltgo-test/arc/app.tar.bz2.sha256
`,
		"arch3.sls": `new_dest:
  archive.extracted:
    - name: /srv/arch/new
    - source: /saltgo-test/arc/app.tar.gz
salt_new:
  archive.extracted:
    - name: /srv/arch/salt-new
    - source: salt://arc/app.tar.gz
`,
	}
	// The hash file is served as a local path too.
	archivetest.Write(t, filepath.Join(shared, "arc", "app.tar.bz2.sha256"), []byte(tree["arc/app.tar.bz2.sha256"]))
	return tree, masks
}

var steps = []lxctest.Step{
	{Name: "arch1_test", Fun: "state.apply", Args: []string{"arch1", "test=True"}},
	{Name: "arch1_apply", Fun: "state.apply", Args: []string{"arch1"}},
	{Name: "arch1_again", Fun: "state.apply", Args: []string{"arch1"}},
	{Name: "arch1_again_test", Fun: "state.apply", Args: []string{"arch1", "test=True"}},
	{Name: "arch2_failures", Fun: "state.apply", Args: []string{"arch2"}},
	{Name: "arch3_test", Fun: "state.apply", Args: []string{"arch3", "test=True"}},
}

// TestGoldenContainer extracts real archives (tar.gz from salt:// and a
// local path, tar.bz2 with a hash file and an owner, tar.xz from file://,
// zip, a flat tar, tar options) with saltgo inside a Debian container and
// compares every return with Salt 3007.14's, including the failures (bad
// hash, corrupt archive, missing source, if_missing, enforce_toplevel),
// then checks what was left on disk.
func TestGoldenContainer(t *testing.T) {
	shared := t.TempDir()
	tree, masks := archives(t, shared)
	lxctest.WriteFiles(t, filepath.Join(shared, "tree"), tree)
	conf := lxctest.WriteMinion(t, shared, lxctest.MinionConfig{RootDir: lxctest.SharedDir + "/root"})
	d := lxctest.NewDebian(t, lxctest.DebianOptions{Shared: shared})
	m := lxctest.NewMinion(t, d, shared, conf, masks...)
	m.Steps(t, "testdata/golden", steps)
	root := filepath.Join(d.Root, "srv/arch")
	for _, p := range []string{"salt/app/README", "bz2/app/bin/run.sh", "xz/app/current", "zip/app/README", "flat/b/c.txt", "strip/README"} {
		if _, err := os.Lstat(filepath.Join(root, p)); err != nil {
			t.Errorf("%s was not extracted: %v", p, err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(root, "zip/app/bin/run.sh")); err != nil || !strings.Contains(string(b), "echo run") {
		t.Errorf("zip/app/bin/run.sh = %q, %v", b, err)
	}
	if l, err := os.Readlink(filepath.Join(root, "salt/app/current")); err != nil || l != "README" {
		t.Errorf("salt/app/current -> %q, %v", l, err)
	}
	for _, p := range []string{"bad1", "bad2", "corrupt", "missing1", "missing2", "ifm", "top", "new", "salt-new"} {
		if _, err := os.Lstat(filepath.Join(root, p)); err == nil {
			t.Errorf("/srv/arch/%s exists after a failed or test run", p)
		}
	}
	ents, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.Contains(e.Name(), "saltgo-extract") {
			t.Errorf("staging directory %s left behind", e.Name())
		}
	}
	if !m.Python {
		out := d.MustRun(t, "stat", "-c", "%U:%G", "/srv/arch/bz2/app/bin/run.sh", "/srv/arch/bz2/app")
		if out != "nobody:nogroup\nnobody:nogroup\n" {
			t.Errorf("owner of bz2/app = %q, want nobody:nogroup", out)
		}
	}
}
