// Package match implements Salt's minion-side targeting (salt/matchers/*):
// given the publish fields tgt, tgt_type and delimiter, does this minion
// (its id, grains and pillar) match? It follows Salt 3007's matchers: glob
// (fnmatch), pcre (re.match, anchored at the start only), list, grain,
// grain_pcre, pillar, pillar_pcre, pillar_exact (subdict_match with
// traverse_dict_and_list), ipcidr, nodegroup and compound (and/or/not,
// parentheses, G@ P@ I@ J@ L@ S@ E@ N@ and the Xd@ custom delimiter form).
//
// Regular expressions are Go's RE2: Python-only constructs (lookaround,
// backreferences) do not compile and make the expression not match, with an
// error, like Salt's "Invalid regex" log line.
package match

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/saltgo/saltgo/data"
)

// DefaultDelimiter is Salt's DEFAULT_TARGET_DELIM.
const DefaultDelimiter = ":"

// Minion is what a publish is matched against.
type Minion struct {
	ID     string
	Grains *data.Map
	Pillar *data.Map
	// Nodegroups is the minion's nodegroups option (masters expand N@ before
	// publishing, so this is rarely needed).
	Nodegroups *data.Map
}

// ErrUnknownType is returned for a tgt_type no matcher handles (Salt
// ignores such publishes).
var ErrUnknownType = errors.New("match: unknown target type")

// Match reports whether m matches the publish target: tgt (a string, or a
// list for list/compound targets), tgtType ("" means glob) and delimiter
// ("" means ":", used by grain, grain_pcre and pillar targets only, as in
// Salt's Minion._target_load). A non-nil error explains why the target could
// not be evaluated; the result is then false.
func Match(m *Minion, tgt any, tgtType, delimiter string) (bool, error) {
	if delimiter == "" {
		delimiter = DefaultDelimiter
	}
	switch tgtType {
	case "", "glob":
		return Glob(m, tgt), nil
	case "pcre":
		return PCRE(m, tgt)
	case "list":
		return List(m, tgt), nil
	case "grain":
		return Subdict(m.Grains, tgt, delimiter, Fnmatch)
	case "grain_pcre":
		return Subdict(m.Grains, tgt, delimiter, Regex)
	case "pillar":
		return Subdict(m.Pillar, tgt, delimiter, Fnmatch)
	case "pillar_pcre":
		return Subdict(m.Pillar, tgt, DefaultDelimiter, Regex)
	case "pillar_exact":
		return Subdict(m.Pillar, tgt, DefaultDelimiter, Exact)
	case "ipcidr":
		return IPCIDR(m, tgt)
	case "compound":
		return Compound(m, tgt)
	case "nodegroup":
		s, ok := data.AsString(tgt)
		if !ok {
			return false, fmt.Errorf("match: nodegroup target is %T, want a string", tgt)
		}
		if _, ok := m.Nodegroups.Get(s); !ok {
			return false, nil
		}
		return Compound(m, "N@"+s)
	}
	return false, fmt.Errorf("%w %q", ErrUnknownType, tgtType)
}

// Glob is glob_match: fnmatch of the id against tgt (a string; anything
// else does not match).
func Glob(m *Minion, tgt any) bool {
	s, ok := data.AsString(tgt)
	if !ok {
		return false
	}
	return FnmatchString(m.ID, s)
}

// PCRE is pcre_match: Python's re.match(tgt, id).
func PCRE(m *Minion, tgt any) (bool, error) {
	s, ok := data.AsString(tgt)
	if !ok {
		return false, fmt.Errorf("match: pcre target is %T, want a string", tgt)
	}
	re, err := compilePy(s)
	if err != nil {
		return false, err
	}
	return re.MatchString(m.ID), nil
}

// List is list_match: a comma-separated string or a list of ids.
func List(m *Minion, tgt any) bool {
	id := m.ID
	switch t := tgt.(type) {
	case string, []byte:
		s, _ := data.AsString(t)
		return strings.Contains(s, ","+id+",") || strings.HasPrefix(s, id+",") || strings.HasSuffix(s, ","+id) || s == id
	case []any:
		for _, e := range t {
			if s, ok := data.AsString(e); ok && s == id {
				return true
			}
		}
	}
	return false
}

