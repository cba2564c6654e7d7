package jinja

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// ---- expression nodes ----

type expr interface{ exprLine() int }

type pos struct{ line int }

func (p pos) exprLine() int { return p.line }

type (
	constExpr struct {
		pos
		v any
	}
	nameExpr struct {
		pos
		name string
	}
	listExpr struct {
		pos
		items []expr
	}
	tupleExpr struct {
		pos
		items []expr
	}
	dictExpr struct {
		pos
		keys, vals []expr
	}
	getattrExpr struct {
		pos
		obj  expr
		attr string
	}
	getitemExpr struct {
		pos
		obj expr
		key expr
	}
	sliceExpr struct {
		pos
		start, stop, step expr
	}
	callExpr struct {
		pos
		fn       expr
		args     []expr
		kwNames  []string
		kwVals   []expr
		star     expr
		starstar expr
	}
	filterExpr struct {
		pos
		obj     expr // nil in a {% filter %} block
		name    string
		args    []expr
		kwNames []string
		kwVals  []expr
	}
	testExpr struct {
		pos
		obj     expr
		name    string
		args    []expr
		kwNames []string
		kwVals  []expr
		neg     bool
	}
	binExpr struct {
		pos
		op   string
		l, r expr
	}
	unaryExpr struct {
		pos
		op string
		x  expr
	}
	compareExpr struct {
		pos
		first expr
		ops   []string
		rest  []expr
	}
	condExpr struct {
		pos
		cond, a, b expr // b may be nil
	}
)

// ---- statement nodes ----

type node any

type (
	dataNode   struct{ text string }
	outputNode struct {
		line int
		x    expr
	}
	ifNode struct {
		line   int
		conds  []expr
		bodies [][]node
		els    []node
	}
	forNode struct {
		line      int
		targets   []string
		unpack    bool
		iter      expr
		cond      expr
		body, els []node
		recursive bool
	}
	setNode struct {
		line    int
		targets []expr // names or ns.attr
		unpack  bool
		x       expr
	}
	setBlockNode struct {
		line    int
		name    string
		filters []*filterExpr
		body    []node
	}
	macroNode struct {
		line     int
		name     string
		params   []string
		defaults []expr // aligned right with params
		body     []node
	}
	callBlockNode struct {
		line   int
		params []string
		defs   []expr
		call   *callExpr
		body   []node
	}
	importNode struct {
		line        int
		tmpl        expr
		alias       string
		withContext bool
	}
	fromNode struct {
		line        int
		tmpl        expr
		names       []string
		aliases     []string
		withContext bool
	}
	includeNode struct {
		line          int
		tmpl          expr
		ignoreMissing bool
		withContext   bool
	}
	doNode struct {
		line int
		x    expr
	}
	breakNode    struct{ line int }
	continueNode struct{ line int }
	filterBlock  struct {
		line    int
		filters []*filterExpr
		body    []node
	}
	withNode struct {
		line  int
		names []string
		vals  []expr
		body  []node
	}
	loadBlockNode struct {
		line int
		kind string // yaml, json, text
		name string
		body []node
	}
	importDataNode struct {
		line int
		kind string
		tmpl expr
		name string
	}
	blockNode struct {
		line int
		name string
		body []node
	}
)

// ---- parser ----

type parser struct {
	toks []token
	p    int
	name string
	// depth bounds nested expressions and blocks
	depth int
}

const maxParseDepth = 200

func (ps *parser) errf(line int, format string, args ...any) error {
	return &SyntaxError{Msg: fmt.Sprintf(format, args...), Line: line, Name: ps.name}
}

func (ps *parser) peek() token { return ps.toks[ps.p] }

func (ps *parser) next() token {
	t := ps.toks[ps.p]
	if t.kind != tEOF {
		ps.p++
	}
	return t
}

func (ps *parser) isOp(v string) bool {
	t := ps.peek()
	return t.kind == tOp && t.val == v
}

func (ps *parser) isName(v string) bool {
	t := ps.peek()
	return t.kind == tName && t.val == v
}

func (ps *parser) expectOp(v string) error {
	t := ps.next()
	if t.kind != tOp || t.val != v {
		return ps.errf(t.line, "expected token '%s', got '%s'", v, t)
	}
	return nil
}

func (ps *parser) expectName() (string, error) {
	t := ps.next()
	if t.kind == tBlockEnd || t.kind == tVarEnd {
		return "", ps.errf(t.line, "Expected an expression, got '%s'", t)
	}
	if t.kind != tName {
		return "", ps.errf(t.line, "expected token 'name', got '%s'", t)
	}
	return t.val, nil
}

