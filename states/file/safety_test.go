package file_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient"
)

// tampered is a file client whose downloads fail the hash check, as the
// remote client's do when the served bytes do not match _file_hash.
type tampered struct{ fileclient.Client }

func (tampered) CacheFile(_ context.Context, url, saltenv string) (string, error) {
	return "", fmt.Errorf("fileclient: %s (saltenv %s): %w; not installed", url, saltenv, fileclient.ErrTampered)
}

func TestManagedRefusesTamperedSource(t *testing.T) {
	fx := newFixture(t, map[string]string{"app/motd": "served\n"})
	fx.client = tampered{fx.client}
	name := fx.p("motd")
	writeFile(t, name, "old\n", 0o644)
	ret := fx.apply("file.managed", false, "name", name, "source", "salt://app/motd")
	want(t, ret, false, "Unable to manage file: fileclient: salt://app/motd (saltenv base): "+fileclient.ErrTampered.Error()+"; not installed", nil)
	if got := readFile(t, name); got != "old\n" {
		t.Fatalf("tampered source installed: %q", got)
	}
	ret = fx.apply("file.managed", false, "name", fx.p("new"), "source", "salt://app/motd")
	if r, _ := ret.Get("result"); r != false || !strings.HasPrefix(get(ret, "comment"), "Unable to manage file: ") {
		t.Fatalf("new file from a tampered source: %s", data.Repr(ret))
	}
	if _, err := os.Stat(fx.p("new")); err == nil {
		t.Fatal("tampered new file installed")
	}
}

// TestTestModeChangesNothing applies every file state with test=True to a
// tree and checks that the tree is byte for byte the same afterwards.
func TestTestModeChangesNothing(t *testing.T) {
	fx := newFixture(t, map[string]string{"app/motd": "served\n", "rdir/a.txt": "a\n", "rdir/sub/b.txt": "b\n", "t.j2": "{{ grains['id'] }}\n"})
	writeFile(t, fx.p("exists.txt"), "colour=red\n# BEGIN\nold\n# END\n", 0o600)
	writeFile(t, fx.p("dir/inner"), "x", 0o644)
	if err := os.Symlink(fx.p("exists.txt"), fx.p("link")); err != nil {
		t.Fatal(err)
	}
	before := treeHash(t, fx.root)
	runs := [][]any{
		{"file.managed", "name", fx.p("new/motd"), "source", "salt://app/motd", "makedirs", true, "mode", "0600"},
		{"file.managed", "name", fx.p("exists.txt"), "source", "salt://app/motd", "mode", "0644"},
		{"file.managed", "name", fx.p("exists.txt"), "contents", "x", "user", "nobody"},
		{"file.managed", "name", fx.p("tpl"), "source", "salt://t.j2", "template", "jinja"},
		{"file.managed", "name", fx.p("empty")},
		{"file.directory", "name", fx.p("dir"), "mode", "0700", "clean", true},
		{"file.directory", "name", fx.p("newdir/a"), "makedirs", true},
		{"file.absent", "name", fx.p("exists.txt")},
		{"file.absent", "name", fx.p("dir")},
		{"file.symlink", "name", fx.p("link"), "target", "/elsewhere"},
		{"file.symlink", "name", fx.p("link2"), "target", "/elsewhere"},
		{"file.copy", "name", fx.p("copy"), "source", fx.p("exists.txt")},
		{"file.copy", "name", fx.p("link"), "source", fx.p("exists.txt"), "force", true},
		{"file.recurse", "name", fx.p("rec"), "source", "salt://rdir"},
		{"file.recurse", "name", fx.p("dir"), "source", "salt://rdir", "clean", true},
		{"file.touch", "name", fx.p("touched")},
		{"file.touch", "name", fx.p("exists.txt"), "mtime", 5},
		{"file.replace", "name", fx.p("exists.txt"), "pattern", "red", "repl", "blue"},
		{"file.replace", "name", fx.p("exists.txt"), "pattern", "zzz", "repl", "blue", "append_if_not_found", true},
		{"file.append", "name", fx.p("exists.txt"), "text", "more"},
		{"file.append", "name", fx.p("appended-new"), "text", "more"},
		{"file.prepend", "name", fx.p("exists.txt"), "text", "first"},
		{"file.blockreplace", "name", fx.p("exists.txt"), "marker_start", "# BEGIN", "marker_end", "# END", "content", "new"},
		{"file.line", "name", fx.p("exists.txt"), "content", "x", "mode", "ensure", "after", "red"},
		{"file.serialize", "name", fx.p("ser.json"), "dataset", data.M("a", int64(1)), "formatter", "json"},
		{"file.serialize", "name", fx.p("exists.txt"), "dataset", data.M("a", int64(1)), "merge_if_exists", false},
	}
	for _, r := range runs {
		ret := fx.apply(r[0].(string), true, r[1:]...)
		if res, _ := ret.Get("result"); res == false {
			t.Errorf("%v: result False: %s", r, get(ret, "comment"))
		}
	}
	if after := treeHash(t, fx.root); after != before {
		t.Fatal("test=True changed the tree")
	}
}
