package jinja

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/saltgo/saltgo/data"
)

// Limits that keep a hostile template from running forever or eating the
// host's memory.
const (
	maxSteps      = 5_000_000 // evaluation steps per render
	maxCallDepth  = 200       // nested macro calls / includes
	maxOutputSize = 64 << 20  // bytes of rendered text
)

// ErrKind tells which of Salt's error wordings applies.
type ErrKind int

// The error kinds, after Jinja's exception classes as Salt sorts them.
const (
	KindUndefined ErrKind = iota // jinja2.UndefinedError: "Jinja variable ..."
	KindSyntax                   // TemplateSyntaxError/TemplateRuntimeError: "Jinja syntax error: ..."
	KindSalt                     // a salt function failed: "Problem running salt function in Jinja template: ..."
	KindOther                    // anything else: "Jinja error: ..."
)

// Error is a template error with Salt's classification and position.
type Error struct {
	Kind ErrKind
	Msg  string
	// Line is the line in the template whose top-level code was running
	// (Salt's traceback slug), File the template's name ("" for the main
	// template) and Source its text.
	Line   int
	File   string
	Source string
	// Local is the local path File was read from.
	Local string
	Err   error
}

func (e *Error) Error() string { return e.Msg }

// Unwrap returns the underlying error (a salt function's, a loader's).
func (e *Error) Unwrap() error { return e.Err }

// errRaise is the global raise() (TemplateError in Salt: "Jinja error: ...").
type undefined struct {
	name string // the variable name, or the attribute
	obj  any    // the object lacking the attribute (has)
	has  bool
	key  any    // a non-string key the object lacks ("has no element")
	hint string // Jinja's explicit hint, when it gives one
}

func (u *undefined) message() string {
	switch {
	case u.hint != "":
		return u.hint
	case !u.has:
		return fmt.Sprintf("'%s' is undefined", u.name)
	case u.key != nil:
		return fmt.Sprintf("%s has no element %s", objectTypeRepr(u.obj), data.Repr(u.key))
	}
	return fmt.Sprintf("%s has no attribute %s", pyQuote(objectTypeRepr(u.obj)), pyQuote(u.name))
}

func objectTypeRepr(v any) string {
	if v == nil {
		return "None"
	}
	return typeName(v) + " object"
}

// loop control signals
var (
	errBreak    = errors.New("break")
	errContinue = errors.New("continue")
)

// scope is one level of variables.
type scope struct {
	vars   map[string]any
	parent *scope
}

func newScope(parent *scope) *scope { return &scope{vars: map[string]any{}, parent: parent} }

func (s *scope) lookup(name string) (any, bool) {
	for ; s != nil; s = s.parent {
		if v, ok := s.vars[name]; ok {
			return v, true
		}
	}
	return nil, false
}

// tmpl is a parsed template.
type tmpl struct {
	local  string // the local path it was read from
	name   string // file-server path ("" for the main template)
	source string
	body   []node
}

// evaluator runs one render.
type evaluator struct {
	ctx   context.Context
	env   *Env
	out   *strings.Builder
	steps int
	depth int
	// the innermost template running top-level code, and its line
	top     *tmpl
	topLine int
	inMacro int
	globals *scope
	cache   map[string]*tmpl
}

func (ev *evaluator) step() error {
	ev.steps++
	if ev.steps > maxSteps {
		return ev.errf(KindOther, "template evaluation exceeded %d steps", maxSteps)
	}
	if ev.steps&1023 == 0 {
		if err := ev.ctx.Err(); err != nil {
			return &Error{Kind: KindOther, Msg: err.Error(), Line: ev.topLine, File: ev.top.name, Source: ev.top.source, Err: err}
		}
	}
	if ev.out.Len() > maxOutputSize {
		return ev.errf(KindOther, "template output exceeds %d bytes", maxOutputSize)
	}
	return nil
}

func (ev *evaluator) errf(kind ErrKind, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...), Line: ev.topLine, File: ev.top.name, Source: ev.top.source, Local: ev.top.local}
}

