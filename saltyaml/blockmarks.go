package saltyaml

import (
	"strings"
)

// blockLevel is an open block collection: a mapping or sequence whose
// entries start at column indent (0-based), begun at line:col (1-based,
// libyaml's context mark); pending is true while its last entry has no
// value yet (one may follow on deeper lines).
type blockLevel struct {
	seq        bool
	indentless bool
	indent     int
	line, col  int
	pending    bool
}

// blockMarks finds libyaml's marks for its block collection errors: "did
// not find expected key" (while parsing a block mapping) and "did not find
// expected '-' indicator" (while parsing a block collection). The context
// mark is where the collection began, the problem mark the token that is
// neither a key (an entry) nor at a lower indentation. The document is
// followed line by line with libyaml's indentation rules; anything this
// simple model does not follow (flow collections or quotes over several
// lines, complex keys, directives, several documents, tabs) gives ok
// false, and so does an error of another kind than want.
func blockMarks(src []byte, want string) (e Error, ok bool) {
	lines := strings.Split(string(src), "\n")
	var stack []*blockLevel
	skipAbove := -1 // skip lines indented more than this (block scalar)
	plainAbove := -1
	for ln, raw := range lines {
		line := strings.TrimRight(raw, " \r")
		if strings.ContainsRune(line, '\t') {
			return Error{}, false
		}
		body := strings.TrimLeft(line, " ")
		ind := len(line) - len(body)
		if body == "" || strings.HasPrefix(body, "#") {
			continue
		}
		if skipAbove >= 0 {
			if ind > skipAbove {
				continue
			}
			skipAbove = -1
		}
		if strings.HasPrefix(body, "---") || strings.HasPrefix(body, "...") || body[0] == '%' || body[0] == '?' {
			return Error{}, false
		}
		col := ind // rune columns equal byte columns up to the first token
		first := true
		for {
			isEntry := body == "-" || strings.HasPrefix(body, "- ")
			_, rest, isKey := splitKey(body)
			if !isEntry && !isKey {
				if first && plainAbove >= 0 && ind > plainAbove {
					break // a multi-line plain scalar goes on
				}
				return Error{}, false
			}
			if first {
				for len(stack) > 0 && stack[len(stack)-1].indent > col {
					stack = stack[:len(stack)-1]
				}
				if n := len(stack); n > 0 && stack[n-1].indentless && isKey && stack[n-1].indent == col {
					stack = stack[:n-1]
				}
			}
			first = false
			plainAbove = -1
			fail := func() (Error, bool) {
				top := stack[len(stack)-1]
				msg := "did not find expected key"
				ctx := "while parsing a block mapping"
				if top.seq {
					msg, ctx = "did not find expected '-' indicator", "while parsing a block collection"
				}
				if msg != want {
					return Error{}, false
				}
				return Error{Context: ctx, ContextLine: top.line, ContextColumn: top.col, Line: ln + 1, Column: col + 1}, true
			}
			var top *blockLevel
			if len(stack) > 0 {
				top = stack[len(stack)-1]
			}
			switch {
			case top == nil || (top.indent < col && top.pending):
				if top != nil {
					top.pending = false
				}
				stack = append(stack, &blockLevel{seq: isEntry, indent: col, line: ln + 1, col: col + 1})
			case top.indent == col && isEntry && !top.seq && top.pending:
				top.pending = false
				stack = append(stack, &blockLevel{seq: true, indentless: true, indent: col, line: ln + 1, col: col + 1})
			case top.indent == col && top.seq == isEntry:
			default:
				return fail()
			}
			top = stack[len(stack)-1]
			if isEntry {
				rest := strings.TrimLeft(strings.TrimPrefix(body, "-"), " ")
				step := len(body) - len(rest)
				if rest == "" || strings.HasPrefix(rest, "#") {
					top.pending = true
					break
				}
				top.pending = false
				if _, _, k := splitKey(rest); k || rest == "-" || strings.HasPrefix(rest, "- ") {
					top.pending = true
					col += step
					body = rest
					continue
				}
				given, skip, ok := value(rest)
				if !ok {
					return Error{}, false
				}
				top.pending = !given
				if skip {
					skipAbove = top.indent
				} else if given {
					plainAbove = top.indent
				}
				break
			}
			given, skip, ok := value(rest)
			if !ok {
				return Error{}, false
			}
			top.pending = !given
			if skip {
				skipAbove = top.indent
			} else if given {
				plainAbove = top.indent
			}
			break
		}
	}
	return Error{}, false
}

// splitKey splits "key: value" (a simple key on one line, plain or
// quoted) into the key and the rest after ": ".
func splitKey(s string) (key, rest string, ok bool) {
	end := 0
	switch {
	case s == "":
		return "", "", false
	case s[0] == '"' || s[0] == '\'':
		i := closingQuote(s)
		if i < 0 {
			return "", "", false
		}
		end = i + 1
		for end < len(s) && s[end] == ' ' {
			end++
		}
		if end < len(s) && s[end] == ':' && (end+1 == len(s) || s[end+1] == ' ') {
			return s[:i+1], strings.TrimLeft(s[end+1:], " "), true
		}
		return "", "", false
	case strings.ContainsRune("[{&!*|>#-", rune(s[0])) && !(s[0] == '-' && len(s) > 1 && s[1] != ' '):
		return "", "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && i > 0 && s[i-1] == ' ' {
			return "", "", false
		}
		if s[i] == ':' && (i+1 == len(s) || s[i+1] == ' ') {
			return s[:i], strings.TrimLeft(s[i+1:], " "), true
		}
	}
	return "", "", false
}

// closingQuote is the index of the quote closing the scalar s starts
// with, or -1 when it does not close on this line.
func closingQuote(s string) int {
	q := s[0]
	for i := 1; i < len(s); i++ {
		switch {
		case q == '"' && s[i] == '\\':
			i++
		case s[i] == q && q == '\'' && i+1 < len(s) && s[i+1] == '\'':
			i++
		case s[i] == q:
			return i
		}
	}
	return -1
}

// value reads an entry's value on its line: given is false when there is
// none (anchors and tags alone leave it to the next lines), skip true for
// a block scalar (| or >, whose deeper lines are its text); ok is false
// for what the model does not follow (a flow collection or quoted scalar
// that goes on to the next line).
func value(s string) (given, skip, ok bool) {
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" || strings.HasPrefix(s, "#") {
			return false, false, true
		}
		if s[0] == '&' || s[0] == '!' {
			i := strings.IndexByte(s, ' ')
			if i < 0 {
				return false, false, true
			}
			s = s[i:]
			continue
		}
		break
	}
	switch s[0] {
	case '|', '>':
		return true, true, true
	case '"', '\'':
		return true, false, closingQuote(s) >= 0
	case '[', '{':
		depth := 0
		for i := 0; i < len(s); i++ {
			switch s[i] {
			case '[', '{':
				depth++
			case ']', '}':
				depth--
			case '"', '\'':
				j := closingQuote(s[i:])
				if j < 0 {
					return false, false, false
				}
				i += j
			}
		}
		return true, false, depth == 0
	}
	return true, false, true
}
