package host

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/saltgo/saltgo/data"
)

// Request is one function call a front door asks the host to run.
type Request struct {
	Kind Kind
	// Fun is "module.function".
	Fun string
	// Args is a Salt argument list: positional values, maps flagged
	// __kwarg__ and "name=value" strings (ParseInput builds one from
	// command-line words; a publish carries one).
	Args []any
	// Pub is the publish data (jid, fun, tgt, user...) or salt-call's
	// local job data, passed as __pub_* keyword arguments to functions
	// that take **kwargs; nil when there is none.
	Pub *data.Map
}

// Stage says where a run stopped when it failed.
type Stage int

// The stages of Run, in order.
const (
	// StageLookup: the function is unknown, or its module does not load
	// here (Err is ErrNotAvailable or an *UnavailableError).
	StageLookup Stage = iota + 1
	// StageArgs: the argument list carries keyword arguments the function
	// does not take (Err is an *InvalidKwargsError).
	StageArgs
	// StageCall: the arguments do not fit the parameters, or the function
	// failed or panicked.
	StageCall
)

// Result is the outcome of a function run.
type Result struct {
	Kind Kind
	Fun  string
	// Func is the function that was looked up; nil when the lookup failed.
	Func *Func
	// Return is the function's return value. Execute replaces it, on a
	// failure, with the text a Python minion returns.
	Return  any
	Retcode int
	Success bool
	// Out is the outputter to ask for ("nested" on errors, or the
	// function's own outputter); empty means the default.
	Out string
	// Err is the error the run failed with, if any, and Stage where.
	Err   error
	Stage Stage
}

// Run is the one run path of every front door (a job published to the
// minion, salt-call, salt-run): look fun up, load and bind the arguments
// with Salt's rules, invoke the function with env and recover its panics.
// It does not format failures: the front door does that with the Result's
// MinionReturn, SaltCallFailure or SaltRunReturn, so that each prints
// exactly what its Python counterpart prints.
func Run(ctx context.Context, env *Env, req Request) Result {
	res := Result{Kind: req.Kind, Fun: req.Fun}
	f, _, err := Lookup(req.Kind, req.Fun)
	if err != nil {
		return res.fail(StageLookup, err)
	}
	res.Func = f
	pos, kw, err := LoadArgs(f, req.Args, req.Pub)
	if err != nil {
		return res.fail(StageArgs, err)
	}
	c, err := Bind(f, pos, kw)
	if err != nil {
		return res.fail(StageCall, err)
	}
	c.Env, c.Fun, c.Pub = env, req.Fun, req.Pub
	ret, err := Invoke(withJobRetcode(ctx, &c.Retcode), c)
	if err != nil {
		return res.fail(StageCall, err)
	}
	res.Return, res.Retcode, res.Out = ret, c.Retcode, f.Outputter
	if res.Retcode == 0 && !ResultOK(ret) {
		res.Retcode = 1
	}
	res.Success = res.Retcode == 0
	return res
}

func (r Result) fail(stage Stage, err error) Result {
	r.Stage, r.Err, r.Retcode, r.Out = stage, err, 1, "nested"
	return r
}

// Execute runs fun the way a Python minion runs a published job
// (salt.minion.Minion._thread_return): Run, then a failure becomes the
// text a Python minion returns (MinionReturn), with retcode 1.
func Execute(ctx context.Context, env *Env, kind Kind, fun string, args []any, pub *data.Map) Result {
	r := Run(ctx, env, Request{Kind: kind, Fun: fun, Args: args, Pub: pub})
	r.Return, r.Retcode, r.Out = r.MinionReturn()
	return r
}

// ResultOK is Salt's check on a returned dict: a "result" or "success" key
// holding a false value marks the call as failed.
func ResultOK(ret any) bool {
	m, ok := ret.(*data.Map)
	if !ok {
		return true
	}
	for _, k := range []string{"result", "success"} {
		if v, ok := m.Get(k); ok && !data.Truthy(v) {
			return false
		}
	}
	return true
}

// Traceback renders an error the way a Python traceback ends, so that
// operators see familiar text: the Go stack (for panics) then the error.
func Traceback(err error) string {
	var pnc *PanicError
	if errors.As(err, &pnc) {
		return "Traceback (most recent call last):\n" + indent(pnc.Stack) + fmt.Sprintf("GoPanic: %v\n", pnc.Value)
	}
	return "Traceback (most recent call last):\n  <saltgo: Go function, no Python frames>\n" + err.Error() + "\n"
}

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}

// Docs returns {"module.function": docstring} for the functions of a kind
// whose names match a shell glob (sys.doc's matching).
func Docs(kind Kind, pattern string) *data.Map {
	out := data.NewMap()
	for _, name := range FunctionNames(kind) {
		if ok, _ := path.Match(pattern, name); ok {
			f, _, _ := Lookup(kind, name)
			if f != nil {
				out.Set(name, StripRST(f.Doc))
			}
		}
	}
	return out
}

var rstRules = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(` *\.\. code-block:: \S+\n{1,2}`), ""},
	{regexp.MustCompile(`\.\. note::`), "Note:"},
	{regexp.MustCompile(`\.\. warning::`), "Warning:"},
	{regexp.MustCompile(`\.\. versionadded::`), "New in version"},
	{regexp.MustCompile(`\.\. versionchanged::`), "Changed in version"},
}

// StripRST removes reStructuredText directives from a docstring as sys.doc
// does.
func StripRST(s string) string {
	for _, r := range rstRules {
		s = r.re.ReplaceAllString(s, r.repl)
	}
	return s
}
