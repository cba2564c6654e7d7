package output

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/saltyaml"
)

// YAML renders data as Salt's yaml outputter: PyYAML's safe_dump with
// allow_unicode, block style (flow style for a negative Options.Indent),
// keys sorted unless the map is ordered or its keys are not comparable,
// lines folded at width 80 as PyYAML's emitter does.
func YAML(d any, opts Options) string {
	o := YAMLOptions{Default: canonicalDefault}
	if opts.Indent != nil {
		if *opts.Indent >= 0 {
			o.Indent = *opts.Indent
		} else {
			o.Flow = true
		}
	}
	s, _ := DumpYAML(d, o) // canonicalDefault represents everything
	return s
}

// canonicalDefault makes a Go value one of package data's types (anything
// left is a str, as fmt prints it).
func canonicalDefault(v any) (any, error) {
	nv := data.Canonical(v)
	if !isYAMLModel(nv) {
		return fmt.Sprint(v), nil
	}
	return nv, nil
}

// YAMLOptions are the safe_dump arguments DumpYAML understands.
type YAMLOptions struct {
	// Flow is default_flow_style=True: every collection in flow style
	// (false: block style for non-empty collections).
	Flow bool
	// Indent is indent=; PyYAML takes 2 to 9 and uses 2 otherwise.
	Indent int
	// Default, when set, is called for a value outside package data's
	// types (a data.Tuple is a list); it returns the value to represent
	// instead, or an error. Nil: PyYAML's "cannot represent an object".
	Default func(v any) (any, error)
}

// DumpYAML is salt.utils.yaml.safe_dump(v, default_flow_style=o.Flow):
// PyYAML's SafeDumper with allow_unicode=True and width 80 (long lines
// folded, multi-line strings in the style PyYAML picks), dict keys sorted
// unless the map is Ordered or Python could not compare them.
func DumpYAML(v any, o YAMLOptions) (string, error) {
	e := yamlEmitter{bestIndent: 2, bestWidth: 80, indent: -1, whitespace: true, indention: true,
		allowUnicode: true, flowDefault: o.Flow, def: o.Default}
	if o.Indent > 1 && o.Indent < 10 {
		e.bestIndent = o.Indent
	}
	e.document(v)
	if e.err != nil {
		return "", e.err
	}
	return e.b.String(), nil
}

// YAMLDoubleQuote is salt.utils.yamlencoding.yaml_dquote: PyYAML's
// write_double_quoted with allow_unicode=False and no line folding.
func YAMLDoubleQuote(s string) string {
	e := yamlEmitter{bestIndent: 2, bestWidth: math.MaxInt, indent: -1, whitespace: true, indention: true}
	e.writeDoubleQuoted(s, true)
	return e.b.String()
}

// YAMLSingleQuote is salt.utils.yamlencoding.yaml_squote: PyYAML's
// write_single_quoted with no line folding (a line break is still written
// as a single-quoted scalar needs it: "a\nb" is 'a, two breaks, b').
func YAMLSingleQuote(s string) string {
	e := yamlEmitter{bestIndent: 2, bestWidth: math.MaxInt, indent: -1, whitespace: true, indention: true}
	e.writeSingleQuoted(s, true)
	return e.b.String()
}

// YAMLEncode is salt.utils.yamlencoding.yaml_encode for a scalar: the
// value SafeRepresenter gives it, a str double-quoted by YAMLDoubleQuote
// (a []byte that is not UTF-8 is its base64 lines, as !!binary holds them).
func YAMLEncode(v any) (string, error) {
	sc, ok := scalarOf(v)
	if !ok {
		switch v.(type) {
		case []any, data.Tuple, *data.Map:
			return "", fmt.Errorf("yaml_encode() only works with YAML scalar data; failed for %s", data.TypeStr(v))
		}
		return "", fmt.Errorf("cannot represent an object: %v", v)
	}
	if sc.tag == "" && sc.implicit1 { // a str
		return YAMLDoubleQuote(sc.value), nil
	}
	return sc.value, nil
}

type yamlEmitter struct {
	b            strings.Builder
	bestIndent   int
	bestWidth    int
	indent       int // -1 is None
	indents      []int
	flowLevel    int
	column       int
	whitespace   bool
	indention    bool
	openEnded    bool
	flowDefault  bool
	allowUnicode bool
	def          func(any) (any, error)
	err          error // the first value that could not be represented
}

