// Package jinja renders Jinja2 templates the way Salt's Jinja environment
// does (salt.utils.templates.render_jinja_tmpl): StrictUndefined, the do
// and loopcontrols extensions, Salt's serializer tags (load_yaml,
// import_yaml...), Salt's filters, tests and globals, and Python's value
// semantics (ordered dicts, repr output) through package data.
//
// It is its own small engine rather than a general Go Jinja library: Salt
// formulas rely on insertion-ordered dicts that methods such as .update()
// and .items() mutate and walk in order, and on Python's repr when a value
// is printed, which the Go engines (gonja v2 copies a dict into a sorted
// map[string]any on every method call) do not give.
package jinja

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/saltgo/saltgo/data"
)

// Loader fetches a template by its file-server name ("a/map.jinja"); it
// returns the text and the local path it was read from, and an error
// wrapping ErrNotFound when it does not exist.
type Loader func(ctx context.Context, name string) (src string, local string, err error)

// ErrNotFound is what a Loader wraps when the template does not exist.
var ErrNotFound = errors.New("template not found")

// SaltFunc calls an execution function for salt['mod.fun'](...).
type SaltFunc func(ctx context.Context, fun string, args []any, kwargs *data.Map) (any, error)

// Env is a Jinja environment (one per render is fine: it is cheap).
type Env struct {
	// TrimBlocks and LstripBlocks are Jinja's options of those names.
	TrimBlocks, LstripBlocks bool
	// Loader serves import, include, from and import_yaml/json/text.
	Loader Loader
	// Salt serves salt['mod.fun'](...); nil makes any call an error.
	Salt SaltFunc
	// Functions lists the functions "fun in salt" and salt.mod.fun see
	// (nil: any name is taken to exist).
	Functions func(name string) bool
}

// Render renders src with the context vars. tplfile is the template's
// file-server path (for relative imports; "" when it has none).
func (e *Env) Render(ctx context.Context, src string, vars map[string]any, tplfile string) (out string, err error) {
	main := &tmpl{name: "", source: src}
	// Salt passes the context both as the render's variables and as the
	// environment's globals; the loader later rewrites the globals'
	// tplfile/tpldir/tpldot for each template it loads, so imports
	// without context see their own, the main template (and anything
	// rendered with its context) the caller's.
	ctxScope := newScope(nil)
	root := newScope(nil)
	for k, v := range vars {
		ctxScope.vars[k] = v
		root.vars[k] = v
	}
	ev := &evaluator{ctx: ctx, env: e, top: main, globals: root, cache: map[string]*tmpl{}}
	if e.Salt != nil || vars["salt"] == nil {
		ns := &saltNS{ctx: ctx, call: e.Salt, exists: e.Functions}
		root.vars["salt"] = ns
		ctxScope.vars["salt"] = ns
	}
	_ = tplfile
	if err := ev.compile(main); err != nil {
		return "", err
	}
	var b strings.Builder
	b.Grow(len(src) * 2)
	ev.out = &b
	s := newScope(ctxScope)
	if err := ev.exec(main.body, s); err != nil {
		if err == errBreak || err == errContinue {
			return "", &Error{Kind: KindSyntax, Msg: "loop control outside a loop", Line: ev.topLine, Source: src}
		}
		return "", err
	}
	out = b.String()
	// Jinja drops the final newline; Salt adds it back
	if strings.HasSuffix(src, "\n") {
		out += "\n"
	}
	return out, nil
}

// compile lexes and parses t.
func (ev *evaluator) compile(t *tmpl) error {
	src := t.source
	// Jinja (keep_trailing_newline off) drops one final newline
	if strings.HasSuffix(src, "\r\n") {
		src = src[:len(src)-2]
	} else if strings.HasSuffix(src, "\n") {
		src = src[:len(src)-1]
	}
	toks, err := lex(src, lexOpts{trimBlocks: ev.env.TrimBlocks, lstripBlocks: ev.env.LstripBlocks})
	if err == nil {
		t.body, err = parse(toks, t.name)
	}
	if err == nil {
		err = checkNames(t.body)
	}
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) {
			return &Error{Kind: KindSyntax, Msg: se.Msg, Line: se.Line, File: t.name, Source: t.source, Local: t.local, Err: err}
		}
		return err
	}
	return nil
}

