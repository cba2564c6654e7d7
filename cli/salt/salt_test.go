package salt

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/cli/console"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/internal/goldencase"
	"github.com/saltgo/saltgo/internal/mastertest"
	"github.com/saltgo/saltgo/output"
)

func runSalt(t *testing.T, prog string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), prog, args, console.IO{Stdout: &out, Stderr: &errb})
	return out.String(), errb.String(), code
}

// lastPublish returns the last publish load the fake master received.
func lastPublish(t *testing.T, m *mastertest.Server) *data.Map {
	t.Helper()
	var last *data.Map
	for _, l := range m.Loads() {
		if c, _ := l.String("cmd"); c == "publish" {
			if f, _ := l.String("fun"); f != "saltutil.find_job" {
				last = l
			}
		}
	}
	if last == nil {
		t.Fatal("no publish received")
	}
	return last
}

func TestTargets(t *testing.T) {
	conf := "timeout: 1\ngather_job_timeout: 1\nnodegroups:\n  web: web1 web2\n  re: 'web[0-9]'\n  both: N@web or G@os:Debian\n  loop: N@loop\n"
	m := mastertest.StartFake(t, map[string]mastertest.FakeMinion{"golden-minion": goldenMinion(t)}, conf)
	tests := []struct {
		args    []string
		tgt     any
		tgtType string
	}{
		{[]string{"-G", "os:Debian"}, "os:Debian", "grain"},
		{[]string{"-E", "golden-.*"}, "golden-.*", "pcre"},
		{[]string{"-P", "os:Deb.*"}, "os:Deb.*", "grain_pcre"},
		{[]string{"-I", "golden:purpose:x"}, "golden:purpose:x", "pillar"},
		{[]string{"-J", "golden:.*"}, "golden:.*", "pillar_pcre"},
		{[]string{"-S", "10.0.0.0/8"}, "10.0.0.0/8", "ipcidr"},
		{[]string{"-L", "a, b,c"}, []any{"a", "b", "c"}, "list"},
		{[]string{"-L", "a b"}, []any{"a", "b"}, "list"},
		{[]string{"-N", "web"}, "L@web1,web2", "compound"},
		{[]string{"-N", "re"}, "E@web[0-9]", "compound"},
		{[]string{"-N", "both"}, "( L@web1,web2 or G@os:Debian )", "compound"},
		{[]string{"-C", "G@os:Debian and N@web"}, "G@os:Debian and L@web1,web2", "compound"},
		{[]string{"-N", "loop"}, "", "compound"}, // Salt: an illegal nested group expands to nothing
	}
	for _, tc := range tests {
		args := append(append([]string{"-c", m.ConfDir}, tc.args...), "test.ping")
		out, errs, code := runSalt(t, "salt", args...)
		if code != 2 || !strings.HasPrefix(out, "No minions matched the target.") || errs != "ERROR: No return received\n" {
			t.Errorf("%v: %q %q %d", tc.args, out, errs, code)
		}
		l := lastPublish(t, m)
		tgt, _ := l.Get("tgt")
		tt, _ := l.String("tgt_type")
		if !reflect.DeepEqual(tgt, tc.tgt) || tt != tc.tgtType {
			t.Errorf("%v: published %#v (%s), want %#v (%s)", tc.args, tgt, tt, tc.tgt, tc.tgtType)
		}
	}
	// An unknown nodegroup is Salt's SaltInvocationError, printed as output.
	out, _, code := runSalt(t, "salt", "-c", m.ConfDir, "-N", "nosuch", "test.ping")
	if code != 0 || out != "Node group nosuch unavailable in "+filepath.Join(m.ConfDir, "master")+"\n" {
		t.Errorf("unknown nodegroup: %q %d", out, code)
	}
	// Publish kwargs reach the minion-side load.
	runSalt(t, "salt", "-c", m.ConfDir, "--metadata", "{a: 1}", "--delimiter", "|", "*", "test.ping")
	l := lastPublish(t, m)
	kw, _ := l.Get("kwargs")
	km, _ := kw.(*data.Map)
	if md, _ := km.Get("metadata"); !reflect.DeepEqual(md, data.M("a", int64(1))) {
		t.Errorf("metadata %#v", md)
	}
	if d, _ := km.String("delimiter"); d != "|" {
		t.Errorf("delimiter %q", d)
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		err      string
		helpOnly bool
	}{
		{[]string{}, 42, "\nCannot execute command without defining a target.\n\n", true},
		{[]string{"*"}, 42, "\nIncomplete options passed.\n\n", true},
		{[]string{"-E", "-L", "*", "test.ping"}, 64, "salt: error: The options --pcre/--list are mutually exclusive. Please only choose one of them\n", false},
		{[]string{"-t", "x", "*", "test.ping"}, 64, "salt: error: option -t: invalid integer value: 'x'\n", false},
		{[]string{"-d", "*", "a", "b"}, 64, "salt: error: You can only get documentation for one method at one time.\n", false},
		{[]string{"-l", "loud", "*", "test.ping"}, 64, "invalid log level", false},
		{[]string{"*", "a,b"}, 1, "compound commands (a,b) are not supported", false},
	}
	for _, tc := range tests {
		out, errs, code := runSalt(t, "salt", tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.err) {
			t.Errorf("%v: %q %d", tc.args, errs, code)
		}
		if tc.helpOnly && !strings.HasPrefix(out, "Usage: salt [options] '<target>' <function> [arguments]\n") {
			t.Errorf("%v: help not printed: %q", tc.args, out)
		}
	}
	out, _, code := runSalt(t, "mastersalt", "--version")
	if code != 0 || !strings.HasPrefix(out, "mastersalt 3007.14 ") {
		t.Errorf("mastersalt --version: %q", out)
	}
}

