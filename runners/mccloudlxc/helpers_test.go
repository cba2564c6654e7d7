package mccloudlxc

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/internal/mastertest"
	"github.com/saltgo/saltgo/output"
)

// seedPillar declares two VMs of cn1 in the seed document's form, and a
// compute node without VMs.
const seedPillar = `makina-states.services.cloud.lxc.targets.cn1:
  vm1.example.com:
    ip: 10.5.0.11
    profile_type: dir-scratch
    image: busybox
    password: foobar
  vm2.example.com:
    ip: 10.5.0.12
    profile_type: dir-scratch
    image: busybox
    mode: salt
makina-states.cloud.lxc.vms.cn2: {}
`

// fakeNode answers node functions from a table; minions in down never
// answer; unknown ids are not known to the master.
type fakeNode struct {
	mu    sync.Mutex
	known map[string]bool
	down  map[string]bool
	funs  map[string]func(id string, kw *data.Map) (any, int)
	calls []string
	wheel []string
}

func newFakeNode(ids ...string) *fakeNode {
	n := &fakeNode{known: map[string]bool{}, down: map[string]bool{}, funs: map[string]func(string, *data.Map) (any, int){}}
	for _, id := range ids {
		n.known[id] = true
	}
	return n
}

func (n *fakeNode) Ping(ctx context.Context, id string, timeout time.Duration) (bool, error) {
	r, _, err := n.Call(ctx, id, "test.ping", nil, nil, timeout)
	if err != nil {
		if _, ok := err.(*UnreachableError); ok {
			return false, nil
		}
		return false, err
	}
	return r == true, nil
}

func (n *fakeNode) Call(_ context.Context, id, fun string, _ []any, kw *data.Map, _ time.Duration) (any, int, error) {
	n.mu.Lock()
	f, ok := n.funs[fun]
	unlocked := false
	defer func() {
		if !unlocked {
			n.mu.Unlock()
		}
	}()
	n.calls = append(n.calls, id+" "+fun+callText(kw))
	if !n.known[id] {
		return nil, 1, &UnknownMinionError{ID: id}
	}
	if n.down[id] {
		return nil, 1, &UnreachableError{ID: id, Fun: fun, Why: "Minion did not return. [No response]"}
	}
	if fun == "test.ping" {
		return true, 0, nil
	}
	if ok {
		unlocked = true
		n.mu.Unlock()
		r, rc := f(id, kw)
		return r, rc, nil
	}
	return fmt.Sprintf("'%s' is not available.", fun), 1, nil
}

func callText(kw *data.Map) string {
	if kw == nil {
		return ""
	}
	var parts []string
	kw.Range(func(k, v any) bool {
		if k == "settings" || k == "master_pub" {
			parts = append(parts, fmt.Sprint(k)+"=...")
		} else {
			parts = append(parts, fmt.Sprintf("%v=%v", k, data.Str(v)))
		}
		return true
	})
	return " " + strings.Join(parts, " ")
}

func (n *fakeNode) Wheel(_ context.Context, fun string, kw *data.Map) (*data.Map, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	m, _ := kw.String("match")
	n.wheel = append(n.wheel, fun+" "+m)
	return data.M("success", true, "return", data.M("minions", []any{m})), nil
}

func (n *fakeNode) set(fun string, f func(id string, kw *data.Map) (any, int)) {
	n.mu.Lock()
	n.funs[fun] = f
	n.mu.Unlock()
}

func (n *fakeNode) callLog() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.calls...)
}

// step returns a node function answering a state-like dict; changes are
// reported only until the step ran once (idempotence).
func step(comment string, changes *data.Map) func(string, *data.Map) (any, int) {
	var mu sync.Mutex
	done := map[string]bool{}
	return func(id string, kw *data.Map) (any, int) {
		mu.Lock()
		defer mu.Unlock()
		key := id
		if n, ok := kw.String("vm"); ok {
			key += "/" + n
		}
		ch := data.NewMap()
		if !done[key] && changes != nil {
			ch = changes
		}
		if test, _ := kw.Get("test"); test != true {
			done[key] = true
		}
		return data.M("name", key, "result", true, "comment", comment, "changes", ch), 0
	}
}

