package render

import (
	"context"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
)

// HostFuncs returns the Salt and SaltHas of a template rendered for env:
// salt['mod.fun'](...) runs the execution function through host.Run (the
// one run path) with env, and 'mod.fun' in salt asks the registry. This is
// the one place templates reach execution modules (SLS files, file.managed
// templates, cp.get_template).
func HostFuncs(env *host.Env) (SaltFunc, func(fun string) bool) {
	call := func(ctx context.Context, fun string, args []any, kwargs *data.Map) (any, error) {
		all := append([]any{}, args...)
		if kwargs != nil && kwargs.Len() > 0 {
			kw := data.M("__kwarg__", true)
			kwargs.Range(func(k, v any) bool { kw.Set(k, v); return true })
			all = append(all, kw)
		}
		res := host.Run(ctx, env, host.Request{Kind: host.Exec, Fun: fun, Args: all})
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Return, nil
	}
	has := func(fun string) bool {
		f, _, err := host.Lookup(host.Exec, fun)
		return f != nil && err == nil
	}
	return call, has
}
