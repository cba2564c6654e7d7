package run

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/saltgo/saltgo/cli/console"

	"github.com/saltgo/saltgo/internal/goldencase"
	"github.com/saltgo/saltgo/internal/goldenmod"
	"github.com/saltgo/saltgo/internal/mastertest"
)

// lab writes the recorded master config (LAB_DIR replaced) and returns its
// config dir.
func lab(t *testing.T) string {
	t.Helper()
	goldenmod.RegisterRunner()
	return filepath.Join(goldencase.Lab(t, "master"), "conf")
}

// needsMaster says which recorded cases talk to a master (they run against
// the fake master instead of the recorded lab config).
func needsMaster(c goldencase.Case) bool {
	return len(c.Argv) > 3 && strings.HasPrefix(c.Argv[3], "manage.")
}

func runGolden(t *testing.T, file string, minions map[string]mastertest.FakeMinion) {
	confDir := lab(t)
	outer := t
	var fake *mastertest.Server
	for _, c := range goldencase.Load(t, file) {
		if c.Argv[0] != "salt-run" {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			dir := confDir
			if needsMaster(c) {
				if fake == nil {
					fake = mastertest.StartFake(outer, minions, "timeout: 1\ngather_job_timeout: 1\n")
				}
				dir = fake.ConfDir
			}
			args := append([]string{"-c", dir}, c.Argv[3:]...)
			var out, errb bytes.Buffer
			code := Main(context.Background(), "salt-run", args, console.IO{Stdout: &out, Stderr: &errb})
			wantErr := c.Stderr
			if c.StderrQuit != nil {
				wantErr = *c.StderrQuit
			}
			if strings.HasPrefix(c.Stdout, "<elided:") {
				// Salt's own doc text: saltgo writes its own.
			} else if !goldencase.Matches(out.String(), c.Stdout) {
				t.Errorf("stdout differs:\n--- got\n%q\n--- want\n%q", out.String(), c.Stdout)
			}
			if errb.String() != wantErr {
				t.Errorf("stderr differs:\n--- got\n%q\n--- want\n%q", errb.String(), wantErr)
			}
			if code != c.ExitCode {
				t.Errorf("exit code %d, want %d", code, c.ExitCode)
			}
		})
	}
}

func TestGoldenRunner(t *testing.T) {
	runGolden(t, "runner/salt-run.json", map[string]mastertest.FakeMinion{"golden-minion": {}})
}

func TestGoldenInfo(t *testing.T) { runGolden(t, "info/salt-call.json", nil) }

func TestGoldenMinionDidNotReturn(t *testing.T) {
	ghost := mastertest.FakeMinion{Answer: func(string, []any) (any, time.Duration, bool) { return nil, 0, false }}
	runGolden(t, "master/salt-minion-did-not-return.json", map[string]mastertest.FakeMinion{"golden-minion": {}, "ghost-minion": ghost})
}
