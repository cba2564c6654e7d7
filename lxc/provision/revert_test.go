package provision

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saltgo/saltgo/lxc/liblxc"
	"github.com/saltgo/saltgo/lxc/lxctest"
)

// The tests of this file make a later step of a multi-step change fail and
// check that the earlier steps were undone (package revert).

// fakeLXC answers the driver's requests for one container in this process
// (liblxc.Client.Serve): its state, and the files of its rootfs in a map.
type fakeLXC struct {
	mu        sync.Mutex
	state     string // "" when the container does not exist
	files     map[string][]byte
	failWrite string // a path whose write fails
	ops       []string
}

func (f *fakeLXC) client(t *testing.T) *liblxc.Client {
	if f.files == nil {
		f.files = map[string][]byte{}
	}
	return &liblxc.Client{LXCPath: t.TempDir(), Serve: f.serve}
}

func (f *fakeLXC) serve(req *liblxc.Request) *liblxc.Response {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ops = append(f.ops, req.Op)
	if f.state == "" {
		return liblxc.Fail(liblxc.CodeNotFound, fmt.Errorf("container %q does not exist", req.Name))
	}
	switch req.Op {
	case "info":
		return liblxc.OK(liblxc.Info{Name: req.Name, State: f.state})
	case "stop":
		f.state = "stopped"
		return liblxc.OK(true)
	case "start":
		f.state = "running"
		return liblxc.OK(true)
	case "attach":
		return liblxc.OK(f.attach(req))
	}
	return liblxc.Fail(liblxc.CodeFailed, fmt.Errorf("fake: unexpected op %s", req.Op))
}

// attach runs the few commands the driver and the steps send: ReadFile's
// and WriteFile's scripts, and rm -f.
func (f *fakeLXC) attach(req *liblxc.Request) *liblxc.RunResult {
	a := req.Args
	switch {
	case len(a) == 3 && a[0] == "rm" && a[1] == "-f":
		f.ops = append(f.ops, "rm "+a[2])
		delete(f.files, a[2])
		return &liblxc.RunResult{}
	case len(a) >= 5 && a[0] == "/bin/sh" && strings.Contains(a[2], "exit 3; cat"):
		b, ok := f.files[a[4]]
		if !ok {
			return &liblxc.RunResult{Status: 3}
		}
		return &liblxc.RunResult{Stdout: b}
	case len(a) >= 5 && a[0] == "/bin/sh" && strings.Contains(a[2], ".saltgo-tmp"):
		if a[4] == f.failWrite {
			return &liblxc.RunResult{Status: 1, Stderr: []byte("disk full")}
		}
		f.files[a[4]] = req.Stdin
		return &liblxc.RunResult{}
	}
	return &liblxc.RunResult{Status: 127, Stderr: []byte(fmt.Sprintf("fake: unexpected command %q", a))}
}