func TestAsyncStaticBatchVerbose(t *testing.T) {
	m := mastertest.StartFake(t, map[string]mastertest.FakeMinion{"golden-minion": goldenMinion(t), "ghost-minion": ghostMinion}, "timeout: 1\ngather_job_timeout: 1\n")
	c := m.ConfDir
	out, errs, code := runSalt(t, "salt", "-c", c, "--async", "*", "test.ping")
	if code != 0 || errs != "" || !regexp.MustCompile(`\b\d{20}\b`).MatchString(out) || !strings.HasPrefix(out, "Executed command with job ID: ") {
		t.Errorf("async: %q %q %d", out, errs, code)
	}
	out, _, code = runSalt(t, "salt", "-c", c, "--async", "nomatch", "test.ping")
	if code != 0 || out != "No minions matched the target. No command was sent, no jid was assigned.\nExecuted command with job ID: 0\n" {
		t.Errorf("async no match: %q %d", out, code)
	}
	// --static ignores the declared outputter and failed retcodes.
	out, _, code = runSalt(t, "salt", "-c", c, "--static", "golden-minion", "golden.result_false", "--out", "json")
	if code != 0 || out != "{\n    \"golden-minion\": {\n        \"result\": false,\n        \"comment\": \"golden failure\\nsecond line\"\n    }\n}\n" {
		t.Errorf("static: %q %d", out, code)
	}
	out, errs, code = runSalt(t, "salt", "-c", c, "--static", "nomatch", "test.ping", "--out", "json")
	if code != 2 || out != "No minions matched the target. No command was sent, no jid was assigned.\n{}\n" || errs != "ERROR: No return received\n" {
		t.Errorf("static no match: %q %q %d", out, errs, code)
	}
	// Batch: the ghost does not answer the ping; the job runs on the others.
	out, errs, code = runSalt(t, "salt", "-c", c, "-b", "1", "*", "golden.retcode3")
	want := "Minion ghost-minion did not respond. No job will be sent.\n\nExecuting run on ['golden-minion']\n\ngolden-minion:\n    retcode set to 3\njid:\n    <JID>\nretcode:\n    3\n"
	if code != 3 || goldencase.Mask(out) != want || errs != "" {
		t.Errorf("batch: %q %q %d", out, errs, code)
	}
	out, _, code = runSalt(t, "salt", "-c", c, "-b", "x%", "golden-minion", "test.ping")
	if code != 1 || !strings.Contains(out, "Invalid batch data sent: x%") {
		t.Errorf("bad batch: %q %d", out, code)
	}
	// -v shows the jid header; --show-jid only the jid.
	out, _, code = runSalt(t, "salt", "-c", c, "-v", "golden-minion", "test.ping")
	if code != 0 || goldencase.Mask(out) != "Executing job with jid <JID>\n"+strings.Repeat("-", 43)+"\n\ngolden-minion:\n    True\n" {
		t.Errorf("verbose: %q %d", out, code)
	}
	out, _, _ = runSalt(t, "salt", "-c", c, "--show-jid", "golden-minion", "test.ping")
	if goldencase.Mask(out) != "jid: <JID>\ngolden-minion:\n    True\n" {
		t.Errorf("show-jid: %q", out)
	}
	// -d prints the docstrings once, sorted.
	out, _, code = runSalt(t, "salt", "-c", c, "-d", "golden-minion", "golden.two")
	if code != 0 || !strings.HasPrefix(out, "golden.two:\n\n    Take exactly two positional arguments") {
		t.Errorf("doc: %q %d", out, code)
	}
}

