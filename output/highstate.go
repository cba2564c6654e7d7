package output

import (
	"math/big"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/saltgo/saltgo/data"
)

// Highstate renders state run returns as Salt's highstate outputter: one
// block per host ({"local": {state_id: result...}} for salt-call), honouring
// state_output (full, terse, mixed, changes, filter and the _id forms),
// state_verbose, state_tabular, state_output_diff and state_output_profile.
func Highstate(d any, opts Options) string {
	m, ok := data.Canonical(d).(*data.Map)
	if !ok {
		return ""
	}
	// Orchestrate data: drop a retcode key next to a single *_master key.
	masters := 0
	m.Range(func(k, _ any) bool {
		if s, ok := k.(string); ok && strings.HasSuffix(s, "_master") {
			masters++
		}
		return true
	})
	if m.Has("retcode") && masters == 1 {
		m = m.Copy()
		m.Delete("retcode")
	}
	if inner, ok := m.Get("data"); ok {
		im, ok := data.Canonical(inner).(*data.Map)
		if !ok {
			return ""
		}
		m = im
	}
	h := hsFormatter{opts: opts, c: getColors(opts.Color)}
	var out []string
	m.Range(func(host, hostdata any) bool {
		s, _ := h.formatHost(data.Str(host), hostdata)
		out = append(out, s)
		return true
	})
	return strings.Join(out, "\n")
}

type hsFormatter struct {
	opts Options
	c    *colors
}

// resultKey is the rcounts key of a state's result: True, False or None.
type resultKey int

const (
	resNone resultKey = iota
	resTrue
	resFalse
)

func resultOf(v any) (resultKey, bool) {
	switch x := v.(type) {
	case nil:
		return resNone, true
	case bool:
		if x {
			return resTrue, true
		}
		return resFalse, true
	}
	return 0, false
}

