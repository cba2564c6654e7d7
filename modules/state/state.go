// Package state is Salt's state execution module (salt/modules/state.py):
// apply, sls, highstate, sls_id, single and the show_* functions, over the
// state engine of package state.
package state

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/jid"
	"github.com/saltgo/saltgo/state"
)

// Salt's exit codes for state runs (salt/defaults/exitcodes.py).
const (
	exCompilerError = 1
	exStateFailure  = 2
	exPillarFailure = 5
)

func init() {
	common := func(ps ...host.Param) []host.Param { return ps }
	hs := "highstate"
	host.Register(&host.Module{Kind: host.Exec, Name: "state", Doc: "Control the state system on the minion.", Funcs: []*host.Func{
		{Name: "apply", PyName: "apply_", Params: common(host.Opt("mods", nil)), VarKwargs: true, Outputter: hs, Fn: apply,
			Doc: "\n    Apply states: with no mods the highstate, else the listed SLS files\n    (state.sls).\n\n    CLI Example:\n\n        salt '*' state.apply\n        salt '*' state.apply stuff pillar='{\"foo\": \"bar\"}'\n    "},
		{Name: "sls", Params: common(host.Req("mods"), host.Opt("test", nil), host.Opt("exclude", nil), host.Opt("queue", nil), host.Opt("sync_mods", nil), host.Opt("state_events", nil)), VarKwargs: true, Outputter: hs, Fn: sls,
			Doc: "\n    Execute the states in one or more SLS files.\n\n    CLI Example:\n\n        salt '*' state.sls core,edit.vim\n    "},
		{Name: "highstate", Params: common(host.Opt("test", nil), host.Opt("queue", nil), host.Opt("state_events", nil)), VarKwargs: true, Outputter: hs, Fn: highstate,
			Doc: "\n    Retrieve the state data from the salt master for this minion and\n    execute it.\n\n    CLI Example:\n\n        salt '*' state.highstate\n    "},
		{Name: "sls_id", Params: common(host.Req("id_"), host.Req("mods"), host.Opt("test", nil), host.Opt("queue", nil), host.Opt("state_events", nil)), VarKwargs: true, Outputter: hs, Fn: slsID,
			Doc: "\n    Call a single ID from the named module(s) and handle all requisites.\n\n    CLI Example:\n\n        salt '*' state.sls_id my_state my_module\n    "},
		{Name: "single", Params: common(host.Req("fun"), host.Req("name"), host.Opt("test", nil), host.Opt("queue", nil)), VarKwargs: true, Outputter: hs, Fn: single,
			Doc: "\n    Execute a single state function with the named kwargs.\n\n    CLI Example:\n\n        salt '*' state.single pkg.installed name=vim\n    "},
		{Name: "show_sls", Params: common(host.Req("mods"), host.Opt("test", nil), host.Opt("queue", nil)), VarKwargs: true, Fn: showSLS,
			Doc: "\n    Display the state data from a specific sls or list of sls files.\n\n    CLI Example:\n\n        salt '*' state.show_sls core,edit.vim\n    "},
		{Name: "show_low_sls", Params: common(host.Req("mods"), host.Opt("test", nil), host.Opt("queue", nil)), VarKwargs: true, Fn: showLowSLS,
			Doc: "\n    Display the low data from a specific sls.\n\n    CLI Example:\n\n        salt '*' state.show_low_sls foo\n    "},
		{Name: "show_highstate", Params: common(host.Opt("queue", nil)), VarKwargs: true, Fn: showHighstate,
			Doc: "\n    Retrieve the highstate data from the salt master and display it.\n\n    CLI Example:\n\n        salt '*' state.show_highstate\n    "},
		{Name: "show_lowstate", Params: common(host.Opt("queue", nil)), VarKwargs: true, Fn: showLowstate,
			Doc: "\n    List out the low data that will be applied to this minion.\n\n    CLI Example:\n\n        salt '*' state.show_lowstate\n    "},
		{Name: "show_top", Params: common(host.Opt("queue", nil)), VarKwargs: true, Fn: showTop,
			Doc: "\n    Return the top data that the minion will use for a highstate.\n\n    CLI Example:\n\n        salt '*' state.show_top\n    "},
		{Name: "running", Params: common(host.Opt("concurrent", false)), Fn: func(_ context.Context, c *host.Call) (any, error) {
			return data.List(conflicts(c, c.Bool("concurrent"))), nil
		}, Doc: "\n    Return a list of strings that contain state return data if a state\n    function is already running.\n\n    CLI Example:\n\n        salt '*' state.running\n    "},
	}})
}

