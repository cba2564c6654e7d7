// Package test is Salt's test execution module: functions that check that a
// minion answers and that arguments, return codes and outputters work.
package test

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"math/big"
	mrand "math/rand/v2"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/version"
)

func init() {
	host.Register(&host.Module{Kind: host.Exec, Name: "test", Doc: "Module for running arbitrary tests.", Funcs: []*host.Func{
		{Name: "arg", VarArgs: true, VarKwargs: true, Doc: doc(`Return the positional and keyword arguments received, including the
publish data (__pub_*), to check argument passing.

CLI Example:

    salt '*' test.arg 1 two 3.5 kw=yes`), Fn: arg},
		{Name: "arg_clean", VarArgs: true, VarKwargs: true, Doc: doc(`Like test.arg, without the __pub_* keyword arguments.

CLI Example:

    salt '*' test.arg_clean 1 two kw=yes`), Fn: argClean},
		{Name: "arg_repr", VarArgs: true, VarKwargs: true, Doc: doc(`Like test.arg, with the arguments rendered as Python repr strings.

CLI Example:

    salt '*' test.arg_repr 1 two kw=yes`), Fn: argRepr},
		{Name: "arg_type", VarArgs: true, VarKwargs: true, Doc: doc(`Return the Python type name of every argument received.

CLI Example:

    salt '*' test.arg_type 1 two 3.5`), Fn: argType},
		{Name: "assertion", Params: []host.Param{host.Req("assertion")}, Doc: doc(`Fail when the argument is false.

CLI Example:

    salt '*' test.assertion False`), Fn: assertion},
		{Name: "attr_call", Doc: doc(`Return the grains (checks calls between modules).

CLI Example:

    salt '*' test.attr_call`), Fn: attrCall},
		{Name: "collatz", Params: []host.Param{host.Req("start")}, Doc: doc(`Compute the Collatz sequence from a start number; returns the sequence
and the seconds it took.

CLI Example:

    salt '*' test.collatz 3`), Fn: collatz},
		{Name: "conf_test", Doc: doc(`Return the test.foo configuration value, or "baz".

CLI Example:

    salt '*' test.conf_test`), Fn: confTest},
		{Name: "cross_test", Params: []host.Param{host.Req("func"), host.Opt("args", nil)}, Doc: doc(`Call another execution function with a list of arguments.

CLI Example:

    salt '*' test.cross_test test.echo "[hello]"`), Fn: crossTest},
		{Name: "deprecation_warning", Doc: doc(`Return True (kept for compatibility; saltgo emits no warning).

CLI Example:

    salt '*' test.deprecation_warning`), Fn: func(context.Context, *host.Call) (any, error) { return true, nil }},
		{Name: "echo", Params: []host.Param{host.Req("text")}, Doc: doc(`Return the text given.

CLI Example:

    salt '*' test.echo 'hello world'`), Fn: func(_ context.Context, c *host.Call) (any, error) { return c.Get("text"), nil }},
		{Name: "exception", Params: []host.Param{host.Opt("message", "Test Exception")}, Doc: doc(`Fail with a CommandExecutionError carrying the message.

CLI Example:

    salt '*' test.exception 'Oh no'`), Fn: func(_ context.Context, c *host.Call) (any, error) {
			return nil, host.Errorf("%s", c.Str("message"))
		}},
		{Name: "false", Doc: doc(`Return False.

CLI Example:

    salt '*' test.false`), Fn: func(context.Context, *host.Call) (any, error) { return false, nil }},
		{Name: "fib", Params: []host.Param{host.Req("num")}, Doc: doc(`Compute the Fibonacci number of num; returns it and the seconds it took.

CLI Example:

    salt '*' test.fib 30`), Fn: fib},
		{Name: "get_opts", Doc: doc(`Return this host's configuration.

CLI Example:

    salt '*' test.get_opts`), Fn: func(_ context.Context, c *host.Call) (any, error) { return c.Env.Opts, nil }},
		{Name: "kwarg", VarKwargs: true, Doc: doc(`Return the keyword arguments received, including the publish data.

CLI Example:

    salt '*' test.kwarg num=1 txt=two`), Fn: func(_ context.Context, c *host.Call) (any, error) { return c.Kwargs(), nil }},
		{Name: "module_report", Doc: doc(`Report the execution functions this host serves.

CLI Example:

    salt '*' test.module_report`), Fn: moduleReport},
		{Name: "not_loaded", Doc: doc(`List the modules that are compiled in but unavailable on this host.

CLI Example:

    salt '*' test.not_loaded`), Fn: notLoaded},
		{Name: "opts_pkg", Doc: doc(`Return the configuration with the grains and pillar added.

CLI Example:

    salt '*' test.opts_pkg`), Fn: optsPkg},
		{Name: "outputter", Params: []host.Param{host.Req("data")}, Doc: doc(`Return the data given, to try an outputter.

CLI Example:

    salt '*' test.outputter foobar`), Fn: func(_ context.Context, c *host.Call) (any, error) { return c.Get("data"), nil }},
		{Name: "ping", Doc: doc(`Check that the minion answers (not an ICMP ping). Returns True.

CLI Example:

    salt '*' test.ping`), Fn: func(context.Context, *host.Call) (any, error) { return true, nil }},
		{Name: "provider", Params: []host.Param{host.Req("module")}, Doc: doc(`Return the module that provides a virtual module name.

CLI Example:

    salt '*' test.provider test`), Fn: provider},
		{Name: "providers", Doc: doc(`Return the virtual module names and their providers.

CLI Example:

    salt '*' test.providers`), Fn: providers},
		{Name: "raise_exception", Params: []host.Param{host.Req("name")}, VarArgs: true, VarKwargs: true, Doc: doc(`Fail with the named Salt or Python exception and message; an unknown
name returns False.

CLI Example:

    salt '*' test.raise_exception CommandExecutionError "went wrong"`), Fn: raiseException},
		{Name: "rand_sleep", Params: []host.Param{host.Opt("max", int64(60))}, Doc: doc(`Sleep for a random number of seconds up to max.

CLI Example:

    salt '*' test.rand_sleep 60`), Fn: randSleep},
		{Name: "rand_str", Params: []host.Param{host.Opt("size", int64(9999999999)), host.Opt("hash_type", nil)}, Doc: doc(`Old name of test.random_hash.`), Fn: randomHash},
		{Name: "random_hash", Params: []host.Param{host.Opt("size", int64(9999999999)), host.Opt("hash_type", nil)}, Doc: doc(`Hash a random number between 1 and size with hash_type (default: the
hash_type option, sha256).

CLI Example:

    salt '*' test.random_hash hash_type=sha512`), Fn: randomHash},
		{Name: "retcode", Params: []host.Param{host.Opt("code", int64(42))}, Doc: doc(`Return True and set the job's return code to code.

CLI Example:

    salt '*' test.retcode 42`), Fn: retcode},
		{Name: "sleep", Params: []host.Param{host.Req("length")}, Doc: doc(`Sleep for length seconds, then return True.

CLI Example:

    salt '*' test.sleep 20`), Fn: sleep},
		{Name: "stack", Doc: doc(`Return the current stack of the function call.

CLI Example:

    salt '*' test.stack`), Fn: func(context.Context, *host.Call) (any, error) { return string(debug.Stack()), nil }},
		{Name: "true", Doc: doc(`Return True.

CLI Example:

    salt '*' test.true`), Fn: func(context.Context, *host.Call) (any, error) { return true, nil }},
		{Name: "try", Params: []host.Param{host.Req("module"), host.Opt("return_try_exception", false)}, VarKwargs: true, Doc: doc(`Run an execution function with keyword arguments; on failure return
None, or the error when return_try_exception is True.

CLI Example:

    salt '*' test.try test.echo text=hi`), Fn: try_},
		{Name: "tty", VarArgs: true, VarKwargs: true, Doc: doc(`Moved to cmd.tty; returns an error text.`), Fn: func(context.Context, *host.Call) (any, error) {
			return "ERROR: This function has been moved to cmd.tty", nil
		}},
		{Name: "version", Doc: doc(`Return the Salt version this minion speaks.

CLI Example:

    salt '*' test.version`), Fn: func(context.Context, *host.Call) (any, error) { return version.Salt, nil }},
		{Name: "versions", Doc: doc(`Same as test.versions_report.

CLI Example:

    salt '*' test.versions`), Fn: versionsReport},
		{Name: "versions_information", Doc: doc(`Return the versions of saltgo and its platform as a dict.

CLI Example:

    salt '*' test.versions_information`), Fn: versionsInformation},
		{Name: "versions_report", Doc: doc(`Return the versions of saltgo and its platform as text.

CLI Example:

    salt '*' test.versions_report`), Fn: versionsReport},
	}})
}