func TestOutFileAppendsEveryMinion(t *testing.T) {
	m := mastertest.StartFake(t, map[string]mastertest.FakeMinion{"golden-minion": goldenMinion(t), "ghost-minion": ghostMinion}, "timeout: 1\ngather_job_timeout: 1\n")
	f := filepath.Join(t.TempDir(), "out")
	if err := os.WriteFile(f, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code := runSalt(t, "salt", "-c", m.ConfDir, "--out-file", f, "--out", "json", "*", "test.ping")
	b, _ := os.ReadFile(f)
	if code != 1 || out != "" || !strings.HasPrefix(string(b), "{\n    \"golden-minion\": true\n}\n{\n    \"ghost-minion\": \"Minion did not return.") {
		t.Errorf("out-file: %q %q %d", b, out, code)
	}
}

func TestAuthErrorIsPrinted(t *testing.T) {
	m := mastertest.StartFake(t, map[string]mastertest.FakeMinion{"a": {}}, "")
	if err := os.WriteFile(filepath.Join(m.CacheDir, ".root_key"), []byte("wrong"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, code := runSalt(t, "salt", "-c", m.ConfDir, "*", "test.ping")
	if code != 0 || out != "Authentication failure of type \"user\" occurred.\n" {
		t.Errorf("got %q %d", out, code)
	}
	os.Remove(filepath.Join(m.CacheDir, ".root_key"))
	_, errs, code := runSalt(t, "salt", "-c", m.ConfDir, "*", "test.ping")
	if code != 1 || !strings.Contains(errs, ".root_key") {
		t.Errorf("missing key: %q %d", errs, code)
	}
}

func TestNoReturnOutputter(t *testing.T) {
	s, err := output.Format("no_return", data.M("b", "x\ny", "a", data.M("k", "v")), output.Options{Color: true})
	want := "\x1b[0;36ma\x1b[0;0m:\n\x1b[0;36m    k\x1b[0;0m:\n\x1b[0;31m        v\x1b[0;0m\n\x1b[0;36mb\x1b[0;0m:\n\x1b[0;31m    x\x1b[0;0m\n\x1b[0;31m    y\x1b[0;0m"
	if err != nil || s != want {
		t.Errorf("got %q, want %q", s, want)
	}
}

func TestBatchSize(t *testing.T) {
	for _, tc := range []struct {
		spec string
		n    int
		want int
		ok   bool
	}{{"3", 10, 3, true}, {"10%", 10, 1, true}, {"5%", 10, 1, true}, {"50%", 5, 2, true}, {"x", 3, 0, false}} {
		got, err := batchSize(tc.spec, tc.n)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("batchSize(%q, %d) = %d, %v", tc.spec, tc.n, got, err)
		}
	}
}
