// Package scripts_test checks the scripts behind make's targets.
package scripts_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/saltgo/saltgo/lxc/liblxc"
	"github.com/saltgo/saltgo/lxc/lxctest"
)

// TestMain builds the LXC helper the script's saltgo finds through
// SALTGO_LXC_HELPER.
func TestMain(m *testing.M) { lxctest.Main(m) }

// The seed's six example VMs, with the IP the table must show (explicit in
// the pillar, or the first free ones of 10.5.0.0/16 in a fresh store).
var exampleVMs = map[string]string{
	"nmdcarto51.test.com":  "10.5.0.2/16",
	"mysupertest3.foo.com": "10.5.0.3/16",
	"gfoobar.test.com":     "10.5.10.16/16",
	"gfoobar4.test.com":    "10.5.10.15/16",
	"gfoobar3.test.com":    "10.5.10.17/16",
	"gfoobar2.test.com":    "10.5.10.18/16",
}

type script struct {
	bin, run string
}

func newScript(t *testing.T) *script {
	lxctest.Require(t)
	s := &script{bin: lxctest.SaltgoBinary(t), run: t.TempDir()}
	// Whatever happens, nothing stays behind.
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Join(s.run, "netns")); err == nil {
			t.Errorf("run left behind, removing it")
			_ = s.cmd(context.Background(), "--down").Run()
		}
	})
	return s
}

func (s *script) cmd(ctx context.Context, args ...string) *exec.Cmd {
	full := append([]string{"run-example.sh"}, args...)
	cmd := exec.CommandContext(ctx, "bash", append(full, s.bin, s.run)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// gone checks that the namespace and every container went away.
func (s *script) gone(t *testing.T, ns string) {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	if ns == "" || strings.Contains(string(out), ns) {
		t.Errorf("network namespace %q still there (or unknown): %s", ns, out)
	}
	if _, err := os.Stat(filepath.Join(s.run, "lxc")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("private LXC path still there: %v", err)
	}
	if _, err := os.Stat("/run/lxc/lock" + s.run); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("liblxc lock files of the private paths still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.run, "alloc")); err != nil {
		t.Errorf("allocation store not kept: %v", err)
	}
}

// TestRunExampleKeepThenDown runs make run's script with KEEP=1: the six
// VMs run in the script's namespace, the table shows each running at its
// IP and answering ping from the bridge; --down removes all of it.
func TestRunExampleKeepThenDown(t *testing.T) {
	s := newScript(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := s.cmd(ctx)
	cmd.Env = append(os.Environ(), "KEEP=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("run-example.sh: %v\n%s", err, out)
	}
	text := string(out)
	for vm, ip := range exampleVMs {
		row := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(vm) + ` +running +` + regexp.QuoteMeta(ip) + ` +00:16:3e(:[0-9a-f]{2}){3} +4000[0-5] +ms-devhost10-local-\S+ +\S+ +ok +True$`)
		if !row.MatchString(text) {
			t.Errorf("no table row for %s running at %s, answering ping:\n%s", vm, ip, text)
		}
	}
	for _, want := range []string{
		"bridge lxcbr1 10.5.0.1/16 up in network namespace saltgo-run-",
		"$ mastersalt-call --local mc_cloud_lxc.get_settings_for_vm devhost10.local nmdcarto51.test.com\nlocal:\n",
		"done: 6 VMs provisioned",
		"remove it: make run-down RUN_DIR=" + s.run,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	nsb, err := os.ReadFile(filepath.Join(s.run, "netns"))
	if err != nil {
		t.Fatalf("kept run has no namespace file: %v", err)
	}
	ns := strings.TrimSpace(string(nsb))
	c := &liblxc.Client{LXCPath: filepath.Join(s.run, "lxc"), Netns: ns}
	list, err := c.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	running := 0
	for _, ct := range list {
		if _, ok := exampleVMs[ct.Name]; ok && ct.State == "running" {
			running++
		}
	}
	if running != len(exampleVMs) {
		t.Errorf("kept run: %d of %d VMs running: %+v", running, len(exampleVMs), list)
	}

	down, err := s.cmd(ctx, "--down").CombinedOutput()
	if err != nil {
		t.Fatalf("run-example.sh --down: %v\n%s", err, down)
	}
	s.gone(t, ns)
}

// TestRunExampleInterrupted sends SIGINT to the script's process group
// (Ctrl-C) while it provisions: it tears everything down and fails.
func TestRunExampleInterrupted(t *testing.T) {
	s := newScript(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := s.cmd(ctx)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var all bytes.Buffer
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait(); _ = pw.Close() }()
	sc := bufio.NewScanner(pr)
	sent := false
	for sc.Scan() {
		all.WriteString(sc.Text() + "\n")
		if !sent && strings.Contains(sc.Text(), "provisioned nmdcarto51.test.com") {
			if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			sent = true
		}
	}
	err := <-waited
	// The exit status is 130 when bash's INT trap runs first, or that of
	// the call the interrupt cancelled (set -e).
	var ee *exec.ExitError
	if !sent || !errors.As(err, &ee) || ee.ExitCode() == 0 {
		t.Fatalf("interrupted run: sent %v, %v (want a failure)\n%s", sent, err, all.String())
	}
	for _, want := range []string{"interrupted or failed (exit ", "): tearing down", "removed (allocations kept in"} {
		if !strings.Contains(all.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, all.String())
		}
	}
	ns := regexp.MustCompile(`saltgo-run-[0-9a-f]{8}`).FindString(all.String())
	s.gone(t, ns)
}
