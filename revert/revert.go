// Package revert is an undo stack for multi-step changes that can fail
// halfway (Incus' revert package): bridge set-up, VM steps, image swaps.
package revert

import (
	"errors"
	"fmt"
)

// Reverter is a stack of undo steps for a multi-step operation (Incus'
// revert.Reverter pattern): each step that changes the system pushes its
// undo with Add; on any later failure a deferred Fail runs the undos in
// reverse order, and Success disarms them once the operation is complete.
//
//	r := New()
//	defer r.Fail()
//	... r.Add("destroy container", destroy) ...
//	r.Success()
type Reverter struct {
	steps []revertStep
	done  bool
	err   error
}

type revertStep struct {
	desc string
	fn   func() error
}

// New returns an armed, empty Reverter.
func New() *Reverter { return &Reverter{} }

// Add pushes an undo step; desc names it in the error Fail returns.
func (r *Reverter) Add(desc string, fn func() error) {
	r.steps = append(r.steps, revertStep{desc: desc, fn: fn})
}

// Success disarms the Reverter: a later Fail does nothing.
func (r *Reverter) Success() { r.done = true }

// Fail runs the undo steps in reverse order (once) unless Success was
// called, and returns the joined errors of the steps that failed; it is
// also kept for Err.
func (r *Reverter) Fail() error {
	if r.done {
		return nil
	}
	r.done = true
	var errs []error
	for i := len(r.steps) - 1; i >= 0; i-- {
		s := r.steps[i]
		if err := s.fn(); err != nil {
			errs = append(errs, fmt.Errorf("revert %s: %w", s.desc, err))
		}
	}
	r.steps = nil
	r.err = errors.Join(errs...)
	return r.err
}

// Err returns the error of the last Fail, if any.
func (r *Reverter) Err() error { return r.err }
