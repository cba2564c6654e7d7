package call

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/saltgo/saltgo/cli/console"
	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/fileserver/fstest"
	"github.com/saltgo/saltgo/internal/mastertest"
	"github.com/saltgo/saltgo/minion"
)

// TestCpGetFileThroughMaster: salt-call cp.get_file salt://... /dest
// signs in to mastertest and fetches the file through the master's file
// server over its session's request channel.
func TestCpGetFileThroughMaster(t *testing.T) {
	root := fstest.Tree(t)
	dir := t.TempDir()
	m, err := mastertest.Start(mastertest.Config{PKIDir: filepath.Join(dir, "master-pki"), Gen: 3, AutoAccept: true,
		FileRoots: map[string][]string{"base": {root}}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	conf := minimalConf(t, fmt.Sprintf("master: 127.0.0.1\nmaster_port: %d\nauth_timeout: 5\n", m.RetPort()))
	dest := filepath.Join(t.TempDir(), "f.txt")
	cl := Caller{Connect: func(ctx context.Context, cfg *config.Config, log *slog.Logger) (MasterSession, error) {
		return minion.Connect(ctx, cfg, minion.Options{Logger: log})
	}}
	var out, errb bytes.Buffer
	code := cl.Main(context.Background(), "salt-call", []string{"-c", conf, "--skip-grains", "--out", "json", "cp.get_file", "salt://specprobe/f.txt", dest},
		console.IO{Stdout: &out, Stderr: &errb})
	if want := fmt.Sprintf("{\n    \"local\": %q\n}\n", dest); code != 0 || out.String() != want {
		t.Fatalf("code %d stdout %q stderr %q", code, out.String(), errb.String())
	}
	if b, err := os.ReadFile(dest); err != nil || string(b) != fstest.F {
		t.Errorf("dest: %q %v", b, err)
	}
	var serves int
	for {
		select {
		case r := <-m.Requests():
			if c, _ := r.Load.String("cmd"); c == "_serve_file" {
				serves++
			}
			continue
		default:
		}
		break
	}
	if serves != 2 {
		t.Errorf("%d _serve_file requests, want 2 (the chunk and the end)", serves)
	}
}

// TestCpLocalFileRoot: salt-call --local --file-root reads file_roots
// (file_client local) for cp.
func TestCpLocalFileRoot(t *testing.T) {
	root := fstest.Tree(t)
	conf := minimalConf(t, "")
	dest := filepath.Join(t.TempDir(), "f.txt")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"cp.list_master", "prefix=specprobe"}, "{\n    \"local\": [\n        \"specprobe/big.txt\",\n        \"specprobe/f.txt\",\n        \"specprobe/link.txt\"\n    ]\n}\n"},
		{[]string{"cp.get_file", "salt://specprobe/f.txt", dest}, fmt.Sprintf("{\n    \"local\": %q\n}\n", dest)},
	} {
		out, errs, code := runCall(t, append([]string{"-c", conf, "--local", "--skip-grains", "--file-root", root, "--out", "json"}, tc.args...)...)
		if code != 0 || out != tc.want {
			t.Errorf("%v: code %d stdout %q stderr %q", tc.args, code, out, errs)
		}
	}
	if b, err := os.ReadFile(dest); err != nil || string(b) != fstest.F {
		t.Errorf("dest: %q %v", b, err)
	}
}
