package match

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/saltgo/saltgo/data"
)

// targetRe is Salt's TARGET_REX (salt/utils/minions.py): an optional engine
// letter, an optional one-character delimiter (G, P, I and J only) and "@",
// then the pattern.
var targetRe = regexp.MustCompile(`^(?s)(?:([GPIJLNSER])((?:[^@])?)@)?(.+)$`)

// ParseTarget splits a compound word into engine, delimiter and pattern like
// salt.utils.minions.parse_target. engine is "" for a bare (glob) word.
func ParseTarget(word string) (engine, delimiter, pattern string) {
	m := targetRe.FindStringSubmatch(word)
	if m == nil {
		return "", "", word
	}
	engine, delimiter, pattern = m[1], m[2], m[3]
	if delimiter != "" && !strings.Contains("GPIJ", engine) {
		// Only G/P/I/J take a delimiter: "Lx@..." is a plain glob word.
		return "", "", word
	}
	if delimiter != "" && engine == "" {
		return "", "", word
	}
	return engine, delimiter, pattern
}

var engines = map[string]string{
	"G": "grain",
	"P": "grain_pcre",
	"I": "pillar",
	"J": "pillar_pcre",
	"L": "list",
	"S": "ipcidr",
	"E": "pcre",
}

const maxNodegroupWords = 10000

// Compound is compound_match: tgt is a whitespace-separated expression (or a
// list of words) of targets joined by and, or, not and parentheses. A word
// is X@pattern (G grain, P grain_pcre, I pillar, J pillar_pcre, L list,
// S ipcidr, E pcre, N nodegroup) or a bare glob; G/P/I/J accept a custom
// delimiter as Xd@pattern. "not" directly after a term implies "and".
func Compound(m *Minion, tgt any) (bool, error) {
	var words []string
	switch t := tgt.(type) {
	case string, []byte:
		s, _ := data.AsString(t)
		words = strings.Fields(s)
	case []any:
		for _, w := range t {
			words = append(words, data.Str(w))
		}
	default:
		return false, fmt.Errorf("match: compound target is %T, want a string or a list", tgt)
	}
	var results []string
	for len(words) > 0 {
		if len(words) > maxNodegroupWords {
			return false, errors.New("match: compound target too long (nodegroup loop?)")
		}
		word := words[0]
		words = words[1:]
		switch word {
		case "and", "or", "not", "(", ")":
			if len(results) == 0 {
				if word != "(" && word != "not" {
					return false, fmt.Errorf("match: invalid beginning operator %q in compound target", word)
				}
				results = append(results, word)
				continue
			}
			last := results[len(results)-1]
			if last == "(" && (word == "and" || word == "or") {
				return false, fmt.Errorf("match: invalid operator %q after \"(\" in compound target", word)
			}
			if word == "not" && last != "and" && last != "or" && last != "(" {
				results = append(results, "and")
			}
			results = append(results, word)
			continue
		}
		engine, delim, pattern := ParseTarget(word)
		switch engine {
		case "":
			results = append(results, data.Str(Glob(m, word)))
		case "N":
			exp, err := expandNodegroup(m.Nodegroups, pattern, map[string]bool{})
			if err != nil {
				return false, err
			}
			words = append(exp, words...)
		default:
			name, ok := engines[engine]
			if !ok {
				return false, fmt.Errorf("match: unrecognized target engine %q in %q", engine, word)
			}
			var (
				ok2 bool
				err error
			)
			if delim == "" {
				delim = DefaultDelimiter
			}
			switch name {
			case "grain":
				ok2, err = Subdict(m.Grains, pattern, delim, Fnmatch)
			case "grain_pcre":
				ok2, err = Subdict(m.Grains, pattern, delim, Regex)
			case "pillar":
				ok2, err = Subdict(m.Pillar, pattern, delim, Fnmatch)
			case "pillar_pcre":
				ok2, err = Subdict(m.Pillar, pattern, delim, Regex)
			case "list":
				ok2 = List(m, pattern)
			case "ipcidr":
				ok2, err = IPCIDR(m, pattern)
			case "pcre":
				ok2, err = PCRE(m, pattern)
			}
			_ = err // a failing word evaluates to False, as in Salt
			results = append(results, data.Str(ok2))
		}
	}
	v, err := evalBool(results)
	if err != nil {
		return false, fmt.Errorf("match: invalid compound target %v: %w", tgt, err)
	}
	return v, nil
}

// expandNodegroup is a simplified salt.utils.minions.nodegroup_comp: the
// group's words (nested N@ expanded) wrapped in parentheses.
func expandNodegroup(groups *data.Map, name string, seen map[string]bool) ([]string, error) {
	if seen[name] {
		return nil, fmt.Errorf("match: nodegroup %q refers to itself", name)
	}
	v, ok := groups.Get(name)
	if !ok {
		return nil, nil // Salt: unknown nodegroup expands to nothing
	}
	seen[name] = true
	defer delete(seen, name)
	var words []string
	switch x := v.(type) {
	case string:
		words = strings.Fields(x)
	case []any:
		for _, w := range x {
			words = append(words, data.Str(w))
		}
		plain := true
		for _, w := range words {
			switch w {
			case "and", "or", "not", "(", ")":
				plain = false
			}
			if strings.Contains(w, "@") || strings.Contains(w, "*") {
				plain = false
			}
		}
		if plain && len(words) > 0 {
			words = []string{"L@" + strings.Join(words, ",")}
		}
	default:
		return nil, fmt.Errorf("match: nodegroup %q is %T", name, v)
	}
	out := []string{"("}
	for _, w := range words {
		if len(w) >= 3 && strings.HasPrefix(w, "N@") {
			sub, err := expandNodegroup(groups, w[2:], seen)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
			continue
		}
		out = append(out, w)
	}
	return append(out, ")"), nil
}

// evalBool evaluates a Python boolean expression made of True, False, and,
// or, not and parentheses (what compound_match hands to eval).
func evalBool(toks []string) (bool, error) {
	p := &boolParser{toks: toks}
	v, err := p.or()
	if err != nil {
		return false, err
	}
	if p.i != len(p.toks) {
		return false, fmt.Errorf("unexpected %q", p.toks[p.i])
	}
	return v, nil
}

type boolParser struct {
	toks []string
	i    int
}

func (p *boolParser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

func (p *boolParser) or() (bool, error) {
	return p.binary("or", p.and, func(a, b bool) bool { return a || b })
}

func (p *boolParser) and() (bool, error) {
	return p.binary("and", p.not, func(a, b bool) bool { return a && b })
}

// binary parses operand (op operand)*, folding the values left to right
// with combine; every operand is parsed (no short circuit).
func (p *boolParser) binary(op string, operand func() (bool, error), combine func(a, b bool) bool) (bool, error) {
	v, err := operand()
	if err != nil {
		return false, err
	}
	for p.peek() == op {
		p.i++
		r, err := operand()
		if err != nil {
			return false, err
		}
		v = combine(v, r)
	}
	return v, nil
}

func (p *boolParser) not() (bool, error) {
	if p.peek() == "not" {
		p.i++
		v, err := p.not()
		return !v, err
	}
	return p.atom()
}

func (p *boolParser) atom() (bool, error) {
	t := p.peek()
	p.i++
	switch t {
	case "True":
		return true, nil
	case "False":
		return false, nil
	case "(":
		v, err := p.or()
		if err != nil {
			return false, err
		}
		if p.peek() != ")" {
			return false, errors.New("unbalanced parentheses")
		}
		p.i++
		return v, nil
	case "":
		return false, errors.New("unexpected end of expression")
	}
	return false, fmt.Errorf("unexpected %q", t)
}