// ---- macros ----

type macro struct {
	node  *macroNode
	scope *scope
	ev    *evaluator
	tmpl  *tmpl
}

func (m *macro) call(ev *evaluator, args []any, kw *data.Map) (any, error) {
	return m.callWith(ev, args, kw, nil)
}

// callWith calls the macro; caller is the body of a {% call %} block.
func (m *macro) callWith(ev *evaluator, args []any, kw *data.Map, caller *macro) (any, error) {
	n := m.node
	ev.depth++
	defer func() { ev.depth-- }()
	if ev.depth > maxCallDepth {
		return nil, ev.errf(KindOther, "maximum recursion depth exceeded")
	}
	s := newScope(m.scope)
	nd := len(n.params) - len(n.defaults)
	var varargs []any
	for i, p := range n.params {
		switch {
		case i < len(args):
			s.vars[p] = args[i]
		default:
			if v, ok := kw.Get(p); ok {
				s.vars[p] = v
				kw = without(kw, p)
			} else if i >= nd {
				v, err := ev.eval(n.defaults[i-nd], s)
				if err != nil {
					return nil, err
				}
				s.vars[p] = v
			} else {
				s.vars[p] = &undefined{hint: fmt.Sprintf("parameter %s was not provided", pyQuote(p))}
			}
		}
	}
	if len(args) > len(n.params) {
		varargs = args[len(n.params):]
	}
	s.vars["varargs"] = append(data.Tuple{}, varargs...)
	if kw == nil {
		kw = data.NewMap()
	}
	s.vars["kwargs"] = kw
	if caller != nil {
		s.vars["caller"] = caller
	}
	if len(varargs) > 0 && !usesName(n.body, "varargs") {
		return nil, ev.errf(KindOther, "macro '%s' takes not more than %d argument(s)", n.name, len(n.params))
	}
	if kw.Len() > 0 && !usesName(n.body, "kwargs") {
		k := kw.Keys()[0]
		return nil, ev.errf(KindOther, "macro '%s' takes no keyword argument '%s'", n.name, pyStr(k))
	}
	ev.inMacro++
	savedTop := ev.top
	out, err := ev.captureFn(func() error { return ev.exec(n.body, s) })
	ev.inMacro--
	ev.top = savedTop
	if err == errBreak || err == errContinue {
		err = nil
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

func without(m *data.Map, k string) *data.Map {
	c := m.Copy()
	c.Delete(k)
	return c
}

// usesName reports whether the nodes mention name (for varargs/kwargs).
func usesName(nodes []node, name string) bool {
	found := false
	walk(nodes, func(x expr) {
		if n, ok := x.(*nameExpr); ok && n.name == name {
			found = true
		}
	})
	return found
}

// ---- the salt object ----

type saltNS struct {
	ctx    context.Context
	call   SaltFunc
	exists func(string) bool
}

type saltMod struct {
	ns  *saltNS
	mod string
}

type saltFunc struct {
	ns   *saltNS
	name string
}

func (s *saltNS) has(name string) bool {
	if s.exists == nil {
		return s.call != nil
	}
	return s.exists(name)
}

func (s *saltNS) item(name string) any {
	if !strings.Contains(name, ".") || !s.has(name) {
		return &undefined{name: name, obj: s, has: true}
	}
	return &saltFunc{ns: s, name: name}
}

func (s *saltNS) attr(name string) any {
	return &saltMod{ns: s, mod: name}
}

func (f *saltFunc) call(ev *evaluator, args []any, kw *data.Map) (any, error) {
	for _, a := range args {
		if err := ev.need(a); err != nil {
			return nil, err
		}
	}
	if f.ns.call == nil {
		return nil, ev.errf(KindSalt, "'%s' is not available.", f.name)
	}
	if kw == nil {
		kw = data.NewMap()
	}
	v, err := f.ns.call(ev.ctx, f.name, args, kw)
	if err != nil {
		return nil, ev.wrap(KindSalt, err)
	}
	return data.Canonical(v), nil
}

// ---- imports ----

// resolve turns an import name into a file-server path.
func (ev *evaluator) resolve(name string) (string, error) {
	name = strings.ReplaceAll(name, "\\", "/")
	if strings.HasPrefix(name, "./") || strings.HasPrefix(name, "../") {
		base := ev.tpldir()
		p := path.Clean(base + "/" + name)
		if p == ".." || strings.HasPrefix(p, "../") {
			return "", ev.errf(KindOther, "%s", name)
		}
		return p, nil
	}
	return strings.TrimPrefix(name, "/"), nil
}

func (ev *evaluator) tpldir() string {
	if d, ok := ev.globals.vars["tpldir"].(string); ok {
		return d
	}
	return "."
}

// load fetches and compiles a template.
func (ev *evaluator) load(nameV any) (*tmpl, error) {
	if err := ev.need(nameV); err != nil {
		return nil, err
	}
	name, ok := nameV.(string)
	if !ok {
		return nil, ev.errf(KindOther, "%s", pyStr(nameV))
	}
	rel, err := ev.resolve(name)
	if err != nil {
		return nil, err
	}
	if t, ok := ev.cache[rel]; ok {
		return t, nil
	}
	if ev.env.Loader == nil {
		return nil, &Error{Kind: KindOther, Msg: name, Line: ev.topLine, File: ev.top.name, Source: ev.top.source, Err: ErrNotFound}
	}
	src, local, err := ev.env.Loader(ev.ctx, rel)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, &Error{Kind: KindOther, Msg: name, Line: ev.topLine, File: ev.top.name, Source: ev.top.source, Err: err}
		}
		return nil, ev.wrap(KindOther, err)
	}
	ev.setTplGlobals(name, rel)
	t := &tmpl{name: rel, local: local, source: src}
	if err := ev.compile(t); err != nil {
		return nil, err
	}
	ev.cache[rel] = t
	return t, nil
}

