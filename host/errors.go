package host

import (
	"errors"
	"fmt"
)

// ErrNotAvailable is returned by Lookup for an unknown function.
var ErrNotAvailable = errors.New("function not available")

// MissingFunString is Salt's text for a function that is not available.
func MissingFunString(fun string) string { return fmt.Sprintf("'%s' is not available.", fun) }

// UnavailableError says that a module exists but cannot load here.
type UnavailableError struct {
	Module string
	Reason error
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("module %s is unavailable: %v", e.Module, e.Reason)
}

func (e *UnavailableError) Unwrap() error { return e.Reason }

// CommandExecutionError mirrors salt.exceptions.CommandExecutionError: the
// function ran but failed. salt-call prints "Error running '<fun>': <msg>".
type CommandExecutionError struct{ Msg string }

func (e *CommandExecutionError) Error() string { return e.Msg }

// Errorf builds a CommandExecutionError.
func Errorf(format string, a ...any) error {
	return &CommandExecutionError{Msg: fmt.Sprintf(format, a...)}
}

// InvocationError mirrors salt.exceptions.SaltInvocationError and Python's
// TypeError on a call: the arguments are wrong. salt-call prints
// "Passed invalid arguments: <msg>." and the function's docstring.
type InvocationError struct{ Msg string }

func (e *InvocationError) Error() string { return e.Msg }

// Invalidf builds an InvocationError.
func Invalidf(format string, a ...any) error {
	return &InvocationError{Msg: fmt.Sprintf(format, a...)}
}

// SaltInvocationError is a salt.exceptions.SaltInvocationError raised by a
// function's own checks (not by the argument binding, which is an
// InvocationError): a minion returns "ERROR executing '<fun>': <msg>",
// salt-call prints "Passed invalid arguments: <msg>." and the docstring, exit
// 1 (SaltInvocationError is a TypeError to salt-call's executor).
type SaltInvocationError struct{ Msg string }

func (e *SaltInvocationError) Error() string { return e.Msg }

// InvocationErrorf builds a SaltInvocationError.
func InvocationErrorf(format string, a ...any) error {
	return &SaltInvocationError{Msg: fmt.Sprintf(format, a...)}
}

// InvalidKwargsError mirrors salt.utils.args.invalid_kwargs: keyword
// arguments the function does not take.
type InvalidKwargsError struct{ Pairs []string }

func (e *InvalidKwargsError) Error() string {
	s := "The following keyword arguments are not valid: "
	for i, p := range e.Pairs {
		if i > 0 {
			s += ", "
		}
		s += p
	}
	return s
}

// PanicError is a Go panic recovered inside a module function; it is
// reported the way Salt reports an un-handled exception.
type PanicError struct {
	Value any
	Stack string
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }
