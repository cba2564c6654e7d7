// Package lxctest is the test harness for code that drives real LXC
// containers: the helper binary saltgo-lxc-helper built from this source
// tree, a throwaway network namespace with a bridge inside it, an LXC
// client whose helper runs inside that namespace, and clean-up of every
// container, namespace and bridge a test made, even when it fails.
//
// NewDebian starts a throwaway Debian 12 container for tests that change
// a whole system. WriteMinion, NewMinion and Minion.Steps are the one way
// a test runs `salt-call --local` in it, saltgo's or (go test -update)
// Python Salt 3007.14's, and checks each call against the golden file
// recorded from Python Salt (saltcall.go).
//
// A test package using it calls Main from TestMain:
//
//	func TestMain(m *testing.M) { lxctest.Main(m) }
package lxctest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/lxc/liblxc"
)

// CrashEnv makes a test binary re-executed as the helper (CrashClient)
// die of SIGSEGV before answering.
const CrashEnv = "SALTGO_LXCTEST_CRASH"

// Main runs the tests of a package that drives LXC. It builds the helper
// (cmd/saltgo-lxc-helper) into a temporary directory and points
// SALTGO_LXC_HELPER at it, unless that is set already, so that
// `go test` works from a fresh clone; a test binary re-executed by
// CrashClient dies instead.
func Main(m *testing.M) {
	if os.Getenv(CrashEnv) == "1" {
		// Stand-in for liblxc crashing the helper before it answers.
		_ = unix.Kill(os.Getpid(), unix.SIGSEGV)
		time.Sleep(time.Second)
		os.Exit(1)
	}
	var dir string
	if os.Getenv(liblxc.HelperEnv) == "" {
		var err error
		if dir, err = os.MkdirTemp("", "saltgo-lxc-helper-"); err != nil {
			fmt.Fprintln(os.Stderr, "lxctest:", err)
			os.Exit(1)
		}
		p, err := BuildHelper(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "lxctest:", err)
			_ = os.RemoveAll(dir)
			os.Exit(1)
		}
		_ = os.Setenv(liblxc.HelperEnv, p)
	}
	code := m.Run()
	if saltgoBuild.path != "" {
		_ = os.RemoveAll(filepath.Dir(saltgoBuild.path))
	}
	if dir != "" {
		_ = os.RemoveAll(dir)
	}
	os.Exit(code)
}

// BuildHelper builds cmd/saltgo-lxc-helper (with cgo: it links liblxc)
// into dir and returns its path. The go command is the one running the
// tests (go test puts its GOROOT/bin first in PATH).
func BuildHelper(dir string) (string, error) {
	out := filepath.Join(dir, liblxc.HelperName)
	cmd := exec.Command("go", "build", "-o", out, "github.com/saltgo/saltgo/cmd/saltgo-lxc-helper")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %w\n%s", liblxc.HelperName, err, msg)
	}
	return out, nil
}

// Require fails the test when it cannot drive LXC here (not root, or no
// lxc tools): CI installs them, so this is a failure, never a skip.
func Require(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("LXC tests need root (CI runs as root)")
	}
	for _, b := range []string{"ip", "lxc-info"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Fatalf("LXC tests need %s (apt-get install lxc iproute2): %v", b, err)
		}
	}
}

// Context returns a context that ends after two minutes, or with the test.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// Bridged is the usual start of a container test: it checks that LXC can
// run here (Require), then returns a namespace with the bridge lxcbr1
// (10.5.0.1/16) in it, a client whose helper runs there (Client) and the
// test's context (Context).
func Bridged(t testing.TB) (*Netns, *liblxc.Client, context.Context) {
	t.Helper()
	Require(t)
	ns := NewNetns(t, "lxcbr1", "10.5.0.1", 16)
	return ns, Client(t, ns), Context(t)
}

// Packages is a package manager (provision.PackageManager) that records
// installs instead of running apt-get.
type Packages struct {
	mu sync.Mutex
	// Installed are the packages taken as installed; Install adds to it.
	Installed map[string]bool
	// Calls are the package lists given to Install, in order.
	Calls [][]string
}

// Missing returns the packages of pkgs that are not in Installed.
func (f *Packages) Missing(_ context.Context, pkgs []string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, p := range pkgs {
		if !f.Installed[p] {
			out = append(out, p)
		}
	}
	return out, nil
}

// Install records the call and marks pkgs installed.
func (f *Packages) Install(_ context.Context, pkgs []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Calls = append(f.Calls, pkgs)
	for _, p := range pkgs {
		f.Installed[p] = true
	}
	return nil
}

// Unique returns a short unique name with a prefix.
func Unique(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// Netns is a network namespace with one bridge.
type Netns struct {
	Name    string
	Bridge  string
	Gateway string // bridge address
	Prefix  int
}

// NewNetns creates a namespace with lo up and the bridge (with gateway/
// prefix on it) inside it; both go away at the end of the test. Nothing
// inside routes anywhere else.
func NewNetns(t testing.TB, bridge, gateway string, prefix int) *Netns {
	t.Helper()
	n := &Netns{Name: Unique("sgt-"), Bridge: bridge, Gateway: gateway, Prefix: prefix}
	if out, err := exec.Command("ip", "netns", "add", n.Name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() {
		// Deleting the namespace removes the bridge and veths inside it.
		if out, err := exec.Command("ip", "netns", "del", n.Name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", n.Name, err, out)
		}
	})
	n.MustIP(t, "link", "set", "lo", "up")
	if bridge != "" {
		n.MustIP(t, "link", "add", bridge, "type", "bridge")
		n.MustIP(t, "addr", "add", fmt.Sprintf("%s/%d", gateway, prefix), "dev", bridge)
		n.MustIP(t, "link", "set", bridge, "up")
	}
	return n
}

// MustIP runs `ip -n <ns> args...`.
func (n *Netns) MustIP(t testing.TB, args ...string) {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"-n", n.Name}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip -n %s %v: %v: %s", n.Name, args, err, out)
	}
}