func (ps *parser) expectBlockEnd() error {
	t := ps.next()
	if t.kind != tBlockEnd {
		return ps.errf(t.line, "expected token 'end of statement block', got '%s'", t)
	}
	return nil
}

// parse parses a whole template.
func parse(toks []token, name string) ([]node, error) {
	ps := &parser{toks: toks, name: name}
	body, end, err := ps.subparse(nil)
	if err != nil {
		return nil, err
	}
	if end != "" {
		return nil, ps.errf(ps.peek().line, "Encountered unknown tag '%s'.", end)
	}
	return body, nil
}

var knownEnds = map[string]bool{
	"endif": true, "endfor": true, "endmacro": true, "endset": true, "endcall": true,
	"endfilter": true, "endwith": true, "endload": true, "endblock": true, "endraw": true,
	"else": true, "elif": true, "endautoescape": true, "endprofile": true,
}

// subparse parses nodes until one of the end tags (names) shows up; it
// returns the tag found (the "{% name" is consumed, the rest is not).
func (ps *parser) subparse(ends []string) ([]node, string, error) {
	ps.depth++
	defer func() { ps.depth-- }()
	if ps.depth > maxParseDepth {
		return nil, "", ps.errf(ps.peek().line, "too deeply nested blocks")
	}
	var body []node
	for {
		t := ps.next()
		switch t.kind {
		case tEOF:
			if len(ends) > 0 {
				return nil, "", ps.errf(t.line, "Unexpected end of template. Jinja was looking for the following tags: %s. The innermost block that needs to be closed is '%s'.", quoteTags(ends), blockOf(ends))
			}
			return body, "", nil
		case tData:
			body = append(body, &dataNode{text: t.val})
		case tVarBegin:
			x, err := ps.parseTuple(false)
			if err != nil {
				return nil, "", err
			}
			if e := ps.next(); e.kind != tVarEnd {
				return nil, "", ps.errf(e.line, "expected token 'end of print statement', got '%s'", e)
			}
			body = append(body, &outputNode{line: t.line, x: x})
		case tBlockBegin:
			nt := ps.peek()
			if nt.kind != tName {
				return nil, "", ps.errf(nt.line, "tag name expected")
			}
			for _, e := range ends {
				if nt.val == e {
					ps.next()
					return body, e, nil
				}
			}
			if knownEnds[nt.val] {
				if len(ends) > 0 {
					return nil, "", ps.errf(nt.line, "Encountered unknown tag '%s'. Jinja was looking for the following tags: %s. The innermost block that needs to be closed is '%s'.", nt.val, quoteTags(ends), blockOf(ends))
				}
				return nil, "", ps.errf(nt.line, "Encountered unknown tag '%s'.", nt.val)
			}
			n, err := ps.parseStatement()
			if err != nil {
				return nil, "", err
			}
			if n != nil {
				body = append(body, n)
			}
		default:
			return nil, "", ps.errf(t.line, "unexpected '%s'", t)
		}
	}
}

func quoteTags(ends []string) string {
	q := make([]string, len(ends))
	for i, e := range ends {
		q[i] = "'" + e + "'"
	}
	return strings.Join(q, " or ")
}

func blockOf(ends []string) string {
	for _, e := range ends {
		if len(e) > 3 && e[:3] == "end" {
			return e[3:]
		}
	}
	return ends[0]
}

