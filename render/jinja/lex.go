package jinja

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// tokKind is a lexical token's kind.
type tokKind int

const (
	tData       tokKind = iota // raw template text
	tVarBegin                  // {{
	tVarEnd                    // }}
	tBlockBegin                // {%
	tBlockEnd                  // %}
	tName
	tString
	tInt
	tFloat
	tOp
	tEOF
)

type token struct {
	kind tokKind
	val  string
	line int
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of template"
	case tVarEnd:
		return "end of print statement"
	case tBlockEnd:
		return "end of statement block"
	case tString:
		return "string"
	case tInt:
		return "integer"
	case tFloat:
		return "float"
	case tName:
		return t.val
	}
	return t.val
}

// SyntaxError is a template syntax error (Jinja's TemplateSyntaxError).
type SyntaxError struct {
	Msg  string
	Line int
	Name string // template name ("" for the main template)
}

func (e *SyntaxError) Error() string { return e.Msg }

// lexer options (Jinja environment settings).
type lexOpts struct {
	trimBlocks   bool
	lstripBlocks bool
}

// operators, longest first.
var operators = []string{"**", "//", "==", "!=", ">=", "<=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|"}

// lex splits src into tokens.
func lex(src string, o lexOpts) ([]token, error) {
	var toks []token
	line := 1
	pos := 0
	stripNext := false // a "-%}" / "-}}" / "-#}" asked to strip leading whitespace of the next data
	trimNL := false    // trim_blocks: drop one newline after a block tag
	emitData := func(text string, stripRight bool, lstrip bool) {
		if stripNext {
			text = strings.TrimLeft(text, " \t\r\n\f\v")
		} else if trimNL {
			if strings.HasPrefix(text, "\r\n") {
				text = text[2:]
			} else if strings.HasPrefix(text, "\n") {
				text = text[1:]
			}
		}
		if stripRight {
			text = strings.TrimRight(text, " \t\r\n\f\v")
		} else if lstrip {
			// lstrip_blocks: only spaces/tabs between the line start and the tag
			i := len(text)
			for i > 0 && (text[i-1] == ' ' || text[i-1] == '\t') {
				i--
			}
			if i > 0 && text[i-1] == '\n' || i == 0 && lastEndsLine(toks) {
				text = text[:i]
			}
		}
		stripNext, trimNL = false, false
		if text != "" {
			toks = append(toks, token{kind: tData, val: text, line: line})
		}
	}
	for pos < len(src) {
		next := indexTag(src, pos)
		if next < 0 {
			emitData(src[pos:], false, false)
			line += strings.Count(src[pos:], "\n")
			break
		}
		tag := src[next : next+2]
		mod := byte(0)
		if next+2 < len(src) && (src[next+2] == '-' || src[next+2] == '+') {
			mod = src[next+2]
		}
		text := src[pos:next]
		isBlock := tag == "{%" || tag == "{#"
		startLine := line
		// raw block
		if tag == "{%" {
			if end, body, ok := rawBlock(src, next); ok {
				emitData(text, mod == '-', isBlock && o.lstripBlocks && mod != '+')
				line += strings.Count(text, "\n")
				toks = append(toks, token{kind: tData, val: body.text, line: line})
				line += strings.Count(src[next:end], "\n")
				pos = end
				stripNext = body.stripAfter
				trimNL = !body.stripAfter && o.trimBlocks
				continue
			}
		}
		emitData(text, mod == '-', isBlock && o.lstripBlocks && mod != '+')
		line += strings.Count(text, "\n")
		startLine = line
		p := next + 2
		if mod != 0 {
			p++
		}
		if tag == "{#" {
			end := strings.Index(src[p:], "#}")
			if end < 0 {
				return nil, &SyntaxError{Msg: "Missing end of comment tag", Line: startLine}
			}
			end += p
			strip := end > p && src[end-1] == '-'
			line += strings.Count(src[next:end+2], "\n")
			pos = end + 2
			stripNext = strip
			trimNL = !strip && o.trimBlocks
			continue
		}
		begin, endStr, endKind := tVarBegin, "}}", tVarEnd
		if tag == "{%" {
			begin, endStr, endKind = tBlockBegin, "%}", tBlockEnd
		}
		toks = append(toks, token{kind: begin, line: line})
		// expression tokens
		closed := false
		var stack []byte // open brackets: no end tag while one is open (Jinja's balancing stack)
		for p < len(src) {
			c := src[p]
			switch {
			case c == '\n':
				line++
				p++
				continue
			case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
				p++
				continue
			}
			if len(stack) > 0 && (c == '}' || c == ')' || c == ']') {
				want := map[byte]byte{'(': ')', '[': ']', '{': '}'}[stack[len(stack)-1]]
				if c != want {
					return nil, &SyntaxError{Msg: fmt.Sprintf("unexpected '%c', expected '%c'", c, want), Line: line}
				}
				stack = stack[:len(stack)-1]
				toks = append(toks, token{kind: tOp, val: string(c), line: line})
				p++
				continue
			}
			if len(stack) > 0 {
				goto expr
			}
			if c == '-' && strings.HasPrefix(src[p+1:], endStr) {
				toks = append(toks, token{kind: endKind, line: line})
				p += 3
				stripNext = true
				closed = true
				break
			}
			if c == '+' && endKind == tBlockEnd && strings.HasPrefix(src[p+1:], endStr) {
				toks = append(toks, token{kind: endKind, line: line})
				p += 3
				closed = true
				break
			}
			if strings.HasPrefix(src[p:], endStr) {
				toks = append(toks, token{kind: endKind, line: line})
				p += 2
				closed = true
				if endKind == tBlockEnd && o.trimBlocks {
					trimNL = true
				}
				break
			}
		expr:
			switch {
			case isNameStart(c):
				s := p
				for p < len(src) && isNameChar(src[p]) {
					p++
				}
				toks = append(toks, token{kind: tName, val: src[s:p], line: line})
			case c >= '0' && c <= '9':
				s := p
				kind := tInt
				for p < len(src) && (isDigit(src[p]) || src[p] == '_') {
					p++
				}
				if p+1 < len(src) && src[p] == '.' && isDigit(src[p+1]) {
					kind = tFloat
					p++
					for p < len(src) && (isDigit(src[p]) || src[p] == '_') {
						p++
					}
				}
				if p < len(src) && (src[p] == 'e' || src[p] == 'E') {
					q := p + 1
					if q < len(src) && (src[q] == '+' || src[q] == '-') {
						q++
					}
					if q < len(src) && isDigit(src[q]) {
						kind = tFloat
						p = q
						for p < len(src) && isDigit(src[p]) {
							p++
						}
					}
				}
				toks = append(toks, token{kind: kind, val: strings.ReplaceAll(src[s:p], "_", ""), line: line})
			case c == '\'' || c == '"':
				s, n, nl, err := lexString(src[p:])
				if err != nil {
					return nil, &SyntaxError{Msg: fmt.Sprintf("unexpected char %s at %d", pyQuote(string(c)), p), Line: line}
				}
				toks = append(toks, token{kind: tString, val: s, line: line})
				line += nl
				p += n
			default:
				found := false
				for _, op := range operators {
					if strings.HasPrefix(src[p:], op) {
						switch op {
						case "(", "[", "{":
							stack = append(stack, op[0])
						case ")", "]", "}":
							return nil, &SyntaxError{Msg: fmt.Sprintf("unexpected '%s'", op), Line: line}
						}
						toks = append(toks, token{kind: tOp, val: op, line: line})
						p += len(op)
						found = true
						break
					}
				}
				if !found {
					return nil, &SyntaxError{Msg: fmt.Sprintf("unexpected char %s at %d", pyQuote(string(c)), p), Line: line}
				}
			}
			if closed {
				break
			}
		}
		if !closed {
			if endKind == tBlockEnd {
				return nil, &SyntaxError{Msg: "unexpected end of template, expected 'end of statement block'.", Line: line}
			}
			return nil, &SyntaxError{Msg: "unexpected end of template, expected 'end of print statement'.", Line: line}
		}
		pos = p
	}
	toks = append(toks, token{kind: tEOF, line: line})
	return toks, nil
}