// isYAMLModel reports whether DumpYAML represents v without Default.
func isYAMLModel(v any) bool {
	switch x := v.(type) {
	case nil, bool, int64, uint64, float64, string, []byte, []any, data.Tuple, *data.Map:
		return true
	case *big.Int:
		return x != nil
	}
	return false
}

// represent returns v as one of the types node handles (a Tuple is a
// list), through Default when needed; nil with e.err set when v cannot be
// represented.
func (e *yamlEmitter) represent(v any) any {
	if t, ok := v.(data.Tuple); ok {
		return []any(t)
	}
	if isYAMLModel(v) {
		return v
	}
	if e.def != nil {
		nv, err := e.def(v)
		if err != nil {
			e.fail(err)
			return nil
		}
		if isYAMLModel(nv) {
			return e.represent(nv)
		}
		v = nv
	}
	e.fail(fmt.Errorf("cannot represent an object: %v", v))
	return nil
}

func (e *yamlEmitter) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

// yamlScalar is a ScalarEvent: its text, tag and resolution flags.
type yamlScalar struct {
	value     string
	tag       string // "" for the implicit str/int/... tags
	implicit0 bool   // plain style resolves to the scalar's own tag
	implicit1 bool   // quoted styles resolve to the scalar's own tag
	style     byte   // 0 or '|'
}

type yamlAnalysis struct {
	empty, multiline                                   bool
	allowFlowPlain, allowBlockPlain, allowSingleQuoted bool
	allowBlock                                         bool
}

var (
	yamlBoolRe  = regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)
	yamlFloatRe = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
	yamlIntRe   = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	yamlNullRe  = regexp.MustCompile(`^(?:~|null|Null|NULL|)$`)
	yamlTimeRe  = regexp.MustCompile(`^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$`)
)

// plainIsStr reports whether s written plain would load back as a string
// (PyYAML's implicit resolvers for YAML 1.1).
func plainIsStr(s string) bool {
	if s == "" {
		return false
	}
	// Python's re '$' also matches before a final newline.
	t := strings.TrimSuffix(s, "\n")
	if s == "<<" || s == "=" {
		return false
	}
	// PyYAML only tries the resolvers registered for the first character.
	if !strings.ContainsRune("yYnNtTfFoO-+0123456789.~", rune(s[0])) {
		return true
	}
	for _, re := range []*regexp.Regexp{yamlBoolRe, yamlFloatRe, yamlIntRe, yamlNullRe, yamlTimeRe} {
		if re.MatchString(s) || (t != s && re.MatchString(t)) {
			return false
		}
	}
	return true
}

// scalarOf returns the scalar event for v, or false for a collection.
func scalarOf(v any) (yamlScalar, bool) {
	switch x := v.(type) {
	case nil:
		return yamlScalar{value: "null", implicit0: true}, true
	case bool:
		if x {
			return yamlScalar{value: "true", implicit0: true}, true
		}
		return yamlScalar{value: "false", implicit0: true}, true
	case int64:
		return yamlScalar{value: strconv.FormatInt(x, 10), implicit0: true}, true
	case uint64:
		return yamlScalar{value: strconv.FormatUint(x, 10), implicit0: true}, true
	case *big.Int:
		if x == nil {
			return yamlScalar{value: "null", implicit0: true}, true
		}
		return yamlScalar{value: x.String(), implicit0: true}, true
	case float64:
		return yamlScalar{value: saltyaml.FormatFloat(x), implicit0: true}, true
	case string:
		return yamlScalar{value: x, implicit0: plainIsStr(x), implicit1: true}, true
	case []byte:
		if utf8.Valid(x) {
			return scalarOf(string(x))
		}
		return yamlScalar{value: encodeBytes76(x), tag: "!!binary", style: '|'}, true
	}
	return yamlScalar{}, false
}

// encodeBytes76 is Python's base64.encodebytes: 76-column lines, each
// ending in a newline.
func encodeBytes76(p []byte) string {
	s := base64.StdEncoding.EncodeToString(p)
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76])
		b.WriteByte('\n')
		s = s[76:]
	}
	if s != "" {
		b.WriteString(s)
		b.WriteByte('\n')
	}
	return b.String()
}

func isYAMLBreak(r rune) bool { return r == '\n' || r == 0x85 || r == 0x2028 || r == 0x2029 }

func isYAMLSpaceOrEnd(r rune) bool {
	return r == 0 || r == ' ' || r == '\t' || r == '\r' || isYAMLBreak(r)
}

// yamlCharSeen records where analyzeScalar saw spaces, or line breaks: at
// the start, at the end, right after the other kind.
type yamlCharSeen struct{ leading, trailing, afterOther bool }