// Dial opens a TCP connection from inside the namespace.
func (n *Netns) Dial(addr string, timeout time.Duration) (net.Conn, error) {
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		// The thread is switched to the namespace and never unlocked, so
		// the runtime discards it afterwards.
		runtime.LockOSThread()
		f, err := os.Open(filepath.Join("/run/netns", n.Name))
		if err != nil {
			ch <- res{nil, err}
			return
		}
		defer func() { _ = f.Close() }()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- res{nil, fmt.Errorf("setns: %w", err)}
			return
		}
		d := net.Dialer{Timeout: timeout}
		c, err := d.Dial("tcp", addr)
		ch <- res{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

// Get sends "GET path HTTP/1.0" to addr (host:port) from inside the
// namespace and returns the raw response; it tries again, 50 times at
// most, while the server is not answering yet (nil if it never did).
func (n *Netns) Get(addr, path string) []byte {
	var body []byte
	for i := 0; i < 50 && len(body) == 0; i++ {
		conn, err := n.Dial(addr, 2*time.Second)
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = io.WriteString(conn, "GET "+path+" HTTP/1.0\r\n\r\n")
		body, _ = io.ReadAll(conn)
		_ = conn.Close()
	}
	return body
}

// Client returns an LXC client whose containers live in a fresh directory
// and whose helper (the one Main built) runs inside the namespace n (nil
// for the host namespace). Every container left in that directory is
// destroyed at the end of the test.
func Client(t testing.TB, n *Netns) *liblxc.Client {
	t.Helper()
	dir, err := os.MkdirTemp("", "saltgo-lxctest-")
	if err != nil {
		t.Fatal(err)
	}
	c := &liblxc.Client{LXCPath: dir, Timeout: 2 * time.Minute}
	if n != nil {
		c.Netns = n.Name
	}
	t.Cleanup(func() { Purge(t, c) })
	return c
}

// Purge destroys every container in c's directory (clones before their
// origins) and removes the directory.
func Purge(t testing.TB, c *liblxc.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for pass := 0; pass < 3; pass++ {
		list, err := c.List(ctx)
		if err != nil {
			t.Errorf("lxctest: list %s: %v", c.Path(), err)
			break
		}
		if len(list) == 0 {
			break
		}
		for _, ct := range list {
			// An origin with snapshot clones refuses to go until they are gone.
			_ = c.Destroy(ctx, ct.Name)
		}
	}
	if list, _ := c.List(ctx); len(list) > 0 {
		t.Errorf("lxctest: containers left in %s: %v", c.Path(), list)
		for _, ct := range list {
			_ = exec.Command("lxc-stop", "-k", "-P", c.Path(), "-n", ct.Name).Run()
		}
	}
	if err := os.RemoveAll(c.Path()); err != nil && !strings.Contains(err.Error(), "busy") {
		t.Errorf("lxctest: remove %s: %v", c.Path(), err)
	}
}

// CrashClient returns a copy of c whose helper is this test binary, which
// dies of SIGSEGV before answering (see Main): a stand-in for liblxc
// crashing the helper.
func CrashClient(t testing.TB, c *liblxc.Client) *liblxc.Client {
	t.Helper()
	exe, err := filepath.Abs(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	cp := *c
	cp.Helper = exe
	cp.Env = append(append([]string(nil), c.Env...), CrashEnv+"=1")
	return &cp
}

// NotAvailable runs fun on env the way a minion job does (host.Execute)
// and reports an error unless the answer is a failed "'fun' is not
// available. Possible reasons: '..." that contains each of reasons.
func NotAvailable(t testing.TB, env *host.Env, fun string, args []any, reasons ...string) {
	t.Helper()
	r := host.Execute(context.Background(), env, host.Exec, fun, args, nil)
	s, _ := r.Return.(string)
	want := "'" + fun + "' is not available. Possible reasons: '"
	ok := r.Retcode != 0 && strings.HasPrefix(s, want)
	for _, reason := range reasons {
		ok = ok && strings.Contains(s, reason)
	}
	if !ok {
		t.Errorf("%s: retcode %d, return %q; want %q... with %q", fun, r.Retcode, s, want, reasons)
	}
}

// WaitAddr waits (up to 5 s) until `ip addr show <iface>` in the container
// shows want (busybox brings its interfaces up while init runs) and returns
// what it printed last.
func WaitAddr(t testing.TB, ctx context.Context, c *liblxc.Client, name, iface, want string) string {
	t.Helper()
	var out string
	for i := 0; i < 50; i++ {
		r, err := c.Run(ctx, name, []string{"ip", "addr", "show", iface}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if out = string(r.Stdout); strings.Contains(out, want) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return out
}