func (h *hsFormatter) formatHost(host string, hd any) (string, bool) {
	c := h.c
	hcolor := c.Green
	var hstrs []string
	nchanges := 0
	strip := !h.opts.NoStripColors
	hd = data.Canonical(hd)
	switch x := hd.(type) {
	case int64, uint64, *big.Int, string:
		nchanges = 1
		hstrs = append(hstrs, hcolor+"    "+data.Str(x)+c.Endc)
		hcolor = c.Cyan
	case []any:
		hcolor = c.LightRed
		hstrs = append(hstrs, "    "+hcolor+"Data failed to compile:"+c.Endc)
		for _, e := range x {
			s := data.Str(e)
			if strip {
				s = stripEsc(s)
			}
			hstrs = append(hstrs, hcolor+"----------\n    "+s+c.Endc)
		}
	case *data.Map:
		var prefix []string
		counts := map[resultKey]int{}
		otherResults := map[string]int{}
		warnings := 0
		var durations []float64
		type state struct {
			tname string
			ret   *data.Map
		}
		var states []state
		x.Range(func(k, v any) bool {
			info, ok := data.Canonical(v).(*data.Map)
			tname := data.Str(k)
			if ok && tname != "changes" && info.Len() > 0 && !info.Has("__run_num__") {
				prefix = append(prefix,
					"The State execution failed to record the order in which all states were executed. The state return missing data is:",
					PPrint(info, Options{}))
			}
			if ok && info.Has("result") {
				states = append(states, state{tname, info})
			}
			return true
		})
		sort.SliceStable(states, func(i, j int) bool {
			return runNum(states[i].ret) < runNum(states[j].ret)
		})
		stateOutput := strings.ToLower(h.opts.StateOutput)
		if stateOutput == "" {
			stateOutput = "full"
		}
		for _, st := range states {
			ret := st.ret
			result, _ := ret.Get("result")
			if rk, ok := resultOf(result); ok {
				counts[rk]++
			} else {
				otherResults[data.Repr(result)]++
			}
			if d, ok := parseDuration(ret); ok {
				durations = append(durations, d)
			}
			tcolor := c.Green
			changes, _ := ret.Get("changes")
			orch, _ := ret.Get("__orchestration__")
			schanged, ctext := h.formatChanges(changes, data.Truthy(orch))
			if schanged {
				nchanges++
			}
			if h.opts.StateOutputDiff && data.Truthy(result) && !schanged {
				continue
			}
			if !h.opts.stateVerbose() && data.Truthy(result) && !schanged {
				continue
			}
			if schanged {
				tcolor = c.Cyan
			}
			if b, ok := result.(bool); ok && !b {
				hcolor, tcolor = c.Red, c.Red
			}
			if result == nil {
				hcolor, tcolor = c.LightYellow, c.LightYellow
			}
			comps := strings.Split(st.tname, "_|-")
			for len(comps) < 4 {
				comps = append(comps, "")
			}
			if strings.HasSuffix(stateOutput, "_id") {
				comps[2] = comps[1]
			}
			isFalse := false
			if b, ok := result.(bool); ok && !b {
				isFalse = true
			}
			if strings.HasPrefix(stateOutput, "filter") {
				rs := data.Str(result)
				if containsStr(h.opts.StateOutputTerse, rs) {
					hstrs = append(hstrs, h.formatTerse(tcolor, comps, ret))
					continue
				}
				if containsStr(h.opts.StateOutputExclude, rs) {
					continue
				}
			} else if strings.HasPrefix(stateOutput, "terse") ||
				(strings.HasPrefix(stateOutput, "mixed") && !isFalse) ||
				(strings.HasPrefix(stateOutput, "changes") && data.Truthy(result) && !schanged) {
				hstrs = append(hstrs, h.formatTerse(tcolor, comps, ret))
				continue
			}
			hstrs = append(hstrs, h.fullState(tcolor, comps, ret, result)...)
			hstrs = append(hstrs, tcolor+"     Changes:   "+ctext+c.Endc)
			if w, ok := ret.Get("warnings"); ok {
				warnings++
				hstrs = append(hstrs, "   "+c.LightRed+" Warnings: "+
					strings.TrimLeft(textFill(joinWarnings(w), 80, 14), " ")+c.Endc)
			}
		}
		hstrs = append(prefix, hstrs...)
		hstrs = append(hstrs, h.summary(host, counts, otherResults, warnings, nchanges, durations)...)
	}
	if strip {
		host = stripEsc(host)
	}
	hstrs = append([]string{hcolor + host + ":" + c.Endc}, hstrs...)
	return strings.Join(hstrs, "\n"), nchanges > 0
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func runNum(m *data.Map) float64 {
	v, ok := m.Get("__run_num__")
	if !ok {
		return 0
	}
	switch x := data.Canonical(v).(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	case bool:
		if x {
			return 1
		}
	}
	return 0
}

func parseDuration(ret *data.Map) (float64, bool) {
	v, ok := ret.Get("duration")
	if !ok {
		return 0, true
	}
	switch x := data.Canonical(v).(type) {
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, true
	case float64:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case string:
		s := strings.TrimSpace(x)
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f, true
		}
		if i := strings.Index(x, " ms"); i >= 0 {
			s = strings.TrimSpace(x[:i])
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f, true
		}
	}
	return 0, false
}

func (h *hsFormatter) fullState(tcolor string, comps []string, ret *data.Map, result any) []string {
	c := h.c
	lines := []string{
		tcolor + "----------" + c.Endc,
		"    " + tcolor + "      ID: " + comps[1] + c.Endc,
		"    " + tcolor + "Function: " + comps[0] + "." + comps[3] + c.Endc,
		"    " + tcolor + "  Result: " + data.Str(result) + c.Endc,
		"    " + tcolor + " Comment: " + h.comment(ret) + c.Endc,
	}
	if h.opts.profile() && ret.Has("start_time") {
		st, _ := ret.Get("start_time")
		dur := ""
		if d, ok := ret.Get("duration"); ok {
			if s, isStr := d.(string); !isStr || s != "" {
				dur = data.Str(d) + " ms"
			}
		}
		lines = append(lines,
			"    "+tcolor+" Started: "+data.Str(st)+c.Endc,
			"    "+tcolor+"Duration: "+dur+c.Endc)
	}
	if comps[1] != comps[2] {
		lines = append(lines[:3], append([]string{"    " + tcolor + "    Name: " + comps[2] + c.Endc}, lines[3:]...)...)
	}
	return lines
}