func (ps *parser) parseStatement() (node, error) {
	t := ps.next()
	switch t.val {
	case "if":
		return ps.parseIf(t.line)
	case "for":
		return ps.parseFor(t.line)
	case "set":
		return ps.parseSet(t.line)
	case "macro":
		return ps.parseMacro(t.line)
	case "call":
		return ps.parseCallBlock(t.line)
	case "import":
		return ps.parseImport(t.line)
	case "from":
		return ps.parseFrom(t.line)
	case "include":
		return ps.parseInclude(t.line)
	case "do":
		x, err := ps.parseTuple(false)
		if err != nil {
			return nil, err
		}
		return &doNode{line: t.line, x: x}, ps.expectBlockEnd()
	case "break":
		return &breakNode{line: t.line}, ps.expectBlockEnd()
	case "continue":
		return &continueNode{line: t.line}, ps.expectBlockEnd()
	case "filter":
		fs, err := ps.parseFilterChain(t.line)
		if err != nil {
			return nil, err
		}
		if err := ps.expectBlockEnd(); err != nil {
			return nil, err
		}
		body, _, err := ps.subparse([]string{"endfilter"})
		if err != nil {
			return nil, err
		}
		return &filterBlock{line: t.line, filters: fs, body: body}, ps.expectBlockEnd()
	case "with":
		return ps.parseWith(t.line)
	case "load_yaml", "load_json", "load_text":
		if !ps.isName("as") {
			return nil, ps.errf(t.line, "expected token 'as', got '%s'", ps.peek())
		}
		ps.next()
		name, err := ps.expectName()
		if err != nil {
			return nil, err
		}
		if err := ps.expectBlockEnd(); err != nil {
			return nil, err
		}
		body, _, err := ps.subparse([]string{"endload"})
		if err != nil {
			return nil, err
		}
		return &loadBlockNode{line: t.line, kind: t.val[5:], name: name, body: body}, ps.expectBlockEnd()
	case "import_yaml", "import_json", "import_text":
		x, err := ps.parseExpr(true)
		if err != nil {
			return nil, err
		}
		if !ps.isName("as") {
			return nil, ps.errf(t.line, "expected token 'as', got '%s'", ps.peek())
		}
		ps.next()
		name, err := ps.expectName()
		if err != nil {
			return nil, err
		}
		return &importDataNode{line: t.line, kind: t.val[7:], tmpl: x, name: name}, ps.expectBlockEnd()
	case "block":
		name, err := ps.expectName()
		if err != nil {
			return nil, err
		}
		if err := ps.expectBlockEnd(); err != nil {
			return nil, err
		}
		body, _, err := ps.subparse([]string{"endblock"})
		if err != nil {
			return nil, err
		}
		if ps.peek().kind == tName {
			ps.next()
		}
		return &blockNode{line: t.line, name: name, body: body}, ps.expectBlockEnd()
	case "autoescape", "profile":
		// evaluated for syntax, no effect
		for ps.peek().kind != tBlockEnd && ps.peek().kind != tEOF {
			ps.next()
		}
		if err := ps.expectBlockEnd(); err != nil {
			return nil, err
		}
		body, _, err := ps.subparse([]string{"end" + t.val})
		if err != nil {
			return nil, err
		}
		return &withNode{line: t.line, body: body}, ps.expectBlockEnd()
	}
	return nil, ps.errf(t.line, "Encountered unknown tag '%s'.", t.val)
}

func (ps *parser) parseIf(line int) (node, error) {
	n := &ifNode{line: line}
	for {
		c, err := ps.parseTuple(false)
		if err != nil {
			return nil, err
		}
		if err := ps.expectBlockEnd(); err != nil {
			return nil, err
		}
		body, end, err := ps.subparse([]string{"elif", "else", "endif"})
		if err != nil {
			return nil, err
		}
		n.conds = append(n.conds, c)
		n.bodies = append(n.bodies, body)
		switch end {
		case "elif":
			continue
		case "else":
			if err := ps.expectBlockEnd(); err != nil {
				return nil, err
			}
			n.els, _, err = ps.subparse([]string{"endif"})
			if err != nil {
				return nil, err
			}
		}
		return n, ps.expectBlockEnd()
	}
}

func (ps *parser) parseFor(line int) (node, error) {
	n := &forNode{line: line}
	for {
		name, err := ps.expectName()
		if err != nil {
			return nil, err
		}
		n.targets = append(n.targets, name)
		if !ps.isOp(",") {
			break
		}
		ps.next()
		n.unpack = true
		if ps.isName("in") {
			break
		}
	}
	if !ps.isName("in") {
		return nil, ps.errf(ps.peek().line, "expected token 'in', got '%s'", ps.peek())
	}
	ps.next()
	it, err := ps.parseTuple(true)
	if err != nil {
		return nil, err
	}
	n.iter = it
	if ps.isName("if") {
		ps.next()
		if n.cond, err = ps.parseExpr(true); err != nil {
			return nil, err
		}
	}
	if ps.isName("recursive") {
		ps.next()
		n.recursive = true
	}
	if err := ps.expectBlockEnd(); err != nil {
		return nil, err
	}
	body, end, err := ps.subparse([]string{"endfor", "else"})
	if err != nil {
		return nil, err
	}
	n.body = body
	if end == "else" {
		if err := ps.expectBlockEnd(); err != nil {
			return nil, err
		}
		if n.els, _, err = ps.subparse([]string{"endfor"}); err != nil {
			return nil, err
		}
	}
	return n, ps.expectBlockEnd()
}