func (ev *evaluator) wrap(kind ErrKind, err error) error {
	var je *Error
	if errors.As(err, &je) {
		return err
	}
	return &Error{Kind: kind, Msg: err.Error(), Line: ev.topLine, File: ev.top.name, Source: ev.top.source, Local: ev.top.local, Err: err}
}

func (ev *evaluator) undefErr(u *undefined) error {
	return ev.errf(KindUndefined, "%s", u.message())
}

// need returns an error when v is undefined (StrictUndefined).
func (ev *evaluator) need(v any) error {
	if u, ok := v.(*undefined); ok {
		return ev.undefErr(u)
	}
	return nil
}

func (ev *evaluator) mark(line int) {
	if ev.inMacro == 0 {
		ev.topLine = line
	}
}

// exec runs nodes in scope s.
func (ev *evaluator) exec(nodes []node, s *scope) error {
	for _, n := range nodes {
		if err := ev.step(); err != nil {
			return err
		}
		if err := ev.execNode(n, s); err != nil {
			return err
		}
	}
	return nil
}

func (ev *evaluator) execNode(n node, s *scope) error {
	switch n := n.(type) {
	case *dataNode:
		ev.out.WriteString(n.text)
	case *outputNode:
		ev.mark(n.line)
		v, err := ev.eval(n.x, s)
		if err != nil {
			return err
		}
		str, err := ev.toStr(v)
		if err != nil {
			return err
		}
		ev.out.WriteString(str)
	case *ifNode:
		ev.mark(n.line)
		for i, c := range n.conds {
			v, err := ev.eval(c, s)
			if err != nil {
				return err
			}
			t, err := ev.truthy(v)
			if err != nil {
				return err
			}
			if t {
				return ev.exec(n.bodies[i], s)
			}
		}
		return ev.exec(n.els, s)
	case *forNode:
		return ev.execFor(n, s)
	case *setNode:
		ev.mark(n.line)
		v, err := ev.eval(n.x, s)
		if err != nil {
			return err
		}
		return ev.assign(n.targets, n.unpack, v, s)
	case *setBlockNode:
		ev.mark(n.line)
		text, err := ev.capture(n.body, s)
		if err != nil {
			return err
		}
		var v any = text
		for _, f := range n.filters {
			if v, err = ev.applyFilter(f, v, s); err != nil {
				return err
			}
		}
		s.vars[n.name] = v
	case *macroNode:
		s.vars[n.name] = &macro{node: n, scope: s, ev: ev, tmpl: ev.top}
	case *callBlockNode:
		ev.mark(n.line)
		caller := &macro{node: &macroNode{name: "caller", params: n.params, defaults: n.defs, body: n.body}, scope: s, ev: ev, tmpl: ev.top}
		fn, err := ev.evalNeed(n.call.fn, s)
		if err != nil {
			return err
		}
		m, ok := fn.(*macro)
		if !ok {
			return ev.errf(KindOther, "'%s' object is not a macro", typeName(fn))
		}
		args, kw, err := ev.evalArgs(n.call.args, n.call.kwNames, n.call.kwVals, n.call.star, n.call.starstar, s)
		if err != nil {
			return err
		}
		v, err := m.callWith(ev, args, kw, caller)
		if err != nil {
			return err
		}
		str, err := ev.toStr(v)
		if err != nil {
			return err
		}
		ev.out.WriteString(str)
	case *doNode:
		ev.mark(n.line)
		v, err := ev.eval(n.x, s)
		if err != nil {
			return err
		}
		_ = v
	case *breakNode:
		return errBreak
	case *continueNode:
		return errContinue
	case *filterBlock:
		ev.mark(n.line)
		text, err := ev.capture(n.body, s)
		if err != nil {
			return err
		}
		var v any = text
		for _, f := range n.filters {
			if v, err = ev.applyFilter(f, v, s); err != nil {
				return err
			}
		}
		str, err := ev.toStr(v)
		if err != nil {
			return err
		}
		ev.out.WriteString(str)
	case *withNode:
		ev.mark(n.line)
		inner := newScope(s)
		for i, name := range n.names {
			v, err := ev.eval(n.vals[i], s)
			if err != nil {
				return err
			}
			inner.vars[name] = v
		}
		return ev.exec(n.body, inner)
	case *blockNode:
		return ev.exec(n.body, s)
	case *loadBlockNode:
		ev.mark(n.line)
		text, err := ev.capture(n.body, s)
		if err != nil {
			return err
		}
		v, err := ev.loadData(n.kind, text)
		if err != nil {
			return err
		}
		s.vars[n.name] = v
	case *importDataNode:
		ev.mark(n.line)
		return ev.execImportData(n, s)
	case *importNode:
		ev.mark(n.line)
		return ev.execImport(n, s)
	case *fromNode:
		ev.mark(n.line)
		return ev.execFrom(n, s)
	case *includeNode:
		ev.mark(n.line)
		return ev.execInclude(n, s)
	default:
		return ev.errf(KindOther, "unknown node %T", n)
	}
	return nil
}