func (h *hsFormatter) comment(ret *data.Map) string {
	cv, _ := ret.Get("comment")
	var comment string
	switch x := data.Canonical(cv).(type) {
	case string:
		comment = x
	case []byte:
		comment = string(x)
	default:
		comment = data.Str(x)
	}
	comment = strings.ReplaceAll(strings.TrimFunc(comment, isPySpace), "\n", "\n"+strings.Repeat(" ", 14))
	if dv, ok := ret.Get("data"); ok {
		switch x := data.Canonical(dv).(type) {
		case []any:
			for _, it := range x {
				comment += " " + data.Str(it)
			}
		case *data.Map:
			x.Range(func(k, v any) bool {
				comment += "\n\t\t" + data.Str(k) + ": " + data.Str(v)
				return true
			})
		default:
			comment += " " + data.Str(x)
		}
	}
	return comment
}

func (h *hsFormatter) formatChanges(changes any, orchestration bool) (bool, string) {
	if !data.Truthy(changes) {
		return false, ""
	}
	if orchestration {
		return true, h.nestedChanges(changes)
	}
	m, ok := data.Canonical(changes).(*data.Map)
	if !ok {
		return true, "Invalid Changes data: " + data.Str(changes)
	}
	ret, _ := m.Get("ret")
	out, _ := m.Get("out")
	if ret != nil && out == "highstate" {
		rm, ok := data.Canonical(ret).(*data.Map)
		if !ok {
			return true, h.nestedChanges(changes)
		}
		changed := false
		var ctext strings.Builder
		rm.Range(func(host, hostdata any) bool {
			s, ch := h.formatHost(data.Str(host), hostdata)
			for _, l := range data.SplitLines(s, false) {
				ctext.WriteString("\n" + strings.Repeat(" ", 14) + l)
			}
			changed = changed || ch
			return true
		})
		return changed, ctext.String()
	}
	return true, h.nestedChanges(changes)
}

func (h *hsFormatter) nestedChanges(changes any) string {
	o := h.opts
	o.NestedIndent = 14
	o.Retcode = 0
	return "\n" + rstrip(Nested(changes, o))
}

func padLeft(s string, n int) string {
	if l := utf8.RuneCountInString(s); l < n {
		return strings.Repeat(" ", n-l) + s
	}
	return s
}

func padRight(s string, n int) string {
	if l := utf8.RuneCountInString(s); l < n {
		return s + strings.Repeat(" ", n-l)
	}
	return s
}

func joinWarnings(w any) string {
	switch x := data.Canonical(w).(type) {
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = data.Str(e)
		}
		return strings.Join(parts, "\n")
	}
	return data.Str(w)
}

