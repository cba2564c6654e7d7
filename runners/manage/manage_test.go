package manage

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/internal/mastertest"
)

func env(t *testing.T, m *mastertest.Server) *host.Env {
	cfg, err := config.Load(context.Background(), config.Options{Role: config.Master, ConfigDir: m.ConfDir})
	if err != nil {
		t.Fatal(err)
	}
	return &host.Env{Opts: cfg.Raw}
}

func TestManage(t *testing.T) {
	ghost := mastertest.FakeMinion{Answer: func(string, []any) (any, time.Duration, bool) { return nil, 0, false }}
	m := mastertest.StartFake(t, map[string]mastertest.FakeMinion{"up1": {}, "up2": {}, "ghost": ghost}, "timeout: 1\ngather_job_timeout: 1\n")
	e := env(t, m)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tests := []struct {
		fun  string
		args []any
		want string
	}{
		{"manage.up", nil, "[up1 up2]"},
		{"manage.down", []any{"timeout=1"}, "[ghost]"},
		{"manage.status", []any{"tgt=up*"}, "map[down:[] up:[up1 up2]]"},
		{"manage.up", []any{"tgt=up1,ghost", "tgt_type=list", "gather_job_timeout=1"}, "[up1]"},
		{"manage.down", []any{"removekeys=True"}, "[ghost]"},
		{"manage.status", nil, "map[down:[] up:[up1 up2]]"},
	}
	for _, tc := range tests {
		res := host.Execute(ctx, e, host.Runner, tc.fun, host.ParseInput(anyStrs(tc.args), nil), nil)
		if res.Err != nil {
			t.Fatalf("%s: %v", tc.fun, res.Err)
		}
		if got := show(res.Return); got != tc.want {
			t.Errorf("%s %v = %s, want %s", tc.fun, tc.args, got, tc.want)
		}
	}
	res := host.Execute(ctx, e, host.Runner, "manage.up", host.ParseInput([]string{"timeout=soon"}, nil), nil)
	if res.Err == nil || !strings.Contains(res.Return.(string), "timeout") {
		t.Errorf("bad timeout accepted: %v", res.Return)
	}
}

func anyStrs(l []any) []string {
	var out []string
	for _, a := range l {
		out = append(out, a.(string))
	}
	return out
}

func show(v any) string {
	switch x := v.(type) {
	case []any:
		var s []string
		for _, e := range x {
			s = append(s, show(e))
		}
		return "[" + strings.Join(s, " ") + "]"
	case *data.Map:
		var s []string
		for _, k := range x.SortedKeys() {
			e, _ := x.Get(k)
			s = append(s, k.(string)+":"+show(e))
		}
		return "map[" + strings.Join(s, " ") + "]"
	}
	return v.(string)
}