// doc indents a docstring the way a Python docstring arrives (a leading
// newline, four-space indentation, trailing indentation line).
func doc(s string) string {
	var b strings.Builder
	b.WriteString("\n")
	for _, l := range strings.Split(s, "\n") {
		if l == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString("    " + l + "\n")
	}
	b.WriteString("    ")
	return b.String()
}

func arg(_ context.Context, c *host.Call) (any, error) {
	return data.M("args", nonNil(c.Args()), "kwargs", c.Kwargs()), nil
}

func argClean(_ context.Context, c *host.Call) (any, error) {
	kw := data.NewMap()
	c.Kwargs().Range(func(k, v any) bool {
		if s, _ := k.(string); !strings.HasPrefix(s, "__") {
			kw.Set(k, v)
		}
		return true
	})
	return data.M("args", nonNil(c.Args()), "kwargs", kw), nil
}

func argRepr(_ context.Context, c *host.Call) (any, error) {
	return data.M("args", data.Repr(data.Tuple(c.Args())), "kwargs", data.Repr(c.Kwargs())), nil
}

func argType(_ context.Context, c *host.Call) (any, error) {
	args := []any{}
	for _, a := range c.Args() {
		args = append(args, data.TypeStr(a))
	}
	kw := data.NewMap()
	c.Kwargs().Range(func(k, v any) bool { kw.Set(k, data.TypeStr(v)); return true })
	return data.M("args", args, "kwargs", kw), nil
}