func (h *hsFormatter) formatTerse(tcolor string, comps []string, ret *data.Map) string {
	c := h.c
	changes, _ := ret.Get("changes")
	result, _ := ret.Get("result")
	res := "Clean"
	if data.Truthy(changes) {
		res = "Changed"
	}
	if b, ok := result.(bool); ok && !b {
		res = "Failed"
	} else if result == nil {
		res = "Differs"
	}
	profile := h.opts.profile() && ret.Has("start_time")
	st, _ := ret.Get("start_time")
	dur, _ := ret.Get("duration")
	var b strings.Builder
	if h.opts.StateTabular {
		if w, ok := ret.Get("warnings"); ok {
			b.WriteString(c.LightRed + "Warnings:\n" + joinWarnings(w) + c.Endc + "\n")
		}
		b.WriteString(tcolor)
		if profile {
			b.WriteString(data.Str(st) + " [" + padLeft(data.Str(dur), 7) + " ms] ")
		}
		b.WriteString(padLeft(comps[0], 10) + "." + padRight(comps[len(comps)-1], 10) + " " +
			padRight(res, 7) + "   Name: " + comps[2] + c.Endc)
		return b.String()
	}
	if w, ok := ret.Get("warnings"); ok {
		b.WriteString(c.LightRed + "Warnings:\n" + joinWarnings(w) + c.Endc)
	}
	b.WriteString(" " + tcolor + " Name: " + comps[2] + " - Function: " + comps[0] + "." +
		comps[len(comps)-1] + " - Result: " + res)
	if profile {
		b.WriteString(" - Started: " + data.Str(st) + " - Duration: " + data.Str(dur) + " ms")
	}
	b.WriteString(c.Endc)
	return b.String()
}

func (h *hsFormatter) summary(host string, counts map[resultKey]int, other map[string]int, warnings, nchanges int, durations []float64) []string {
	c := h.c
	var out []string
	countMax := 0
	total := 0
	for _, n := range counts {
		if l := len(strconv.Itoa(n)); l > countMax {
			countMax = l
		}
		total += n
	}
	for _, n := range other {
		if l := len(strconv.Itoa(n)); l > countMax {
			countMax = l
		}
		total += n
	}
	if warnings > 0 {
		if l := len(strconv.Itoa(warnings)); l > countMax {
			countMax = l
		}
	}
	lineMax := len("Succeeded") + countMax + 2
	dashes := strings.Repeat("-", lineMax)
	out = append(out, c.Cyan+"\nSummary for "+host+"\n"+dashes+c.Endc)
	counter := func(label string, n int) string {
		return label + ": " + padLeft(strconv.Itoa(n), lineMax-(len(label)+2))
	}
	var stats []string
	if counts[resNone] > 0 {
		stats = append(stats, c.LightYellow+"unchanged="+strconv.Itoa(counts[resNone])+c.Endc)
	}
	if nchanges > 0 {
		stats = append(stats, c.Green+"changed="+strconv.Itoa(nchanges)+c.Endc)
	}
	cs := ""
	if len(stats) > 0 {
		cs = " (" + strings.Join(stats, ", ") + ")"
	}
	out = append(out, c.Green+counter("Succeeded", counts[resTrue]+counts[resNone])+c.Endc+cs)
	failed := counts[resFalse]
	fc := c.Cyan
	if failed > 0 {
		fc = c.Red
	}
	out = append(out, fc+counter("Failed", failed)+c.Endc)
	if warnings > 0 {
		out = append(out, c.LightRed+counter("Warnings", warnings)+c.Endc)
	}
	out = append(out, c.Cyan+dashes+"\nTotal states run: "+padLeft(strconv.Itoa(total), lineMax-7)+c.Endc)
	if h.opts.profile() {
		sum := 0.0
		for _, d := range durations {
			sum += d
		}
		unit := "ms"
		if sum > 999 {
			sum /= 1000
			unit = "s"
		}
		out = append(out, c.Cyan+"Total run time: "+padLeft(strconv.FormatFloat(sum, 'f', 3, 64), lineMax-5)+" "+unit+c.Endc)
	}
	return out
}

// textFill is a simple textwrap.fill(width, initial and subsequent indent):
// whitespace runs become single breaks between words.
func textFill(s string, width, indent int) string {
	words := strings.Fields(s)
	pad := strings.Repeat(" ", indent)
	var lines []string
	cur := pad
	for _, w := range words {
		if cur != pad && utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(w) > width {
			lines = append(lines, cur)
			cur = pad
		}
		if cur == pad {
			cur += w
		} else {
			cur += " " + w
		}
	}
	if cur != pad {
		lines = append(lines, cur)
	}
	return strings.Join(lines, "\n")
}