// see records one at index i of n characters.
func (c *yamlCharSeen) see(i, n int, afterOther bool) {
	c.leading = c.leading || i == 0
	c.trailing = c.trailing || i == n-1
	c.afterOther = c.afterOther || afterOther
}

func analyzeScalar(s string) yamlAnalysis {
	if s == "" {
		return yamlAnalysis{empty: true, allowBlockPlain: true, allowSingleQuoted: true}
	}
	rs := []rune(s)
	var blockInd, flowInd, lineBreaks, special bool
	var spaces, breaks yamlCharSeen
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		blockInd, flowInd = true, true
	}
	preceded := true
	followed := len(rs) == 1 || isYAMLSpaceOrEnd(rs[1])
	prevSpace, prevBreak := false, false
	for i, ch := range rs {
		if i == 0 {
			if strings.ContainsRune("#,[]{}&*!|>'\"%@`", ch) {
				flowInd, blockInd = true, true
			}
			if ch == '?' || ch == ':' {
				flowInd = true
				if followed {
					blockInd = true
				}
			}
			if ch == '-' && followed {
				flowInd, blockInd = true, true
			}
		} else {
			if strings.ContainsRune(",?[]{}", ch) {
				flowInd = true
			}
			if ch == ':' {
				flowInd = true
				if followed {
					blockInd = true
				}
			}
			if ch == '#' && preceded {
				flowInd, blockInd = true, true
			}
		}
		if isYAMLBreak(ch) {
			lineBreaks = true
		}
		if !(ch == '\n' || (ch >= 0x20 && ch <= 0x7e)) {
			if (ch == 0x85 || (ch >= 0xa0 && ch <= 0xd7ff) || (ch >= 0xe000 && ch <= 0xfffd) ||
				(ch >= 0x10000 && ch < 0x10ffff)) && ch != 0xfeff {
				// unicode characters are allowed (allow_unicode=True)
			} else {
				special = true
			}
		}
		switch {
		case ch == ' ':
			spaces.see(i, len(rs), prevBreak)
			prevSpace, prevBreak = true, false
		case isYAMLBreak(ch):
			breaks.see(i, len(rs), prevSpace)
			prevSpace, prevBreak = false, true
		default:
			prevSpace, prevBreak = false, false
		}
		preceded = isYAMLSpaceOrEnd(ch)
		followed = i+2 >= len(rs) || isYAMLSpaceOrEnd(rs[i+2])
	}
	a := yamlAnalysis{multiline: lineBreaks, allowFlowPlain: true, allowBlockPlain: true, allowSingleQuoted: true, allowBlock: true}
	if spaces.leading || breaks.leading || spaces.trailing || breaks.trailing {
		a.allowFlowPlain, a.allowBlockPlain = false, false
	}
	if spaces.trailing {
		a.allowBlock = false
	}
	if spaces.afterOther { // a space after a break
		a.allowFlowPlain, a.allowBlockPlain, a.allowSingleQuoted = false, false, false
	}
	if breaks.afterOther || special { // a break after a space
		a.allowFlowPlain, a.allowBlockPlain, a.allowSingleQuoted, a.allowBlock = false, false, false, false
	}
	if lineBreaks {
		a.allowFlowPlain, a.allowBlockPlain = false, false
	}
	if flowInd {
		a.allowFlowPlain = false
	}
	if blockInd {
		a.allowBlockPlain = false
	}
	return a
}

// --- writer primitives (PyYAML Emitter) ---

func (e *yamlEmitter) write(s string) {
	e.b.WriteString(s)
	e.column += utf8.RuneCountInString(s)
}

func (e *yamlEmitter) writeIndicator(ind string, needWhitespace, whitespace, indention bool) {
	if e.whitespace || !needWhitespace {
		e.write(ind)
	} else {
		e.write(" " + ind)
	}
	e.whitespace = whitespace
	e.indention = e.indention && indention
	e.openEnded = false
}

func (e *yamlEmitter) writeIndent() {
	indent := e.indent
	if indent < 0 {
		indent = 0
	}
	if !e.indention || e.column > indent || (e.column == indent && !e.whitespace) {
		e.writeLineBreak("")
	}
	if e.column < indent {
		e.whitespace = true
		e.b.WriteString(strings.Repeat(" ", indent-e.column))
		e.column = indent
	}
}

func (e *yamlEmitter) writeLineBreak(br string) {
	if br == "" {
		br = "\n"
	}
	e.whitespace = true
	e.indention = true
	e.column = 0
	e.b.WriteString(br)
}

