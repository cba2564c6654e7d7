package state

import (
	"fmt"
	"sort"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/minion/match"
)

// High data is Salt's "highstate": a *data.Map from ID to a body
// (*data.Map) holding one list per state module ([fun, {arg: val}, ...])
// plus "__sls__" and "__env__"; the top-level keys "__extend__" and
// "__exclude__" hold the pending extends and excludes. Low chunks are
// *data.Map too: state, name, __sls__, __env__, __id__, every argument,
// order and fun.

// requisiteKeywords are Salt's STATE_REQUISITE_KEYWORDS.
var requisiteKeywords = map[string]bool{
	"onchanges": true, "onchanges_any": true, "onfail": true, "onfail_any": true,
	"onfail_all": true, "onfail_stop": true, "prereq": true, "prerequired": true,
	"watch": true, "watch_any": true, "require": true, "require_any": true, "listen": true,
}

// requisiteInKeywords are Salt's STATE_REQUISITE_IN_KEYWORDS.
var requisiteInKeywords = map[string]bool{
	"onchanges_in": true, "onfail_in": true, "prereq_in": true, "watch_in": true,
	"require_in": true, "listen_in": true,
}

// runtimeKeywords are Salt's STATE_RUNTIME_KEYWORDS.
var runtimeKeywords = map[string]bool{
	"fun": true, "state": true, "check_cmd": true, "cmd_opts_exclude": true, "failhard": true,
	"onlyif": true, "unless": true, "creates": true, "retry": true, "order": true,
	"parallel": true, "prereq": true, "prereq_in": true, "prerequired": true,
	"reload_modules": true, "reload_grains": true, "reload_pillar": true, "runas": true,
	"runas_password": true, "fire_event": true, "saltenv": true, "umask": true, "use": true,
	"use_in": true, "__env__": true, "__sls__": true, "__id__": true,
	"__sls_included_from__": true, "__orchestration_jid__": true, "__pub_user": true,
	"__pub_arg": true, "__pub_jid": true, "__pub_fun": true, "__pub_tgt": true,
	"__pub_ret": true, "__pub_pid": true, "__pub_tgt_type": true, "__prereq__": true,
	"__prerequired__": true, "__umask__": true,
}

// internalKeyword reports whether a chunk key belongs to the state system
// (STATE_INTERNAL_KEYWORDS), not to the state function.
func internalKeyword(k string) bool {
	return requisiteKeywords[k] || requisiteInKeywords[k] || runtimeKeywords[k]
}

// firstKey returns the first key of a map as a string ("" when empty or
// not a string).
func firstKey(m *data.Map) string {
	if m == nil || m.Len() == 0 {
		return ""
	}
	s, _ := m.Keys()[0].(string)
	return s
}

func str(v any) string {
	if s, ok := data.AsString(v); ok {
		return s
	}
	return data.Str(v)
}

func getStr(m *data.Map, k string) string {
	v, _ := m.Get(k)
	s, _ := data.AsString(v)
	return s
}

func bodyOf(high *data.Map, id any) *data.Map {
	v, _ := high.Get(id)
	m, _ := v.(*data.Map)
	return m
}

func listOf(v any) []any {
	l, _ := v.([]any)
	return l
}

// stateKeys returns the keys of a body that are state declarations (not
// starting with "__").
func stateKeys(body *data.Map) []string {
	var out []string
	for _, k := range body.Keys() {
		s, ok := k.(string)
		if ok && !strings.HasPrefix(s, "__") {
			out = append(out, s)
		}
	}
	return out
}

