package mccloudlxc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/saltgo/saltgo/client"
	"github.com/saltgo/saltgo/data"
)

// ErrUnreachable marks a compute node (or VM) minion that did not answer.
var ErrUnreachable = errors.New("unreachable")

// UnreachableError says which minion did not answer, and to what.
type UnreachableError struct {
	ID  string
	Fun string
	Why string
}

func (e *UnreachableError) Error() string {
	s := fmt.Sprintf("Target %s unreachable", e.ID)
	if e.Fun != "" {
		s += " (no return to " + e.Fun + ")"
	}
	if e.Why != "" {
		s += ": " + e.Why
	}
	return s
}

// Is makes errors.Is(err, ErrUnreachable) true.
func (e *UnreachableError) Is(t error) bool { return t == ErrUnreachable }

// UnknownMinionError is a target the master has no accepted key for.
type UnknownMinionError struct{ ID string }

func (e *UnknownMinionError) Error() string {
	return fmt.Sprintf("minion %s is not known to the master (no accepted key): check the compute node id, or accept its key with salt-key", e.ID)
}

// Node runs execution functions on minions through the master. The runner
// never talks to a compute node directly.
type Node interface {
	// Ping reports whether minion id answers test.ping within timeout.
	Ping(ctx context.Context, id string, timeout time.Duration) (bool, error)
	// Call runs fun on minion id and returns its return value and retcode.
	// A minion that never returns gives an *UnreachableError; an unknown
	// minion an *UnknownMinionError.
	Call(ctx context.Context, id, fun string, args []any, kwargs *data.Map, timeout time.Duration) (any, int, error)
	// Wheel runs a wheel function on the master (key.delete...).
	Wheel(ctx context.Context, fun string, kwargs *data.Map) (*data.Map, error)
}

// ClientNode is the Node of a real deployment: client.Client jobs published
// through the master to one minion (list target), with Salt's waiting
// rules (the job may run for long as long as the minion reports it running).
type ClientNode struct {
	C *client.Client
	// GatherJobTimeout overrides the find_job round (0 keeps the client's).
	GatherJobTimeout time.Duration
}

func (n *ClientNode) opts(timeout time.Duration, kw *data.Map) []client.CmdOption {
	o := []client.CmdOption{client.WithTgtType("list"), client.WithExpectMinions()}
	if timeout > 0 {
		o = append(o, client.WithTimeout(timeout))
	}
	if n.GatherJobTimeout > 0 {
		o = append(o, client.WithGatherJobTimeout(n.GatherJobTimeout))
	}
	if kw != nil && kw.Len() > 0 {
		o = append(o, client.WithKwargs(kw))
	}
	return o
}

// Ping implements Node.
func (n *ClientNode) Ping(ctx context.Context, id string, timeout time.Duration) (bool, error) {
	ret, _, err := n.Call(ctx, id, "test.ping", nil, nil, timeout)
	if errors.Is(err, ErrUnreachable) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return ret == true, nil
}

// Call implements Node.
func (n *ClientNode) Call(ctx context.Context, id, fun string, args []any, kwargs *data.Map, timeout time.Duration) (any, int, error) {
	rets, err := n.C.Cmd(ctx, []any{id}, fun, args, n.opts(timeout, kwargs)...)
	if errors.Is(err, client.ErrNoMinions) {
		return nil, 1, &UnknownMinionError{ID: id}
	}
	if err != nil {
		return nil, 1, err
	}
	r, ok := rets[id]
	if !ok || r.Failed {
		why := ""
		if ok {
			why, _ = r.Ret.(string)
			why = strings.TrimSpace(why)
		}
		if ctx.Err() != nil {
			return nil, 1, ctx.Err()
		}
		return nil, 1, &UnreachableError{ID: id, Fun: fun, Why: why}
	}
	return r.Ret, r.Retcode, nil
}

// Wheel implements Node.
func (n *ClientNode) Wheel(ctx context.Context, fun string, kwargs *data.Map) (*data.Map, error) {
	return n.C.Wheel(ctx, fun, kwargs)
}

// StepReturn is what a node-side step answered: a state-like dict
// {name, result, comment, changes} (or a list of them, or makina-states'
// result dict).
type StepReturn struct {
	OK      bool
	Comment string
	Changes *data.Map
	// Raw is the return as received (for the output and trace).
	Raw any
}

// parseStepReturn interprets a node function's return value, with the
// checks of makina-states' mc_api.cli: "is not available." and "The minion
// function caused an exception" are failures.
func parseStepReturn(id, fun string, ret any, retcode int) (*StepReturn, error) {
	sr := &StepReturn{OK: retcode == 0, Changes: data.NewMap(), Raw: ret}
	switch v := ret.(type) {
	case string:
		switch {
		case strings.Contains(v, "is not available."):
			return nil, fmt.Errorf("%s is not available on %s: its minion must be a saltgo minion with the node-side mc_cloud_lxc functions", fun, id)
		case strings.Contains(v, "The minion function caused an exception"):
			return nil, fmt.Errorf("module/function %s failed:\n %s", fun, v)
		}
		sr.Comment = strings.TrimSpace(v)
		if strings.HasPrefix(v, "ERROR") || strings.HasPrefix(v, "Passed invalid arguments") {
			sr.OK = false
		}
		return sr, nil
	case *data.Map:
		mergeStep(sr, v)
		return sr, nil
	case []any:
		var comments []string
		for _, e := range v {
			if m, ok := e.(*data.Map); ok {
				one := &StepReturn{OK: true, Changes: data.NewMap()}
				mergeStep(one, m)
				if !one.OK {
					sr.OK = false
				}
				if one.Comment != "" {
					comments = append(comments, one.Comment)
				}
				name, _ := m.String("name")
				if one.Changes.Len() > 0 {
					if name == "" {
						name = fmt.Sprint(len(comments))
					}
					sr.Changes.Set(name, one.Changes)
				}
			}
		}
		sr.Comment = strings.Join(comments, "; ")
		return sr, nil
	case bool:
		sr.OK = sr.OK && v
		return sr, nil
	}
	return sr, nil
}

func mergeStep(sr *StepReturn, m *data.Map) {
	if v, ok := m.Get("result"); ok && v != true {
		// None (test mode "would change") is not a failure.
		if v != nil {
			sr.OK = false
		}
	}
	if v, ok := m.Get("success"); ok && v == false {
		sr.OK = false
	}
	sr.Comment, _ = m.String("comment")
	sr.Comment = strings.TrimSpace(sr.Comment)
	if ch, ok := m.Get("changes"); ok {
		if chm, ok := ch.(*data.Map); ok {
			sr.Changes = chm
		}
	}
}