func (ps *parser) parseSet(line int) (node, error) {
	var targets []expr
	unpack := false
	for {
		t := ps.peek()
		name, err := ps.expectName()
		if err != nil {
			return nil, err
		}
		var target expr = &nameExpr{pos{t.line}, name}
		if ps.isOp(".") {
			ps.next()
			attr, err := ps.expectName()
			if err != nil {
				return nil, err
			}
			target = &getattrExpr{pos{t.line}, target, attr}
		}
		targets = append(targets, target)
		if !ps.isOp(",") {
			break
		}
		ps.next()
		unpack = true
	}
	if ps.isOp("=") {
		ps.next()
		x, err := ps.parseTuple(false)
		if err != nil {
			return nil, err
		}
		return &setNode{line: line, targets: targets, unpack: unpack, x: x}, ps.expectBlockEnd()
	}
	name, ok := targets[0].(*nameExpr)
	if len(targets) != 1 || !ok {
		return nil, ps.errf(line, "expected token '=', got '%s'", ps.peek())
	}
	n := &setBlockNode{line: line, name: name.name}
	if ps.isOp("|") {
		ps.next()
		fs, err := ps.parseFilterChain(line)
		if err != nil {
			return nil, err
		}
		n.filters = fs
	}
	if err := ps.expectBlockEnd(); err != nil {
		return nil, err
	}
	body, _, err := ps.subparse([]string{"endset"})
	if err != nil {
		return nil, err
	}
	n.body = body
	return n, ps.expectBlockEnd()
}

// parseFilterChain parses "name(args)|name2..." (no leading "|").
func (ps *parser) parseFilterChain(line int) ([]*filterExpr, error) {
	var out []*filterExpr
	for {
		f, err := ps.parseFilterCall(nil)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
		if !ps.isOp("|") {
			return out, nil
		}
		ps.next()
	}
}

func (ps *parser) parseSignature() (params []string, defs []expr, err error) {
	if err := ps.expectOp("("); err != nil {
		return nil, nil, err
	}
	for !ps.isOp(")") {
		if len(params) > 0 {
			if err := ps.expectOp(","); err != nil {
				return nil, nil, err
			}
			if ps.isOp(")") {
				break
			}
		}
		name, err := ps.expectName()
		if err != nil {
			return nil, nil, err
		}
		params = append(params, name)
		if ps.isOp("=") {
			ps.next()
			d, err := ps.parseExpr(false)
			if err != nil {
				return nil, nil, err
			}
			defs = append(defs, d)
		} else if len(defs) > 0 {
			return nil, nil, ps.errf(ps.peek().line, "non-default argument follows default argument")
		}
	}
	ps.next()
	return params, defs, nil
}

func (ps *parser) parseMacro(line int) (node, error) {
	name, err := ps.expectName()
	if err != nil {
		return nil, err
	}
	params, defs, err := ps.parseSignature()
	if err != nil {
		return nil, err
	}
	if err := ps.expectBlockEnd(); err != nil {
		return nil, err
	}
	body, _, err := ps.subparse([]string{"endmacro"})
	if err != nil {
		return nil, err
	}
	if ps.peek().kind == tName {
		ps.next()
	}
	return &macroNode{line: line, name: name, params: params, defaults: defs, body: body}, ps.expectBlockEnd()
}

func (ps *parser) parseCallBlock(line int) (node, error) {
	n := &callBlockNode{line: line}
	if ps.isOp("(") {
		var err error
		if n.params, n.defs, err = ps.parseSignature(); err != nil {
			return nil, err
		}
	}
	x, err := ps.parseExpr(false)
	if err != nil {
		return nil, err
	}
	c, ok := x.(*callExpr)
	if !ok {
		return nil, ps.errf(line, "expected call")
	}
	n.call = c
	if err := ps.expectBlockEnd(); err != nil {
		return nil, err
	}
	if n.body, _, err = ps.subparse([]string{"endcall"}); err != nil {
		return nil, err
	}
	return n, ps.expectBlockEnd()
}

func (ps *parser) parseContextMod(def bool) bool {
	if (ps.isName("with") || ps.isName("without")) && ps.toks[ps.p+1].kind == tName && ps.toks[ps.p+1].val == "context" {
		w := ps.next().val == "with"
		ps.next()
		return w
	}
	return def
}

func (ps *parser) parseImport(line int) (node, error) {
	x, err := ps.parseExpr(false)
	if err != nil {
		return nil, err
	}
	if !ps.isName("as") {
		return nil, ps.errf(line, "expected token 'as', got '%s'", ps.peek())
	}
	ps.next()
	alias, err := ps.expectName()
	if err != nil {
		return nil, err
	}
	n := &importNode{line: line, tmpl: x, alias: alias}
	n.withContext = ps.parseContextMod(false)
	return n, ps.expectBlockEnd()
}