func (e *yamlEmitter) increaseIndent(flow, indentless bool) {
	e.indents = append(e.indents, e.indent)
	if e.indent < 0 {
		if flow {
			e.indent = e.bestIndent
		} else {
			e.indent = 0
		}
	} else if !indentless {
		e.indent += e.bestIndent
	}
}

func (e *yamlEmitter) popIndent() {
	e.indent = e.indents[len(e.indents)-1]
	e.indents = e.indents[:len(e.indents)-1]
}

// --- document and nodes ---

func (e *yamlEmitter) document(d any) {
	e.node(d, true, false, false, false)
	e.writeIndent() // document end
	if e.openEnded {
		e.writeIndicator("...", true, false, false)
		e.writeIndent()
	}
}

type yamlCtx struct{ root, sequence, mapping, simpleKey bool }

func (e *yamlEmitter) node(v any, root, sequence, mapping, simpleKey bool) {
	ctx := yamlCtx{root, sequence, mapping, simpleKey}
	if e.err != nil {
		return
	}
	v = e.represent(v)
	switch x := v.(type) {
	case []any:
		if e.flowLevel > 0 || e.flowDefault || len(x) == 0 {
			e.flowSequence(x)
		} else {
			e.blockSequence(x, ctx)
		}
	case *data.Map:
		items := yamlItems(x)
		if e.flowLevel > 0 || e.flowDefault || len(items) == 0 {
			e.flowMapping(items)
		} else {
			e.blockMapping(items)
		}
	default:
		sc, _ := scalarOf(v) // represent left a scalar
		e.scalar(sc, ctx)
	}
}

type yamlItem struct{ k, v any }

func yamlItems(m *data.Map) []yamlItem {
	keys := m.Keys()
	if !m.Ordered && !data.Sort(keys) {
		keys = m.Keys() // PyYAML keeps the order of unsortable keys
	}
	items := make([]yamlItem, len(keys))
	for i, k := range keys {
		v, _ := m.Get(k)
		items[i] = yamlItem{k, v}
	}
	return items
}

func (e *yamlEmitter) chooseStyle(sc yamlScalar, a yamlAnalysis, ctx yamlCtx) byte {
	if sc.style == 0 && sc.implicit0 {
		if !(ctx.simpleKey && (a.empty || a.multiline)) &&
			((e.flowLevel > 0 && a.allowFlowPlain) || (e.flowLevel == 0 && a.allowBlockPlain)) {
			return 0
		}
	}
	if sc.style == '|' {
		if e.flowLevel == 0 && !ctx.simpleKey && a.allowBlock {
			return '|'
		}
	}
	if a.allowSingleQuoted && !(ctx.simpleKey && a.multiline) {
		return '\''
	}
	return '"'
}

func (e *yamlEmitter) scalar(sc yamlScalar, ctx yamlCtx) {
	a := analyzeScalar(sc.value)
	style := e.chooseStyle(sc, a, ctx)
	// process_tag
	if !((style == 0 && sc.implicit0) || (style != 0 && sc.implicit1)) {
		tag := sc.tag
		if tag == "" {
			tag = "!"
		}
		e.writeIndicator(tag, true, false, false)
	}
	e.increaseIndent(true, false)
	split := !ctx.simpleKey
	switch style {
	case '"':
		e.writeDoubleQuoted(sc.value, split)
	case '\'':
		e.writeSingleQuoted(sc.value, split)
	case '|':
		e.writeLiteral(sc.value)
	default:
		e.writePlain(sc.value, split, ctx.root)
	}
	e.popIndent()
}

func (e *yamlEmitter) checkSimpleKey(k any) bool {
	k = e.represent(k)
	sc, ok := scalarOf(k)
	if !ok {
		return false
	}
	a := analyzeScalar(sc.value)
	length := utf8.RuneCountInString(sc.value)
	// the representer always sets a tag; prepare_tag shortens it to !!xxx
	switch k.(type) {
	case nil:
		length += len("!!null")
	case bool:
		length += len("!!bool")
	case int64, uint64, *big.Int:
		length += len("!!int")
	case float64:
		length += len("!!float")
	case []byte:
		length += len("!!binary")
	default:
		length += len("!!str")
	}
	return length < 128 && !a.empty && !a.multiline
}

