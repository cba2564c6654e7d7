package host

import (
	"context"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/transport/payload"
)

// FuzzJobLoad decodes arbitrary bytes as a publish load, as the minion
// receives it once decrypted, and runs its fun/arg through the one run path
// (lookup, argument loading with __kwarg__ maps and k=v strings, binding,
// invocation) and the job return's formatting: an error return, never a
// panic. Only the fuzz module's functions can be reached.
func FuzzJobLoad(f *testing.F) {
	Register(&Module{Kind: Exec, Name: "fuzzload", Funcs: []*Func{
		{Name: "args", Params: []Param{Req("a"), Opt("b", nil)}, VarArgs: true, VarKwargs: true,
			Fn: func(_ context.Context, c *Call) (any, error) {
				return data.M("args", c.Args(), "kwargs", c.Kwargs()), nil
			}},
		{Name: "two", Params: []Param{Req("a"), Req("b")},
			Fn: func(_ context.Context, c *Call) (any, error) { return []any{c.Get("a"), c.Get("b")}, nil }},
		{Name: "none", Fn: func(context.Context, *Call) (any, error) { return nil, nil }},
	}})
	for _, load := range []*data.Map{
		data.M("fun", "fuzzload.args", "arg", []any{int64(1), "b=2", data.M("__kwarg__", true, "x", "y")}, "jid", "20261203103041123456", "tgt", "*"),
		data.M("fun", "fuzzload.two", "arg", []any{"1"}, "jid", "20261203103041123456", "tgt", "*", "user", "root"),
		data.M("fun", "fuzzload.none", "arg", []any{data.M("__kwarg__", true)}, "jid", "req"),
		data.M("fun", []any{"fuzzload.none", "fuzzload.two"}, "arg", []any{[]any{}, []any{int64(1), int64(2)}}),
		data.M("fun", "fuzzload.nosuch", "arg", "not a list"),
	} {
		b, err := payload.Encode(load)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := payload.Decode(b)
		if err != nil {
			return
		}
		load, ok := v.(*data.Map)
		if !ok {
			return
		}
		fun, _ := load.String("fun")
		if fun == "" {
			return
		}
		fun = "fuzzload." + fun[strings.LastIndex(fun, ".")+1:] // stay inside the fuzz module
		argv, _ := load.Get("arg")
		args, _ := argv.([]any)
		r := Run(context.Background(), &Env{ID: "fuzz"}, Request{Kind: Exec, Fun: fun, Args: args, Pub: load})
		_, _, _ = r.MinionReturn()
		_ = r.SaltCallFailure()
	})
}