func (ps *parser) parseFrom(line int) (node, error) {
	x, err := ps.parseExpr(false)
	if err != nil {
		return nil, err
	}
	if !ps.isName("import") {
		return nil, ps.errf(line, "expected token 'import', got '%s'", ps.peek())
	}
	ps.next()
	n := &fromNode{line: line, tmpl: x}
	for {
		if len(n.names) > 0 {
			if !ps.isOp(",") {
				break
			}
			ps.next()
		}
		if (ps.isName("with") || ps.isName("without")) && ps.toks[ps.p+1].kind == tName && ps.toks[ps.p+1].val == "context" {
			break
		}
		name, err := ps.expectName()
		if err != nil {
			return nil, err
		}
		alias := name
		if ps.isName("as") {
			ps.next()
			if alias, err = ps.expectName(); err != nil {
				return nil, err
			}
		}
		n.names = append(n.names, name)
		n.aliases = append(n.aliases, alias)
	}
	n.withContext = ps.parseContextMod(false)
	return n, ps.expectBlockEnd()
}

func (ps *parser) parseInclude(line int) (node, error) {
	x, err := ps.parseExpr(false)
	if err != nil {
		return nil, err
	}
	n := &includeNode{line: line, tmpl: x, withContext: true}
	if ps.isName("ignore") && ps.toks[ps.p+1].kind == tName && ps.toks[ps.p+1].val == "missing" {
		ps.next()
		ps.next()
		n.ignoreMissing = true
	}
	n.withContext = ps.parseContextMod(true)
	return n, ps.expectBlockEnd()
}

func (ps *parser) parseWith(line int) (node, error) {
	n := &withNode{line: line}
	for !ps.isBlockEnd() {
		if len(n.names) > 0 {
			if err := ps.expectOp(","); err != nil {
				return nil, err
			}
		}
		name, err := ps.expectName()
		if err != nil {
			return nil, err
		}
		if err := ps.expectOp("="); err != nil {
			return nil, err
		}
		v, err := ps.parseExpr(false)
		if err != nil {
			return nil, err
		}
		n.names = append(n.names, name)
		n.vals = append(n.vals, v)
	}
	if err := ps.expectBlockEnd(); err != nil {
		return nil, err
	}
	body, _, err := ps.subparse([]string{"endwith"})
	if err != nil {
		return nil, err
	}
	n.body = body
	return n, ps.expectBlockEnd()
}

func (ps *parser) isBlockEnd() bool { return ps.peek().kind == tBlockEnd || ps.peek().kind == tEOF }

// ---- expressions ----

func (ps *parser) enter() error {
	ps.depth++
	if ps.depth > maxParseDepth {
		return ps.errf(ps.peek().line, "expression too deeply nested")
	}
	return nil
}

// parseTuple parses an expression, or a tuple of them without parentheses.
func (ps *parser) parseTuple(noCond bool) (expr, error) {
	line := ps.peek().line
	if t := ps.peek(); t.kind == tVarEnd || t.kind == tBlockEnd || t.kind == tEOF {
		return nil, ps.errf(t.line, "Expected an expression, got '%s'", t)
	}
	x, err := ps.parseExpr(!noCond)
	if err != nil {
		return nil, err
	}
	if !ps.isOp(",") {
		return x, nil
	}
	items := []expr{x}
	for ps.isOp(",") {
		ps.next()
		if ps.endsTuple() {
			break
		}
		y, err := ps.parseExpr(!noCond)
		if err != nil {
			return nil, err
		}
		items = append(items, y)
	}
	return &tupleExpr{pos{line}, items}, nil
}

func (ps *parser) endsTuple() bool {
	t := ps.peek()
	if t.kind == tVarEnd || t.kind == tBlockEnd || t.kind == tEOF {
		return true
	}
	if t.kind == tOp && (t.val == ")" || t.val == "]" || t.val == "}") {
		return true
	}
	return t.kind == tName && (t.val == "in" || t.val == "if" || t.val == "recursive")
}

func (ps *parser) parseExpr(withCond bool) (expr, error) {
	if err := ps.enter(); err != nil {
		return nil, err
	}
	defer func() { ps.depth-- }()
	x, err := ps.parseOr()
	if err != nil {
		return nil, err
	}
	if !withCond {
		return x, nil
	}
	for ps.isName("if") {
		line := ps.next().line
		c, err := ps.parseOr()
		if err != nil {
			return nil, err
		}
		var b expr
		if ps.isName("else") {
			ps.next()
			if b, err = ps.parseExpr(true); err != nil {
				return nil, err
			}
		}
		x = &condExpr{pos{line}, c, x, b}
	}
	return x, nil
}