// local is the in-process registry of state runs: salt-call (which has
// no job table) and concurrent calls in one process see each other.
var local struct {
	mu   sync.Mutex
	runs map[string]*data.Map
}

func kw(c *host.Call, k string) (any, bool) { return c.Kwargs().Get(k) }

func pubJID(c *host.Call) string {
	if v, ok := kw(c, "__pub_jid"); ok {
		return data.Str(v)
	}
	if c.Pub != nil {
		if v, ok := c.Pub.Get("jid"); ok {
			return data.Str(v)
		}
	}
	return ""
}

// conflicts is state.running: the other state jobs running now.
func conflicts(c *host.Call, concurrent bool) []string {
	if concurrent {
		return []string{}
	}
	self := pubJID(c)
	var active []*data.Map
	if c.Env.Services.Jobs != nil {
		active = c.Env.Services.Jobs.Running()
	} else {
		local.mu.Lock()
		for _, d := range local.runs {
			active = append(active, d)
		}
		local.mu.Unlock()
	}
	out := []string{}
	for _, d := range active {
		fun := data.Str(mustGet(d, "fun"))
		if !strings.HasPrefix(fun, "state.") {
			continue
		}
		j := data.Str(mustGet(d, "jid"))
		if self != "" && j == self {
			continue
		}
		when := ""
		if t, err := jid.Time(j); err == nil {
			when = t.Format("2006, Jan 02 15:04:05.000000")
		}
		out = append(out, fmt.Sprintf("The function \"%s\" is running as PID %s and was started at %s with jid %s", fun, data.Str(mustGet(d, "pid")), when, j))
	}
	return out
}

func mustGet(m *data.Map, k string) any {
	v, _ := m.Get(k)
	return v
}

// begin checks for a conflicting state run and registers this one in the
// in-process registry; done releases it. A non-nil conflict is the
// return of the call.
func begin(c *host.Call) (conflict any, done func()) {
	concurrent := false
	if v, ok := kw(c, "concurrent"); ok {
		concurrent = data.Truthy(v)
	}
	local.mu.Lock()
	defer local.mu.Unlock()
	var found []string
	if c.Env.Services.Jobs != nil {
		found = conflicts(c, concurrent) // the job table; local.mu is not taken
	} else if !concurrent {
		for _, d := range local.runs {
			j := data.Str(mustGet(d, "jid"))
			when := ""
			if t, err := jid.Time(j); err == nil {
				when = t.Format("2006, Jan 02 15:04:05.000000")
			}
			found = append(found, fmt.Sprintf("The function \"%s\" is running as PID %s and was started at %s with jid %s", data.Str(mustGet(d, "fun")), data.Str(mustGet(d, "pid")), when, j))
		}
	}
	if len(found) > 0 {
		if q, ok := kw(c, "queue"); ok && data.Truthy(q) || data.Truthy(c.Get("queue")) {
			c.Retcode = exCompilerError
			return data.List(append(found, "saltgo does not queue state runs (queue="+data.Str(firstNonNil(c.Get("queue"), q))+"): run it again when the running state job has finished")), func() {}
		}
		c.Retcode = exCompilerError
		return data.List(found), func() {}
	}
	if local.runs == nil {
		local.runs = map[string]*data.Map{}
	}
	key := pubJID(c)
	if key == "" {
		key = jid.New()
	}
	key = fmt.Sprintf("%s/%p", key, c)
	local.runs[key] = data.M("fun", c.Fun, "pid", int64(os.Getpid()), "jid", strings.SplitN(key, "/", 2)[0])
	return nil, func() {
		local.mu.Lock()
		delete(local.runs, key)
		local.mu.Unlock()
	}
}

