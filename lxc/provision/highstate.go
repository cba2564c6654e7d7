package provision

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/lxc/liblxc"
	"github.com/saltgo/saltgo/saltyaml"
)

// vmRunEnv is the environment of the commands InitialHighstate runs in
// the VM, given explicitly rather than inherited from the attach.
var vmRunEnv = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8"}

// HighstateArgs are the arguments after the saltgo command (MinionLayout's
// Call) with which InitialHighstate runs the VM's first highstate: the
// structured return on stdout as JSON, the highstate's retcode as the
// exit status.
var HighstateArgs = []string{"--out=json", "--retcode-passthrough", "--log-level=warning", "state.highstate"}

// InitialHighstate runs the VM's first highstate, once: the VM's saltgo
// minion (VMMinionBinary, installed by initial_setup) runs its salt-call
// of the VM's mode (saltgo call, or saltgo mastersalt-call in mastersalt
// mode: MinionLayout) against the master its config names (s.Master,
// s.MasterPort), which serves the state tree and the pillar. The step's
// changes are the state returns keyed as Salt keys them ("states") and a
// summary (succeeded, changed, failed counts); it succeeds only when
// every state succeeded, and otherwise fails with an error naming each
// failed state (its id, function, name and comment). A highstate that
// does not compile (the return is a list of errors) fails with those
// errors. env.BootstrapCommand, when set, then runs (see VMEnv).
//
// Once the highstate (and the bootstrap command) succeeded the marker
// VMHighstateMarker is written and later runs skip the step, as
// mc_cloud_vm.vm_initial_highstate did. A VM without a saltgo minion runs
// only the bootstrap command, and skips the step when there is none.
func InitialHighstate(ctx context.Context, env *VMEnv, s *Settings) (*StepResult, error) {
	res := newResult(s.Name)
	c := env.Client
	mark, err := readOpt(ctx, c, s.Name, VMHighstateMarker)
	if err != nil {
		return res.fail(err)
	}
	if mark != "" {
		res.Comment = "initial highstate already done (" + VMHighstateMarker + " exists)"
		return res, nil
	}
	boot := strings.TrimSpace(env.BootstrapCommand)
	has, err := hasMinion(ctx, c, s.Name)
	if err != nil {
		return res.fail(err)
	}
	if !has && boot == "" {
		res.Comment = "no saltgo minion in the VM (" + VMMinionBinary + ") and no bootstrap command: initial highstate skipped"
		return res, nil
	}
	var done []string
	if has {
		sum, err := runHighstate(ctx, c, s, res)
		if err != nil {
			return res.fail(err)
		}
		done = append(done, sum)
	}
	if boot != "" {
		r, err := c.Run(ctx, s.Name, []string{"/bin/sh", "-c", boot}, nil, vmRunEnv)
		if err != nil {
			return res.fail(fmt.Errorf("lxc: bootstrap command in %s: %w", s.Name, err))
		}
		res.Changes.Set("bootstrap", data.M("retcode", int64(r.Status), "stdout", string(r.Stdout)))
		if r.Status != 0 {
			return res.fail(fmt.Errorf("lxc: bootstrap command in %s failed with exit %d: %s", s.Name, r.Status, strings.TrimSpace(string(r.Stderr))))
		}
		done = append(done, "bootstrap command ran")
	}
	stamp := time.Now().UTC().Format(time.RFC3339) + "\n"
	if err := c.WriteFile(ctx, s.Name, VMHighstateMarker, []byte(stamp), 0o644); err != nil {
		return res.fail(err)
	}
	res.Comment = "initial highstate done: " + strings.Join(done, "; ")
	return res, nil
}

// hasMinion reports whether the VM has an executable saltgo.
func hasMinion(ctx context.Context, c *liblxc.Client, name string) (bool, error) {
	r, err := c.Run(ctx, name, []string{"/bin/sh", "-c", `[ -x "$1" ] && echo yes || echo no`, "sh", VMMinionBinary}, nil, nil)
	if err != nil {
		return false, fmt.Errorf("lxc: look for %s in %s: %w", VMMinionBinary, name, err)
	}
	return strings.TrimSpace(string(r.Stdout)) == "yes", nil
}

// runHighstate runs the highstate in the VM, records the state returns
// in res.Changes and returns the summary sentence, or an error naming
// what failed.
func runHighstate(ctx context.Context, c *liblxc.Client, s *Settings, res *StepResult) (string, error) {
	if s.Master == "" {
		return "", fmt.Errorf("lxc: %s has no master to run its initial highstate against (the settings' master is empty)", s.Name)
	}
	lay := MinionLayout(s)
	argv := append([]string{VMMinionBinary, lay.Call}, HighstateArgs...)
	cmd := strings.Join(argv[1:], " ")
	against := s.Master
	if s.MasterPort != 0 {
		against = fmt.Sprintf("%s:%d", s.Master, s.MasterPort)
	}
	r, err := c.Run(ctx, s.Name, argv, nil, vmRunEnv)
	if err != nil {
		return "", fmt.Errorf("lxc: saltgo %s in %s: %w", cmd, s.Name, err)
	}
	ret, perr := ParseHighstate(r.Stdout)
	if perr != nil {
		return "", fmt.Errorf("initial highstate of %s (saltgo %s against %s) exited %d without a state return (%v): %s",
			s.Name, cmd, against, r.Status, perr, tail(r.Stderr, r.Stdout))
	}
	if len(ret.Errors) > 0 {
		res.Changes.Set("errors", data.List(ret.Errors))
		return "", fmt.Errorf("initial highstate of %s (saltgo %s against %s) did not compile: %s",
			s.Name, cmd, against, strings.Join(ret.Errors, "; "))
	}
	res.Changes.Set("states", ret.States)
	res.Changes.Set("summary", data.M("succeeded", int64(ret.Succeeded), "changed", int64(ret.Changed), "failed", int64(len(ret.Failed))))
	if len(ret.Failed) > 0 {
		var names []string
		for _, f := range ret.Failed {
			names = append(names, f.String())
		}
		return "", fmt.Errorf("initial highstate of %s (saltgo %s against %s) failed: %d of %d states failed: %s",
			s.Name, cmd, against, len(ret.Failed), ret.States.Len(), strings.Join(names, "; "))
	}
	if r.Status != 0 {
		return "", fmt.Errorf("initial highstate of %s (saltgo %s against %s) exited %d: %s", s.Name, cmd, against, r.Status, tail(r.Stderr, nil))
	}
	if ret.States.Len() == 0 {
		return "", fmt.Errorf("initial highstate of %s (saltgo %s against %s) ran no state", s.Name, cmd, against)
	}
	return fmt.Sprintf("%s against %s: succeeded %d (changed=%d), failed 0", cmd, against, ret.Succeeded, ret.Changed), nil
}