func TestBootstrapMinionRevertsGeneratedKey(t *testing.T) {
	pem, pub := VMMinionPKIDir+"/minion.pem", VMMinionPKIDir+"/minion.pub"
	cases := []struct {
		name      string
		failWrite string
		badPKI    bool // the master pki directory is a file: accepting the key fails
		wantErr   string
		wantKeys  bool
	}{
		{name: "all steps succeed", wantKeys: true},
		{name: "public key write fails", failWrite: pub, wantErr: "disk full"},
		{name: "master accept fails", badPKI: true, wantErr: "not a directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeLXC{state: "running", failWrite: tc.failWrite}
			pki := t.TempDir()
			if tc.badPKI {
				pki = filepath.Join(pki, "file")
				if err := os.WriteFile(pki, nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			env := &VMEnv{Client: f.client(t), MasterPKIDir: pki}
			s := &Settings{Name: "vm1", Master: "10.5.0.1"}
			res, err := InitialSetup(context.Background(), env, s)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("InitialSetup: %v", err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("InitialSetup err = %v, want %q", err, tc.wantErr)
			}
			_, hasPEM := f.files[pem]
			_, hasPub := f.files[pub]
			if hasPEM != tc.wantKeys || hasPub != tc.wantKeys {
				t.Errorf("key files in the VM: pem %v, pub %v; want %v (ops %v)", hasPEM, hasPub, tc.wantKeys, f.ops)
			}
			if res.Changes.Has("minion_key") != tc.wantKeys {
				t.Errorf("changes %v: minion_key reported %v, want %v", res.Changes, !tc.wantKeys, tc.wantKeys)
			}
			if _, ok := f.files[VMMinionConfig]; !ok {
				t.Errorf("the minion config (an earlier, kept step) is missing")
			}
		})
	}
}

func TestSyncImageRevertsOnFailedSync(t *testing.T) {
	// A stand-in rsync that copies part of the tree, then fails.
	dir := t.TempDir()
	rsync := filepath.Join(dir, "rsync")
	script := "#!/bin/sh\nfor a; do last=$a; done\nmkdir -p \"$last/rootfs/half\"\necho 'rsync: boom' >&2\nexit 23\n"
	if err := os.WriteFile(rsync, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(filepath.Join(src, "rootfs", "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "config"), []byte("lxc.uts.name = src\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		state     string // "" for a new image
		wantDir   bool   // the image directory exists afterwards
		wantState string
		wantOps   []string
	}{
		{name: "new image", wantDir: false, wantOps: []string{"info"}},
		{name: "running origin", state: "running", wantDir: true, wantState: "running", wantOps: []string{"info", "stop", "start"}},
		{name: "stopped origin", state: "stopped", wantDir: true, wantState: "stopped", wantOps: []string{"info"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeLXC{state: tc.state}
			c := f.client(t)
			dst := filepath.Join(c.Path(), "img")
			if tc.state != "" {
				if err := os.MkdirAll(filepath.Join(dst, "rootfs"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			res, err := SyncImage(context.Background(), c, Image{Name: "img", Source: src}, SyncOptions{Rsync: rsync})
			if err == nil || !strings.Contains(err.Error(), "rsync: boom") || res.Result {
				t.Fatalf("SyncImage = %+v, %v; want the rsync failure", res, err)
			}
			if _, err := os.Stat(dst); (err == nil) != tc.wantDir {
				t.Errorf("image directory exists: %v, want %v", err == nil, tc.wantDir)
			}
			if f.state != tc.wantState {
				t.Errorf("state %q, want %q", f.state, tc.wantState)
			}
			if !slices.Equal(f.ops, tc.wantOps) {
				t.Errorf("ops %v, want %v", f.ops, tc.wantOps)
			}
		})
	}
}

func TestEnsureBridgeRevertsOnFailedStep(t *testing.T) {
	lxctest.Require(t)
	// A stand-in ip(8) that fails to bring a link up, the last step.
	ip := filepath.Join(t.TempDir(), "ip")
	script := "#!/bin/sh\ncase \" $* \" in *\" link set \"*\" up \"*) echo 'ip: boom' >&2; exit 2;; esac\nexec ip \"$@\"\n"
	if err := os.WriteFile(ip, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		exists bool // the bridge exists (down, without the address) before
	}{
		{name: "new bridge is deleted"},
		{name: "added address is removed", exists: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ns := lxctest.NewNetns(t, "", "", 0)
			if tc.exists {
				ns.MustIP(t, "link", "add", "rvbr0", "type", "bridge")
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			b := Bridge{Name: "rvbr0", Gateway: "10.77.0.1", Prefix: 24, Netns: ns.Name, ip: ip}
			changed, err := EnsureBridge(ctx, b)
			if err == nil || !strings.Contains(err.Error(), "ip: boom") {
				t.Fatalf("EnsureBridge = %v, %v; want the link-up failure", changed, err)
			}
			if changed != nil {
				t.Errorf("changes reported after the undo: %v", changed)
			}
			b.ip = ""
			l, err := b.show(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if (l != nil) != tc.exists {
				t.Fatalf("bridge exists after the undo: %v, want %v", l != nil, tc.exists)
			}
			if l != nil {
				for _, a := range l.AddrInfo {
					if a.Family == "inet" {
						t.Errorf("address %s/%d left on the bridge", a.Local, a.PrefixLen)
					}
				}
			}
		})
	}
}