func firstNonNil(vs ...any) any {
	for _, v := range vs {
		if v != nil {
			return v
		}
	}
	return nil
}

// testValue is _get_test_value: test=None means the test option.
func testValue(c *host.Call) bool {
	if v, ok := testArg(c); ok && v != nil {
		return data.Truthy(v)
	}
	v, _ := c.Env.Opt("test")
	return data.Truthy(v)
}

func testArg(c *host.Call) (any, bool) {
	if c.Given("test") {
		return c.Get("test"), true
	}
	return kw(c, "test")
}

// pillarOverride checks pillar= and returns the run's pillar.
func pillarOverride(c *host.Call) (*data.Map, error) {
	v, ok := kw(c, "pillar")
	_, enc := kw(c, "pillar_enc")
	base := c.Env.Pillar
	if base == nil {
		base = data.NewMap()
	}
	if !ok || v == nil {
		return base, nil
	}
	m, isMap := v.(*data.Map)
	if !isMap {
		if enc {
			return nil, host.InvocationErrorf("saltgo does not decrypt pillar_enc overrides")
		}
		return nil, host.InvocationErrorf("Pillar data must be formatted as a dictionary, unless pillar_enc is specified.")
	}
	return merge(base.Copy(), m), nil
}

// merge is salt.utils.dictupdate.merge (recursive update).
func merge(dst, src *data.Map) *data.Map {
	src.Range(func(k, v any) bool {
		if sm, ok := v.(*data.Map); ok {
			if dm, ok := mustGetAny(dst, k).(*data.Map); ok {
				dst.Set(k, merge(dm.Copy(), sm))
				return true
			}
		}
		dst.Set(k, v)
		return true
	})
	return dst
}

func mustGetAny(m *data.Map, k any) any {
	v, _ := m.Get(k)
	return v
}

// splitInput is salt.utils.args.split_input.
func splitInput(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case nil:
		return []any{}
	case string:
		var out []any
		for _, p := range strings.Split(x, ",") {
			out = append(out, strings.TrimSpace(p))
		}
		return out
	}
	s := data.Str(v)
	var out []any
	for _, p := range strings.Split(s, ",") {
		out = append(out, strings.TrimSpace(p))
	}
	return out
}

// newRun builds the engine of a call.
func newRun(ctx context.Context, c *host.Call, saltenv string) (*state.HighState, error) {
	p, err := pillarOverride(c)
	if err != nil {
		return nil, err
	}
	fc, err := fileclient.Open(c.Env)
	if err != nil {
		return nil, fmt.Errorf("state: file client: %w", err)
	}
	files := fc.ForRun()
	env := c.Env
	if v, ok := kw(c, "saltenv"); ok && v != nil {
		saltenv = data.Str(v)
	}
	return state.New(ctx, state.Config{Env: env, Files: files, Pillar: p, Saltenv: saltenv, Test: testValue(c)})
}

func sessionSaltenv(c *host.Call, def string) string {
	if v, ok := kw(c, "saltenv"); ok && v != nil {
		return data.Str(v)
	}
	if v, ok := c.Env.Opt("saltenv"); ok && v != nil {
		return data.Str(v)
	}
	return def
}

// setRetcode is _set_retcode: 1 for a list (compile errors), 2 when a
// state failed.
func setRetcode(c *host.Call, ret any) {
	c.Retcode = 0
	m, ok := ret.(*data.Map)
	if !ok {
		c.Retcode = exCompilerError
		return
	}
	if !checkResult(m) {
		c.Retcode = exStateFailure
	}
}