func lastEndsLine(toks []token) bool {
	if len(toks) == 0 {
		return true
	}
	t := toks[len(toks)-1]
	return t.kind == tData && strings.HasSuffix(t.val, "\n")
}

type rawBody struct {
	text       string
	stripAfter bool
}

// rawBlock recognises {% raw %}...{% endraw %} at src[i:].
func rawBlock(src string, i int) (end int, body rawBody, ok bool) {
	p := i + 2
	if p < len(src) && (src[p] == '-' || src[p] == '+') {
		p++
	}
	q := skipSpace(src, p)
	if !strings.HasPrefix(src[q:], "raw") || q+3 < len(src) && isNameChar(src[q+3]) {
		return 0, rawBody{}, false
	}
	q = skipSpace(src, q+3)
	if strings.HasPrefix(src[q:], "-%}") {
		q += 3
		for q < len(src) && isSpace(src[q]) {
			q++
		}
	} else if strings.HasPrefix(src[q:], "%}") {
		q += 2
	} else {
		return 0, rawBody{}, false
	}
	start := q
	for {
		j := strings.Index(src[q:], "{%")
		if j < 0 {
			return 0, rawBody{}, false
		}
		j += q
		k := j + 2
		strip := false
		if k < len(src) && (src[k] == '-' || src[k] == '+') {
			strip = src[k] == '-'
			k++
		}
		k = skipSpace(src, k)
		if strings.HasPrefix(src[k:], "endraw") {
			k = skipSpace(src, k+6)
			after := false
			if strings.HasPrefix(src[k:], "-%}") {
				after = true
				k += 3
			} else if strings.HasPrefix(src[k:], "%}") {
				k += 2
			} else {
				q = j + 2
				continue
			}
			text := src[start:j]
			if strip {
				text = strings.TrimRight(text, " \t\r\n\f\v")
			}
			return k, rawBody{text: text, stripAfter: after}, true
		}
		q = j + 2
	}
}