// verifyHigh is State.verify_high: structural errors and the recursive
// requisite check.
func verifyHigh(high *data.Map) []string {
	var errs []string
	type reqEntry struct {
		state string
		vals  *data.Map
	}
	reqs := map[string]*reqEntry{}
	var order []string
	for _, k := range high.Keys() {
		name, isStr := k.(string)
		if isStr && strings.HasPrefix(name, "__") {
			continue
		}
		v, _ := high.Get(k)
		body, ok := v.(*data.Map)
		if !isStr {
			sls := ""
			if ok {
				sls = getStr(body, "__sls__")
			}
			errs = append(errs, fmt.Sprintf("ID '%s' in SLS '%s' is not formed as a string, but is a %s. It may need to be quoted.", data.Str(k), sls, pyTypeName(k)))
		}
		if !ok {
			errs = append(errs, fmt.Sprintf("The type %s in %s is not formatted as a dictionary", data.Str(k), data.Str(v)))
			continue
		}
		sls := getStr(body, "__sls__")
		for _, state := range stateKeys(body) {
			sv, _ := body.Get(state)
			if sv == nil {
				errs = append(errs, fmt.Sprintf("ID '%s' in SLS '%s' contains a short declaration (%s) with a trailing colon. When not passing any arguments to a state, the colon must be omitted.", name, sls, state))
				continue
			}
			run, ok := sv.([]any)
			if !ok {
				errs = append(errs, fmt.Sprintf("State '%s' in SLS '%s' is not formed as a list", name, sls))
				continue
			}
			fun := 0
			if strings.Contains(state, ".") {
				fun++
			}
			for _, arg := range run {
				switch a := arg.(type) {
				case string:
					fun++
					if strings.Contains(strings.TrimSpace(a), " ") {
						errs = append(errs, fmt.Sprintf("The function \"%s\" in state \"%s\" in SLS \"%s\" has whitespace, a function with whitespace is not supported, perhaps this is an argument that is missing a \":\"", a, name, sls))
					}
				case *data.Map:
					argfirst := firstKey(a)
					av, _ := a.Get(argfirst)
					if argfirst == "names" {
						if _, ok := av.([]any); !ok {
							errs = append(errs, fmt.Sprintf("The 'names' argument in state '%s' in SLS '%s' needs to be formed as a list", name, sls))
						}
					}
					switch argfirst {
					case "require", "watch", "prereq", "onchanges":
						list, ok := av.([]any)
						if !ok {
							errs = append(errs, fmt.Sprintf("The %s statement in state '%s' in SLS '%s' needs to be formed as a list", argfirst, name, sls))
							break
						}
						if reqs[name] == nil {
							order = append(order, name)
						}
						reqs[name] = &reqEntry{state: state, vals: data.NewMap()}
						for _, req := range list {
							if s, ok := req.(string); ok {
								req = data.M("id", s)
							}
							rm, ok := req.(*data.Map)
							if !ok {
								errs = append(errs, fmt.Sprintf("Requisite declaration %s in SLS %s is not formed as a single key dictionary", data.Str(req), sls))
								continue
							}
							reqKey := firstKey(rm)
							reqVal, _ := rm.Get(reqKey)
							if strings.Contains(reqKey, ".") {
								errs = append(errs, fmt.Sprintf("Invalid requisite type '%s' in state '%s', in SLS '%s'. Requisite types must not contain dots, did you mean '%s'?", reqKey, name, sls, reqKey[:strings.Index(reqKey, ".")]))
							}
							switch reqVal.(type) {
							case *data.Map, []any:
								errs = append(errs, fmt.Sprintf("Illegal requisite \"%s\", please check your syntax.\n", data.Str(reqVal)))
								continue
							}
							rv := str(reqVal)
							reqs[name].vals.Set(rv, reqKey)
							if other, ok := reqs[rv]; ok {
								if back, ok := other.vals.Get(name); ok && back == state && other.state == reqKey {
									errs = append(errs, fmt.Sprintf("A recursive requisite was found, SLS \"%s\" ID \"%s\" ID \"%s\"", sls, name, rv))
								}
							}
						}
					}
					if a.Len() != 1 {
						errs = append(errs, fmt.Sprintf("Multiple dictionaries defined in argument of state '%s' in SLS '%s'", name, sls))
					}
				}
			}
			if fun == 0 {
				if state == "require" || state == "watch" {
					continue
				}
				errs = append(errs, fmt.Sprintf("No function declared in state '%s' in SLS '%s'", name, sls))
			} else if fun > 1 {
				var funs []string
				if i := strings.Index(state, "."); i >= 0 {
					funs = append(funs, state[i+1:])
				}
				for _, arg := range run {
					if s, ok := arg.(string); ok {
						funs = append(funs, s)
					}
				}
				errs = append(errs, fmt.Sprintf("Too many functions declared in state '%s' in SLS '%s'. Please choose one of the following: %s", name, sls, strings.Join(funs, ", ")))
			}
		}
	}
	_ = order
	return errs
}

func pyTypeName(v any) string {
	switch v.(type) {
	case bool:
		return "bool"
	case int64, uint64:
		return "int"
	case float64:
		return "float"
	case nil:
		return "NoneType"
	case string:
		return "str"
	case []any:
		return "list"
	case *data.Map:
		return "dict"
	}
	return fmt.Sprintf("%T", v)
}

