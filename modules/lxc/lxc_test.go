package lxcmod

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/lxc"
	"github.com/saltgo/saltgo/lxc/lxctest"
)

func TestMain(m *testing.M) { lxctest.Main(m) }

func TestModuleLifecycle(t *testing.T) {
	lxctest.Require(t)
	ns := lxctest.NewNetns(t, "lxcbr1", "10.5.0.1", 16)
	c := lxctest.Client(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := Virtual(ctx, c); err != nil {
		t.Fatal(err)
	}
	name := lxctest.Unique("mod")
	if r, err := Create(ctx, c, &lxc.Settings{Name: name, ProfileType: "dir-scratch", Image: "busybox"}); err != nil || !r.Has("result") {
		t.Fatalf("create: %v %v", err, r)
	}
	if ok, _ := Exists(ctx, c, name); !ok {
		t.Fatal("exists false")
	}
	if _, err := SetParameter(ctx, c, name, "lxc.net.0.type", "veth"); err != nil {
		t.Fatal(err)
	}
	if _, err := SetParameter(ctx, c, name, "lxc.net.0.link", "lxcbr1"); err != nil {
		t.Fatal(err)
	}
	if g, err := GetParameter(ctx, c, name, "lxc.net.0.link"); err != nil || mustStr(g, "lxc.net.0.link") != "lxcbr1" {
		t.Fatalf("get_parameter: %v %v", err, g)
	}
	steps := []struct {
		fn       func() (*data.Map, error)
		old, new string
	}{
		{func() (*data.Map, error) { return Start(ctx, c, name) }, "stopped", "running"},
		{func() (*data.Map, error) { return Freeze(ctx, c, name) }, "running", "frozen"},
		{func() (*data.Map, error) { return Unfreeze(ctx, c, name) }, "frozen", "running"},
		{func() (*data.Map, error) { return Restart(ctx, c, name, true) }, "running", "running"},
		{func() (*data.Map, error) { return Stop(ctx, c, name, true) }, "running", "stopped"},
		{func() (*data.Map, error) { return Start(ctx, c, name) }, "stopped", "running"},
	}
	for i, st := range steps {
		r, err := st.fn()
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		v, _ := r.Get("state")
		sm := v.(*data.Map)
		if mustStr(sm, "old") != st.old || mustStr(sm, "new") != st.new {
			t.Fatalf("step %d: state %v", i, sm)
		}
	}
	l, err := List(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := l.Get("running"); len(r.([]any)) != 1 {
		t.Fatalf("list: %v", l)
	}
	out, err := Run(ctx, c, name, "echo hi; echo err >&2")
	if err != nil || out != "hi" {
		t.Fatalf("run: %q %v", out, err)
	}
	ra, err := RunAll(ctx, c, name, "exit 3")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := ra.Get("retcode"); v != int64(3) {
		t.Fatalf("run_all: %v", ra)
	}
	if st, _ := State(ctx, c, name); st != "running" {
		t.Fatalf("state %v", st)
	}
	if _, err := Destroy(ctx, c, name); err != nil {
		t.Fatal(err)
	}
	if st, err := State(ctx, c, name); st != nil || err != nil {
		t.Fatalf("state after destroy: %v %v", st, err)
	}
	if names, _ := Ls(ctx, c); len(names) != 0 {
		t.Fatalf("ls: %v", names)
	}
}

func TestCloudInitInterfaceLVM(t *testing.T) {
	m, err := CloudInitInterface(&lxc.Client{LXCPath: "/var/lib/lxc"}, &lxc.Settings{Name: "vm1", ProfileType: "lvm", Profile: "small", Bridge: "lxcbr1", IP: "10.5.0.2", MAC: "00:16:3e:00:00:02", Master: "10.5.0.1", MasterPort: 4606})
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"clone_from": "makina-states-precise", "backing": "lvm", "vgname": "lxc", "lvname": "vm1", "size": int64(5 << 30)} {
		if v, _ := m.Get(k); v != want {
			t.Errorf("%s = %v, want %v", k, v, want)
		}
	}
	if _, err := CloudInitInterface(&lxc.Client{}, &lxc.Settings{Name: "vm1", ProfileType: "lvm", Profile: "huge"}); err == nil || !strings.Contains(err.Error(), "size profile") {
		t.Errorf("bad size profile: %v", err)
	}
}

func mustStr(m *data.Map, k string) string {
	s, _ := m.String(k)
	return s
}