func (ps *parser) parseOr() (expr, error) {
	x, err := ps.parseAnd()
	if err != nil {
		return nil, err
	}
	for ps.isName("or") {
		line := ps.next().line
		y, err := ps.parseAnd()
		if err != nil {
			return nil, err
		}
		x = &binExpr{pos{line}, "or", x, y}
	}
	return x, nil
}

func (ps *parser) parseAnd() (expr, error) {
	x, err := ps.parseNot()
	if err != nil {
		return nil, err
	}
	for ps.isName("and") {
		line := ps.next().line
		y, err := ps.parseNot()
		if err != nil {
			return nil, err
		}
		x = &binExpr{pos{line}, "and", x, y}
	}
	return x, nil
}

func (ps *parser) parseNot() (expr, error) {
	if ps.isName("not") {
		line := ps.next().line
		if err := ps.enter(); err != nil {
			return nil, err
		}
		defer func() { ps.depth-- }()
		x, err := ps.parseNot()
		if err != nil {
			return nil, err
		}
		return &unaryExpr{pos{line}, "not", x}, nil
	}
	return ps.parseCompare()
}

func (ps *parser) parseCompare() (expr, error) {
	line := ps.peek().line
	x, err := ps.parseMath1()
	if err != nil {
		return nil, err
	}
	var ops []string
	var rest []expr
	for {
		t := ps.peek()
		op := ""
		switch {
		case t.kind == tOp && (t.val == "==" || t.val == "!=" || t.val == "<" || t.val == ">" || t.val == "<=" || t.val == ">="):
			op = t.val
			ps.next()
		case t.kind == tName && t.val == "in":
			op = "in"
			ps.next()
		case t.kind == tName && t.val == "not" && ps.toks[ps.p+1].kind == tName && ps.toks[ps.p+1].val == "in":
			op = "notin"
			ps.next()
			ps.next()
		}
		if op == "" {
			break
		}
		y, err := ps.parseMath1()
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
		rest = append(rest, y)
	}
	if len(ops) == 0 {
		return x, nil
	}
	return &compareExpr{pos{line}, x, ops, rest}, nil
}

func (ps *parser) parseMath1() (expr, error) {
	x, err := ps.parseConcat()
	if err != nil {
		return nil, err
	}
	for ps.isOp("+") || ps.isOp("-") {
		t := ps.next()
		y, err := ps.parseConcat()
		if err != nil {
			return nil, err
		}
		x = &binExpr{pos{t.line}, t.val, x, y}
	}
	return x, nil
}

func (ps *parser) parseConcat() (expr, error) {
	x, err := ps.parseMath2()
	if err != nil {
		return nil, err
	}
	for ps.isOp("~") {
		t := ps.next()
		y, err := ps.parseMath2()
		if err != nil {
			return nil, err
		}
		x = &binExpr{pos{t.line}, "~", x, y}
	}
	return x, nil
}

func (ps *parser) parseMath2() (expr, error) {
	x, err := ps.parsePow()
	if err != nil {
		return nil, err
	}
	for ps.isOp("*") || ps.isOp("/") || ps.isOp("//") || ps.isOp("%") {
		t := ps.next()
		y, err := ps.parsePow()
		if err != nil {
			return nil, err
		}
		x = &binExpr{pos{t.line}, t.val, x, y}
	}
	return x, nil
}

func (ps *parser) parsePow() (expr, error) {
	x, err := ps.parseUnary()
	if err != nil {
		return nil, err
	}
	for ps.isOp("**") {
		t := ps.next()
		y, err := ps.parseUnary()
		if err != nil {
			return nil, err
		}
		x = &binExpr{pos{t.line}, "**", x, y}
	}
	return x, nil
}

func (ps *parser) parseUnary() (expr, error) { return ps.parseUnaryF(true) }

func (ps *parser) parseUnaryF(withFilter bool) (expr, error) {
	var x expr
	if ps.isOp("-") || ps.isOp("+") {
		t := ps.next()
		if err := ps.enter(); err != nil {
			return nil, err
		}
		defer func() { ps.depth-- }()
		y, err := ps.parseUnaryF(false)
		if err != nil {
			return nil, err
		}
		x = &unaryExpr{pos{t.line}, t.val, y}
	} else {
		p, err := ps.parsePrimary()
		if err != nil {
			return nil, err
		}
		if x, err = ps.parsePostfix(p); err != nil {
			return nil, err
		}
	}
	if !withFilter {
		return x, nil
	}
	return ps.parseFilterExpr(x)
}