// compileHighData is State.compile_high_data: one chunk per (ID, module,
// function, name), then orderChunks.
func compileHighData(high *data.Map) []*data.Map {
	var chunks []*data.Map
	for _, k := range high.Keys() {
		name, _ := k.(string)
		if strings.HasPrefix(name, "__") {
			continue
		}
		body := bodyOf(high, k)
		if body == nil {
			continue
		}
		for _, state := range stateKeys(body) {
			run := listOf(mustGet(body, state))
			var funcs []string
			var names []any
			chunk := data.M("state", state, "name", name)
			for _, dk := range []string{"__sls__", "__env__", "__sls_included_from__"} {
				if v, ok := body.Get(dk); ok {
					chunk.Set(dk, v)
				}
			}
			chunk.Set("__id__", name)
			for _, arg := range run {
				switch a := arg.(type) {
				case string:
					if !containsStr(funcs, a) {
						funcs = append(funcs, a)
					}
				case *data.Map:
					a.Range(func(ak, av any) bool {
						key, _ := ak.(string)
						switch {
						case key == "names":
							for _, n := range listOf(av) {
								if !containsAny(names, n) {
									names = append(names, n)
								}
							}
						case key == "state":
						case key == "name":
							if _, ok := av.(string); !ok {
								chunk.Set(key, name)
							} else {
								chunk.Set(key, av)
							}
						default:
							chunk.Set(key, av)
						}
						return true
					})
				}
			}
			if len(names) > 0 {
				for i, entry := range names {
					live := data.Deep(chunk).(*data.Map)
					if em, ok := entry.(*data.Map); ok {
						ln := em.Keys()[0]
						live.Set("name", ln)
						for _, upd := range listOf(mustGet(em, ln)) {
							if um, ok := upd.(*data.Map); ok {
								um.Range(func(uk, uv any) bool { live.Set(uk, uv); return true })
							}
						}
					} else {
						live.Set("name", entry)
					}
					live.Set("name_order", int64(i+1))
					for _, fun := range funcs {
						c := live.Copy()
						c.Set("fun", fun)
						chunks = append(chunks, c)
					}
				}
			} else {
				for _, fun := range funcs {
					c := data.Deep(chunk).(*data.Map)
					c.Set("fun", fun)
					chunks = append(chunks, c)
				}
			}
		}
	}
	return orderChunks(chunks)
}

func mustGet(m *data.Map, k any) any {
	v, _ := m.Get(k)
	return v
}

func containsStr(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func containsAny(l []any, v any) bool {
	for _, x := range l {
		if data.Equal(x, v) {
			return true
		}
	}
	return false
}

// orderChunks is State.order_chunks: resolve order (first, last,
// negative, name_order) and sort by (order, state+name+fun).
func orderChunks(chunks []*data.Map) []*data.Map {
	cap := 1.0
	for _, c := range chunks {
		if v, ok := c.Get("order"); ok {
			if n, ok := v.(int64); ok {
				if float64(n) > cap-1 && n > 0 {
					cap = float64(n) + 100
				}
			}
		}
	}
	capInt := int64(cap)
	for _, c := range chunks {
		v, ok := c.Get("order")
		if !ok {
			c.Set("order", capInt)
			continue
		}
		switch v.(type) {
		case int64, float64:
		default:
			switch v {
			case "last":
				c.Set("order", capInt+1000000)
			case "first":
				c.Set("order", int64(0))
			default:
				c.Set("order", capInt)
			}
		}
		if no, ok := c.Get("name_order"); ok {
			c.Delete("name_order")
			n, _ := data.AsInt(no)
			c.Set("order", toFloat(mustGet(c, "order"))+float64(n)/10000.0)
		}
		if toFloat(mustGet(c, "order")) < 0 {
			switch o := mustGet(c, "order").(type) {
			case int64:
				c.Set("order", capInt+1000000+o)
			case float64:
				c.Set("order", float64(capInt+1000000)+o)
			}
		}
	}
	keys := make([]string, len(chunks))
	for i, c := range chunks {
		keys[i] = str(mustGet(c, "state")) + str(mustGet(c, "name")) + str(mustGet(c, "fun"))
	}
	idx := make([]int, len(chunks))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		oa, ob := toFloat(mustGet(chunks[idx[a]], "order")), toFloat(mustGet(chunks[idx[b]], "order"))
		if oa != ob {
			return oa < ob
		}
		return keys[idx[a]] < keys[idx[b]]
	})
	out := make([]*data.Map, len(chunks))
	for i, j := range idx {
		out[i] = chunks[j]
	}
	return out
}

