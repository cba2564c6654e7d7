// Package manage is the Go version of Salt's manage runner: which minions
// are up, which are down (manage.up, manage.down, manage.status), found the
// way Salt finds them: a test.ping job published through the master, with
// Salt's waiting rules (client.CmdIter).
package manage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/saltgo/saltgo/client"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
)

func init() { host.Register(Module()) }

const statusDoc = `
    Print the status of all known salt minions

    CLI Example:

    .. code-block:: bash

        salt-run manage.status
        salt-run manage.status tgt="webservers" tgt_type="nodegroup"
        salt-run manage.status timeout=5 gather_job_timeout=10
    `

const upDoc = `
    Print a list of all of the minions that are up

    CLI Example:

    .. code-block:: bash

        salt-run manage.up
        salt-run manage.up tgt="webservers" tgt_type="nodegroup"
        salt-run manage.up timeout=5 gather_job_timeout=10
    `

const downDoc = `
    Print a list of all the down or unresponsive salt minions
    Optionally remove keys of down minions

    CLI Example:

    .. code-block:: bash

        salt-run manage.down
        salt-run manage.down removekeys=True
        salt-run manage.down tgt="webservers" tgt_type="nodegroup"
    `

// Module returns the manage runner module.
func Module() *host.Module {
	common := []host.Param{host.Opt("tgt", "*"), host.Opt("tgt_type", "glob"), host.Opt("timeout", nil), host.Opt("gather_job_timeout", nil)}
	return &host.Module{Kind: host.Runner, Name: "manage", Doc: "General management functions for salt: which minions are up and down.",
		Funcs: []*host.Func{
			{Name: "status", Doc: statusDoc, Params: append([]host.Param{host.Opt("output", true)}, common...), Fn: func(ctx context.Context, c *host.Call) (any, error) {
				up, down, err := Status(ctx, c)
				if err != nil {
					return nil, err
				}
				return data.M("down", strs(down), "up", strs(up)), nil
			}},
			{Name: "up", Doc: upDoc, Params: common, Fn: func(ctx context.Context, c *host.Call) (any, error) {
				up, _, err := Status(ctx, c)
				return strs(up), err
			}},
			{Name: "down", Doc: downDoc, Params: append([]host.Param{host.Opt("removekeys", false)}, common...), Fn: func(ctx context.Context, c *host.Call) (any, error) {
				_, down, err := Status(ctx, c)
				if err != nil {
					return nil, err
				}
				if c.Bool("removekeys") && len(down) > 0 {
					cl, owned, err := client.FromEnv(c.Env, c.Env.Opts)
					if err != nil {
						return nil, err
					}
					if owned {
						defer cl.Close()
					}
					for _, id := range down {
						if _, err := cl.Wheel(ctx, "key.delete", data.M("match", id)); err != nil {
							return nil, err
						}
					}
				}
				return strs(down), nil
			}},
		}}
}

func strs(l []string) []any {
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = s
	}
	return out
}

func seconds(c *host.Call, name string) (time.Duration, error) {
	if v := c.Get(name); v == nil || !data.Truthy(v) {
		return 0, nil
	}
	n, err := c.Int(name)
	if err != nil {
		return 0, err
	}
	return time.Duration(n) * time.Second, nil
}

// Status pings the call's target (tgt, tgt_type) and returns the sorted
// ids of the minions that answered and of those that did not. A target
// that matches no minion gives two empty lists, as in Salt.
func Status(ctx context.Context, c *host.Call) (up, down []string, err error) {
	if c.Env == nil {
		return nil, nil, errors.New("manage: no master environment")
	}
	cl, owned, err := client.FromEnv(c.Env, c.Env.Opts)
	if err != nil {
		return nil, nil, err
	}
	if owned {
		defer cl.Close()
	}
	opts := []client.CmdOption{client.WithTgtType(c.Str("tgt_type"))}
	if d, err := seconds(c, "timeout"); err != nil {
		return nil, nil, err
	} else if d > 0 {
		opts = append(opts, client.WithTimeout(d))
	}
	if d, err := seconds(c, "gather_job_timeout"); err != nil {
		return nil, nil, err
	} else if d > 0 {
		opts = append(opts, client.WithGatherJobTimeout(d))
	}
	it, err := cl.CmdIter(ctx, c.Get("tgt"), "test.ping", nil, opts...)
	if errors.Is(err, client.ErrNoMinions) {
		// Salt's LocalClient prints this on the runner's stdout.
		if w := c.Env.Stdout; w != nil {
			fmt.Fprintln(w, err)
		}
		return []string{}, []string{}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	defer it.Close()
	returned := map[string]bool{}
	for {
		r, err := it.Next(ctx)
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, nil, err
		}
		if !r.Failed {
			returned[r.ID] = true
		}
	}
	up, down = []string{}, []string{}
	for id := range returned {
		up = append(up, id)
	}
	for _, id := range it.Job.Minions {
		if !returned[id] {
			down = append(down, id)
		}
	}
	sort.Strings(up)
	sort.Strings(down)
	return up, down, nil
}