// IPCIDR is ipcidr_match: tgt is an address (member of the ipv4/ipv6
// grain) or a network (some grain address inside it).
func IPCIDR(m *Minion, tgt any) (bool, error) {
	s, ok := data.AsString(tgt)
	if !ok {
		return false, fmt.Errorf("match: ipcidr target is %T, want a string", tgt)
	}
	s = strings.TrimSpace(s)
	var (
		addr   netip.Addr
		prefix netip.Prefix
		isNet  bool
		err    error
	)
	if addr, err = netip.ParseAddr(s); err != nil {
		if prefix, err = netip.ParsePrefix(s); err != nil || prefix.Masked() != prefix {
			return false, fmt.Errorf("match: invalid IP/CIDR target %q", s)
		}
		isNet, addr = true, prefix.Addr()
	}
	proto := "ipv4"
	if addr.Is6() && !addr.Is4In6() {
		proto = "ipv6"
	}
	v, ok := m.Grains.Get(proto)
	if !ok {
		return false, nil
	}
	list, _ := v.([]any)
	for _, e := range list {
		es, ok := data.AsString(e)
		if !ok {
			continue
		}
		ga, err := netip.ParseAddr(strings.TrimSpace(es))
		if err != nil {
			continue
		}
		if isNet {
			if prefix.Contains(ga) {
				return true, nil
			}
		} else if ga == addr {
			return true, nil
		}
	}
	return false, nil
}

// --- fnmatch ---

var reCache sync.Map // pattern text -> *regexp.Regexp or error

func cached(key string, build func() (*regexp.Regexp, error)) (*regexp.Regexp, error) {
	if v, ok := reCache.Load(key); ok {
		if re, ok := v.(*regexp.Regexp); ok {
			return re, nil
		}
		return nil, v.(error)
	}
	re, err := build()
	if err != nil {
		reCache.Store(key, err)
		return nil, err
	}
	reCache.Store(key, re)
	return re, nil
}

// FnmatchString is Python's fnmatch.fnmatch on POSIX (case-sensitive):
// * matches everything (including / and .), ? one character, [seq] and
// [!seq] character classes; an unclosed [ is literal.
func FnmatchString(name, pattern string) bool {
	re, err := cached("g\x00"+pattern, func() (*regexp.Regexp, error) { return regexp.Compile(translateGlob(pattern)) })
	if err != nil {
		return false
	}
	return re.MatchString(name)
}

func translateGlob(pat string) string {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	r := []rune(pat)
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch c {
		case '*':
			for i+1 < len(r) && r[i+1] == '*' {
				i++
			}
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '[':
			j := i + 1
			if j < len(r) && r[j] == '!' {
				j++
			}
			if j < len(r) && r[j] == ']' {
				j++
			}
			for j < len(r) && r[j] != ']' {
				j++
			}
			if j >= len(r) {
				b.WriteString(`\[`)
				continue
			}
			body := r[i+1 : j]
			i = j
			b.WriteByte('[')
			k := 0
			if len(body) > 0 && body[0] == '!' {
				b.WriteByte('^')
				k = 1
			} else if len(body) > 0 && body[0] == '^' {
				b.WriteString(`\^`)
				k = 1
			}
			for ; k < len(body); k++ {
				switch body[k] {
				case '\\', '[', ']', '^':
					b.WriteByte('\\')
					b.WriteRune(body[k])
				default:
					b.WriteRune(body[k])
				}
			}
			b.WriteByte(']')
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`$`)
	return b.String()
}

// compilePy compiles a Python regular expression for re.match semantics
// (anchored at the start only).
func compilePy(pattern string) (*regexp.Regexp, error) {
	return cached("r\x00"+pattern, func() (*regexp.Regexp, error) {
		re, err := regexp.Compile(`^(?:` + pattern + `)`)
		if err != nil {
			return nil, fmt.Errorf("match: invalid regex %q: %w", pattern, err)
		}
		return re, nil
	})
}

// --- subdict_match ---

// Mode selects how subdict_match compares a value with the pattern.
type Mode int

// Comparison modes of Subdict.
const (
	Fnmatch Mode = iota // grain, pillar
	Regex               // grain_pcre, pillar_pcre
	Exact               // pillar_exact
)

// Subdict is Salt's salt.utils.data.subdict_match: tgt is "key:path:pattern"
// (split on delimiter; every split point is tried, deepest key first); the
// value found at the key path is compared (lower-cased) with the pattern;
// list values match when a member matches; map values match when the
// pattern is "*", a key of the map, or matches deeper.
func Subdict(d *data.Map, tgt any, delimiter string, mode Mode) (bool, error) {
	expr, ok := data.AsString(tgt)
	if !ok {
		return false, fmt.Errorf("match: target is %T, want a string", tgt)
	}
	if delimiter == "" {
		delimiter = DefaultDelimiter
	}
	if !strings.Contains(expr, delimiter) {
		return false, fmt.Errorf("match: insufficient arguments for a %s match: %q has no %q", modeName(mode), expr, delimiter)
	}
	return subdictMatch(d, expr, delimiter, mode, 0)
}

func modeName(m Mode) string {
	return [...]string{"grain/pillar", "pcre", "exact"}[m]
}

const maxDepth = 64