func nonNil(a []any) []any {
	if a == nil {
		return []any{}
	}
	return a
}

func assertion(_ context.Context, c *host.Call) (any, error) {
	if !data.Truthy(c.Get("assertion")) {
		return nil, errors.New("AssertionError")
	}
	return nil, nil
}

func attrCall(ctx context.Context, c *host.Call) (any, error) {
	return c.Env.Grains, nil
}

// positiveInt returns the call's integer argument name, which must be at
// least 1.
func positiveInt(c *host.Call, name string) (int64, error) {
	n, err := c.Int(name)
	if err != nil {
		return 0, err
	}
	if n < 1 {
		return 0, host.Invalidf("%s must be a positive integer", name)
	}
	return n, nil
}

func collatz(_ context.Context, c *host.Call) (any, error) {
	n, err := positiveInt(c, "start")
	if err != nil {
		return nil, err
	}
	begin := time.Now()
	steps := []any{}
	for n != 1 {
		steps = append(steps, n)
		if n%2 == 0 {
			n /= 2
		} else {
			n = 3*n + 1
		}
	}
	return []any{steps, time.Since(begin).Seconds()}, nil
}

func confTest(_ context.Context, c *host.Call) (any, error) {
	if v, ok := c.Env.Opt("test.foo"); ok {
		return v, nil
	}
	return "baz", nil
}

func crossTest(ctx context.Context, c *host.Call) (any, error) {
	args := []any{}
	if l, ok := c.Get("args").([]any); ok {
		args = l
	}
	r := host.Execute(ctx, c.Env, host.Exec, c.Str("func"), args, nil)
	if r.Err != nil {
		return nil, r.Err
	}
	return r.Return, nil
}

func fib(_ context.Context, c *host.Call) (any, error) {
	num, err := c.Int("num")
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if num < 2 {
		return []any{num, time.Since(start).Seconds()}, nil
	}
	prev, curr := big.NewInt(0), big.NewInt(1)
	for i := int64(1); i < num; i++ {
		prev.Add(prev, curr)
		prev, curr = curr, prev
	}
	var v any = curr
	if curr.IsInt64() {
		v = curr.Int64()
	}
	return []any{v, time.Since(start).Seconds()}, nil
}

func moduleReport(_ context.Context, c *host.Call) (any, error) {
	fns := host.FunctionNames(host.Exec)
	list := make([]any, len(fns))
	for i, f := range fns {
		list[i] = f
	}
	return data.M("functions", list, "function_attrs", []any{}, "function_subs", []any{}, "modules", []any{}, "module_attrs", []any{}, "missing_attrs", []any{}, "missing_subs", []any{}), nil
}

func notLoaded(_ context.Context, c *host.Call) (any, error) {
	var out []string
	for _, m := range host.Modules(host.Exec) {
		if m.Available() != nil {
			out = append(out, m.Name)
		}
	}
	sort.Strings(out)
	l := []any{}
	for _, s := range out {
		l = append(l, s)
	}
	return l, nil
}

func optsPkg(_ context.Context, c *host.Call) (any, error) {
	m := c.Env.Opts.Copy()
	m.Set("grains", c.Env.Grains)
	m.Set("pillar", c.Env.Pillar)
	return m, nil
}