// flowCollection writes a flow sequence or mapping of n items between the
// open and close indicators; item writes the i-th item.
func (e *yamlEmitter) flowCollection(open, close string, n int, item func(i int)) {
	e.writeIndicator(open, true, true, false)
	e.flowLevel++
	e.increaseIndent(true, false)
	for i := 0; i < n; i++ {
		if i > 0 {
			e.writeIndicator(",", false, false, false)
		}
		if e.column > e.bestWidth {
			e.writeIndent()
		}
		item(i)
	}
	e.popIndent()
	e.flowLevel--
	e.writeIndicator(close, false, false, false)
}

func (e *yamlEmitter) flowSequence(items []any) {
	e.flowCollection("[", "]", len(items), func(i int) {
		e.node(items[i], false, true, false, false)
	})
}

func (e *yamlEmitter) flowMapping(items []yamlItem) {
	e.flowCollection("{", "}", len(items), func(i int) {
		it := items[i]
		if e.checkSimpleKey(it.k) {
			e.node(it.k, false, false, true, true)
			e.writeIndicator(":", false, false, false)
			e.node(it.v, false, false, true, false)
			return
		}
		e.writeIndicator("?", true, false, false)
		e.node(it.k, false, false, true, false)
		if e.column > e.bestWidth {
			e.writeIndent()
		}
		e.writeIndicator(":", true, false, false)
		e.node(it.v, false, false, true, false)
	})
}

func (e *yamlEmitter) blockSequence(items []any, ctx yamlCtx) {
	indentless := ctx.mapping && !e.indention
	e.increaseIndent(false, indentless)
	for _, it := range items {
		e.writeIndent()
		e.writeIndicator("-", true, false, true)
		e.node(it, false, true, false, false)
	}
	e.popIndent()
}

func (e *yamlEmitter) blockMapping(items []yamlItem) {
	e.increaseIndent(false, false)
	for _, it := range items {
		e.writeIndent()
		if e.checkSimpleKey(it.k) {
			e.node(it.k, false, false, true, true)
			e.writeIndicator(":", false, false, false)
			e.node(it.v, false, false, true, false)
		} else {
			e.writeIndicator("?", true, false, true)
			e.node(it.k, false, false, true, false)
			e.writeIndent()
			e.writeIndicator(":", true, false, true)
			e.node(it.v, false, false, true, false)
		}
	}
	e.popIndent()
}

// --- scalar writers ---

// runeAt is rs[i], or -1 past the end (the scalar writers' end marker).
func runeAt(rs []rune, i int) rune {
	if i < len(rs) {
		return rs[i]
	}
	return -1
}

// writeBreaks writes the line breaks brs, '\n' as the emitter's own.
func (e *yamlEmitter) writeBreaks(brs []rune) {
	for _, br := range brs {
		if br == '\n' {
			e.writeLineBreak("")
		} else {
			e.writeLineBreak(string(br))
		}
	}
}

// writeFoldedBreaks writes the breaks of a plain or single-quoted scalar
// (a leading '\n' twice, as folding would eat one), then the indentation.
func (e *yamlEmitter) writeFoldedBreaks(brs []rune) {
	if brs[0] == '\n' {
		e.writeLineBreak("")
	}
	e.writeBreaks(brs)
	e.writeIndent()
}

// yamlRunKind is the kind of a run of scalar characters.
type yamlRunKind int

const (
	yamlOther  yamlRunKind = iota
	yamlSpaces             // spaces
	yamlBreaks             // line breaks
	yamlQuote              // one single quote, in a single-quoted scalar
)

// yamlRuns calls f with the maximal runs rs[start:end] of spaces, of line
// breaks and of other characters, in order (how PyYAML's plain and
// single-quoted writers walk a scalar); with quotes, each single quote is a
// run of its own.
func yamlRuns(rs []rune, quotes bool, f func(start, end int, kind yamlRunKind)) {
	kindOf := func(r rune) yamlRunKind {
		switch {
		case r == ' ':
			return yamlSpaces
		case isYAMLBreak(r):
			return yamlBreaks
		case r == '\'' && quotes:
			return yamlQuote
		}
		return yamlOther
	}
	for start := 0; start < len(rs); {
		kind := kindOf(rs[start])
		end := start + 1
		for kind != yamlQuote && end < len(rs) && kindOf(rs[end]) == kind {
			end++
		}
		f(start, end, kind)
		start = end
	}
}

