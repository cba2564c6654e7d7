package state

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient"
	"github.com/saltgo/saltgo/host"
)

// Runner runs low chunks the way salt.state.State does: requisites,
// unless/onlyif/creates, retry, failhard, mod_watch, listen, prereq. One
// Runner serves one run.
type Runner struct {
	// Env is the environment the state functions (and unless/onlyif
	// execution functions) are called with; state.WithChunk adds the
	// chunk.
	Env *host.Env
	// Files is handed to the state functions through Chunk.
	Files fileclient.Client
	// Test is test=True.
	Test bool
	// Failhard is the failhard option (a chunk's own failhard wins).
	Failhard bool
	// Now returns the wall-clock time (time.Now when nil).
	Now func() time.Time
	// Sleep waits between retries (a context-aware sleep when nil).
	Sleep func(ctx context.Context, d time.Duration) error

	running *data.Map
	pre     map[string]*data.Map
	active  map[string]bool
	runNum  int64
	// Err is set when the run had to stop with an error that Salt raises
	// out of the whole run (a state function given arguments it does not
	// take).
	err error
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Runner) sleep(ctx context.Context, d time.Duration) error {
	if r.Sleep != nil {
		return r.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Tag is Salt's _gen_tag: "<state>_|-<__id__>_|-<name>_|-<fun>".
func Tag(low *data.Map) string {
	return data.Str(mustGet(low, "state")) + "_|-" + data.Str(mustGet(low, "__id__")) + "_|-" + data.Str(mustGet(low, "name")) + "_|-" + data.Str(mustGet(low, "fun"))
}

// StartTime formats a local time of day as Python's time().isoformat().
func StartTime(t time.Time) string {
	us := t.Nanosecond() / 1000
	if us == 0 {
		return t.Format("15:04:05")
	}
	return fmt.Sprintf("%s.%06d", t.Format("15:04:05"), us)
}

// Duration is Salt's duration: milliseconds with microsecond precision.
func Duration(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000.0
}

func (r *Runner) fake() (string, float64) {
	t := r.now()
	return StartTime(t), Duration(r.now().Sub(t))
}

func (r *Runner) nextRun() int64 {
	n := r.runNum
	r.runNum++
	return n
}

func (r *Runner) setKeys(ret, low *data.Map) {
	for _, k := range []string{"__sls__", "__id__", "name"} {
		ret.Set(k, mustGet(low, k))
	}
}

// CallChunks is State.call_chunks followed by call_listen: it runs the
// ordered chunks and returns the results keyed by tag, in the order they
// were stored. A non-nil error is a failure Salt raises out of the run.
func (r *Runner) CallChunks(ctx context.Context, chunks []*data.Map) (*data.Map, error) {
	running := r.callChunks(ctx, chunks)
	if r.err != nil {
		return nil, r.err
	}
	r.callListen(ctx, chunks, running)
	if r.err != nil {
		return nil, r.err
	}
	return running, nil
}

func (r *Runner) callChunks(ctx context.Context, chunks []*data.Map) *data.Map {
	r.running = data.NewMap()
	if r.pre == nil {
		r.pre = map[string]*data.Map{}
	}
	r.active = map[string]bool{}
	for _, low := range chunks {
		if r.running.Has("__FAILHARD__") {
			r.running.Delete("__FAILHARD__")
			return r.running
		}
		if r.err != nil || ctx.Err() != nil {
			break
		}
		tag := Tag(low)
		if !r.running.Has(tag) {
			r.callChunk(ctx, low, chunks, 0)
			if r.checkFailhard(low) {
				r.running.Delete("__FAILHARD__")
				return r.running
			}
		}
		r.active = map[string]bool{}
	}
	r.running.Delete("__FAILHARD__")
	return r.running
}

func (r *Runner) checkFailhard(low *data.Map) bool {
	if r.Test {
		return false
	}
	fh, ok := low.Get("failhard")
	if !ok {
		fh = r.Failhard
	}
	ret := r.result(Tag(low))
	if data.Truthy(fh) && ret != nil {
		res := mustGet(ret, "result")
		if res == nil {
			return false
		}
		return !data.Truthy(res)
	}
	return false
}

func (r *Runner) result(tag string) *data.Map {
	v, _ := r.running.Get(tag)
	m, _ := v.(*data.Map)
	return m
}

func (r *Runner) stateFunc(state, fun string) (*host.Func, error) {
	f, _, err := host.Lookup(host.State, state+"."+fun)
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (r *Runner) hasFunc(state, fun string) bool {
	f, err := r.stateFunc(state, fun)
	return err == nil && f != nil
}

// reqList normalises a requisite list item to a one-key map (a bare
// string is {"id": s}) and trims a ".fun" off the key (trim_req).
func reqItem(req any) (key string, val any, ok bool) {
	if s, isStr := req.(string); isStr {
		return "id", s, true
	}
	m, isMap := req.(*data.Map)
	if !isMap || m.Len() == 0 {
		return "", nil, false
	}
	k := firstKey(m)
	v := mustGet(m, k)
	if i := strings.Index(k, "."); i >= 0 {
		k = k[:i]
	}
	return k, v, true
}

func sliceOf(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case nil:
		return nil
	}
	return []any{v}
}

var checkOrder = []string{"require", "require_any", "watch", "watch_any", "prereq", "onfail", "onfail_any", "onfail_all", "onchanges", "onchanges_any"}

type reqSet struct {
	kinds  []string
	chunks map[string][]*data.Map
}

// checkRequisite is State.check_requisite.
func (r *Runner) checkRequisite(low *data.Map, chunks []*data.Map, pre bool) (string, *reqSet, error) {
	state := getStr(low, "state")
	present := false
	if low.Has("watch") {
		if !r.hasFunc(state, "mod_watch") {
			low.Set("require", append(sliceOf(mustGet(low, "require")), sliceOf(mustGet(low, "watch"))...))
			low.Delete("watch")
		} else {
			present = true
		}
	}
	if low.Has("watch_any") {
		if !r.hasFunc(state, "mod_watch") {
			low.Set("require_any", append(sliceOf(mustGet(low, "require_any")), sliceOf(mustGet(low, "watch_any"))...))
			low.Delete("watch_any")
		} else {
			present = true
		}
	}
	for _, k := range []string{"require", "require_any", "prerequired", "prereq", "onfail", "onfail_any", "onfail_all", "onchanges", "onchanges_any"} {
		if low.Has(k) {
			present = true
		}
	}
	if !present {
		return "met", nil, nil
	}
	reqs := &reqSet{chunks: map[string][]*data.Map{}}
	reqs.kinds = append(reqs.kinds, checkOrder...)
	if pre {
		reqs.kinds = append(reqs.kinds, "prerequired")
	}
	for _, rs := range reqs.kinds {
		v, ok := low.Get(rs)
		if !ok || v == nil {
			continue
		}
		for _, req := range sliceOf(v) {
			key, val, ok := reqItem(req)
			if !ok {
				continue
			}
			if val == nil {
				continue
			}
			found := false
			for _, ch := range chunks {
				if key == "sls" {
					vs := str(val)
					if fnmatch(getStr(ch, "__sls__"), vs) || containsAny(listOf(mustGet(ch, "__sls_included_from__")), vs) {
						found = true
						reqs.chunks[rs] = append(reqs.chunks[rs], ch)
					}
					continue
				}
				vs, isStr := val.(string)
				if !isStr {
					return "", nil, fmt.Errorf("Could not locate requisite of [%s] present in state with name [%s]", key, data.Str(mustGet(ch, "name")))
				}
				if fnmatch(str(mustGet(ch, "name")), vs) || fnmatch(str(mustGet(ch, "__id__")), vs) {
					if key == "id" || getStr(ch, "state") == key {
						found = true
						reqs.chunks[rs] = append(reqs.chunks[rs], ch)
					}
				}
			}
			if !found {
				return "unmet", nil, nil
			}
		}
	}
	fun := map[string]bool{}
	for _, rs := range reqs.kinds {
		stats := map[string]bool{}
		prereq := strings.HasPrefix(rs, "prereq") && !strings.HasPrefix(rs, "prerequired")
		lookup := func(tag string) *data.Map {
			if prereq {
				return r.pre[tag]
			}
			return r.result(tag)
		}
		for _, ch := range reqs.chunks[rs] {
			ret := lookup(Tag(ch))
			if ret == nil {
				stats["unmet"] = true
				continue
			}
			res := mustGet(ret, "result")
			if strings.HasPrefix(rs, "onfail") {
				if res == true {
					stats["onfail"] = true
					continue
				}
			} else if res == false {
				stats["fail"] = true
				continue
			}
			changes := data.Truthy(mustGet(ret, "changes"))
			if strings.HasPrefix(rs, "onchanges") {
				if !changes {
					stats["onchanges"] = true
				} else {
					stats["onchangesmet"] = true
				}
				continue
			}
			if strings.HasPrefix(rs, "watch") && changes {
				stats["change"] = true
				continue
			}
			if strings.HasPrefix(rs, "prereq") && res == nil {
				if !strings.HasPrefix(rs, "prerequired") {
					stats["premet"] = true
				}
			}
			if strings.HasPrefix(rs, "prereq") && res != nil {
				if !strings.HasPrefix(rs, "prerequired") {
					stats["pre"] = true
				}
			} else {
				ran, ok := ret.Get("__state_ran__")
				if !ok || data.Truthy(ran) {
					stats["met"] = true
				}
			}
		}
		if strings.HasSuffix(rs, "_any") || rs == "onfail" {
			if stats["met"] || stats["change"] {
				delete(stats, "fail")
			}
			if stats["onchangesmet"] {
				delete(stats, "onchanges")
				delete(stats, "fail")
			}
			if stats["onfail"] && stats["met"] {
				delete(stats, "onfail")
			}
		}
		if strings.HasSuffix(rs, "_all") {
			if stats["onfail"] && stats["met"] {
				delete(stats, "met")
			}
		}
		for k := range stats {
			fun[k] = true
		}
	}
	switch {
	case fun["unmet"]:
		return "unmet", reqs, nil
	case fun["fail"]:
		return "fail", reqs, nil
	case fun["pre"]:
		if fun["premet"] {
			return "met", reqs, nil
		}
		return "pre", reqs, nil
	case fun["onfail"] && !fun["onchangesmet"]:
		return "onfail", reqs, nil
	case fun["onchanges"] && !fun["onchangesmet"]:
		return "onchanges", reqs, nil
	case fun["change"]:
		return "change", reqs, nil
	case fun["onfail"]:
		return "onfail", reqs, nil
	}
	return "met", reqs, nil
}

var lostOrder = []string{"require", "require_any", "watch", "watch_any", "prereq", "onfail", "onfail_any", "onchanges", "onchanges_any", "prerequired"}

// callChunk is State.call_chunk.
func (r *Runner) callChunk(ctx context.Context, low *data.Map, chunks []*data.Map, depth int) {
	if r.err != nil || ctx.Err() != nil {
		return
	}
	tag := Tag(low)
	if !data.Truthy(mustGet(low, "prerequired")) {
		r.active[tag] = true
	}
	requisites := []string{"require", "require_any", "watch", "watch_any", "prereq", "onfail", "onfail_any", "onchanges", "onchanges_any"}
	isPrereq := data.Truthy(mustGet(low, "__prereq__"))
	var status string
	var reqs *reqSet
	var err error
	if !isPrereq {
		requisites = append(requisites, "prerequired")
		status, reqs, err = r.checkRequisite(low, chunks, true)
	} else {
		status, reqs, err = r.checkRequisite(low, chunks, false)
	}
	if err != nil {
		r.err = err
		return
	}
	switch {
	case status == "unmet":
		lost := map[string][]any{}
		var found []*data.Map
		for _, rq := range requisites {
			v, ok := low.Get(rq)
			if !ok {
				continue
			}
			for _, req := range sliceOf(v) {
				key, val, ok := reqItem(req)
				if !ok {
					continue
				}
				hit := false
				for _, ch := range chunks {
					if val == nil {
						continue
					}
					if key == "sls" {
						vs := str(val)
						if fnmatch(getStr(ch, "__sls__"), vs) || containsAny(listOf(mustGet(ch, "__sls_included_from__")), vs) {
							if rq == "prereq" {
								ch.Set("__prereq__", true)
							}
							found = append(found, ch)
							hit = true
						}
						continue
					}
					vs := str(val)
					if fnmatch(str(mustGet(ch, "name")), vs) || fnmatch(str(mustGet(ch, "__id__")), vs) {
						if key == "id" || getStr(ch, "state") == key {
							if rq == "prereq" {
								ch.Set("__prereq__", true)
							} else if rq == "prerequired" {
								ch.Set("__prerequired__", true)
							}
							found = append(found, ch)
							hit = true
						}
					}
				}
				if !hit {
					lost[rq] = append(lost[rq], data.M(key, val))
				}
			}
		}
		if len(lost) > 0 {
			comment := "The following requisites were not found:\n"
			for _, rq := range lostOrder {
				if len(lost[rq]) == 0 {
					continue
				}
				comment += strings.Repeat(" ", 19) + rq + ":\n"
				for _, l := range lost[rq] {
					lm := l.(*data.Map)
					k := firstKey(lm)
					comment += strings.Repeat(" ", 23) + k + ": " + data.Str(mustGet(lm, k)) + "\n"
				}
			}
			st, du := r.fake()
			ret := data.M("changes", data.NewMap(), "result", false, "duration", du, "start_time", st, "comment", comment, "__run_num__", r.nextRun())
			r.setKeys(ret, low)
			if isPrereq {
				r.pre[tag] = ret
			} else {
				r.running.Set(tag, ret)
			}
			return
		}
		for _, ch := range found {
			ctag := Tag(ch)
			if r.running.Has(ctag) {
				continue
			}
			if r.active[ctag] {
				if data.Truthy(mustGet(ch, "__prerequired__")) {
					if _, ok := r.pre[tag]; !ok {
						low.Set("__prereq__", true)
						r.pre[ctag] = r.call(ctx, low, chunks, 1)
					}
					return
				}
				ret := data.M("changes", data.NewMap(), "result", false, "comment", "Recursive requisite found", "__run_num__", r.runNum)
				r.setKeys(ret, low)
				r.running.Set(tag, ret)
				r.runNum++
				return
			}
			r.callChunk(ctx, ch, chunks, 0)
			if r.checkFailhard(ch) {
				r.running.Set("__FAILHARD__", true)
				return
			}
		}
		if data.Truthy(mustGet(low, "__prereq__")) {
			st2, _, err := r.checkRequisite(low, chunks, false)
			if err != nil {
				r.err = err
				return
			}
			p := r.call(ctx, low, chunks, 1)
			r.pre[tag] = p
			if p != nil && !data.Truthy(mustGet(p, "changes")) && st2 == "change" {
				p.Set("changes", data.M("watch", "watch"))
				p.Set("result", nil)
			}
		} else {
			depth++
			if depth >= 20 {
				ret := data.M("changes", data.NewMap(), "result", false, "comment", "Recursive requisite found", "__run_num__", r.runNum)
				r.setKeys(ret, low)
				r.running.Set(tag, ret)
			} else {
				r.callChunk(ctx, low, chunks, depth)
			}
		}
		if len(found) > 0 && r.checkFailhard(found[len(found)-1]) {
			r.running.Set("__FAILHARD__", true)
			return
		}
	case status == "met":
		if isPrereq {
			r.pre[tag] = r.call(ctx, low, chunks, 1)
		} else {
			r.store(tag, r.call(ctx, low, chunks, 1))
		}
	case status == "fail":
		if p, ok := r.pre[tag]; ok {
			if data.Truthy(mustGet(p, "changes")) {
				p.Set("changes", data.NewMap())
			}
			p.Set("__run_num__", r.runNum)
			r.setKeys(p, low)
			r.running.Set(tag, p)
		} else {
			var failed []string
			for _, rs := range reqs.kinds {
				for _, rl := range reqs.chunks[rs] {
					rt := Tag(rl)
					rr, ok := r.pre[rt]
					if !ok {
						rr = r.result(rt)
					}
					if rr == nil {
						continue
					}
					if mustGet(rr, "result") == false {
						key := data.Str(mustGet(rl, "__sls__")) + "." + data.Str(mustGet(rl, "__id__"))
						if !containsStr(failed, key) {
							failed = append(failed, key)
						}
					}
				}
			}
			st, du := r.fake()
			ret := data.M("changes", data.NewMap(), "result", false, "duration", du, "start_time", st, "comment", "One or more requisite failed: "+strings.Join(failed, ", "), "__run_num__", r.runNum)
			r.setKeys(ret, low)
			r.running.Set(tag, ret)
			r.pre[tag] = ret
		}
		r.runNum++
	case status == "change" && !isPrereq:
		ret := r.call(ctx, low, chunks, 1)
		if ret != nil && !data.Truthy(mustGet(ret, "changes")) && !data.Truthy(mustGet(ret, "skip_watch")) {
			w := low.Copy()
			w.Set("sfun", mustGet(low, "fun"))
			w.Set("fun", "mod_watch")
			rm := data.NewMap()
			for _, k := range reqs.kinds {
				rm.Set(k, data.List(reqs.chunks[k]))
			}
			w.Set("__reqs__", rm)
			ret = r.call(ctx, w, chunks, 1)
		}
		r.store(tag, ret)
	case status == "pre":
		st, du := r.fake()
		ret := data.M("changes", data.NewMap(), "result", true, "duration", du, "start_time", st, "comment", "No changes detected", "__run_num__", r.nextRun())
		r.setKeys(ret, low)
		r.running.Set(tag, ret)
		r.pre[tag] = ret
	case status == "onfail":
		st, du := r.fake()
		ret := data.M("changes", data.NewMap(), "result", true, "duration", du, "start_time", st, "comment", "State was not run because onfail req did not change", "__state_ran__", false, "__run_num__", r.nextRun())
		r.setKeys(ret, low)
		r.running.Set(tag, ret)
	case status == "onchanges":
		st, du := r.fake()
		ret := data.M("changes", data.NewMap(), "result", true, "duration", du, "start_time", st, "comment", "State was not run because none of the onchanges reqs changed", "__state_ran__", false, "__run_num__", r.nextRun())
		r.setKeys(ret, low)
		r.running.Set(tag, ret)
	default:
		if isPrereq {
			r.pre[tag] = r.call(ctx, low, chunks, 1)
		} else {
			r.store(tag, r.call(ctx, low, chunks, 1))
		}
	}
}

func (r *Runner) store(tag string, ret *data.Map) {
	if ret != nil {
		r.running.Set(tag, ret)
	}
}

// verifyData is State.verify_data.
func (r *Runner) verifyData(low *data.Map) []string {
	var errs []string
	for _, k := range []string{"state", "fun", "name"} {
		if !low.Has(k) {
			errs = append(errs, fmt.Sprintf("Missing \"%s\" data", k))
		}
	}
	name := mustGet(low, "name")
	if _, isStr := name.(string); data.Truthy(name) && !isStr {
		in := ""
		if s, ok := low.Get("__sls__"); ok {
			in = fmt.Sprintf("in SLS '%s' ", data.Str(s))
		}
		errs = append(errs, fmt.Sprintf("ID '%s' %sis not formed as a string, but is a %s", data.Str(name), in, pyTypeName(name)))
	}
	if len(errs) > 0 {
		return errs
	}
	full := getStr(low, "state") + "." + getStr(low, "fun")
	f, err := r.stateFunc(getStr(low, "state"), getStr(low, "fun"))
	if err != nil {
		if s, ok := low.Get("__sls__"); ok {
			errs = append(errs, fmt.Sprintf("State '%s' was not found in SLS '%s'", full, data.Str(s)))
			reason := host.MissingFunString(full)
			var ua *host.UnavailableError
			if errors.As(err, &ua) {
				reason = fmt.Sprintf("'%s' __virtual__ returned False: %v", ua.Module, ua.Reason)
			}
			errs = append(errs, "Reason: "+reason)
		} else {
			errs = append(errs, fmt.Sprintf("Specified state '%s' was not found", full))
		}
	} else {
		for _, p := range f.Params {
			if !p.Optional && !low.Has(p.Name) {
				errs = append(errs, fmt.Sprintf("Missing parameter %s for state %s", p.Name, full))
			}
		}
	}
	reqdec := ""
	if low.Has("require") {
		reqdec = "require"
	}
	if low.Has("watch") {
		if !r.hasFunc(getStr(low, "state"), "mod_watch") {
			low.Set("require", append(sliceOf(mustGet(low, "require")), sliceOf(mustGet(low, "watch"))...))
			low.Delete("watch")
			reqdec = "require"
		} else {
			reqdec = "watch"
		}
	}
	if reqdec != "" {
		for _, req := range sliceOf(mustGet(low, reqdec)) {
			m, ok := req.(*data.Map)
			if !ok || m.Len() == 0 {
				continue
			}
			k := firstKey(m)
			if getStr(low, "state") == k {
				v := str(mustGet(m, k))
				if fnmatch(str(name), v) || fnmatch(getStr(low, "__id__"), v) {
					errs = append(errs, fmt.Sprintf("Recursive require detected in SLS %s for require %s in ID %s", data.Str(mustGet(low, "__sls__")), data.Repr(m), data.Str(mustGet(low, "__id__"))))
				}
			}
		}
	}
	return errs
}

// call is State.call: run one chunk's state function.
func (r *Runner) call(ctx context.Context, low *data.Map, chunks []*data.Map, retries int64) *data.Map {
	return unifyReturn(r.callState(ctx, low, chunks, retries))
}

// unifyReturn is what Salt's OutputUnifier("content_check", "unify")
// decorator does to every State.call return: a list comment (the
// unless/onlyif/creates checks build one) becomes its items joined with
// newlines, and a result that is not None becomes a bool.
func unifyReturn(ret *data.Map) *data.Map {
	if ret == nil {
		return nil
	}
	if l, ok := mustGet(ret, "comment").([]any); ok {
		parts := make([]string, len(l))
		for i, e := range l {
			parts[i] = data.Str(e)
		}
		ret.Set("comment", strings.Join(parts, "\n"))
	}
	if res, ok := ret.Get("result"); ok && res != nil {
		if _, isBool := res.(bool); !isBool {
			ret.Set("result", data.Truthy(res))
		}
	}
	return ret
}

// callState is State.call without its output decorator.
func (r *Runner) callState(ctx context.Context, low *data.Map, chunks []*data.Map, retries int64) *data.Map {
	start := r.now()
	if errs := r.verifyData(low); len(errs) > 0 {
		ret := data.M("result", false, "name", mustGet(low, "name"), "changes", data.NewMap(), "comment", "")
		c := ""
		for _, e := range errs {
			c += e + "\n"
		}
		ret.Set("comment", c)
		ret.Set("__run_num__", r.nextRun())
		r.formatLog(ret)
		return ret
	}
	ret := data.M("result", false, "name", mustGet(low, "name"), "changes", data.NewMap())
	state, fun := getStr(low, "state"), getStr(low, "fun")
	f, _ := r.stateFunc(state, fun)
	prereq := data.Truthy(mustGet(low, "__prereq__"))
	test := r.Test || prereq
	call, err := bindChunk(f, state+"."+fun, low)
	if err != nil {
		r.err = err
		return nil
	}
	func() {
		defer func() {
			if p := recover(); p != nil {
				ret = r.exception(low, call, &host.PanicError{Value: p, Stack: stack()})
			}
		}()
		if low.Has("unless") || low.Has("onlyif") || low.Has("creates") {
			if !r.hasFunc(state, "mod_run_check") {
				chk := r.runCheck(ctx, low)
				chk.Range(func(k, v any) bool { ret.Set(k, v); return true })
			}
		}
		if res := mustGet(ret, "result"); res == false {
			saltenv := getStr(low, "__env__")
			if s, ok := low.Get("saltenv"); ok {
				saltenv = data.Str(s)
			}
			if saltenv == "" {
				saltenv = "base"
			}
			ch := &Chunk{Low: low, Test: test, Saltenv: saltenv, Files: r.Files, Running: r.running}
			call.Env, call.Fun = WithChunk(r.Env, ch), state+"."+fun
			v, err := host.Invoke(ctx, call)
			if err != nil {
				ret = r.exception(low, call, err)
			} else if m, ok := v.(*data.Map); ok {
				ret = m
			} else {
				ret = r.exception(low, call, fmt.Errorf("state function %s.%s returned %T, not a dict", state, fun, v))
			}
		}
		if low.Has("check_cmd") {
			hasParam := false
			for _, p := range f.Params {
				if p.Name == "check_cmd" {
					hasParam = true
				}
			}
			if !r.hasFunc(state, "mod_run_check_cmd") || !hasParam {
				chk := r.runCheckCmd(ctx, low)
				chk.Range(func(k, v any) bool { ret.Set(k, v); return true })
			}
		}
	}()
	if prereq {
		low.Set("__prereq__", false)
		return ret
	}
	ret.Set("__sls__", mustGet(low, "__sls__"))
	ret.Set("__run_num__", r.nextRun())
	r.formatLog(ret)
	end := r.now()
	ret.Set("start_time", StartTime(start))
	ret.Set("duration", Duration(end.Sub(start)))
	ret.Set("__id__", mustGet(low, "__id__"))
	if rv, ok := low.Get("retry"); ok && !low.Has("parallel") {
		rd := verifyRetry(rv)
		low.Set("retry", rd)
		if !r.Test {
			until := mustGet(rd, "until")
			if !data.Equal(until, mustGet(ret, "result")) {
				attempts, _ := data.AsInt(mustGet(rd, "attempts"))
				if attempts > retries {
					interval, _ := data.AsInt(mustGet(rd, "interval"))
					if splay, _ := data.AsInt(mustGet(rd, "splay")); splay != 0 {
						interval += rand.Int64N(splay + 1)
					}
					if err := r.sleep(ctx, time.Duration(interval)*time.Second); err != nil {
						return ret
					}
					orig := ret
					ret = r.call(ctx, low, chunks, retries+1)
					if ret == nil {
						return orig
					}
					c := ""
					if data.Truthy(mustGet(ret, "comment")) {
						c = data.Str(mustGet(ret, "comment"))
					}
					ret.Set("comment", fmt.Sprintf("Attempt %d: Returned a result of \"%s\", with the following comment: \"%s\"\n%s", retries, pyStr(mustGet(orig, "result")), data.Str(mustGet(orig, "comment")), c))
					ret.Set("duration", toFloat(mustGet(ret, "duration"))+toFloat(mustGet(orig, "duration"))+float64(interval*1000))
					if retries == 1 {
						ret.Set("start_time", mustGet(orig, "start_time"))
					}
				}
			}
		} else {
			c := ""
			if data.Truthy(mustGet(ret, "comment")) {
				c = data.Str(mustGet(ret, "comment"))
			}
			ret.Set("comment", c+"  "+fmt.Sprintf("The state would be retried every %s seconds (with a splay of up to %s seconds) a maximum of %s times or until a result of %s is returned", pyStr(mustGet(rd, "interval")), pyStr(mustGet(rd, "splay")), pyStr(mustGet(rd, "attempts")), pyStr(mustGet(rd, "until"))))
		}
	}
	return ret
}

func pyStr(v any) string { return data.Str(v) }

func verifyRetry(v any) *data.Map {
	def := func() *data.Map {
		return data.M("until", true, "attempts", int64(2), "splay", int64(0), "interval", int64(30))
	}
	switch x := v.(type) {
	case *data.Map:
		out := data.NewMap()
		d := def()
		for _, k := range []string{"until", "attempts", "interval", "splay"} {
			val, ok := x.Get(k)
			if !ok {
				out.Set(k, mustGet(d, k))
				continue
			}
			switch k {
			case "until":
				if _, isBool := val.(bool); isBool {
					out.Set(k, val)
					continue
				}
			default:
				if n, isInt := val.(int64); isInt {
					out.Set(k, n)
					continue
				}
				if b, isBool := val.(bool); isBool {
					// Python's bool is an int.
					if b {
						out.Set(k, int64(1))
					} else {
						out.Set(k, int64(0))
					}
					continue
				}
			}
			out.Set(k, mustGet(d, k))
		}
		return out
	case bool:
		if x {
			return def()
		}
		return data.M("until", true, "attempts", int64(0), "splay", int64(0), "interval", int64(30))
	}
	return def()
}

func (r *Runner) exception(low *data.Map, call *host.Call, err error) *data.Map {
	name := mustGet(low, "name")
	if !data.Truthy(name) {
		name = mustGet(low, "__id__")
	}
	if call != nil && data.Truthy(call.Get("name")) {
		name = call.Get("name")
	}
	return data.M("result", false, "name", name, "changes", data.NewMap(), "comment", "An exception occurred in this state: "+host.Traceback(err))
}

// formatLog is Salt's format_log: the state's outcome is logged, at
// error level when it failed (salt-call shows it as "[ERROR   ] ...").
func (r *Runner) formatLog(ret *data.Map) {
	msg := ""
	chg, _ := ret.Get("changes")
	if !data.Truthy(chg) {
		if c := mustGet(ret, "comment"); data.Truthy(c) {
			msg = commentText(c)
		} else {
			msg = "No changes made for " + data.Str(mustGet(ret, "name"))
		}
	} else if cm, ok := chg.(*data.Map); ok {
		if d, ok := cm.Get("diff"); ok {
			if s, ok := d.(string); ok {
				msg = "File changed:\n" + s
			}
		}
		allOldNew := cm.Len() > 0
		cm.Range(func(_, v any) bool {
			vm, ok := v.(*data.Map)
			if !ok || !vm.Has("old") || !vm.Has("new") {
				allOldNew = false
				return false
			}
			return true
		})
		if allOldNew {
			msg = "Made the following changes:\n"
			cm.Range(func(k, v any) bool {
				vm := v.(*data.Map)
				old, nw := mustGet(vm, "old"), mustGet(vm, "new")
				if !data.Truthy(old) && old != false && old != nil {
					old = "absent"
				}
				if !data.Truthy(nw) && nw != false && nw != nil {
					nw = "absent"
				}
				msg += fmt.Sprintf("'%s' changed from '%s' to '%s'\n", data.Str(k), data.Str(old), data.Str(nw))
				return true
			})
		}
	}
	if msg == "" {
		msg = data.Str(chg)
	}
	if res := mustGet(ret, "result"); res == true || res == nil {
		r.Env.Logger().Info(msg)
	} else {
		r.Env.Logger().Error(msg)
	}
}

func commentText(c any) string {
	if l, ok := c.([]any); ok {
		return data.Str(l)
	}
	return data.Str(c)
}

// bindChunk binds a low chunk to a state function's parameters the way
// salt.utils.args.format_call does: required parameters positionally,
// optional ones by keyword, the rest only when the function takes
// **kwargs (the state system's own keywords never reach it).
func bindChunk(f *host.Func, full string, low *data.Map) (*host.Call, error) {
	var pos []any
	kw := data.NewMap()
	used := map[string]bool{}
	var missing []string
	for _, p := range f.Params {
		v, ok := low.Get(p.Name)
		used[p.Name] = true
		if !p.Optional {
			if !ok {
				missing = append(missing, p.Name)
				continue
			}
			pos = append(pos, v)
			continue
		}
		if ok {
			kw.Set(p.Name, v)
		}
	}
	if len(missing) > 0 {
		n := len(pos) + len(missing)
		s := ""
		if n > 1 {
			s = "s"
		}
		return nil, host.InvocationErrorf("%s takes at least %d argument%s (%d given)", f.Name, n, s, len(pos))
	}
	var extra []string
	low.Range(func(k, v any) bool {
		ks, _ := k.(string)
		if used[ks] || internalKeyword(ks) {
			return true
		}
		if f.VarKwargs {
			kw.Set(ks, v)
		} else {
			extra = append(extra, ks)
		}
		return true
	})
	if len(extra) == 1 {
		return nil, host.InvocationErrorf("'%s' is an invalid keyword argument for '%s'", extra[0], full)
	}
	if len(extra) > 1 {
		q := make([]string, len(extra)-1)
		for i, e := range extra[:len(extra)-1] {
			q[i] = "'" + e + "'"
		}
		return nil, host.InvocationErrorf("%s and '%s' are invalid keyword arguments for '%s'", strings.Join(q, ", "), extra[len(extra)-1], full)
	}
	return host.Bind(f, pos, kw)
}

// runCheck is State._run_check: unless, onlyif and creates.
func (r *Runner) runCheck(ctx context.Context, low *data.Map) *data.Map {
	ret := data.M("result", false, "comment", []any{})
	for _, k := range []string{"__sls__", "__id__", "name"} {
		ret.Set(k, mustGet(low, k))
	}
	cmdOpts := data.NewMap()
	var excl []any
	if v, ok := low.Get("cmd_opts_exclude"); ok {
		excl = sliceOf(v)
	}
	for _, a := range []string{"cwd", "root", "runas", "env", "prepend_path", "umask", "timeout", "success_retcodes"} {
		if !containsAny(excl, a) {
			cmdOpts.Set(a, mustGet(low, a))
		}
	}
	if v, ok := low.Get("shell"); ok && !containsAny(excl, "shell") {
		cmdOpts.Set("shell", v)
	} else if v, ok := r.Env.Grains.Get("shell"); ok {
		cmdOpts.Set("shell", v)
	}
	appendC := func(c any) { ret.Set("comment", append(listOf(mustGet(ret, "comment")), c)) }
	if low.Has("onlyif") {
		o := r.checkOnlyif(ctx, low, cmdOpts)
		ret.Set("result", mustGet(o, "result"))
		appendC(mustGet(o, "comment"))
		if v, ok := o.Get("skip_watch"); ok {
			ret.Set("skip_watch", v)
		}
	}
	if low.Has("unless") {
		o := r.checkUnless(ctx, low, cmdOpts)
		ret.Set("result", data.Truthy(mustGet(o, "result")) || data.Truthy(mustGet(ret, "result")))
		appendC(mustGet(o, "comment"))
		if v, ok := o.Get("skip_watch"); ok {
			ret.Set("skip_watch", data.Truthy(v) || data.Truthy(mustGet(ret, "skip_watch")))
		}
	}
	if low.Has("creates") {
		o := checkCreates(low)
		ret.Set("result", data.Truthy(mustGet(o, "result")) || data.Truthy(mustGet(ret, "result")))
		appendC(mustGet(o, "comment"))
		if v, ok := o.Get("skip_watch"); ok {
			ret.Set("skip_watch", data.Truthy(v) || data.Truthy(mustGet(ret, "skip_watch")))
		}
	}
	return ret
}

// retcode runs cmd.retcode as the state system does for unless/onlyif.
func (r *Runner) retcode(ctx context.Context, cmd string, cmdOpts *data.Map) (int64, error) {
	kw := data.M("__kwarg__", true, "ignore_retcode", true, "python_shell", true)
	cmdOpts.Range(func(k, v any) bool { kw.Set(k, v); return true })
	res := host.Run(ctx, r.Env, host.Request{Kind: host.Exec, Fun: "cmd.retcode", Args: []any{cmd, kw}})
	if res.Err != nil {
		return 0, res.Err
	}
	n, ok := data.AsInt(res.Return)
	if !ok {
		return 0, fmt.Errorf("cmd.retcode returned %s", data.Repr(res.Return))
	}
	return n, nil
}

// checkFunction runs a {fun: mod.fn, args: [...], ...} condition.
func (r *Runner) checkFunction(ctx context.Context, entry *data.Map) (any, int, error) {
	e := entry.Copy()
	fun := str(mustGet(e, "fun"))
	e.Delete("fun")
	args := listOf(mustGet(e, "args"))
	e.Delete("args")
	getReturn, hasGet := e.Get("get_return")
	e.Delete("get_return")
	kw := data.M("__kwarg__", true)
	e.Range(func(k, v any) bool { kw.Set(k, v); return true })
	all := append(append([]any{}, args...), kw)
	res := host.Run(ctx, r.Env, host.Request{Kind: host.Exec, Fun: fun, Args: all})
	if res.Err != nil {
		return nil, 0, res.Err
	}
	v := res.Return
	if hasGet && data.Truthy(getReturn) {
		v, _ = data.Traverse(v, str(getReturn), ":")
	}
	return v, res.Retcode, nil
}

func (r *Runner) checkOnlyif(ctx context.Context, low *data.Map, cmdOpts *data.Map) *data.Map {
	ret := data.M("result", false)
	for _, k := range []string{"__sls__", "__id__", "name"} {
		ret.Set(k, mustGet(low, k))
	}
	check := func(rc int64) bool {
		if rc != 0 && mustGet(ret, "result") == false {
			ret.Set("comment", "onlyif condition is false")
			ret.Set("skip_watch", true)
			ret.Set("result", true)
			return false
		} else if rc == 0 {
			ret.Set("comment", "onlyif condition is true")
			ret.Set("result", false)
		}
		return true
	}
	for _, entry := range sliceOf(mustGet(low, "onlyif")) {
		switch e := entry.(type) {
		case string:
			rc, err := r.retcode(ctx, e, cmdOpts)
			if err != nil {
				rc = 100
			}
			if !check(rc) {
				return ret
			}
		case *data.Map:
			if !e.Has("fun") {
				ret.Set("comment", "no `fun` argument in onlyif: "+data.Repr(e))
				r.Env.Logger().Warn(str(mustGet(ret, "comment")))
				return ret
			}
			v, rc, err := r.checkFunction(ctx, e)
			if err != nil {
				ret.Set("comment", "onlyif condition is false")
				ret.Set("skip_watch", true)
				ret.Set("result", true)
				return ret
			}
			if rc != 0 {
				if !check(int64(rc)) {
					return ret
				}
			} else if !data.Truthy(v) {
				ret.Set("comment", "onlyif condition is false")
				ret.Set("skip_watch", true)
				ret.Set("result", true)
				return ret
			} else {
				ret.Set("comment", "onlyif condition is true")
				ret.Set("result", false)
			}
		default:
			ret.Set("comment", "onlyif execution failed, bad type passed")
			ret.Set("result", false)
			return ret
		}
	}
	return ret
}

func (r *Runner) checkUnless(ctx context.Context, low *data.Map, cmdOpts *data.Map) *data.Map {
	ret := data.M("result", false)
	for _, k := range []string{"__sls__", "__id__", "name"} {
		ret.Set(k, mustGet(low, k))
	}
	check := func(rc int64) bool {
		if rc == 0 {
			ret.Set("comment", "unless condition is true")
			ret.Set("skip_watch", true)
			ret.Set("result", true)
			return false
		}
		ret.Delete("skip_watch")
		ret.Set("comment", "unless condition is false")
		ret.Set("result", false)
		return true
	}
	for _, entry := range sliceOf(mustGet(low, "unless")) {
		switch e := entry.(type) {
		case string:
			rc, err := r.retcode(ctx, e, cmdOpts)
			if err != nil {
				rc = 0
			}
			if check(rc) {
				return ret
			}
		case *data.Map:
			if !e.Has("fun") {
				ret.Set("comment", "no `fun` argument in unless: "+data.Repr(e))
				r.Env.Logger().Warn(str(mustGet(ret, "comment")))
				return ret
			}
			v, rc, err := r.checkFunction(ctx, e)
			if err != nil {
				ret.Set("comment", "unless condition is false")
				ret.Set("result", false)
				return ret
			}
			if rc != 0 {
				if check(int64(rc)) {
					return ret
				}
			} else if data.Truthy(v) {
				ret.Set("comment", "unless condition is true")
				ret.Set("skip_watch", true)
				ret.Set("result", true)
			} else {
				ret.Set("comment", "unless condition is false")
				ret.Set("result", false)
				return ret
			}
		default:
			ret.Set("comment", "unless condition is false, bad type passed")
			ret.Set("result", false)
		}
	}
	return ret
}

func checkCreates(low *data.Map) *data.Map {
	ret := data.M("result", false)
	for _, k := range []string{"__sls__", "__id__", "name"} {
		ret.Set(k, mustGet(low, k))
	}
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	switch c := mustGet(low, "creates").(type) {
	case string:
		if exists(c) {
			ret.Set("comment", c+" exists")
			ret.Set("result", true)
			ret.Set("skip_watch", true)
			return ret
		}
	case []any:
		all := true
		for _, p := range c {
			if !exists(str(p)) {
				all = false
			}
		}
		if all {
			ret.Set("comment", "All files in creates exist")
			ret.Set("result", true)
			ret.Set("skip_watch", true)
			return ret
		}
	}
	ret.Set("comment", "Creates files not found")
	ret.Set("result", false)
	return ret
}

func (r *Runner) runCheckCmd(ctx context.Context, low *data.Map) *data.Map {
	ret := data.M("result", false)
	for _, k := range []string{"__sls__", "__id__", "name"} {
		ret.Set(k, mustGet(low, k))
	}
	opts := data.NewMap()
	if v, ok := r.Env.Grains.Get("shell"); ok {
		opts.Set("shell", v)
	}
	for _, e := range sliceOf(mustGet(low, "check_cmd")) {
		rc, err := r.retcode(ctx, str(e), opts)
		if err != nil {
			rc = 1
		}
		if rc == 0 && mustGet(ret, "result") == false {
			ret.Set("comment", "check_cmd determined the state succeeded")
			ret.Set("result", true)
		} else if rc != 0 {
			ret.Set("comment", "check_cmd determined the state failed")
			ret.Set("result", false)
			return ret
		}
	}
	return ret
}

type crefKey struct{ state, id, name string }

// callListen is State.call_listen: the mod_watch runs of listen and
// listen_in, after every chunk ran.
func (r *Runner) callListen(ctx context.Context, chunks []*data.Map, running *data.Map) {
	type listener struct {
		key crefKey
		val []any
	}
	var listeners []listener
	var crefs []crefKey
	crefData := map[crefKey]*data.Map{}
	for _, ch := range chunks {
		k := crefKey{getStr(ch, "state"), str(mustGet(ch, "__id__")), str(mustGet(ch, "name"))}
		if _, dup := crefData[k]; !dup {
			crefs = append(crefs, k)
		}
		crefData[k] = ch
		if v, ok := ch.Get("listen"); ok {
			listeners = append(listeners, listener{k, sliceOf(v)})
		}
		if v, ok := ch.Get("listen_in"); ok {
			for _, lin := range sliceOf(v) {
				lm, ok := lin.(*data.Map)
				if !ok {
					continue
				}
				lm.Range(func(lk, lv any) bool {
					listeners = append(listeners, listener{crefKey{str(lk), str(lv), "lookup"}, []any{data.M(getStr(ch, "state"), mustGet(ch, "__id__"))}})
					return true
				})
			}
		}
	}
	in := func(c crefKey, v string) bool { return c.state == v || c.id == v || c.name == v }
	errs := data.NewMap()
	var watchers []*data.Map
	for _, l := range listeners {
		for _, lt := range l.val {
			ltm, isMap := lt.(*data.Map)
			if !isMap {
				found := false
				for _, ch := range chunks {
					if data.Equal(mustGet(ch, "__id__"), lt) || data.Equal(mustGet(ch, "name"), lt) {
						ltm = data.M(getStr(ch, "state"), mustGet(ch, "__id__"))
						found = true
					}
				}
				if !found {
					continue
				}
			}
			ltm.Range(func(lk, lv any) bool {
				lkey, lval := str(lk), str(lv)
				exists := false
				for _, c := range crefs {
					if c.state == lkey && in(c, lval) {
						exists = true
					}
				}
				if !exists {
					errs.Set(lTag(lkey, lval), data.M("comment", fmt.Sprintf("Referenced state %s: %s does not exist", lkey, lval), "name", "listen_"+lkey+":"+lval, "result", false, "changes", data.NewMap()))
					return true
				}
				for _, c := range crefs {
					if !(c.state == lkey && in(c, lval)) {
						continue
					}
					toTag := Tag(crefData[c])
					rv, ok := running.Get(toTag)
					if !ok {
						continue
					}
					rm, _ := rv.(*data.Map)
					if rm == nil || !data.Truthy(mustGet(rm, "changes")) {
						continue
					}
					keyExists := false
					for _, c2 := range crefs {
						if l.key.state == c2.state && in(c2, l.key.id) {
							keyExists = true
						}
					}
					if !keyExists {
						errs.Set(lTag(l.key.state, l.key.id), data.M("comment", fmt.Sprintf("Referenced state %s: %s does not exist", l.key.state, l.key.id), "name", "listen_"+l.key.state+":"+l.key.id, "result", false, "changes", data.NewMap()))
						continue
					}
					for _, c2 := range crefs {
						if !(l.key.state == c2.state && in(c2, l.key.id)) {
							continue
						}
						ch := crefData[c2]
						w := ch.Copy()
						w.Set("sfun", mustGet(ch, "fun"))
						w.Set("fun", "mod_watch")
						w.Set("__id__", "listener_"+str(mustGet(ch, "__id__")))
						for k := range requisiteKeywords {
							w.Delete(k)
						}
						watchers = append(watchers, w)
					}
				}
				return true
			})
		}
	}
	saved := r.running
	ret := r.callChunks(ctx, watchers)
	r.running = saved
	ret.Range(func(k, v any) bool { running.Set(k, v); return true })
	errs.Range(func(k, v any) bool {
		v.(*data.Map).Set("__run_num__", r.nextRun())
		running.Set(k, v)
		return true
	})
}

func lTag(name, id string) string {
	return "Listen_Error_|-listen_" + id + "_|-listen_" + name + "_|-Listen_Error"
}

func stack() string { return string(debug.Stack()) }

// CallChunk is State.call_chunk on a fresh run (state.sls_id): run low and
// whatever it requires; the results of everything that ran.
func (r *Runner) CallChunk(ctx context.Context, low *data.Map, chunks []*data.Map) (*data.Map, error) {
	if r.running == nil {
		r.running = data.NewMap()
	}
	if r.pre == nil {
		r.pre = map[string]*data.Map{}
	}
	r.active = map[string]bool{}
	r.callChunk(ctx, low, chunks, 0)
	r.running.Delete("__FAILHARD__")
	if r.err != nil {
		return nil, r.err
	}
	return r.running, nil
}

// Single is state.single's run of one chunk without requisites: the
// verify errors, or {tag: result}.
func (r *Runner) Single(ctx context.Context, low *data.Map) (*data.Map, []string, error) {
	r.running = data.NewMap()
	r.pre = map[string]*data.Map{}
	r.active = map[string]bool{}
	if errs := r.verifyData(low.Copy()); len(errs) > 0 {
		return nil, errs, nil
	}
	ret := r.call(ctx, low, []*data.Map{low}, 1)
	if r.err != nil {
		return nil, nil, r.err
	}
	return data.M(Tag(low), ret), nil, nil
}