// setTplGlobals is SaltCacheLoader.get_source's update of the
// environment globals for a template it loads.
func (ev *evaluator) setTplGlobals(name, rel string) {
	dir := path.Dir(rel)
	tplfile := rel
	if strings.HasPrefix(name, "./") || strings.HasPrefix(name, "../") {
		dir = ev.tpldir()
		tplfile = name
	}
	if dir == "" || dir == "." {
		dir = "."
	}
	dot := strings.ReplaceAll(dir, "/", ".")
	if dir == "." {
		dot = ""
	}
	ev.globals.vars["tplfile"] = tplfile
	ev.globals.vars["tpldir"] = dir
	ev.globals.vars["tpldot"] = dot
}

// runModule executes t's top level and returns its exported names.
func (ev *evaluator) runModule(t *tmpl, parent *scope, withContext bool, out bool) (*scope, error) {
	ev.depth++
	defer func() { ev.depth-- }()
	if ev.depth > maxCallDepth {
		return nil, ev.errf(KindOther, "maximum recursion depth exceeded")
	}
	var base *scope
	if withContext {
		base = newScope(parent)
	} else {
		base = newScope(nil)
	}
	s := newScope(base)
	savedTop, savedLine, savedMacro := ev.top, ev.topLine, ev.inMacro
	ev.top, ev.inMacro = t, 0
	var err error
	if out {
		err = ev.exec(t.body, s)
	} else {
		_, err = ev.capture(t.body, s)
	}
	if err == nil {
		ev.top, ev.topLine, ev.inMacro = savedTop, savedLine, savedMacro
	} else if err == errBreak || err == errContinue {
		ev.top, ev.topLine, ev.inMacro = savedTop, savedLine, savedMacro
		err = nil
	}
	return s, err
}

