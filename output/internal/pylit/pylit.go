// Package pylit parses Python literals (the output of repr()) into the
// value model of package data: None, True/False, ints (int64, or uint64
// above MaxInt64), floats, str, bytes, lists and tuples ([]any), dicts
// (*data.Map) and OrderedDict([(k, v), ...]) (an ordered *data.Map).
package pylit

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/saltgo/saltgo/data"
)

// Parse parses one Python literal.
func Parse(s string) (any, error) {
	p := parser{s: s}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i != len(p.s) {
		return nil, fmt.Errorf("pylit: trailing data at offset %d", p.i)
	}
	return v, nil
}

type parser struct {
	s     string
	i     int
	bytes bool // inside a b'...' literal: \xNN is one byte
}

func (p *parser) ws() {
	for p.i < len(p.s) && strings.IndexByte(" \t\n\r", p.s[p.i]) >= 0 {
		p.i++
	}
}

// eat consumes c when it is the next byte and reports whether it was.
func (p *parser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *parser) errf(format string, a ...any) error {
	return fmt.Errorf("pylit: offset %d: %s", p.i, fmt.Sprintf(format, a...))
}

func (p *parser) value() (any, error) {
	p.ws()
	if p.i >= len(p.s) {
		return nil, p.errf("unexpected end")
	}
	c := p.s[p.i]
	switch {
	case c == '[':
		p.i++
		return p.seq(']')
	case c == '(':
		p.i++
		return p.seq(')')
	case c == '{':
		p.i++
		return p.dict()
	case c == '\'' || c == '"':
		return p.str()
	case c == 'b' && p.i+1 < len(p.s) && (p.s[p.i+1] == '\'' || p.s[p.i+1] == '"'):
		p.i++
		p.bytes = true
		s, err := p.str()
		p.bytes = false
		if err != nil {
			return nil, err
		}
		return []byte(s.(string)), nil
	case strings.HasPrefix(p.s[p.i:], "OrderedDict("):
		p.i += len("OrderedDict(")
		m := data.NewMap()
		m.Ordered = true
		p.ws()
		if p.eat(')') {
			return m, nil
		}
		items, err := p.value()
		if err != nil {
			return nil, err
		}
		list, ok := items.([]any)
		if !ok {
			return nil, p.errf("OrderedDict wants a list of pairs")
		}
		for _, it := range list {
			pair, ok := it.([]any)
			if !ok || len(pair) != 2 {
				return nil, p.errf("OrderedDict item is not a pair")
			}
			m.Set(pair[0], pair[1])
		}
		p.ws()
		if !p.eat(')') {
			return nil, p.errf("missing )")
		}
		return m, nil
	}
	for _, kw := range []struct {
		w string
		v any
	}{{"None", nil}, {"True", true}, {"False", false}, {"inf", math.Inf(1)}, {"nan", math.NaN()}} {
		if strings.HasPrefix(p.s[p.i:], kw.w) {
			p.i += len(kw.w)
			return kw.v, nil
		}
	}
	return p.number()
}

// items parses comma-separated items (a trailing comma allowed) up to the
// closing byte end; item parses one.
func (p *parser) items(end byte, item func() error) error {
	for {
		p.ws()
		if p.eat(end) {
			return nil
		}
		if err := item(); err != nil {
			return err
		}
		p.ws()
		if p.eat(',') {
			continue
		}
		if p.eat(end) {
			return nil
		}
		return p.errf("expected , or %c", end)
	}
}

func (p *parser) seq(end byte) (any, error) {
	out := []any{}
	err := p.items(end, func() error {
		v, err := p.value()
		if err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (p *parser) dict() (any, error) {
	m := data.NewMap()
	err := p.items('}', func() error {
		k, err := p.value()
		if err != nil {
			return err
		}
		p.ws()
		if !p.eat(':') {
			return p.errf("expected :")
		}
		v, err := p.value()
		if err != nil {
			return err
		}
		m.Set(k, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (p *parser) number() (any, error) {
	start := p.i
	for p.i < len(p.s) && strings.IndexByte("+-0123456789.eEinfa_", p.s[p.i]) >= 0 {
		p.i++
	}
	t := strings.ReplaceAll(p.s[start:p.i], "_", "")
	if t == "" {
		return nil, p.errf("unexpected %q", p.s[p.i])
	}
	if t == "-inf" {
		return math.Inf(-1), nil
	}
	if !strings.ContainsAny(t, ".eEn") {
		if n, err := strconv.ParseInt(t, 10, 64); err == nil {
			return n, nil
		}
		if n, err := strconv.ParseUint(t, 10, 64); err == nil {
			return n, nil
		}
		return nil, p.errf("integer %s out of range", t)
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return nil, p.errf("bad number %q", t)
	}
	return f, nil
}

func (p *parser) str() (any, error) {
	q := p.s[p.i]
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == q {
			p.i++
			return b.String(), nil
		}
		if c != '\\' {
			_, w := utf8.DecodeRuneInString(p.s[p.i:])
			b.WriteString(p.s[p.i : p.i+w])
			p.i += w
			continue
		}
		p.i++
		if p.i >= len(p.s) {
			break
		}
		e := p.s[p.i]
		p.i++
		switch e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '\\', '\'', '"':
			b.WriteByte(e)
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if p.i+n > len(p.s) {
				return nil, p.errf("short escape")
			}
			v, err := strconv.ParseUint(p.s[p.i:p.i+n], 16, 32)
			if err != nil {
				return nil, p.errf("bad escape")
			}
			p.i += n
			if p.bytes {
				b.WriteByte(byte(v))
			} else {
				b.WriteRune(rune(v))
			}
		default:
			return nil, p.errf("unknown escape \\%c", e)
		}
	}
	return nil, p.errf("unterminated string")
}
