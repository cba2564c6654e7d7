package mccloudlxc

import (
	"strings"
	"sync"

	"github.com/saltgo/saltgo/data"
)

// Colours of makina-states' runner comments: salt.utils.get_colors(True)
// codes, which makina-states always used (the comment strings carry them).
const (
	colYellow    = "\033[0;33m"
	colGreen     = "\033[0;32m"
	colRed       = "\033[0;31m"
	colLightCyan = "\033[1;36m"
	colEnd       = "\033[0m"
)

// Painter wraps comment fragments in makina-states' colours; a zero Painter
// (Plain) leaves them uncoloured.
type Painter struct{ On bool }

func (p Painter) wrap(code, s string) string {
	if !p.On {
		return s
	}
	return code + s + colEnd
}

// Yellow is one of makina-states' colour helpers (with Green, Red and
// Blue; blue is LIGHT_CYAN, as in mc_states.api).
func (p Painter) Yellow(s string) string { return p.wrap(colYellow, s) }

// Green wraps s in green.
func (p Painter) Green(s string) string { return p.wrap(colGreen, s) }

// Red wraps s in red.
func (p Painter) Red(s string) string { return p.wrap(colRed, s) }

// Blue wraps s in light cyan.
func (p Painter) Blue(s string) string { return p.wrap(colLightCyan, s) }

// Status is green "success" or red "failed".
func (p Painter) Status(ok bool) string {
	if ok {
		return p.Green("success")
	}
	return p.Red("failed")
}

// Result is makina-states' runner result dict (saltapi.result()):
// result, comment, output, trace and changes, plus optional extra keys.
// Its methods are safe for concurrent use, so that parallel steps can
// report into one result.
type Result struct {
	mu      sync.Mutex
	ok      bool
	comment strings.Builder
	output  strings.Builder
	trace   strings.Builder
	changes *data.Map
	extra   *data.Map
}

// NewResult returns a fresh result: result True, everything else empty.
func NewResult() *Result {
	return &Result{ok: true, changes: data.NewMap(), extra: data.NewMap()}
}

// OK reports the result flag.
func (r *Result) OK() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ok
}

// Fail sets result to False.
func (r *Result) Fail() {
	r.mu.Lock()
	r.ok = false
	r.mu.Unlock()
}

// Comment appends text to the comment (lines carry their own "\n").
func (r *Result) Comment(s string) {
	r.mu.Lock()
	r.comment.WriteString(s)
	r.mu.Unlock()
}

// Output appends text to the output.
func (r *Result) Output(s string) {
	r.mu.Lock()
	r.output.WriteString(s)
	r.mu.Unlock()
}

// Trace appends text to the trace.
func (r *Result) Trace(s string) {
	r.mu.Lock()
	r.trace.WriteString(s)
	r.mu.Unlock()
}

// CommentText returns the comment so far.
func (r *Result) CommentText() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.comment.String()
}

// SetChange sets changes[key] = v.
func (r *Result) SetChange(key string, v any) {
	r.mu.Lock()
	r.changes.Set(key, v)
	r.mu.Unlock()
}

// AppendChange appends v to the list changes[key] (created when missing).
func (r *Result) AppendChange(key string, v any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur, _ := r.changes.Get(key)
	l, _ := cur.([]any)
	r.changes.Set(key, append(l, v))
}

// AppendChangeIn appends v to the list changes[key][sub] ({cn: [vm]} maps
// such as vms_provisionned).
func (r *Result) AppendChangeIn(key, sub string, v any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.changeMap(key)
	l, _ := m.Get(sub)
	ll, _ := l.([]any)
	m.Set(sub, append(ll, v))
}

// SetChangeIn sets changes[key][sub] = v.
func (r *Result) SetChangeIn(key, sub string, v any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changeMap(key).Set(sub, v)
}

// changeMap returns the mapping changes[key], made when missing; r.mu is
// held.
func (r *Result) changeMap(key string) *data.Map {
	cur, _ := r.changes.Get(key)
	m, ok := cur.(*data.Map)
	if !ok {
		m = data.NewMap()
		r.changes.Set(key, m)
	}
	return m
}

// SetExtra sets a top-level key besides the five standard ones (targets...).
func (r *Result) SetExtra(key string, v any) {
	r.mu.Lock()
	r.extra.Set(key, v)
	r.mu.Unlock()
}

// Changed reports whether changes is non-empty.
func (r *Result) Changed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.changes.Len() > 0
}

// Merge folds another result into r with makina-states' merge_results: a
// False result propagates; output, comment and trace get a newline and the
// other's text; changes are deep-merged (dicts recursively, anything else
// replaced).
func (r *Result) Merge(o *Result) {
	if o == nil || o == r {
		return
	}
	om := o.Map()
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, _ := om.Get("result"); v == false {
		r.ok = false
	}
	for _, k := range []struct {
		key string
		b   *strings.Builder
	}{{"output", &r.output}, {"comment", &r.comment}, {"trace", &r.trace}} {
		s, _ := om.String(k.key)
		k.b.WriteString("\n" + s)
	}
	ch, _ := om.Get("changes")
	if chm, ok := ch.(*data.Map); ok {
		dictUpdate(r.changes, chm)
	}
}

// dictUpdate is salt.utils.dictupdate.update: nested dicts are merged
// recursively, other values replaced.
func dictUpdate(dst, src *data.Map) {
	src.Range(func(k, v any) bool {
		if sm, ok := v.(*data.Map); ok {
			if cur, ok := dst.Get(k); ok {
				if dm, ok := cur.(*data.Map); ok {
					dictUpdate(dm, sm)
					return true
				}
			}
			dst.Set(k, data.Deep(sm))
			return true
		}
		dst.Set(k, data.Deep(v))
		return true
	})
}

// Map returns the result dict: comment, changes, output, trace, result
// (saltapi.result()'s keys), then the extra keys. Blank lines are removed
// from comment and trace as salt_output does before printing.
func (r *Result) Map() *data.Map {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := data.M(
		"comment", dropBlankLines(r.comment.String()),
		"changes", data.Deep(r.changes),
		"output", r.output.String(),
		"trace", dropBlankLines(r.trace.String()),
		"result", r.ok,
	)
	r.extra.Range(func(k, v any) bool { m.Set(k, data.Deep(v)); return true })
	return m
}

// dropBlankLines removes empty and whitespace-only lines, keeping a
// trailing newline when there was one (mc_states.api.strip_colors-era
// salt_output clean-up).
func dropBlankLines(s string) string {
	if s == "" {
		return s
	}
	trail := strings.HasSuffix(s, "\n")
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			keep = append(keep, l)
		}
	}
	out := strings.Join(keep, "\n")
	if trail && out != "" {
		out += "\n"
	}
	return out
}