func (ev *evaluator) execImport(n *importNode, s *scope) error {
	name, err := ev.eval(n.tmpl, s)
	if err != nil {
		return err
	}
	t, err := ev.load(name)
	if err != nil {
		return err
	}
	ms, err := ev.runModule(t, s, n.withContext, false)
	if err != nil {
		return err
	}
	mod := data.NewMap()
	for k, v := range ms.vars {
		if !strings.HasPrefix(k, "_") {
			mod.Set(k, v)
		}
	}
	s.vars[n.alias] = &namespace{m: mod}
	return nil
}

func (ev *evaluator) execFrom(n *fromNode, s *scope) error {
	name, err := ev.eval(n.tmpl, s)
	if err != nil {
		return err
	}
	t, err := ev.load(name)
	if err != nil {
		return err
	}
	ms, err := ev.runModule(t, s, n.withContext, false)
	if err != nil {
		return err
	}
	for i, nm := range n.names {
		v, ok := ms.vars[nm]
		if !ok || strings.HasPrefix(nm, "_") {
			return ev.errf(KindUndefined, "the template %s (imported on line %d) does not export the requested name %s", pyQuote(t.name), n.line, pyQuote(nm))
		}
		s.vars[n.aliases[i]] = v
	}
	return nil
}

func (ev *evaluator) execInclude(n *includeNode, s *scope) error {
	name, err := ev.eval(n.tmpl, s)
	if err != nil {
		return err
	}
	names := []any{name}
	if l, ok := name.([]any); ok {
		names = l
	}
	var t *tmpl
	for _, nm := range names {
		t, err = ev.load(nm)
		if err == nil {
			break
		}
		var je *Error
		if !errors.As(err, &je) || !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	if err != nil {
		if n.ignoreMissing {
			return nil
		}
		return err
	}
	_, err = ev.runModule(t, s, n.withContext, true)
	return err
}

func (ev *evaluator) execImportData(n *importDataNode, s *scope) error {
	name, err := ev.eval(n.tmpl, s)
	if err != nil {
		return err
	}
	if err := ev.need(name); err != nil {
		return err
	}
	ns, ok := name.(string)
	if !ok {
		return ev.errf(KindOther, "%s", pyStr(name))
	}
	rel, err := ev.resolve(ns)
	if err != nil {
		return err
	}
	if ev.env.Loader == nil {
		return &Error{Kind: KindOther, Msg: ns, Line: ev.topLine, File: ev.top.name, Source: ev.top.source, Err: ErrNotFound}
	}
	src, local, err := ev.env.Loader(ev.ctx, rel)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return &Error{Kind: KindOther, Msg: ns, Line: ev.topLine, File: ev.top.name, Source: ev.top.source, Err: err}
		}
		return ev.wrap(KindOther, err)
	}
	// SerializerExtension turns the tag into {% import 'x' as v %} (no
	// context) followed by v|load_<kind>: the module's text
	ev.setTplGlobals(ns, rel)
	t := &tmpl{name: rel, local: local, source: src}
	if err := ev.compile(t); err != nil {
		return err
	}
	ev.depth++
	defer func() { ev.depth-- }()
	if ev.depth > maxCallDepth {
		return ev.errf(KindOther, "maximum recursion depth exceeded")
	}
	saved := ev.out
	var b strings.Builder
	ev.out = &b
	_, err = ev.runModule(t, s, false, true)
	ev.out = saved
	if err != nil {
		return err
	}
	text := b.String()
	v, err := ev.loadData(n.kind, text)
	if err != nil {
		return err
	}
	s.vars[n.name] = v
	return nil
}

func (ev *evaluator) loadData(kind, text string) (any, error) {
	switch kind {
	case "yaml":
		return ev.loadYAML(text)
	case "json":
		return ev.loadJSON(text)
	}
	return text, nil
}

// ---- globals ----

var builtinGlobals map[string]any

