package provision_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/internal/mastertest"
	"github.com/saltgo/saltgo/lxc/lxctest"
	"github.com/saltgo/saltgo/lxc/provision"
)

// The trees the test master serves, one per case (top.sls is common).
const (
	// hsTop targets the VMs by the grains step's node type grain.
	hsTop = "base:\n  'makina-states.nodetypes.lxccontainer:True':\n    - match: grain\n    - web\n"
	// good manages a file and a directory.
	hsGood = `hs-dir:
  file.directory:
    - name: /srv/hs-test
hs-conf:
  file.managed:
    - name: /srv/hs-test/app.conf
    - contents: managed by the initial highstate
    - require:
      - file: hs-dir
`
	// failing has one state that succeeds and one that fails.
	hsFailing = `hs-dir:
  file.directory:
    - name: /srv/hs-test
hs-broken:
  file.managed:
    - name: /srv/hs-test/broken.conf
    - source: salt://web/no-such-file.conf
`
	// unrenderable is not YAML.
	hsUnrenderable = "hs-dir:\n  file.directory:\n    - name: [/srv/hs-test\n"
	// later is served after the first highstate: the marker keeps it
	// from ever being applied by the step.
	hsLater = `hs-later:
  file.managed:
    - name: /srv/hs-test/later.conf
    - contents: must not appear
`
)