// capture renders nodes into a string.
func (ev *evaluator) capture(nodes []node, s *scope) (string, error) {
	saved := ev.out
	var b strings.Builder
	ev.out = &b
	err := ev.exec(nodes, s)
	ev.out = saved
	return b.String(), err
}

func (ev *evaluator) assign(targets []expr, unpack bool, v any, s *scope) error {
	if !unpack {
		return ev.assignOne(targets[0], v, s)
	}
	items, err := ev.unpackItems(v)
	if err != nil {
		return err
	}
	if len(items) != len(targets) {
		if len(items) > len(targets) {
			return ev.errf(KindOther, "too many values to unpack (expected %d)", len(targets))
		}
		return ev.errf(KindOther, "not enough values to unpack (expected %d, got %d)", len(targets), len(items))
	}
	for i, t := range targets {
		if err := ev.assignOne(t, items[i], s); err != nil {
			return err
		}
	}
	return nil
}

func (ev *evaluator) assignOne(t expr, v any, s *scope) error {
	switch t := t.(type) {
	case *nameExpr:
		s.vars[t.name] = v
		return nil
	case *getattrExpr:
		obj, err := ev.eval(t.obj, s)
		if err != nil {
			return err
		}
		ns, ok := obj.(*namespace)
		if !ok {
			return ev.errf(KindSyntax, "cannot assign attribute on non-namespace object")
		}
		if reaches(v, ns) {
			return ev.errf(KindOther, "cannot store a namespace inside itself")
		}
		ns.m.Set(t.attr, v)
		return nil
	}
	return ev.errf(KindSyntax, "cannot assign")
}

// loopObj is the "loop" variable of a for loop.
type loopObj struct {
	items  []any
	index0 int
	depth0 int
	rec    func(any) (any, error)
	// loop.changed's memory
	last any
	seen bool
}

func (ev *evaluator) execFor(n *forNode, s *scope) error {
	return ev.runFor(n, s, nil, 0)
}