func toFloat(v any) float64 {
	switch n := v.(type) {
	case int64:
		return float64(n)
	case float64:
		return n
	case uint64:
		return float64(n)
	}
	return 0
}

// findName is Salt's find_name: the (ID, state) pairs a name refers to.
func findName(name, state string, high *data.Map, strict bool) [][2]string {
	var out [][2]string
	check2 := true
	if strict {
		b := bodyOf(high, name)
		check2 = b != nil && b.Has(state)
	}
	if high.Has(name) && check2 {
		return append(out, [2]string{name, state})
	}
	if state == "sls" {
		for _, k := range high.Keys() {
			id, _ := k.(string)
			b := bodyOf(high, k)
			if b == nil || strings.HasPrefix(id, "__") {
				continue
			}
			if getStr(b, "__sls__") == name {
				if sk := stateKeys(b); len(sk) > 0 {
					out = append(out, [2]string{id, sk[0]})
				}
			}
		}
		return out
	}
	for _, k := range high.Keys() {
		id, _ := k.(string)
		b := bodyOf(high, k)
		if b == nil || strings.HasPrefix(id, "__") {
			continue
		}
		for _, arg := range listOf(mustGet(b, state)) {
			am, ok := arg.(*data.Map)
			if !ok || am.Len() != 1 {
				continue
			}
			if data.Equal(mustGet(am, am.Keys()[0]), name) {
				out = append(out, [2]string{id, state})
			}
		}
	}
	return out
}

// reconcileExtend is State.reconcile_extend: apply __extend__ to the high
// data.
func reconcileExtend(high *data.Map, strict bool) []string {
	var errs []string
	extV, ok := high.Get("__extend__")
	if !ok {
		return nil
	}
	high.Delete("__extend__")
	var sls excludes
	sls.load(high)
	for _, e := range listOf(extV) {
		em, ok := e.(*data.Map)
		if !ok {
			continue
		}
		for _, nk := range em.Keys() {
			name := str(nk)
			body, _ := mustGet(em, nk).(*data.Map)
			if body == nil {
				continue
			}
			stateType := ""
			for _, sk := range stateKeys(body) {
				stateType = sk
				break
			}
			target := bodyOf(high, name)
			if target == nil || !target.Has(stateType) {
				ids := findName(name, stateType, high, strict)
				if len(ids) != 1 {
					env, s := getStr(body, "__env__"), getStr(body, "__sls__")
					if env == "" {
						env = "base"
					}
					if s == "" {
						s = "base"
					}
					errs = append(errs, fmt.Sprintf("Cannot extend ID '%s' in '%s:%s'. It is not part of the high state.\nThis is likely due to a missing include statement or an incorrectly typed ID.\nEnsure that a state with an ID of '%s' is available\nin environment '%s' and to SLS '%s'", name, env, s, name, env, s))
					continue
				}
				name = ids[0][0]
				target = bodyOf(high, name)
			}
			if s, ok := body.Get("__sls__"); ok && sls.has(str(s)) {
				continue
			}
			for _, state := range stateKeys(body) {
				run := listOf(mustGet(body, state))
				if !target.Has(state) {
					target.Set(state, run)
					continue
				}
				hl := listOf(mustGet(target, state))
				for _, arg := range run {
					update := false
					for hind := 0; hind < len(hl); hind++ {
						val := hl[hind]
						as, aIsStr := arg.(string)
						_, vIsStr := val.(string)
						if aIsStr && vIsStr {
							hl[hind] = as
							update = true
							continue
						}
						am, aIsMap := arg.(*data.Map)
						vm, vIsMap := val.(*data.Map)
						if aIsMap && vIsMap {
							argfirst := firstKey(am)
							if argfirst == firstKey(vm) {
								if requisiteKeywords[argfirst] {
									ex := append(listOf(mustGet(vm, argfirst)), listOf(mustGet(am, argfirst))...)
									vm.Set(argfirst, ex)
								} else {
									hl[hind] = am
								}
								update = true
							}
							if argfirst == "name" && firstKey(vm) == "names" {
								hl[hind] = am
							}
						}
					}
					if !update {
						hl = append(hl, arg)
					}
				}
				target.Set(state, hl)
			}
		}
	}
	return errs
}

type excludes struct{ sls []string }

func (e *excludes) load(high *data.Map) {
	for _, x := range listOf(mustGet(high, "__exclude__")) {
		switch v := x.(type) {
		case string:
			e.sls = append(e.sls, v)
		case *data.Map:
			if s, ok := v.Get("sls"); ok && data.Truthy(s) {
				e.sls = append(e.sls, str(s))
			}
		}
	}
}