func init() {
	builtinGlobals = map[string]any{
		"range": builtin(func(ev *evaluator, args []any, kw *data.Map) (any, error) {
			var start, stop, step int64 = 0, 0, 1
			ints := make([]int64, len(args))
			for i, a := range args {
				n, ok := toInt(a)
				if !ok {
					return nil, ev.errf(KindOther, "'%s' object cannot be interpreted as an integer", typeName(a))
				}
				ints[i] = n
			}
			switch len(ints) {
			case 1:
				stop = ints[0]
			case 2:
				start, stop = ints[0], ints[1]
			case 3:
				start, stop, step = ints[0], ints[1], ints[2]
			default:
				return nil, ev.errf(KindOther, "range expected at most 3 arguments, got %d", len(ints))
			}
			if step == 0 {
				return nil, ev.errf(KindOther, "range() arg 3 must not be zero")
			}
			var out []any
			for i := start; step > 0 && i < stop || step < 0 && i > stop; i += step {
				if len(out) >= 100_000 {
					return nil, ev.errf(KindSyntax, "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).")
				}
				out = append(out, i)
			}
			if out == nil {
				out = []any{}
			}
			return out, nil
		}),
		"dict": builtin(func(ev *evaluator, args []any, kw *data.Map) (any, error) {
			m := data.NewMap()
			if len(args) > 0 {
				if _, err := dictMethods["update"](ev, &method{recv: m, name: "update"}, args[:1], nil); err != nil {
					return nil, err
				}
			}
			kw.Range(func(k, v any) bool { m.Set(k, v); return true })
			return m, nil
		}),
		"namespace": builtin(func(ev *evaluator, args []any, kw *data.Map) (any, error) {
			m := data.NewMap()
			if len(args) > 0 {
				if src, ok := args[0].(*data.Map); ok {
					src.Range(func(k, v any) bool { m.Set(k, v); return true })
				}
			}
			kw.Range(func(k, v any) bool { m.Set(k, v); return true })
			return &namespace{m: m}, nil
		}),
		"raise": builtin(func(ev *evaluator, args []any, kw *data.Map) (any, error) {
			// salt.exceptions.TemplateError: Salt words it "Jinja error: msg"
			msg := ""
			if len(args) > 0 {
				msg = pyStr(args[0])
			}
			return nil, ev.errf(KindOther, "%s", msg)
		}),
		"ifelse": builtin(func(ev *evaluator, args []any, kw *data.Map) (any, error) {
			// salt.modules.match.ifelse: (target, value) pairs then a
			// default; True matches, False never does, a string is a
			// compound target matched by match.compound
			if len(args)%2 == 0 {
				return nil, ev.errf(KindOther, "The ifelse function must have an odd number of arguments!")
			}
			for i := 0; i+1 < len(args); i += 2 {
				switch k := args[i].(type) {
				case bool:
					if k {
						return args[i+1], nil
					}
				default:
					ns, _ := ev.globals.vars["salt"].(*saltNS)
					if ns == nil || ns.call == nil {
						return nil, ev.errf(KindSalt, "ifelse needs match.compound to match %s", data.Repr(k))
					}
					ok, err := ns.call(ev.ctx, "match.compound", []any{pyStr(k)}, data.NewMap())
					if err != nil {
						return nil, ev.wrap(KindSalt, err)
					}
					if data.Truthy(ok) {
						return args[i+1], nil
					}
				}
			}
			return args[len(args)-1], nil
		}),
		"odict": builtin(func(ev *evaluator, args []any, kw *data.Map) (any, error) {
			m := data.NewMap()
			m.Ordered = true
			if len(args) > 0 {
				if _, err := dictMethods["update"](ev, &method{recv: m, name: "update"}, args[:1], nil); err != nil {
					return nil, err
				}
			}
			kw.Range(func(k, v any) bool { m.Set(k, v); return true })
			return m, nil
		}),
		"lipsum": builtin(func(ev *evaluator, args []any, kw *data.Map) (any, error) {
			return "Lorem ipsum dolor sit amet.", nil
		}),
	}
	builtinGlobals["show_full_context"] = builtin(func(ev *evaluator, args []any, kw *data.Map) (any, error) {
		m := data.NewMap()
		for k, v := range ev.globals.vars {
			m.Set(k, v)
		}
		return m, nil
	})
}