func (ps *parser) parseFilterExpr(x expr) (expr, error) {
	for {
		switch {
		case ps.isOp("|"):
			ps.next()
			f, err := ps.parseFilterCall(x)
			if err != nil {
				return nil, err
			}
			x = f
		case ps.isName("is"):
			line := ps.next().line
			neg := false
			if ps.isName("not") {
				ps.next()
				neg = true
			}
			name, err := ps.parseDottedName()
			if err != nil {
				return nil, err
			}
			te := &testExpr{pos: pos{line}, obj: x, name: name, neg: neg}
			if ps.isOp("(") {
				if te.args, te.kwNames, te.kwVals, _, _, err = ps.parseArgs(); err != nil {
					return nil, err
				}
			} else if t := ps.peek(); t.kind == tString || t.kind == tInt || t.kind == tFloat ||
				t.kind == tName && t.val != "else" && t.val != "or" && t.val != "and" && t.val != "is" && t.val != "in" && t.val != "if" && t.val != "not" ||
				t.kind == tOp && (t.val == "[" || t.val == "{" || t.val == "-") {
				a, err := ps.parsePrimary()
				if err != nil {
					return nil, err
				}
				if a, err = ps.parsePostfix(a); err != nil {
					return nil, err
				}
				te.args = []expr{a}
			}
			x = te
		case ps.isOp("(") || ps.isOp(".") || ps.isOp("["):
			var err error
			if x, err = ps.parsePostfix(x); err != nil {
				return nil, err
			}
		default:
			return x, nil
		}
	}
}

func (ps *parser) parseDottedName() (string, error) {
	name, err := ps.expectName()
	if err != nil {
		return "", err
	}
	for ps.isOp(".") {
		ps.next()
		n, err := ps.expectName()
		if err != nil {
			return "", err
		}
		name += "." + n
	}
	return name, nil
}

func (ps *parser) parseFilterCall(x expr) (*filterExpr, error) {
	line := ps.peek().line
	name, err := ps.parseDottedName()
	if err != nil {
		return nil, err
	}
	f := &filterExpr{pos: pos{line}, obj: x, name: name}
	if ps.isOp("(") {
		var star, starstar expr
		if f.args, f.kwNames, f.kwVals, star, starstar, err = ps.parseArgs(); err != nil {
			return nil, err
		}
		if star != nil || starstar != nil {
			return nil, ps.errf(line, "*args in filter calls are not supported")
		}
	}
	return f, nil
}

func (ps *parser) parseArgs() (args []expr, kwNames []string, kwVals []expr, star, starstar expr, err error) {
	if err = ps.expectOp("("); err != nil {
		return
	}
	first := true
	for !ps.isOp(")") {
		if !first {
			if err = ps.expectOp(","); err != nil {
				return
			}
			if ps.isOp(")") {
				break
			}
		}
		first = false
		if ps.isOp("*") {
			ps.next()
			if star, err = ps.parseExpr(true); err != nil {
				return
			}
			continue
		}
		if ps.isOp("**") {
			ps.next()
			if starstar, err = ps.parseExpr(true); err != nil {
				return
			}
			continue
		}
		if t := ps.peek(); t.kind == tName && ps.toks[ps.p+1].kind == tOp && ps.toks[ps.p+1].val == "=" {
			ps.next()
			ps.next()
			var v expr
			if v, err = ps.parseExpr(true); err != nil {
				return
			}
			kwNames = append(kwNames, t.val)
			kwVals = append(kwVals, v)
			continue
		}
		if len(kwNames) > 0 {
			err = ps.errf(ps.peek().line, "invalid syntax for function call expression")
			return
		}
		var a expr
		if a, err = ps.parseExpr(true); err != nil {
			return
		}
		args = append(args, a)
	}
	ps.next()
	return
}

func (ps *parser) parsePostfix(x expr) (expr, error) {
	for {
		t := ps.peek()
		if t.kind != tOp {
			return x, nil
		}
		switch t.val {
		case ".":
			ps.next()
			n := ps.next()
			switch n.kind {
			case tName:
				x = &getattrExpr{pos{n.line}, x, n.val}
			case tInt:
				i, _ := strconv.ParseInt(n.val, 10, 64)
				x = &getitemExpr{pos{n.line}, x, &constExpr{pos{n.line}, i}}
			default:
				return nil, ps.errf(n.line, "expected name or number")
			}
		case "[":
			ps.next()
			k, err := ps.parseSubscript()
			if err != nil {
				return nil, err
			}
			if err := ps.expectOp("]"); err != nil {
				return nil, err
			}
			x = &getitemExpr{pos{t.line}, x, k}
		case "(":
			args, kwn, kwv, star, starstar, err := ps.parseArgs()
			if err != nil {
				return nil, err
			}
			x = &callExpr{pos{t.line}, x, args, kwn, kwv, star, starstar}
		default:
			return x, nil
		}
	}
}

