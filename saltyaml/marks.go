package saltyaml

import (
	"fmt"
	"strings"
)

// Marked renders the error as PyYAML's MarkedYAMLError prints it (Salt
// shows str(exc)): the context and its mark, then the problem and its
// mark, each mark as `  in "<name>", line L, column C`. The context mark is
// left out when it equals the problem mark, as PyYAML does. Marks from
// libyaml (Salt's C loader) carry no snippet, so none is printed. Without
// known marks it is the problem alone.
func (e *Error) Marked(name string) string {
	problem := strings.TrimPrefix(e.Err.Error(), "YAML syntax error: ")
	if e.Column == 0 {
		return problem
	}
	mark := func(line, col int) string {
		return fmt.Sprintf("  in \"%s\", line %d, column %d", name, line, col)
	}
	var lines []string
	if e.Context != "" {
		lines = append(lines, e.Context)
		if e.ContextLine != e.Line || e.ContextColumn != e.Column {
			lines = append(lines, mark(e.ContextLine, e.ContextColumn))
		}
	}
	lines = append(lines, problem, mark(e.Line, e.Column))
	return strings.Join(lines, "\n")
}

// flowOpen is an unclosed flow collection: its indicator and the
// 1-based position of it (libyaml's context mark).
type flowOpen struct {
	ch        rune
	line, col int
}

// flowMarks finds libyaml's marks for its flow collection errors ("did
// not find expected ',' or ']'" / "... or '}'"): the context is the
// innermost open '[' or '{' ("while parsing a flow sequence/mapping") and
// the problem mark the token found where a ',' or the closing indicator was
// due (the stream end when the document stops first). go.yaml.in/yaml/v3
// reports only a line, so the document is scanned again here, as far as
// flow collections need: quoted scalars, comments and plain scalars are
// skipped. ok is false when the scan finds no such error.
func flowMarks(src []byte) (e Error, ok bool) {
	r := []rune(string(src))
	line, col := 1, 1
	var stack []flowOpen
	needSep := false // an entry ended: ',' ':' or the closer must follow
	i := 0
	adv := func() {
		if r[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i++
	}
	fail := func() (Error, bool) {
		top := stack[len(stack)-1]
		ctx := "while parsing a flow sequence"
		if top.ch == '{' {
			ctx = "while parsing a flow mapping"
		}
		return Error{Context: ctx, ContextLine: top.line, ContextColumn: top.col, Line: line, Column: col}, true
	}
	prevBlank := true  // at a line start or after white space
	tokenStart := true // where a block value may start
	blank := func(j int) bool { return j >= len(r) || strings.ContainsRune(" \t\n\r", r[j]) }
	for i < len(r) {
		c := r[i]
		switch {
		case c == '\n' || c == ' ' || c == '\t' || c == '\r':
			if c == '\n' {
				tokenStart = true
			}
			adv()
			prevBlank = true
			continue
		case c == '#' && prevBlank:
			for i < len(r) && r[i] != '\n' {
				adv()
			}
			continue
		}
		if len(stack) == 0 {
			// block context: only a value that starts with '[' or '{'
			// opens a flow collection; quoted scalars are skipped whole
			switch {
			case (c == '[' || c == '{') && tokenStart:
				stack = append(stack, flowOpen{c, line, col})
				needSep = false
				adv()
			case (c == '\'' || c == '"') && tokenStart:
				skipQuoted(r, &i, adv)
				tokenStart = false
			case (c == '-' || c == '?') && tokenStart && blank(i+1):
				adv()
			case c == ':' && blank(i+1):
				adv()
				tokenStart = true
			default:
				adv()
				tokenStart = false
			}
			prevBlank = false
			continue
		}
		prevBlank = false
		top := stack[len(stack)-1]
		switch c {
		case ',':
			needSep = false
			adv()
			prevBlank = true
		case ':':
			needSep = false
			adv()
			prevBlank = true
		case ']', '}':
			want := ']'
			if top.ch == '{' {
				want = '}'
			}
			if c != want {
				return fail()
			}
			stack = stack[:len(stack)-1]
			adv()
			needSep = true
		case '[', '{':
			if needSep {
				return fail()
			}
			stack = append(stack, flowOpen{c, line, col})
			adv()
			prevBlank = true
		default:
			if needSep {
				return fail()
			}
			if c == '\'' || c == '"' {
				skipQuoted(r, &i, adv)
			} else {
				skipFlowPlain(r, &i, adv)
			}
			needSep = true
		}
	}
	if len(stack) > 0 && needSep {
		// libyaml's stream end mark: column 0 of the line after the last
		if col != 1 {
			line, col = line+1, 1
		}
		return fail()
	}
	return Error{}, false
}

// skipQuoted moves past a single- or double-quoted scalar.
func skipQuoted(r []rune, i *int, adv func()) {
	q := r[*i]
	adv()
	for *i < len(r) {
		c := r[*i]
		if q == '"' && c == '\\' && *i+1 < len(r) {
			adv()
			adv()
			continue
		}
		if c == q {
			if q == '\'' && *i+1 < len(r) && r[*i+1] == '\'' {
				adv()
				adv()
				continue
			}
			adv()
			return
		}
		adv()
	}
}

// skipFlowPlain moves past a plain scalar in a flow collection, which
// ends at a flow indicator, at ": " or at a " #" comment (a line break
// inside it only folds).
func skipFlowPlain(r []rune, i *int, adv func()) {
	for *i < len(r) {
		c := r[*i]
		switch c {
		case ',', '[', ']', '{', '}':
			return
		case ':':
			if *i+1 >= len(r) || strings.ContainsRune(" \t\n\r,[]{}", r[*i+1]) {
				return
			}
		case '#':
			if *i > 0 && strings.ContainsRune(" \t\n\r", r[*i-1]) {
				return
			}
		case ' ', '\t', '\n', '\r':
			// white space ends the scalar only if what follows does
			j := *i
			for j < len(r) && strings.ContainsRune(" \t\n\r", r[j]) {
				j++
			}
			if j >= len(r) || strings.ContainsRune(",[]{}#", r[j]) || (r[j] == ':' && (j+1 >= len(r) || strings.ContainsRune(" \t\n\r,[]{}", r[j+1]))) {
				return
			}
		}
		adv()
	}
}