func (e *excludes) has(s string) bool { return containsStr(e.sls, s) }

// applyExclude is State.apply_exclude.
func applyExclude(high *data.Map) {
	exV, ok := high.Get("__exclude__")
	if !ok {
		return
	}
	high.Delete("__exclude__")
	var exSls, exID []string
	for _, x := range listOf(exV) {
		switch v := x.(type) {
		case string:
			exSls = append(exSls, v)
		case *data.Map:
			if v.Len() != 1 {
				continue
			}
			switch firstKey(v) {
			case "sls":
				exSls = append(exSls, str(mustGet(v, "sls")))
			case "id":
				exID = append(exID, str(mustGet(v, "id")))
			}
		}
	}
	if len(exSls) > 0 {
		for _, k := range high.Keys() {
			id, _ := k.(string)
			if strings.HasPrefix(id, "__") {
				continue
			}
			b := bodyOf(high, k)
			if b == nil {
				continue
			}
			s := getStr(b, "__sls__")
			if s == "" {
				continue
			}
			for _, ex := range exSls {
				if fnmatch(s, ex) {
					exID = append(exID, id)
				}
			}
		}
	}
	for _, id := range exID {
		high.Delete(id)
	}
}

// stateArgs is Salt's state_args: the argument names given to a state.
func stateArgs(id, state string, high *data.Map) map[string]bool {
	out := map[string]bool{}
	b := bodyOf(high, id)
	if b == nil {
		return out
	}
	for _, item := range listOf(mustGet(b, state)) {
		if m, ok := item.(*data.Map); ok && m.Len() == 1 {
			out[firstKey(m)] = true
		}
	}
	return out
}

var reqInAll = map[string]bool{
	"require_in": true, "watch_in": true, "onfail_in": true, "onchanges_in": true, "use": true,
	"use_in": true, "prereq": true, "prereq_in": true, "require": true, "watch": true,
	"onfail": true, "onfail_stop": true, "onchanges": true,
}