// checkResult is salt.utils.state.check_result (without the onfail
// handler search: a failure handled by an onfail state still counts).
func checkResult(running *data.Map) bool {
	if running.Len() == 0 {
		return false
	}
	ok := true
	running.Range(func(k, v any) bool {
		if _, isList := v.([]any); isList && k == "__extend__" {
			return true
		}
		r, isMap := v.(*data.Map)
		if !isMap {
			ok = false
			return false
		}
		if res, has := r.Get("result"); has && res == false {
			ok = false
			return false
		}
		return true
	})
	return ok
}

func apply(ctx context.Context, c *host.Call) (any, error) {
	if mods := c.Get("mods"); mods != nil {
		return runSLS(ctx, c, mods, mustGetAny(c.Kwargs(), "exclude"))
	}
	return runHighstate(ctx, c)
}

func sls(ctx context.Context, c *host.Call) (any, error) {
	return runSLS(ctx, c, c.Get("mods"), c.Get("exclude"))
}

func highstate(ctx context.Context, c *host.Call) (any, error) { return runHighstate(ctx, c) }

func runSLS(ctx context.Context, c *host.Call, mods, exclude any) (any, error) {
	conflict, done := begin(c)
	if conflict != nil {
		return conflict, nil
	}
	defer done()
	h, err := newRun(ctx, c, sessionSaltenv(c, "base"))
	if err != nil {
		return nil, err
	}
	saltenv := sessionSaltenv(c, "base")
	if n, ok := mods.(int64); ok {
		mods = fmt.Sprint(n)
	}
	high, errs, err := h.RenderHighstate(ctx, data.M(saltenv, splitInput(mods)))
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		c.Retcode = exCompilerError
		return data.List(errs), nil
	}
	if exclude != nil {
		ex := splitInput(exclude)
		if l, ok := exclude.([]any); ok {
			ex = l
		}
		high.Set("__exclude__", append(listOf(mustGet(high, "__exclude__")), ex...))
	}
	ret, err := h.CallHigh(ctx, high)
	if err != nil {
		return nil, err
	}
	setRetcode(c, ret)
	return ret, nil
}

func listOf(v any) []any {
	l, _ := v.([]any)
	return l
}

func runHighstate(ctx context.Context, c *host.Call) (any, error) {
	conflict, done := begin(c)
	if conflict != nil {
		return conflict, nil
	}
	defer done()
	saltenv := ""
	if v, ok := kw(c, "saltenv"); ok && v != nil {
		saltenv = data.Str(v)
	} else if v, ok := c.Env.Opt("saltenv"); ok && v != nil {
		saltenv = data.Str(v)
	}
	h, err := newRun(ctx, c, saltenv)
	if err != nil {
		return nil, err
	}
	var exclude []any
	if v, ok := kw(c, "exclude"); ok && v != nil {
		if l, ok := v.([]any); ok {
			exclude = l
		} else {
			exclude = splitInput(v)
		}
	}
	ret, err := h.CallHighstate(ctx, exclude)
	if err != nil {
		return nil, err
	}
	setRetcode(c, ret)
	return ret, nil
}

func slsID(ctx context.Context, c *host.Call) (any, error) {
	conflict, done := begin(c)
	if conflict != nil {
		return conflict, nil
	}
	defer done()
	saltenv := sessionSaltenv(c, "base")
	h, err := newRun(ctx, c, saltenv)
	if err != nil {
		return nil, err
	}
	mods := c.Get("mods")
	high, errs, err := h.RenderHighstate(ctx, data.M(saltenv, splitInput(mods)))
	if err != nil {
		return nil, err
	}
	chunks, cerrs := state.CompileLow(high)
	errs = append(errs, cerrs...)
	if len(errs) > 0 {
		c.Retcode = exCompilerError
		return data.List(errs), nil
	}
	id := data.Str(c.Get("id_"))
	r := h.Runner()
	ret := data.NewMap()
	for _, ch := range chunks {
		if data.Str(mustGet(ch, "__id__")) == id {
			part, err := r.CallChunk(ctx, ch, chunks)
			if err != nil {
				return nil, err
			}
			part.Range(func(k, v any) bool { ret.Set(k, v); return true })
		}
	}
	setRetcode(c, ret)
	if ret.Len() == 0 {
		return nil, host.InvocationErrorf("No matches for ID '%s' found in SLS '%s' within saltenv '%s'", id, data.Str(mods), saltenv)
	}
	return ret, nil
}

