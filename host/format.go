package host

import (
	"errors"
	"fmt"
	"strings"
)

// This file formats the failures of Run as each front door's Python
// counterpart reports them: the texts and exit codes live here, in one
// place, and the front doors only print them.

// MinionReturn is what a Python minion returns for the run (return value,
// retcode, outputter): the function's return, or on a failure the text
// salt.minion.Minion._thread_return puts in the job return.
func (r Result) MinionReturn() (ret any, retcode int, out string) {
	if r.Err == nil {
		return r.Return, r.Retcode, r.Out
	}
	err, fun := r.Err, r.Fun
	var (
		unavail *UnavailableError
		cee     *CommandExecutionError
		inv     *InvocationError
		badkw   *InvalidKwargsError
		pnc     *PanicError
		sie     *SaltInvocationError
	)
	switch {
	case errors.As(err, &sie):
		ret = "ERROR executing '" + fun + "': " + sie.Msg
	case errors.Is(err, ErrNotAvailable):
		if docs := Docs(r.Kind, fun+"*"); docs.Len() > 0 {
			docs.Set(fun, MissingFunString(fun))
			ret = docs
		} else {
			ret = MissingFunString(fun)
		}
	case errors.As(err, &unavail):
		ret = MissingFunString(fun) + fmt.Sprintf(" Possible reasons: '%v'", unavail.Reason)
	case errors.As(err, &cee):
		ret = "ERROR: " + cee.Msg
	case errors.As(err, &badkw):
		ret = "ERROR executing '" + fun + "': " + badkw.Error()
	case errors.As(err, &inv):
		doc := ""
		if f, _, _ := Lookup(r.Kind, fun); f != nil {
			doc = f.Doc
		}
		ret = fmt.Sprintf("Passed invalid arguments to %s: %s\n%s", fun, inv.Msg, doc)
	case errors.As(err, &pnc):
		ret = "The minion function caused an exception: " + Traceback(pnc)
	default:
		ret = "The minion function caused an exception: " + Traceback(err)
	}
	return ret, 1, "nested"
}

// Exit codes of Salt's command lines.
const (
	ExitOK      = 0
	ExitGeneric = 1
	ExitUsage   = 64
	// ExitMissing is salt-call's sys.exit(-1) for a function that is not
	// available.
	ExitMissing = 255
)

// Failure is what a command line prints for a failed call instead of a
// result: text for its standard output and error, and its exit code.
type Failure struct {
	Stdout, Stderr string
	Code           int
}

// SaltCallFailure is what salt-call prints when the run failed, or nil
// when salt-call prints r's Return as a result: after a success, and for a
// missing function whose name starts others, whose docs SaltCallFailure
// then puts in r (retcode 1).
func (r *Result) SaltCallFailure() *Failure {
	if r.Err == nil {
		return nil
	}
	fun := r.Fun
	// A module found unavailable at lookup, or by the function itself when
	// called (lxc without its helper binary), prints the same way.
	if unavail := (*UnavailableError)(nil); errors.As(r.Err, &unavail) {
		return &Failure{Stderr: fmt.Sprintf("%s Possible reasons: %v\n", MissingFunString(fun), unavail.Reason), Code: ExitMissing}
	}
	if r.Stage == StageLookup {
		if docs := Docs(r.Kind, fun+"*"); docs.Len() > 0 {
			docs.Set(fun, MissingFunString(fun))
			r.Return, r.Retcode, r.Out = docs, ExitGeneric, "nested"
			return nil
		}
		return &Failure{Stderr: MissingFunString(fun) + "\n", Code: ExitMissing}
	}
	var (
		inv *InvocationError
		cee *CommandExecutionError
		bad *InvalidKwargsError
		sie *SaltInvocationError
	)
	switch {
	case errors.As(r.Err, &sie):
		// SaltInvocationError is a TypeError: salt-call's executor catches
		// it as one (checked live, 3007.14: state.sls with pillar='[1]').
		return &Failure{Stderr: fmt.Sprintf("\nPassed invalid arguments: %s.\n\nUsage:\n", sie.Msg), Stdout: r.Func.Doc + "\n", Code: ExitGeneric}
	case errors.As(r.Err, &inv):
		return &Failure{Stderr: fmt.Sprintf("\nPassed invalid arguments: %s.\n\nUsage:\n", inv.Msg), Stdout: r.Func.Doc + "\n", Code: ExitGeneric}
	case errors.As(r.Err, &bad):
		return &Failure{Stderr: bad.Error() + "\n", Code: ExitGeneric}
	case errors.As(r.Err, &cee):
		return &Failure{Stderr: fmt.Sprintf("Error running '%s': %s\n", fun, cee.Msg), Code: ExitGeneric}
	}
	tb := Traceback(r.Err)
	last := lastLine(tb)
	return &Failure{Stderr: fmt.Sprintf("[ERROR   ] An un-handled exception was caught by Salt's global exception handler:\n%s\n%s%s", last, tb, tb), Code: ExitGeneric}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// SaltRunReturn is what salt-run prints for the run (the data, the
// outputter, "" for the default, and the exit code before the return's own
// retcode counts): the function's return; for wrong arguments, Salt's
// "Passed invalid arguments" text (exit 0); for a function that is not
// there or keyword arguments it does not take, RunnerNotAvailable (exit
// 0); for any other failure "Exception occurred in runner" and the
// traceback (exit 1).
func (r Result) SaltRunReturn() (ret any, out string, code int) {
	if r.Err == nil {
		return r.Return, r.Out, ExitOK
	}
	if r.Stage != StageCall {
		return RunnerNotAvailable(r.Fun, r.Err), "nested", ExitOK
	}
	var inv *InvocationError
	if errors.As(r.Err, &inv) {
		return fmt.Sprintf("\nPassed invalid arguments: %s\n\nUsage:\n%s", inv.Msg, r.Func.Doc), "", ExitOK
	}
	return fmt.Sprintf("Exception occurred in runner %s: %s", r.Fun, Traceback(r.Err)), "", ExitGeneric
}

// RunnerNotAvailable is what salt-run prints (with the nested outputter,
// exit 0) when fun cannot be run: the docs of the runner functions
// starting with fun, else Salt's "is not available" text, or err's text
// when it is neither a missing nor an unavailable function; with no
// function at all, the docs of every runner function.
func RunnerNotAvailable(fun string, err error) any {
	if fun == "" {
		return Docs(Runner, "*")
	}
	if docs := Docs(Runner, fun+"*"); docs.Len() > 0 {
		return docs
	}
	if !errors.Is(err, ErrNotAvailable) {
		var ua *UnavailableError
		if !errors.As(err, &ua) {
			return err.Error()
		}
	}
	return MissingFunString(fun)
}
