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

// Prepare looks fun up and binds args (a Salt argument list: positional
// values, __kwarg__ maps and "k=v" strings) for it. pub is the publish or
// local job data, passed as __pub_* keyword arguments to functions that
// take **kwargs.
func Prepare(env *Env, kind Kind, fun string, args []any, pub *data.Map) (*Call, error) {
	f, _, err := Lookup(kind, fun)
	if err != nil {
		return nil, err
	}
	pos, kw, err := LoadArgs(f, args, pub)
	if err != nil {
		return nil, err
	}
	c, err := Bind(f, pos, kw)
	if err != nil {
		return nil, err
	}
	c.Env, c.Fun, c.Pub = env, fun, pub
	return c, nil
}

// Result is the outcome of a function run as a Python minion reports it in
// its _return load.
type Result struct {
	Return  any
	Retcode int
	Success bool
	// Out is the outputter the minion asks for ("nested" on errors, or the
	// function's own outputter); empty means the default.
	Out string
	// Err is the error the function failed with, if any.
	Err error
}

// Execute runs fun the way a Python minion runs a published job
// (salt.minion.Minion._thread_return): errors become the texts a Python
// minion returns, with retcode 1.
func Execute(ctx context.Context, env *Env, kind Kind, fun string, args []any, pub *data.Map) Result {
	c, err := Prepare(env, kind, fun, args, pub)
	if err != nil {
		return failure(kind, fun, err)
	}
	ret, err := Invoke(ctx, c)
	if err != nil {
		return failure(kind, fun, err)
	}
	res := Result{Return: ret, Retcode: c.Retcode, Out: c.Func.Outputter}
	if res.Retcode == 0 && !ResultOK(ret) {
		res.Retcode = 1
	}
	res.Success = res.Retcode == 0
	return res
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

func failure(kind Kind, fun string, err error) Result {
	r := Result{Retcode: 1, Out: "nested", Err: err}
	var (
		unavail *UnavailableError
		cee     *CommandExecutionError
		inv     *InvocationError
		badkw   *InvalidKwargsError
		pnc     *PanicError
	)
	switch {
	case errors.Is(err, ErrNotAvailable):
		if docs := Docs(kind, fun+"*"); docs.Len() > 0 {
			docs.Set(fun, MissingFunString(fun))
			r.Return = docs
		} else {
			r.Return = MissingFunString(fun)
		}
	case errors.As(err, &unavail):
		r.Return = MissingFunString(fun) + fmt.Sprintf(" Possible reasons: '%v'", unavail.Reason)
	case errors.As(err, &cee):
		r.Return = "ERROR: " + cee.Msg
	case errors.As(err, &badkw):
		r.Return = "ERROR executing '" + fun + "': " + badkw.Error()
	case errors.As(err, &inv):
		doc := ""
		if f, _, _ := Lookup(kind, fun); f != nil {
			doc = f.Doc
		}
		r.Return = fmt.Sprintf("Passed invalid arguments to %s: %s\n%s", fun, inv.Msg, doc)
	case errors.As(err, &pnc):
		r.Return = "The minion function caused an exception: " + Traceback(pnc)
	default:
		r.Return = "The minion function caused an exception: " + Traceback(err)
	}
	return r
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