func single(ctx context.Context, c *host.Call) (any, error) {
	conflict, done := begin(c)
	if conflict != nil {
		return conflict, nil
	}
	defer done()
	fun := data.Str(c.Get("fun"))
	comps := strings.Split(fun, ".")
	if len(comps) < 2 {
		c.Retcode = exCompilerError
		return "Invalid function passed", nil
	}
	low := data.NewMap()
	c.Kwargs().Range(func(k, v any) bool {
		if ks, ok := k.(string); ok && strings.HasPrefix(ks, "__pub_") {
			low.Set(k, v)
			return true
		}
		low.Set(k, v)
		return true
	})
	name := c.Get("name")
	low.Set("state", comps[0])
	low.Set("fun", comps[1])
	low.Set("__id__", name)
	low.Set("name", name)
	h, err := newRun(ctx, c, sessionSaltenv(c, "base"))
	if err != nil {
		return nil, err
	}
	r := h.Runner()
	ret, errs, err := r.Single(ctx, low)
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		c.Retcode = exCompilerError
		return data.List(errs), nil
	}
	setRetcode(c, ret)
	return ret, nil
}

func showSLS(ctx context.Context, c *host.Call) (any, error) {
	high, errs, err := modsHigh(ctx, c)
	if err != nil || errs != nil {
		return errs, err
	}
	return high, nil
}

func showLowSLS(ctx context.Context, c *host.Call) (any, error) {
	high, errs, err := modsHigh(ctx, c)
	if err != nil || errs != nil {
		return errs, err
	}
	return data.List(state.CompileHighData(high)), nil
}

// modsHigh renders the SLS files named by the mods argument into verified
// high data (show_sls, show_low_sls); errs, when not nil, is the list of
// compile errors to return, with the compile-error retcode set.
func modsHigh(ctx context.Context, c *host.Call) (*data.Map, any, error) {
	saltenv := sessionSaltenv(c, "base")
	h, err := newRun(ctx, c, saltenv)
	if err != nil {
		return nil, nil, err
	}
	high, errs, err := h.RenderHighstate(ctx, data.M(saltenv, splitInput(c.Get("mods"))))
	if err != nil {
		return nil, nil, err
	}
	errs = append(errs, state.VerifyHigh(high)...)
	if len(errs) > 0 {
		c.Retcode = exCompilerError
		return nil, data.List(errs), nil
	}
	return high, nil, nil
}

func showHighstate(ctx context.Context, c *host.Call) (any, error) {
	h, err := newRun(ctx, c, sessionSaltenv(c, ""))
	if err != nil {
		return nil, err
	}
	high, errs, err := h.CompileHighstate(ctx)
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		c.Retcode = exCompilerError
		return data.List(errs), nil
	}
	setRetcode(c, high)
	return high, nil
}

func showLowstate(ctx context.Context, c *host.Call) (any, error) {
	h, err := newRun(ctx, c, sessionSaltenv(c, ""))
	if err != nil {
		return nil, err
	}
	high, errs, err := h.CompileHighstate(ctx)
	if err != nil {
		return nil, err
	}
	chunks, cerrs := state.CompileLow(high)
	errs = append(errs, cerrs...)
	if len(errs) > 0 {
		return data.List(errs), nil
	}
	return data.List(chunks), nil
}

func showTop(ctx context.Context, c *host.Call) (any, error) {
	h, err := newRun(ctx, c, sessionSaltenv(c, ""))
	if err != nil {
		return nil, err
	}
	ret, err := h.ShowTop(ctx)
	if err != nil {
		return nil, err
	}
	if _, ok := ret.([]any); ok {
		c.Retcode = exCompilerError
	}
	return ret, nil
}
