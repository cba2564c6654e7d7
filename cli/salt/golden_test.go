package salt

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/saltgo/saltgo/cli/console"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/internal/goldencase"
	"github.com/saltgo/saltgo/internal/goldenmod"
	"github.com/saltgo/saltgo/internal/mastertest"
	"github.com/saltgo/saltgo/minion/match"
	_ "github.com/saltgo/saltgo/modules/all"
	"github.com/saltgo/saltgo/pillar"
)

// goldenMinion is the in-process minion "golden-minion" of the recorded
// lab: for each job the fake master publishes to it, it runs the function
// with host.Execute -- the code path of saltgo's minion
// (cli/minion.Executor) -- with the lab's pillar, and returns the event a
// minion sends (as minion.execute builds it).
func goldenMinion(t *testing.T) mastertest.FakeMinion {
	t.Helper()
	goldenmod.Register()
	const id = "golden-minion"
	pil, err := pillar.Compile(pillar.Options{Roots: map[string][]string{"base": {filepath.Join(goldencase.Dir(), "inputs", "pillar")}}, Minion: match.Minion{ID: id}})
	if err != nil {
		t.Fatal(err)
	}
	env := &host.Env{ID: id, Opts: data.M("id", id), Grains: data.M("id", id, "os", "Debian"), Pillar: pil,
		Log: slog.New(slog.DiscardHandler)}
	return mastertest.FakeMinion{Job: func(pub *data.Map) (*data.Map, time.Duration, bool) {
		fun, _ := pub.String("fun")
		argv, _ := pub.Get("arg")
		args, _ := argv.([]any)
		res := host.Execute(context.Background(), env, host.Exec, fun, args, pub)
		jid, _ := pub.String("jid")
		ev := data.M("cmd", "_return", "id", id, "success", res.Retcode == 0, "return", data.Normalize(res.Return),
			"retcode", int64(res.Retcode), "jid", jid, "fun", fun, "fun_args", argv)
		if u, ok := pub.Get("user"); ok {
			ev.Set("user", u)
		}
		if res.Out != "" {
			ev.Set("out", res.Out)
		}
		return ev, 5 * time.Millisecond, true
	}}
}

// ghostMinion is an accepted key with no minion behind it.
var ghostMinion = mastertest.FakeMinion{Answer: func(string, []any) (any, time.Duration, bool) { return nil, 0, false }}

func runGolden(t *testing.T, file string, minions map[string]mastertest.FakeMinion) {
	fake := mastertest.StartFake(t, minions, "timeout: 1\ngather_job_timeout: 1\nnodegroups:\n  golden: golden-minion\n")
	for _, c := range goldencase.Load(t, file) {
		if c.Argv[0] != "salt" {
			continue // salt-call and salt-run cases belong to those programs' tests
		}
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"-c", fake.ConfDir}, c.Argv[3:]...)
			var out, errb bytes.Buffer
			code := Main(context.Background(), "salt", args, console.IO{Stdout: &out, Stderr: &errb})
			wantErr := c.Stderr
			if c.StderrQuit != nil {
				wantErr = *c.StderrQuit
			}
			gotOut, wantOut := out.String(), c.Stdout
			if len(c.Volatile) > 0 {
				gotOut, wantOut = goldencase.Mask(gotOut), goldencase.Mask(wantOut)
			}
			if strings.HasPrefix(c.Stdout, "<elided:") {
				// Salt's own help text: saltgo writes its own; only the exit
				// code and stderr are compared.
			} else if !goldencase.Matches(gotOut, wantOut) {
				t.Errorf("stdout differs:\n--- got\n%q\n--- want\n%q", gotOut, wantOut)
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

func TestGoldenMaster(t *testing.T) {
	runGolden(t, "master/salt.json", map[string]mastertest.FakeMinion{"golden-minion": goldenMinion(t)})
}

func TestGoldenMinionDidNotReturn(t *testing.T) {
	runGolden(t, "master/salt-minion-did-not-return.json", map[string]mastertest.FakeMinion{"golden-minion": goldenMinion(t), "ghost-minion": ghostMinion})
}

func TestGoldenInfo(t *testing.T) { runGolden(t, "info/salt-call.json", nil) }