func subdictMatch(d any, expr, delim string, mode Mode, depth int) (bool, error) {
	if depth > maxDepth {
		return false, errors.New("match: target nesting too deep")
	}
	splits := strings.Split(expr, delim)
	if len(splits) == 1 {
		return false, nil
	}
	var firstErr error
	for idx := len(splits) - 1; idx > 0; idx-- {
		key := strings.Join(splits[:idx], delim)
		var (
			val      any
			matchstr string
		)
		if key == "*" {
			matchstr, val = expr, d
		} else {
			matchstr = strings.Join(splits[idx:], delim)
			var found bool
			val, found = traverse(d, key, delim)
			if !found {
				continue
			}
		}
		if mm, ok := val.(*data.Map); ok && mm.Len() == 0 {
			continue // Salt compares with the {} default
		}
		switch v := val.(type) {
		case *data.Map:
			ok, err := dictMatch(v, matchstr, delim, mode, depth)
			if ok {
				return true, nil
			}
			firstErr = cmpErr(firstErr, err)
		case []any:
			for _, member := range v {
				if mm, ok := member.(*data.Map); ok {
					ok, err := dictMatch(mm, matchstr, delim, mode, depth)
					if ok {
						return true, nil
					}
					firstErr = cmpErr(firstErr, err)
				}
				ok, err := valueMatch(member, matchstr, mode)
				if ok {
					return true, nil
				}
				firstErr = cmpErr(firstErr, err)
			}
		default:
			ok, err := valueMatch(v, matchstr, mode)
			if ok {
				return true, nil
			}
			firstErr = cmpErr(firstErr, err)
		}
	}
	return false, firstErr
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func dictMatch(target *data.Map, pattern, delim string, mode Mode, depth int) (bool, error) {
	wildcard := strings.HasPrefix(pattern, "*:")
	if wildcard {
		pattern = pattern[2:]
	}
	if pattern == "*" || target.Has(pattern) {
		return true, nil
	}
	ok, err := subdictMatch(target, pattern, delim, mode, depth+1)
	if ok {
		return true, nil
	}
	if wildcard {
		var found bool
		target.Range(func(_, v any) bool {
			switch x := v.(type) {
			case *data.Map:
				if ok, _ := dictMatch(x, pattern, delim, mode, depth+1); ok {
					found = true
				}
			case []any:
				for _, item := range x {
					if ok, _ := valueMatch(item, pattern, mode); ok {
						found = true
						break
					}
				}
			default:
				if ok, _ := valueMatch(x, pattern, mode); ok {
					found = true
				}
			}
			return !found
		})
		if found {
			return true, nil
		}
	}
	return false, err
}

// valueMatch is subdict_match's _match: str(target).lower() against
// str(pattern).lower().
func valueMatch(target any, pattern string, mode Mode) (bool, error) {
	t := strings.ToLower(data.Str(target))
	p := strings.ToLower(pattern)
	switch mode {
	case Regex:
		re, err := compilePy(p)
		if err != nil {
			return false, err
		}
		return re.MatchString(t), nil
	case Exact:
		return t == p, nil
	default:
		return FnmatchString(t, p), nil
	}
}

// traverse is salt.utils.data.traverse_dict_and_list: follow key (split on
// delim) through maps and lists (numeric parts index lists; other parts look
// into the maps inside a list).
func traverse(d any, key, delim string) (any, bool) {
	ptr := d
	for _, each := range strings.Split(key, delim) {
		switch p := ptr.(type) {
		case []any:
			idx, err := strconv.Atoi(each)
			matched := false
			for _, e := range p {
				em, ok := e.(*data.Map)
				if !ok {
					continue
				}
				var v any
				var found bool
				if err != nil {
					v, found = em.Get(each)
				} else {
					v, found = em.Get(int64(idx))
				}
				if found {
					ptr, matched = v, true
					break
				}
			}
			if !matched {
				if err != nil {
					return nil, false
				}
				if idx < 0 {
					idx += len(p)
				}
				if idx < 0 || idx >= len(p) {
					return nil, false
				}
				ptr = p[idx]
			}
		case *data.Map:
			v, ok := p.Get(each)
			if !ok {
				// Salt retries with the YAML-loaded key (integer, float,
				// boolean dict keys).
				lk, changed := yamlScalarKey(each)
				if !changed {
					return nil, false
				}
				if v, ok = p.Get(lk); !ok {
					return nil, false
				}
			}
			ptr = v
		default:
			return nil, false
		}
	}
	return ptr, true
}

// yamlScalarKey loads a key part the way YAML would for the key types that
// can appear in Salt data (int, float, bool, None).
func yamlScalarKey(s string) (any, bool) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, true
	}
	switch strings.ToLower(s) {
	case "true", "yes", "on":
		return true, true
	case "false", "no", "off":
		return false, true
	case "null", "~":
		return nil, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && strings.ContainsAny(s, ".eE") {
		return f, true
	}
	return nil, false
}