func (e *yamlEmitter) writePlain(text string, split, root bool) {
	if root {
		e.openEnded = true
	}
	if text == "" {
		return
	}
	if !e.whitespace {
		e.write(" ")
	}
	e.whitespace = false
	e.indention = false
	rs := []rune(text)
	yamlRuns(rs, false, func(start, end int, kind yamlRunKind) {
		switch {
		case kind == yamlSpaces && end-start == 1 && e.column > e.bestWidth && split:
			e.writeIndent()
			e.whitespace = false
			e.indention = false
		case kind == yamlBreaks:
			e.writeFoldedBreaks(rs[start:end])
			e.whitespace = false
			e.indention = false
		default:
			e.write(string(rs[start:end]))
		}
	})
}

func (e *yamlEmitter) writeSingleQuoted(text string, split bool) {
	e.writeIndicator("'", true, false, false)
	rs := []rune(text)
	yamlRuns(rs, true, func(start, end int, kind yamlRunKind) {
		switch kind {
		case yamlSpaces:
			if end-start == 1 && e.column > e.bestWidth && split && start != 0 && end != len(rs) {
				e.writeIndent()
			} else {
				e.write(string(rs[start:end]))
			}
		case yamlBreaks:
			e.writeFoldedBreaks(rs[start:end])
		case yamlQuote:
			e.write("''")
		default:
			e.write(string(rs[start:end]))
		}
	})
	e.writeIndicator("'", false, false, false)
}

var yamlEscapes = map[rune]string{
	0: "0", 0x07: "a", 0x08: "b", 0x09: "t", 0x0a: "n", 0x0b: "v", 0x0c: "f",
	0x0d: "r", 0x1b: "e", '"': "\"", '\\': "\\", 0x85: "N", 0xa0: "_",
	0x2028: "L", 0x2029: "P",
}

func (e *yamlEmitter) writeDoubleQuoted(text string, split bool) {
	e.writeIndicator("\"", true, false, false)
	rs := []rune(text)
	start := 0
	for end := 0; end <= len(rs); end++ {
		ch := runeAt(rs, end)
		if ch == -1 || ch == '"' || ch == '\\' || ch == 0x85 || ch == 0x2028 || ch == 0x2029 || ch == 0xfeff ||
			!((ch >= 0x20 && ch <= 0x7e) || e.allowUnicode && ((ch >= 0xa0 && ch <= 0xd7ff) || (ch >= 0xe000 && ch <= 0xfffd))) {
			if start < end {
				e.write(string(rs[start:end]))
				start = end
			}
			if ch != -1 {
				var esc string
				if r, ok := yamlEscapes[ch]; ok {
					esc = "\\" + r
				} else if ch <= 0xff {
					esc = fmt.Sprintf("\\x%02X", ch)
				} else if ch <= 0xffff {
					esc = fmt.Sprintf("\\u%04X", ch)
				} else {
					esc = fmt.Sprintf("\\U%08X", ch)
				}
				e.write(esc)
				start = end + 1
			}
		}
		if end > 0 && end < len(rs)-1 && (ch == ' ' || start >= end) &&
			e.column+(end-start) > e.bestWidth && split {
			seg := ""
			if start < end {
				seg = string(rs[start:end])
			}
			if start < end {
				start = end
			}
			e.write(seg + "\\")
			e.writeIndent()
			e.whitespace = false
			e.indention = false
			if rs[start] == ' ' {
				e.write("\\")
			}
		}
	}
	e.writeIndicator("\"", false, false, false)
}

func (e *yamlEmitter) writeLiteral(text string) {
	rs := []rune(text)
	hints := ""
	if len(rs) > 0 {
		if rs[0] == ' ' || isYAMLBreak(rs[0]) {
			hints += strconv.Itoa(e.bestIndent)
		}
		if !isYAMLBreak(rs[len(rs)-1]) {
			hints += "-"
		} else if len(rs) == 1 || isYAMLBreak(rs[len(rs)-2]) {
			hints += "+"
		}
	}
	e.writeIndicator("|"+hints, true, false, false)
	if strings.HasSuffix(hints, "+") {
		e.openEnded = true
	}
	e.writeLineBreak("")
	breaks := true
	start := 0
	for end := 0; end <= len(rs); end++ {
		ch := runeAt(rs, end)
		if breaks {
			if ch == -1 || !isYAMLBreak(ch) {
				e.writeBreaks(rs[start:end])
				if ch != -1 {
					e.writeIndent()
				}
				start = end
			}
		} else {
			if ch == -1 || isYAMLBreak(ch) {
				e.b.WriteString(string(rs[start:end]))
				if ch == -1 {
					e.writeLineBreak("")
				}
				start = end
			}
		}
		if ch != -1 {
			breaks = isYAMLBreak(ch)
		}
	}
}
