package cmd_test

import (
	"context"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	cmdmod "github.com/saltgo/saltgo/modules/cmd"
)

// TestJobRetcode: every command run through cmd.Run sets the job's
// retcode as Salt's cmdmod._run sets __context__['retcode'] (the job's
// retcode then, recorded live from Salt 3007.14: `salt m cmd.retcode
// false` returns 1 with the job's retcode 1; service.available,
// service.get_all... whose runlevel command failed return their value
// with the job's retcode 1), including a command a module runs with a
// call of its own (service's runner), 0 with ignore_retcode.
func TestJobRetcode(t *testing.T) {
	host.Register(&host.Module{Kind: host.Exec, Name: "cmdjobrc", Funcs: []*host.Func{
		{Name: "inner", Params: []host.Param{host.Req("cmd"), host.Opt("ignore", false)}, Fn: func(ctx context.Context, c *host.Call) (any, error) {
			f, _, err := host.Lookup(host.Exec, "cmd.run_all")
			if err != nil {
				return nil, err
			}
			call, err := host.Bind(f, nil, data.M("cmd", c.Str("cmd"), "ignore_retcode", c.Bool("ignore")))
			if err != nil {
				return nil, err
			}
			call.Env, call.Fun = c.Env, "cmd.run_all"
			r, err := cmdmod.Run(ctx, call, c.Str("cmd"), nil, false, true)
			return r.Retcode == 0, err
		}},
	}})
	defer host.Unregister(host.Exec, "cmdjobrc")
	for _, tc := range []struct {
		fun  string
		args []string
		code int
	}{
		{"cmd.retcode", []string{"/bin/false"}, 1},
		{"cmd.retcode", []string{"/bin/true"}, 0},
		{"cmd.retcode", []string{"exit 3", "python_shell=True"}, 3},
		{"cmd.run_all", []string{"/bin/false", "ignore_retcode=True"}, 0},
		{"cmd.run_all", []string{"exit 2", "python_shell=True", "success_retcodes=[2]"}, 0},
		{"cmdjobrc.inner", []string{"exit 4"}, 4},
		{"cmdjobrc.inner", []string{"exit 4", "ignore=True"}, 0},
		{"cmdjobrc.inner", []string{"/bin/true"}, 0},
	} {
		r := host.Run(context.Background(), &host.Env{Opts: data.NewMap()}, host.Request{Kind: host.Exec, Fun: tc.fun, Args: host.ParseInput(tc.args, nil)})
		if r.Err != nil || r.Retcode != tc.code {
			t.Errorf("%s %v: retcode %d err %v, want %d", tc.fun, tc.args, r.Retcode, r.Err, tc.code)
		}
	}
}