func provider(_ context.Context, c *host.Call) (any, error) {
	mod := c.Str("module")
	if _, ok := host.GetModule(host.Exec, mod); !ok {
		return "", nil
	}
	return mod, nil
}

func providers(_ context.Context, c *host.Call) (any, error) {
	m := data.NewMap()
	for _, mod := range host.Modules(host.Exec) {
		if mod.Available() == nil {
			m.Set(mod.Name, mod.Name)
		}
	}
	return m, nil
}

func raiseException(_ context.Context, c *host.Call) (any, error) {
	name := c.Str("name")
	msg := ""
	if len(c.Args()) > 0 {
		msg = data.Str(c.Args()[0])
	}
	switch name {
	case "salt.exceptions.CommandExecutionError", "CommandExecutionError":
		return nil, host.Errorf("%s", msg)
	case "salt.exceptions.SaltInvocationError", "SaltInvocationError", "TypeError":
		return nil, host.Invalidf("%s", msg)
	case "ValueError", "RuntimeError", "Exception", "KeyError", "OSError", "AssertionError":
		return nil, fmt.Errorf("%s: %s", name, msg)
	}
	return false, nil
}

func randSleep(ctx context.Context, c *host.Call) (any, error) {
	max, err := c.Int("max")
	if err != nil {
		return nil, err
	}
	if max < 1 {
		max = 1
	}
	d := time.Duration(mrand.Int64N(max)+1) * time.Second
	return wait(ctx, d)
}

func sleep(ctx context.Context, c *host.Call) (any, error) {
	var secs float64
	switch v := data.Normalize(c.Get("length")).(type) {
	case int64:
		secs = float64(v)
	case float64:
		secs = v
	case string:
		if _, err := fmt.Sscan(v, &secs); err != nil {
			return nil, host.Invalidf("could not convert string to float: '%s'", v)
		}
	default:
		return nil, host.Invalidf("length must be a number")
	}
	return wait(ctx, time.Duration(secs*float64(time.Second)))
}

func wait(ctx context.Context, d time.Duration) (any, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true, nil
	case <-ctx.Done():
		return nil, host.Errorf("interrupted: %v", ctx.Err())
	}
}

// hashTypes are the hash_type values test.random_hash accepts.
var hashTypes = map[string]func() hash.Hash{
	"md5":    md5.New,
	"sha1":   sha1.New,
	"sha224": sha256.New224,
	"sha256": sha256.New,
	"sha384": sha512.New384,
	"sha512": sha512.New,
}

func randomHash(_ context.Context, c *host.Call) (any, error) {
	size, err := positiveInt(c, "size")
	if err != nil {
		return nil, err
	}
	ht := c.Str("hash_type")
	if ht == "" {
		if v, ok := c.Env.Opt("hash_type"); ok {
			ht, _ = data.AsString(v)
		}
	}
	if ht == "" {
		ht = "sha256"
	}
	newHash, ok := hashTypes[ht]
	if !ok {
		return nil, host.Invalidf("Hash type %s not supported", ht)
	}
	h := newHash()
	n, err := rand.Int(rand.Reader, big.NewInt(size))
	if err != nil {
		return nil, err
	}
	fmt.Fprint(h, n.Int64()+1)
	return hex.EncodeToString(h.Sum(nil)), nil
}

func retcode(_ context.Context, c *host.Call) (any, error) {
	n, err := c.Int("code")
	if err != nil {
		return nil, err
	}
	c.Retcode = int(n)
	return true, nil
}

func try_(ctx context.Context, c *host.Call) (any, error) {
	kw := data.NewMap()
	kw.Set("__kwarg__", true)
	c.Kwargs().Range(func(k, v any) bool {
		if s, _ := k.(string); !strings.HasPrefix(s, "__pub_") {
			kw.Set(k, v)
		}
		return true
	})
	r := host.Execute(ctx, c.Env, host.Exec, c.Str("module"), []any{kw}, nil)
	if r.Err != nil {
		if c.Bool("return_try_exception") {
			return r.Err.Error(), nil
		}
		return nil, nil
	}
	return r.Return, nil
}

func versionsInformation(context.Context, *host.Call) (any, error) {
	return data.M(
		"Salt Version", data.M("Salt", version.Salt, "saltgo", version.Version),
		"System Versions", data.M("Go", runtime.Version(), "os", runtime.GOOS, "arch", runtime.GOARCH),
	), nil
}

func versionsReport(context.Context, *host.Call) (any, error) { return version.Report(), nil }