// Highstate is a parsed salt-call --out=json highstate return.
type Highstate struct {
	// States are the state returns keyed as Salt keys them
	// (<mod>_|-<id>_|-<name>_|-<fun>), in run order (__run_num__).
	States *data.Map
	// Succeeded counts the states whose result is not False, Changed
	// those of them with changes.
	Succeeded, Changed int
	// Failed are the states whose result is False, in run order.
	Failed []FailedState
	// Errors are the errors of a highstate that did not compile (render
	// or top file errors: Salt returns a list of strings).
	Errors []string
}

// FailedState is a state whose result is False.
type FailedState struct {
	ID, Function, Name, Comment string
}

// String names the state: id (function name): comment.
func (f FailedState) String() string {
	return fmt.Sprintf("%s (%s %s): %s", f.ID, f.Function, f.Name, f.Comment)
}

// ParseHighstate parses the standard output of salt-call --out=json
// state.highstate ({"local": <return>}).
func ParseHighstate(stdout []byte) (*Highstate, error) {
	if len(strings.TrimSpace(string(stdout))) == 0 {
		return nil, fmt.Errorf("empty output")
	}
	v, err := saltyaml.Load(stdout)
	if err != nil {
		return nil, fmt.Errorf("output is not JSON: %w", err)
	}
	top, ok := v.(*data.Map)
	if !ok {
		return nil, fmt.Errorf("output is not a JSON object")
	}
	local, ok := top.Get("local")
	if !ok {
		return nil, fmt.Errorf("output has no \"local\" key")
	}
	h := &Highstate{States: data.NewMap()}
	switch x := local.(type) {
	case []any:
		for _, e := range x {
			h.Errors = append(h.Errors, fmt.Sprint(e))
		}
		if len(h.Errors) == 0 {
			h.Errors = []string{"empty error list"}
		}
		return h, nil
	case string:
		h.Errors = []string{x}
		return h, nil
	case *data.Map:
		type entry struct {
			key string
			ret *data.Map
			num int64
		}
		var ents []entry
		var bad error
		x.Range(func(k, v any) bool {
			ks, _ := k.(string)
			m, ok := v.(*data.Map)
			if !ok {
				bad = fmt.Errorf("state %v: return is %T, not a mapping", k, v)
				return false
			}
			n, _ := data.AsInt(mapGet(m, "__run_num__"))
			ents = append(ents, entry{ks, m, n})
			return true
		})
		if bad != nil {
			return nil, bad
		}
		sort.SliceStable(ents, func(i, j int) bool { return ents[i].num < ents[j].num })
		for _, e := range ents {
			h.States.Set(e.key, e.ret)
			if r, _ := e.ret.Get("result"); r == false {
				parts := strings.SplitN(e.key, "_|-", 4)
				f := FailedState{ID: str(e.ret, "__id__"), Name: str(e.ret, "name")}
				if len(parts) == 4 {
					f.Function = parts[0] + "." + parts[3]
					if f.ID == "" {
						f.ID = parts[1]
					}
					if f.Name == "" {
						f.Name = parts[2]
					}
				}
				f.Comment = strings.TrimSpace(str(e.ret, "comment"))
				h.Failed = append(h.Failed, f)
				continue
			}
			h.Succeeded++
			if ch, ok := e.ret.Get("changes"); ok && data.Truthy(ch) {
				h.Changed++
			}
		}
		return h, nil
	default:
		return nil, fmt.Errorf("the return is %T, neither state returns nor errors", local)
	}
}

func mapGet(m *data.Map, k string) any { v, _ := m.Get(k); return v }

// str renders a return field as text (comments may be lists of lines).
func str(m *data.Map, k string) string {
	v, ok := m.Get(k)
	if !ok || v == nil {
		return ""
	}
	if l, ok := v.([]any); ok {
		var s []string
		for _, e := range l {
			s = append(s, fmt.Sprint(e))
		}
		return strings.Join(s, "\n")
	}
	if s, ok := data.AsString(v); ok {
		return s
	}
	return fmt.Sprint(v)
}

// tail is the end of a command's diagnostics: stderr, else stdout.
func tail(stderr, stdout []byte) string {
	b := stderr
	if len(strings.TrimSpace(string(b))) == 0 {
		b = stdout
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 2048 {
		s = "..." + s[len(s)-2048:]
	}
	if s == "" {
		return "(no output)"
	}
	return s
}