// TestInitialHighstateThroughMaster runs the initial_highstate step in a
// Debian container whose saltgo minion (the real binary, installed by the
// initial_setup step with a config naming the test master on 127.0.0.1
// and a key pre-accepted there) runs its salt-call of the VM's mode
// against internal/mastertest serving the state tree: a failing state
// and a tree that does not render fail the step naming them, a good tree
// succeeds with its state returns in the step's changes and its files in
// the container, and once done the marker skips the step.
func TestInitialHighstateThroughMaster(t *testing.T) {
	bin := lxctest.SaltgoBinary(t)
	for _, tc := range []struct {
		mode, conf, grains, call string
	}{
		{"mastersalt", "/etc/mastersalt/minion.d/saltgo-lxc.conf", "/etc/mastersalt/grains", "mastersalt-call"},
		{"salt", "/etc/salt/minion.d/saltgo-lxc.conf", "/etc/salt/grains", "call"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			dir := t.TempDir()
			tree := filepath.Join(dir, "tree")
			serve := func(web string, top ...string) {
				t.Helper()
				tp := hsTop
				if len(top) > 0 {
					tp = top[0]
				}
				for name, text := range map[string]string{"top.sls": tp, "web/init.sls": web} {
					p := filepath.Join(tree, name)
					if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			serve(hsFailing)
			pki := filepath.Join(dir, "master-pki")
			m, err := mastertest.Start(mastertest.Config{PKIDir: pki, Gen: 3, FileRoots: map[string][]string{"base": {tree}}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(m.Close)

			d := lxctest.NewDebian(t, lxctest.DebianOptions{HostNet: true})
			ctx := lxctest.Context(t)
			// Name resolution stays on the loopback: the container's
			// name is in its /etc/hosts (hostsfile step), any other
			// lookup goes to 127.0.0.1, where nothing answers.
			if err := d.Client.WriteFile(ctx, d.Name, "/etc/resolv.conf", []byte("nameserver 127.0.0.1\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			s := &provision.Settings{Name: d.Name, Mode: tc.mode, Master: "127.0.0.1", MasterPort: m.RetPort()}
			env := &provision.VMEnv{Client: d.Client, MinionBinary: bin, MasterPKIDir: pki}
			if _, err := provision.ProvisionVM(ctx, env, s, []string{"hostsfile", "grains", "initial_setup"}); err != nil {
				t.Fatalf("hostsfile, grains, initial_setup: %v", err)
			}
			if lay := provision.MinionLayout(s); lay.ConfFile != tc.conf || lay.GrainsFile != tc.grains || lay.Call != tc.call {
				t.Fatalf("layout %+v", lay)
			}
			if b, err := os.ReadFile(filepath.Join(d.Root, tc.conf)); err != nil || !strings.Contains(string(b), "master: 127.0.0.1") {
				t.Fatalf("minion config %s: %q %v", tc.conf, b, err)
			}
			highstate := func() (*provision.StepResult, error) {
				t.Helper()
				res, err := provision.ProvisionVM(ctx, env, s, []string{"initial_highstate"})
				if len(res) != 1 {
					t.Fatalf("initial_highstate gave %d results (%v)", len(res), err)
				}
				if err != nil {
					t.Logf("initial_highstate: %v", err)
				}
				if res[0].Name != d.Name+":initial_highstate" {
					t.Errorf("step name %q", res[0].Name)
				}
				return res[0], err
			}
			marker := filepath.Join(d.Root, provision.VMHighstateMarker)
			noMarker := func(what string) {
				t.Helper()
				if _, err := os.Stat(marker); !os.IsNotExist(err) {
					t.Fatalf("%s: marker written: %v", what, err)
				}
			}

			// (1) A failing state fails the step, naming it.
			r, err := highstate()
			if err == nil || r.Result {
				t.Fatalf("failing tree: err %v, result %+v", err, r)
			}
			for _, want := range []string{"1 of 2 states failed", "hs-broken (file.managed /srv/hs-test/broken.conf)", "Source file salt://web/no-such-file.conf not found in saltenv 'base'", tc.call + " --out=json"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("failing tree: error lacks %q:\n%v", want, err)
				}
			}
			if !strings.HasSuffix(err.Error(), ": "+r.Comment) {
				t.Errorf("comment %q is not the step's error %q", r.Comment, err)
			}
			if got := summary(t, r); got != [3]int64{1, 1, 1} {
				t.Errorf("failing tree summary (succeeded, changed, failed) = %v", got)
			}
			if st := stateRet(t, r, "file_|-hs-broken_|-/srv/hs-test/broken.conf_|-managed"); get(st, "result") != false {
				t.Errorf("hs-broken: %v", data.Repr(st))
			}
			noMarker("failing tree")

			// (2) A tree that does not render fails with the render error.
			serve(hsUnrenderable)
			r, err = highstate()
			if err == nil || r.Result || !strings.Contains(err.Error(), "did not compile") || !strings.Contains(err.Error(), "Rendering SLS 'base:web' failed") {
				t.Fatalf("unrenderable tree: err %v, result %+v", err, r)
			}
			if errs, _ := r.Changes.Get("errors"); len(errs.([]any)) == 0 {
				t.Errorf("unrenderable tree: changes %v", data.Repr(r.Changes))
			}
			noMarker("unrenderable tree")

			// A top file that matches nothing is a failed highstate, as
			// Salt's.
			serve(hsGood, "base:\n  'no-such-minion':\n    - web\n")
			r, err = highstate()
			if err == nil || r.Result || !strings.Contains(err.Error(), "No Top file or master_tops data matches found") {
				t.Fatalf("top matching nothing: err %v, result %+v", err, r)
			}
			noMarker("top matching nothing")

			// Settings without a master: nothing to run against.
			noMaster := *s
			noMaster.Master = ""
			if r, err := provision.InitialHighstate(ctx, env, &noMaster); err == nil || r.Result || !strings.Contains(err.Error(), "has no master to run its initial highstate against") {
				t.Fatalf("no master: err %v, result %+v", err, r)
			}
			noMarker("no master")

			// (3) A good tree: the step succeeds, the state returns are
			// in its changes, the files in the container, the marker
			// written.
			serve(hsGood)
			r, err = highstate()
			if err != nil || !r.Result {
				t.Fatalf("good tree: %v %+v", err, r)
			}
			if !strings.Contains(r.Comment, "initial highstate done: "+tc.call) || !strings.Contains(r.Comment, "succeeded 2 (changed=1), failed 0") {
				t.Errorf("good tree comment %q", r.Comment)
			}
			if got := summary(t, r); got != [3]int64{2, 1, 0} {
				t.Errorf("good tree summary = %v", got)
			}
			conf := stateRet(t, r, "file_|-hs-conf_|-/srv/hs-test/app.conf_|-managed")
			if get(conf, "result") != true || get(conf, "__id__") != "hs-conf" {
				t.Errorf("hs-conf return: %v", data.Repr(conf))
			}
			if b, err := os.ReadFile(filepath.Join(d.Root, "srv/hs-test/app.conf")); err != nil || string(b) != "managed by the initial highstate\n" {
				t.Errorf("managed file in the container: %q %v", b, err)
			}
			if _, err := os.Stat(marker); err != nil {
				t.Errorf("marker: %v", err)
			}

			// (4) The marker skips the step: a new tree is not applied.
			serve(hsLater)
			r, err = highstate()
			if err != nil || !r.Result || r.Changed() || !strings.Contains(r.Comment, "already done") {
				t.Fatalf("second run: %v %+v", err, r)
			}
			if _, err := os.Stat(filepath.Join(d.Root, "srv/hs-test/later.conf")); !os.IsNotExist(err) {
				t.Errorf("second run applied the tree: %v", err)
			}
			// The host did not change.
			if _, err := os.Stat("/srv/hs-test"); !os.IsNotExist(err) {
				t.Errorf("/srv/hs-test on the host: %v", err)
			}
		})
	}
}

// summary returns the step's (succeeded, changed, failed) counts.
func summary(t *testing.T, r *provision.StepResult) [3]int64 {
	t.Helper()
	v, ok := r.Changes.Get("summary")
	m, _ := v.(*data.Map)
	if !ok || m == nil {
		t.Fatalf("no summary in %v", data.Repr(r.Changes))
	}
	var out [3]int64
	for i, k := range []string{"succeeded", "changed", "failed"} {
		out[i], _ = data.AsInt(get(m, k))
	}
	return out
}

// stateRet returns one state's return from the step's changes.
func stateRet(t *testing.T, r *provision.StepResult, key string) *data.Map {
	t.Helper()
	v, _ := r.Changes.Get("states")
	states, _ := v.(*data.Map)
	if states == nil {
		t.Fatalf("no states in %v", data.Repr(r.Changes))
	}
	st, _ := get(states, key).(*data.Map)
	if st == nil {
		t.Fatalf("no state %s in %v", key, data.Repr(states))
	}
	return st
}

func get(m *data.Map, k string) any { v, _ := m.Get(k); return v }