func (ev *evaluator) runFor(n *forNode, s *scope, iterOverride any, depth0 int) error {
	ev.mark(n.line)
	var it any
	if iterOverride != nil {
		it = iterOverride
	} else {
		var err error
		if it, err = ev.eval(n.iter, s); err != nil {
			return err
		}
	}
	items, err := ev.iterate(it)
	if err != nil {
		return err
	}
	if n.cond != nil {
		var kept []any
		for _, item := range items {
			inner := newScope(s)
			if err := ev.bindTargets(n, item, inner); err != nil {
				return err
			}
			v, err := ev.eval(n.cond, inner)
			if err != nil {
				return err
			}
			t, err := ev.truthy(v)
			if err != nil {
				return err
			}
			if t {
				kept = append(kept, item)
			}
		}
		items = kept
	}
	if len(items) == 0 {
		return ev.exec(n.els, s)
	}
	lo := &loopObj{items: items, depth0: depth0}
	if n.recursive {
		lo.rec = func(v any) (any, error) {
			return ev.captureFn(func() error { return ev.runFor(n, s, v, depth0+1) })
		}
	}
	inner := newScope(s)
	for i, item := range items {
		if err := ev.step(); err != nil {
			return err
		}
		lo.index0 = i
		clear(inner.vars)
		inner.vars["loop"] = lo
		if err := ev.bindTargets(n, item, inner); err != nil {
			return err
		}
		err := ev.exec(n.body, inner)
		if err == errBreak {
			break
		}
		if err == errContinue {
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (ev *evaluator) captureFn(f func() error) (string, error) {
	saved := ev.out
	var b strings.Builder
	ev.out = &b
	err := f()
	ev.out = saved
	return b.String(), err
}

func (ev *evaluator) bindTargets(n *forNode, item any, s *scope) error {
	if !n.unpack {
		s.vars[n.targets[0]] = item
		return nil
	}
	parts, err := ev.unpackItems(item)
	if err != nil {
		return err
	}
	if len(parts) != len(n.targets) {
		if len(parts) > len(n.targets) {
			return ev.errf(KindOther, "too many values to unpack (expected %d)", len(n.targets))
		}
		return ev.errf(KindOther, "not enough values to unpack (expected %d, got %d)", len(n.targets), len(parts))
	}
	for i, name := range n.targets {
		s.vars[name] = parts[i]
	}
	return nil
}

// reaches reports whether container (a *data.Map, *namespace or list)
// can be reached from v: storing v in it would make a cycle, which
// Python allows but nothing here could print or compare.
func reaches(v any, container any) bool {
	var arr *any
	if l, ok := container.([]any); ok {
		if cap(l) == 0 {
			return false
		}
		arr = &l[:1][0]
	}
	seen := map[*data.Map]bool{}
	var walk func(v any, depth int) bool
	walk = func(v any, depth int) bool {
		if depth > 10000 {
			return true
		}
		switch x := v.(type) {
		case *data.Map:
			if x == container {
				return true
			}
			if seen[x] {
				return false
			}
			seen[x] = true
			found := false
			x.Range(func(_, e any) bool { found = walk(e, depth+1); return !found })
			return found
		case *namespace:
			if x == container {
				return true
			}
			return walk(x.m, depth+1)
		case []any:
			if arr != nil && cap(x) > 0 && &x[:1][0] == arr {
				return true
			}
			for _, e := range x {
				if walk(e, depth+1) {
					return true
				}
			}
		case data.Tuple:
			for _, e := range x {
				if walk(e, depth+1) {
					return true
				}
			}
		}
		return false
	}
	return walk(v, 0)
}

// unpackItems is iterate with Python's wording for a, b = x.
func (ev *evaluator) unpackItems(v any) ([]any, error) {
	switch v.(type) {
	case []any, data.Tuple, *data.Map, string, []byte, *undefined:
		return ev.iterate(v)
	}
	return nil, ev.errf(KindOther, "cannot unpack non-iterable %s object", typeName(v))
}

// ---- expressions ----

func (ev *evaluator) eval(x expr, s *scope) (any, error) {
	if err := ev.step(); err != nil {
		return nil, err
	}
	switch x := x.(type) {
	case *constExpr:
		return x.v, nil
	case *nameExpr:
		if v, ok := s.lookup(x.name); ok {
			return v, nil
		}
		if v, ok := ev.globals.lookup(x.name); ok {
			return v, nil
		}
		if f, ok := builtinGlobals[x.name]; ok {
			return f, nil
		}
		return &undefined{name: x.name}, nil
	case *listExpr:
		out := make([]any, 0, len(x.items))
		for _, it := range x.items {
			v, err := ev.evalNeed(it, s)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case *tupleExpr:
		out := make(data.Tuple, 0, len(x.items))
		for _, it := range x.items {
			v, err := ev.evalNeed(it, s)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case *dictExpr:
		m := data.NewMap()
		for i := range x.keys {
			k, err := ev.evalNeed(x.keys[i], s)
			if err != nil {
				return nil, err
			}
			v, err := ev.evalNeed(x.vals[i], s)
			if err != nil {
				return nil, err
			}
			if err := ev.hashable(k); err != nil {
				return nil, err
			}
			m.Set(k, v)
		}
		return m, nil
	case *getattrExpr:
		obj, err := ev.eval(x.obj, s)
		if err != nil {
			return nil, err
		}
		if err := ev.need(obj); err != nil {
			return nil, err
		}
		return ev.getattr(obj, x.attr)
	case *getitemExpr:
		obj, err := ev.eval(x.obj, s)
		if err != nil {
			return nil, err
		}
		if err := ev.need(obj); err != nil {
			return nil, err
		}
		if sl, ok := x.key.(*sliceExpr); ok {
			return ev.slice(obj, sl, s)
		}
		k, err := ev.evalNeed(x.key, s)
		if err != nil {
			return nil, err
		}
		return ev.getitem(obj, k)
	case *callExpr:
		return ev.evalCall(x, s)
	case *filterExpr:
		v, err := ev.eval(x.obj, s)
		if err != nil {
			return nil, err
		}
		return ev.applyFilter(x, v, s)
	case *testExpr:
		return ev.evalTest(x, s)
	case *unaryExpr:
		v, err := ev.evalNeed(x.x, s)
		if err != nil {
			return nil, err
		}
		switch x.op {
		case "not":
			return !data.Truthy(v), nil
		case "-":
			if f, ok := v.(float64); ok {
				return -f, nil
			}
			if !isNum(v) {
				return nil, ev.errf(KindOther, "bad operand type for unary -: '%s'", typeName(v))
			}
			return ev.binop("-", int64(0), v)
		default:
			if _, ok := v.(float64); ok {
				return v, nil
			}
			if !isNum(v) {
				return nil, ev.errf(KindOther, "bad operand type for unary +: '%s'", typeName(v))
			}
			return ev.binop("+", int64(0), v)
		}
	case *binExpr:
		switch x.op {
		case "and", "or":
			l, err := ev.evalNeed(x.l, s)
			if err != nil {
				return nil, err
			}
			if data.Truthy(l) == (x.op == "or") {
				return l, nil
			}
			return ev.eval(x.r, s)
		}
		l, err := ev.evalNeed(x.l, s)
		if err != nil {
			return nil, err
		}
		r, err := ev.evalNeed(x.r, s)
		if err != nil {
			return nil, err
		}
		if x.op == "~" {
			ls, err := ev.toStr(l)
			if err != nil {
				return nil, err
			}
			rs, err := ev.toStr(r)
			if err != nil {
				return nil, err
			}
			return ls + rs, nil
		}
		return ev.binop(x.op, l, r)
	case *compareExpr:
		l, err := ev.evalNeed(x.first, s)
		if err != nil {
			return nil, err
		}
		for i, op := range x.ops {
			r, err := ev.evalNeed(x.rest[i], s)
			if err != nil {
				return nil, err
			}
			ok, err := ev.compare(op, l, r)
			if err != nil {
				return nil, err
			}
			if !ok {
				return false, nil
			}
			l = r
		}
		return true, nil
	case *condExpr:
		c, err := ev.evalNeed(x.cond, s)
		if err != nil {
			return nil, err
		}
		if data.Truthy(c) {
			return ev.eval(x.a, s)
		}
		if x.b == nil {
			return &undefined{hint: "the inline if-expression on line " + fmt.Sprint(x.line) + " evaluated to false and no else section was defined."}, nil
		}
		return ev.eval(x.b, s)
	case *sliceExpr:
		return nil, ev.errf(KindSyntax, "unexpected slice")
	}
	return nil, ev.errf(KindOther, "unknown expression %T", x)
}

func (ev *evaluator) evalNeed(x expr, s *scope) (any, error) {
	v, err := ev.eval(x, s)
	if err != nil {
		return nil, err
	}
	return v, ev.need(v)
}

func (ev *evaluator) hashable(k any) error {
	switch k.(type) {
	case []any, *data.Map:
		return ev.errf(KindOther, "unhashable type: '%s'", typeName(k))
	}
	return nil
}

func (ev *evaluator) truthy(v any) (bool, error) {
	if err := ev.need(v); err != nil {
		return false, err
	}
	return data.Truthy(v), nil
}

// toStr is str(v) for output.
func (ev *evaluator) toStr(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case *undefined:
		return "", ev.undefErr(x)
	case *macro:
		return fmt.Sprintf("<Macro '%s'>", x.node.name), nil
	case *loopObj:
		return "<LoopContext>", nil
	case *namespace:
		return "<Namespace " + data.Repr(x.m) + ">", nil
	case callable:
		return "<function>", nil
	case *big.Int:
		return x.String(), nil
	}
	return pyStr(v), nil
}

// evalArgs evaluates call arguments.
func (ev *evaluator) evalArgs(args []expr, kwNames []string, kwVals []expr, star, starstar expr, s *scope) ([]any, *data.Map, error) {
	out := make([]any, 0, len(args))
	for _, a := range args {
		v, err := ev.eval(a, s)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, v)
	}
	var kw *data.Map
	if len(kwNames) > 0 || starstar != nil {
		kw = data.NewMap()
	}
	for i, n := range kwNames {
		v, err := ev.eval(kwVals[i], s)
		if err != nil {
			return nil, nil, err
		}
		kw.Set(n, v)
	}
	if star != nil {
		v, err := ev.evalNeed(star, s)
		if err != nil {
			return nil, nil, err
		}
		items, err := ev.iterate(v)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, items...)
	}
	if starstar != nil {
		v, err := ev.evalNeed(starstar, s)
		if err != nil {
			return nil, nil, err
		}
		m, ok := v.(*data.Map)
		if !ok {
			return nil, nil, ev.errf(KindOther, "argument after ** must be a mapping, not %s", typeName(v))
		}
		m.Range(func(k, v any) bool { kw.Set(k, v); return true })
	}
	return out, kw, nil
}

func (ev *evaluator) evalCall(x *callExpr, s *scope) (any, error) {
	fn, err := ev.eval(x.fn, s)
	if err != nil {
		return nil, err
	}
	if err := ev.need(fn); err != nil {
		return nil, err
	}
	args, kw, err := ev.evalArgs(x.args, x.kwNames, x.kwVals, x.star, x.starstar, s)
	if err != nil {
		return nil, err
	}
	c, ok := fn.(callable)
	if !ok {
		return nil, ev.errf(KindOther, "'%s' object is not callable", typeName(fn))
	}
	v, err := c.call(ev, args, kw)
	if err != nil {
		return nil, err
	}
	// a list method that changed the list's length: store the new list
	// where the old one was (Python lists are shared references)
	if m, ok := c.(*method); ok && m.changed != nil {
		if err := ev.writeBack(x.fn.(*getattrExpr).obj, m.changed, s); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// writeBack stores a list grown or shrunk by a method where target's
// value came from.
func (ev *evaluator) writeBack(target expr, v any, s *scope) error {
	switch t := target.(type) {
	case *nameExpr:
		for sc := s; sc != nil; sc = sc.parent {
			if _, ok := sc.vars[t.name]; ok {
				sc.vars[t.name] = v
				return nil
			}
		}
		if _, ok := ev.globals.lookup(t.name); ok {
			for sc := ev.globals; sc != nil; sc = sc.parent {
				if _, ok := sc.vars[t.name]; ok {
					sc.vars[t.name] = v
					return nil
				}
			}
		}
	case *getattrExpr:
		obj, err := ev.eval(t.obj, s)
		if err != nil {
			return err
		}
		if reaches(v, obj) {
			return ev.errf(KindOther, "cannot store a container inside itself")
		}
		switch o := obj.(type) {
		case *data.Map:
			o.Set(t.attr, v)
		case *namespace:
			o.m.Set(t.attr, v)
		}
	case *getitemExpr:
		obj, err := ev.eval(t.obj, s)
		if err != nil {
			return err
		}
		k, err := ev.eval(t.key, s)
		if err != nil {
			return err
		}
		if reaches(v, obj) {
			return ev.errf(KindOther, "cannot store a container inside itself")
		}
		switch o := obj.(type) {
		case *data.Map:
			o.Set(k, v)
		case []any:
			if i, ok := k.(int64); ok {
				if i < 0 {
					i += int64(len(o))
				}
				if i >= 0 && i < int64(len(o)) {
					o[i] = v
				}
			}
		}
	}
	return nil
}

func (ev *evaluator) slice(obj any, sl *sliceExpr, s *scope) (any, error) {
	var idx [3]*int64
	for i, e := range []expr{sl.start, sl.stop, sl.step} {
		if e == nil {
			continue
		}
		v, err := ev.evalNeed(e, s)
		if err != nil {
			return nil, err
		}
		if v == nil {
			continue
		}
		n, ok := toInt(v)
		if !ok {
			return nil, ev.errf(KindOther, "slice indices must be integers or None or have an __index__ method")
		}
		idx[i] = &n
	}
	step := int64(1)
	if idx[2] != nil {
		step = *idx[2]
		if step == 0 {
			return nil, ev.errf(KindOther, "slice step cannot be zero")
		}
	}
	var n int64
	var str []rune
	switch o := obj.(type) {
	case string:
		str = []rune(o)
		n = int64(len(str))
	case []any:
		n = int64(len(o))
	case data.Tuple:
		n = int64(len(o))
	default:
		return nil, ev.errf(KindOther, "'%s' object is not subscriptable", typeName(obj))
	}
	start, stop := sliceBounds(idx[0], idx[1], step, n)
	var picks []int64
	if step > 0 {
		for i := start; i < stop; i += step {
			picks = append(picks, i)
		}
	} else {
		for i := start; i > stop; i += step {
			picks = append(picks, i)
		}
	}
	switch o := obj.(type) {
	case string:
		var b strings.Builder
		for _, i := range picks {
			b.WriteRune(str[i])
		}
		return b.String(), nil
	case []any:
		out := make([]any, 0, len(picks))
		for _, i := range picks {
			out = append(out, o[i])
		}
		return out, nil
	case data.Tuple:
		out := make(data.Tuple, 0, len(picks))
		for _, i := range picks {
			out = append(out, o[i])
		}
		return out, nil
	}
	return nil, nil
}

func sliceBounds(a, b *int64, step, n int64) (int64, int64) {
	norm := func(p *int64, def int64, lo, hi int64) int64 {
		if p == nil {
			return def
		}
		v := *p
		if v < 0 {
			v += n
			if v < lo {
				v = lo
			}
		} else if v > hi {
			v = hi
		}
		return v
	}
	if step > 0 {
		return norm(a, 0, 0, n), norm(b, n, 0, n)
	}
	return norm(a, n-1, -1, n-1), norm(b, -1, -1, n-1)
}

// iterate lists the items a for loop sees.
func (ev *evaluator) iterate(v any) ([]any, error) {
	switch x := v.(type) {
	case *undefined:
		return nil, ev.undefErr(x)
	case []any:
		return x, nil
	case data.Tuple:
		return x, nil
	case *data.Map:
		return x.Keys(), nil
	case string:
		out := make([]any, 0, len(x))
		for _, r := range x {
			out = append(out, string(r))
		}
		return out, nil
	case []byte:
		out := make([]any, 0, len(x))
		for _, c := range x {
			out = append(out, int64(c))
		}
		return out, nil
	case *namespace:
		return nil, ev.errf(KindOther, "'Namespace' object is not iterable")
	}
	return nil, ev.errf(KindOther, "'%s' object is not iterable", typeName(v))
}