// requisiteIn is State.requisite_in: move the _in requisites, prereq and
// use onto the states they name, through __extend__.
func requisiteIn(high *data.Map) []string {
	reqIn := map[string]bool{"require_in": true, "watch_in": true, "onfail_in": true, "onchanges_in": true, "use": true, "use_in": true, "prereq": true, "prereq_in": true}
	extend := data.NewMap()
	var errs []string
	getExt := func(name string) *data.Map {
		v, ok := extend.Get(name)
		if !ok {
			m := data.NewMap()
			extend.Set(name, m)
			return m
		}
		return v.(*data.Map)
	}
	appendExt := func(ext *data.Map, st string, item any) {
		ext.Set(st, append(listOf(mustGet(ext, st)), item))
	}
	addReq := func(name, st, rkey, state, id string, body *data.Map) {
		ext := getExt(name)
		if !ext.Has(st) {
			ext.Set(st, []any{})
		}
		ext.Set("__env__", mustGet(body, "__env__"))
		ext.Set("__sls__", mustGet(body, "__sls__"))
		found := false
		for _, it := range listOf(mustGet(ext, st)) {
			im, _ := it.(*data.Map)
			if firstKey(im) == rkey {
				im.Set(rkey, append(listOf(mustGet(im, rkey)), data.M(state, id)))
				found = true
			}
		}
		if !found {
			appendExt(ext, st, data.M(rkey, []any{data.M(state, id)}))
		}
	}
	for _, k := range high.Keys() {
		id, _ := k.(string)
		body := bodyOf(high, k)
		if body == nil {
			continue
		}
		for _, state := range stateKeys(body) {
			for _, arg := range listOf(mustGet(body, state)) {
				am, ok := arg.(*data.Map)
				if !ok || am.Len() < 1 {
					continue
				}
				key := firstKey(am)
				if !reqIn[key] {
					continue
				}
				rkey := strings.Split(key, "_")[0]
				items := mustGet(am, key)
				if im, ok := items.(*data.Map); ok {
					for _, sk := range im.Keys() {
						st := str(sk)
						name := str(mustGet(im, sk))
						if i := strings.Index(st, "."); i >= 0 {
							errs = append(errs, fmt.Sprintf("Invalid requisite in %s: %s for %s, in SLS '%s'. Requisites must not contain dots, did you mean '%s'?", rkey, st, name, getStr(body, "__sls__"), st[:i]))
							st = st[:i]
						}
						addReq(name, st, rkey, state, id, body)
					}
				}
				list, ok := items.([]any)
				if !ok {
					continue
				}
				var hinges [][2]string
				for _, ind := range list {
					indm, isMap := ind.(*data.Map)
					if !isMap {
						if hb := bodyOf(high, ind); hb != nil {
							indm = data.M(stateKeys(hb)[0], ind)
						} else {
							found := false
							for _, hk := range high.Keys() {
								hb := bodyOf(high, hk)
								if hb == nil {
									continue
								}
								for _, st8 := range stateKeys(hb) {
									for _, j := range listOf(mustGet(hb, st8)) {
										if jm, ok := j.(*data.Map); ok {
											if n, ok := jm.Get("name"); ok && data.Equal(n, ind) {
												indm = data.M(st8, hk)
												found = true
											}
										}
									}
								}
							}
							if !found {
								continue
							}
						}
					}
					if indm.Len() < 1 {
						continue
					}
					pstate := firstKey(indm)
					pname := str(mustGet(indm, pstate))
					if pstate == "sls" {
						hinges = findSlsIDs(pname, high)
					} else {
						hinges = append(hinges, [2]string{pname, pstate})
					}
					if i := strings.Index(pstate, "."); i >= 0 {
						errs = append(errs, fmt.Sprintf("Invalid requisite in %s: %s for %s, in SLS '%s'. Requisites must not contain dots, did you mean '%s'?", rkey, pstate, pname, getStr(body, "__sls__"), pstate[:i]))
					}
					for _, tup := range hinges {
						name, st := tup[0], tup[1]
						switch key {
						case "prereq_in":
							ext := getExt(id)
							appendExt(ext, state, data.M("prerequired", []any{data.M(st, name)}))
						case "prereq":
							for _, e := range findName(name, st, high, true) {
								ext := getExt(e[0])
								appendExt(ext, e[1], data.M("prerequired", []any{data.M(state, id)}))
							}
							continue
						case "use_in":
							for _, e := range findName(name, st, high, true) {
								if e[0] == "" {
									continue
								}
								extArgs := stateArgs(e[0], st, high)
								ext := getExt(e[0])
								if !ext.Has(e[1]) {
									ext.Set(e[1], []any{})
								}
								for _, a := range listOf(mustGet(body, state)) {
									a2, ok := a.(*data.Map)
									if !ok || a2.Len() != 1 {
										continue
									}
									fk := firstKey(a2)
									if reqInAll[fk] || extArgs[fk] || fk == "name" || fk == "names" {
										continue
									}
									appendExt(ext, e[1], a2)
								}
							}
							continue
						case "use":
							for _, e := range findName(name, st, high, true) {
								if e[0] == "" {
									continue
								}
								locArgs := stateArgs(id, state, high)
								ext := getExt(id)
								if !ext.Has(state) {
									ext.Set(state, []any{})
								}
								for _, a := range listOf(mustGet(bodyOf(high, e[0]), e[1])) {
									a2, ok := a.(*data.Map)
									if !ok || a2.Len() != 1 {
										continue
									}
									fk := firstKey(a2)
									if reqInAll[fk] || locArgs[fk] || fk == "name" || fk == "names" {
										continue
									}
									appendExt(ext, state, a2)
								}
							}
							continue
						}
						addReq(name, st, rkey, state, id, body)
					}
				}
			}
		}
	}
	var ext []any
	extend.Range(func(k, v any) bool { ext = append(ext, data.M(k, v)); return true })
	high.Set("__extend__", ext)
	errs = append(errs, reconcileExtend(high, true)...)
	return errs
}

// findSlsIDs is Salt's find_sls_ids: (ID, state) of every state of an sls.
func findSlsIDs(sls string, high *data.Map) [][2]string {
	var out [][2]string
	for _, k := range high.Keys() {
		id, _ := k.(string)
		b := bodyOf(high, k)
		if b == nil || strings.HasPrefix(id, "__") {
			continue
		}
		if getStr(b, "__sls__") == sls {
			for _, st := range stateKeys(b) {
				out = append(out, [2]string{id, st})
			}
		}
	}
	return out
}

// fnmatch is Python's fnmatch.fnmatch; a pattern without wildcards is a
// plain comparison (the common case for requisites, done without a regexp).
func fnmatch(name, pat string) bool {
	if !strings.ContainsAny(pat, "*?[") {
		return name == pat
	}
	return match.FnmatchString(name, pat)
}