func skipSpace(s string, p int) int {
	for p < len(s) && isSpace(s[p]) {
		p++
	}
	return p
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func indexTag(src string, from int) int {
	for i := from; i+1 < len(src); i++ {
		if src[i] == '{' && (src[i+1] == '{' || src[i+1] == '%' || src[i+1] == '#') {
			return i
		}
	}
	return -1
}

func isNameStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isNameChar(c byte) bool { return isNameStart(c) || isDigit(c) }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// lexString reads a Python string literal at the start of s; it returns
// the value, the bytes consumed and the newlines inside.
func lexString(s string) (string, int, int, error) {
	q := s[0]
	var b strings.Builder
	nl := 0
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == q:
			return b.String(), i + 1, nl, nil
		case c == '\\' && i+1 < len(s):
			i++
			switch e := s[i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'a':
				b.WriteByte(7)
			case 'b':
				b.WriteByte(8)
			case 'f':
				b.WriteByte(12)
			case 'v':
				b.WriteByte(11)
			case 'x', 'u', 'U':
				n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
				if i+n < len(s) {
					if r, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32); err == nil && utf8.ValidRune(rune(r)) {
						b.WriteRune(rune(r))
						i += n
						continue
					}
				}
				b.WriteByte('\\')
				b.WriteByte(e)
			case '0', '1', '2', '3', '4', '5', '6', '7':
				j := i
				for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
					j++
				}
				r, _ := strconv.ParseUint(s[i:j], 8, 32)
				b.WriteRune(rune(r))
				i = j - 1
			case '\\', '\'', '"':
				b.WriteByte(e)
			case '\n':
				nl++
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
		default:
			if c == '\n' {
				nl++
			}
			b.WriteByte(c)
		}
	}
	return "", 0, 0, fmt.Errorf("unexpected end of string")
}