// healthyNode answers every node function successfully.
func healthyNode(ids ...string) *fakeNode {
	n := newFakeNode(ids...)
	n.set(NodeFunctions.Grains, step("grains set", data.M("makina-states.cloud.is.lxchost", true)))
	n.set(NodeFunctions.InstallLXC, step("lxc installed and configured", data.M("bridge", "lxcbr1")))
	n.set(NodeFunctions.Images, step("image makina-states-trusty synchronised", data.M("makina-states-trusty", data.M("synced", "3 changes (rsync)"))))
	for _, s := range DefaultVMSteps {
		n.set(NodeFunctions.VMStep+s, step(s+" done", data.M(s, "done")))
	}
	n.set(NodeFunctions.Run, func(string, *data.Map) (any, int) { return strings.TrimSpace(mastertest.SamplePublicKey), 0 })
	n.set(NodeFunctions.Exists, func(string, *data.Map) (any, int) { return false, 0 })
	n.set(NodeFunctions.Destroy, step("destroyed", data.M("state", data.M("old", "running", "new", nil))))
	return n
}

// rig is a master directory with the seed pillar and the option set the
// runner reads.
type rig struct {
	dir      string
	opts     *data.Map
	node     *fakeNode
	progress *mastertest.SyncBuffer
	// flavour, when set, is the runner's (salt-run or mastersalt-run).
	flavour config.Flavour
}

func newRig(t *testing.T, node *fakeNode, pillarText string) *rig {
	t.Helper()
	dir := t.TempDir()
	proot := filepath.Join(dir, "pillar")
	must(t, os.MkdirAll(proot, 0o755))
	must(t, os.WriteFile(filepath.Join(proot, "top.sls"), []byte("base:\n  '*':\n    - cloud\n"), 0o644))
	pillarText += fmt.Sprintf("makina-states.cloud.prefix: %s/etc\n", dir)
	must(t, os.WriteFile(filepath.Join(proot, "cloud.sls"), []byte(pillarText), 0o644))
	must(t, os.MkdirAll(filepath.Join(dir, "pki", "minions"), 0o700))
	must(t, os.WriteFile(filepath.Join(dir, "pki", "master.pub"), []byte(mastertest.SamplePublicKey), 0o644))
	opts := data.M(
		"pillar_roots", data.M("base", []any{proot}),
		"pki_dir", filepath.Join(dir, "pki"),
		"ret_port", int64(4606),
		"timeout", int64(1),
		OptControllerID, "ctl.example.com",
		OptAllocRoot, filepath.Join(dir, "alloc"),
		OptCronDir, filepath.Join(dir, "cron.d"),
		OptSaltRun, "/usr/bin/mastersalt-run",
		OptPingTries, int64(2),
		// The fake node answers the images step without archives.
		OptImagesTransfer, "path",
	)
	return &rig{dir: dir, opts: opts, node: node, progress: &mastertest.SyncBuffer{}}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// call runs a runner function with words as salt-run would parse them.
func (r *rig) call(t *testing.T, fun string, words ...string) *data.Map {
	t.Helper()
	env := &host.Env{ID: "ctl_master", Opts: r.opts, Stderr: r.progress}
	if r.flavour.Name != "" {
		env.Config = &config.Config{Flavour: r.flavour}
	}
	nodeService.Set(env, r.node)
	res := host.Execute(context.Background(), env, host.Runner, "mc_cloud_lxc."+fun, host.ParseInput(words, nil), nil)
	if res.Err != nil {
		t.Fatalf("%s: %v", fun, res.Err)
	}
	m, ok := res.Return.(*data.Map)
	if !ok {
		t.Fatalf("%s returned %T: %v", fun, res.Return, res.Return)
	}
	return m
}

var durRE = regexp.MustCompile(` \d+\.\ds\n`)

// scrub replaces the temp dir and timings.
func (r *rig) scrub(s string) string {
	s = strings.ReplaceAll(s, r.dir, "<dir>")
	s = durRE.ReplaceAllString(s, " <t>\n")
	return s
}

func render(t *testing.T, m *data.Map, out string) string {
	t.Helper()
	s, err := output.Format(out, m, output.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