func (ps *parser) parseSubscript() (expr, error) {
	line := ps.peek().line
	var parts [3]expr
	i := 0
	isSlice := false
	for {
		if ps.isOp(":") {
			ps.next()
			isSlice = true
			i++
			if i > 2 {
				return nil, ps.errf(line, "invalid slice")
			}
			continue
		}
		if ps.isOp("]") {
			break
		}
		if parts[i] != nil {
			return nil, ps.errf(line, "expected token ']', got '%s'", ps.peek())
		}
		x, err := ps.parseTuple(false)
		if err != nil {
			return nil, err
		}
		parts[i] = x
	}
	if !isSlice {
		if parts[0] == nil {
			return nil, ps.errf(line, "expected an expression")
		}
		return parts[0], nil
	}
	return &sliceExpr{pos{line}, parts[0], parts[1], parts[2]}, nil
}

func (ps *parser) parsePrimary() (expr, error) {
	t := ps.next()
	switch t.kind {
	case tName:
		switch t.val {
		case "true", "True":
			return &constExpr{pos{t.line}, true}, nil
		case "false", "False":
			return &constExpr{pos{t.line}, false}, nil
		case "none", "None":
			return &constExpr{pos{t.line}, nil}, nil
		}
		return &nameExpr{pos{t.line}, t.val}, nil
	case tString:
		s := t.val
		for ps.peek().kind == tString {
			s += ps.next().val
		}
		return &constExpr{pos{t.line}, s}, nil
	case tInt:
		i, err := strconv.ParseInt(t.val, 10, 64)
		if err != nil {
			b, ok := new(big.Int).SetString(t.val, 10)
			if !ok {
				return nil, ps.errf(t.line, "invalid number %s", t.val)
			}
			return &constExpr{pos{t.line}, b}, nil
		}
		return &constExpr{pos{t.line}, i}, nil
	case tFloat:
		f, err := strconv.ParseFloat(t.val, 64)
		if err != nil {
			return nil, ps.errf(t.line, "invalid number %s", t.val)
		}
		return &constExpr{pos{t.line}, f}, nil
	case tOp:
		if err := ps.enter(); err != nil {
			return nil, err
		}
		defer func() { ps.depth-- }()
		switch t.val {
		case "(":
			if ps.isOp(")") {
				ps.next()
				return &tupleExpr{pos{t.line}, nil}, nil
			}
			x, err := ps.parseExpr(true)
			if err != nil {
				return nil, err
			}
			if ps.isOp(",") {
				items := []expr{x}
				for ps.isOp(",") {
					ps.next()
					if ps.isOp(")") {
						break
					}
					y, err := ps.parseExpr(true)
					if err != nil {
						return nil, err
					}
					items = append(items, y)
				}
				x = &tupleExpr{pos{t.line}, items}
			}
			return x, ps.expectOp(")")
		case "[":
			l := &listExpr{pos: pos{t.line}}
			for !ps.isOp("]") {
				if len(l.items) > 0 {
					if err := ps.expectOp(","); err != nil {
						return nil, err
					}
					if ps.isOp("]") {
						break
					}
				}
				x, err := ps.parseExpr(true)
				if err != nil {
					return nil, err
				}
				l.items = append(l.items, x)
			}
			ps.next()
			return l, nil
		case "{":
			d := &dictExpr{pos: pos{t.line}}
			for !ps.isOp("}") {
				if len(d.keys) > 0 {
					if err := ps.expectOp(","); err != nil {
						return nil, err
					}
					if ps.isOp("}") {
						break
					}
				}
				k, err := ps.parseExpr(true)
				if err != nil {
					return nil, err
				}
				if err := ps.expectOp(":"); err != nil {
					return nil, err
				}
				v, err := ps.parseExpr(true)
				if err != nil {
					return nil, err
				}
				d.keys = append(d.keys, k)
				d.vals = append(d.vals, v)
			}
			ps.next()
			return d, nil
		}
	}
	return nil, ps.errf(t.line, "unexpected '%s'", t)
}