// checkNames rejects unknown filters and tests at compile time, as Jinja
// does ("No filter named 'x'.").
func checkNames(nodes []node) error {
	var err error
	walk(nodes, func(x expr) {
		if err != nil {
			return
		}
		switch x := x.(type) {
		case *filterExpr:
			if _, ok := filters[x.name]; !ok {
				err = &SyntaxError{Msg: fmt.Sprintf("No filter named '%s'.", x.name), Line: x.line}
			}
		case *testExpr:
			if _, ok := tests[x.name]; !ok {
				err = &SyntaxError{Msg: fmt.Sprintf("No test named '%s'.", x.name), Line: x.line}
			}
		}
	})
	return err
}

// walk calls f on every expression under nodes.
func walk(nodes []node, f func(expr)) {
	var we func(x expr)
	we = func(x expr) {
		if x == nil {
			return
		}
		f(x)
		switch x := x.(type) {
		case *listExpr:
			for _, i := range x.items {
				we(i)
			}
		case *tupleExpr:
			for _, i := range x.items {
				we(i)
			}
		case *dictExpr:
			for i := range x.keys {
				we(x.keys[i])
				we(x.vals[i])
			}
		case *getattrExpr:
			we(x.obj)
		case *getitemExpr:
			we(x.obj)
			we(x.key)
		case *sliceExpr:
			we(x.start)
			we(x.stop)
			we(x.step)
		case *callExpr:
			we(x.fn)
			for _, a := range x.args {
				we(a)
			}
			for _, a := range x.kwVals {
				we(a)
			}
			we(x.star)
			we(x.starstar)
		case *filterExpr:
			we(x.obj)
			for _, a := range x.args {
				we(a)
			}
			for _, a := range x.kwVals {
				we(a)
			}
		case *testExpr:
			we(x.obj)
			for _, a := range x.args {
				we(a)
			}
			for _, a := range x.kwVals {
				we(a)
			}
		case *binExpr:
			we(x.l)
			we(x.r)
		case *unaryExpr:
			we(x.x)
		case *compareExpr:
			we(x.first)
			for _, r := range x.rest {
				we(r)
			}
		case *condExpr:
			we(x.cond)
			we(x.a)
			we(x.b)
		}
	}
	var wn func(ns []node)
	wn = func(ns []node) {
		for _, n := range ns {
			switch n := n.(type) {
			case *outputNode:
				we(n.x)
			case *ifNode:
				for i, c := range n.conds {
					we(c)
					wn(n.bodies[i])
				}
				wn(n.els)
			case *forNode:
				we(n.iter)
				we(n.cond)
				wn(n.body)
				wn(n.els)
			case *setNode:
				for _, t := range n.targets {
					we(t)
				}
				we(n.x)
			case *setBlockNode:
				for _, fl := range n.filters {
					we(fl)
				}
				wn(n.body)
			case *macroNode:
				for _, d := range n.defaults {
					we(d)
				}
				wn(n.body)
			case *callBlockNode:
				for _, d := range n.defs {
					we(d)
				}
				we(n.call)
				wn(n.body)
			case *importNode:
				we(n.tmpl)
			case *fromNode:
				we(n.tmpl)
			case *includeNode:
				we(n.tmpl)
			case *doNode:
				we(n.x)
			case *filterBlock:
				for _, fl := range n.filters {
					we(fl)
				}
				wn(n.body)
			case *withNode:
				for _, v := range n.vals {
					we(v)
				}
				wn(n.body)
			case *loadBlockNode:
				wn(n.body)
			case *importDataNode:
				we(n.tmpl)
			case *blockNode:
				wn(n.body)
			}
		}
	}
	wn(nodes)
}
