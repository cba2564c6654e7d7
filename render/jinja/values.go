package jinja

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode"

	"github.com/saltgo/saltgo/data"
)

// callable is anything a template can call.
type callable interface {
	call(ev *evaluator, args []any, kw *data.Map) (any, error)
}

// builtin is a Go function exposed to templates.
type builtin func(ev *evaluator, args []any, kw *data.Map) (any, error)

func (b builtin) call(ev *evaluator, args []any, kw *data.Map) (any, error) {
	for _, a := range args {
		if err := ev.need(a); err != nil {
			return nil, err
		}
	}
	return b(ev, args, kw)
}

// namespace is the object namespace() returns.
type namespace struct{ m *data.Map }

// typeName is Python's type(v).__name__.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int64, uint64, *big.Int, int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []byte:
		return "bytes"
	case []any:
		return "list"
	case data.Tuple:
		return "tuple"
	case *data.Map:
		return "dict"
	case *macro:
		return "Macro"
	case *namespace:
		return "Namespace"
	case *loopObj:
		return "LoopContext"
	case *undefined:
		return "StrictUndefined"
	case callable:
		return "function"
	}
	return fmt.Sprintf("%T", v)
}

// pyStr is Python's str().
func pyStr(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case *big.Int:
		return x.String()
	case int:
		return strconv.Itoa(x)
	}
	return data.Str(v)
}

// pyQuote is repr() of a str.
func pyQuote(s string) string { return data.Repr(s) }

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case int:
		return int64(x), true
	}
	return 0, false
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, true
	}
	return 0, false
}

func isNum(v any) bool {
	switch v.(type) {
	case int64, float64, bool, *big.Int:
		return true
	}
	return false
}

func bigOf(v any) *big.Int {
	switch x := v.(type) {
	case *big.Int:
		return x
	case int64:
		return big.NewInt(x)
	case bool:
		if x {
			return big.NewInt(1)
		}
		return big.NewInt(0)
	}
	return nil
}

func normBig(b *big.Int) any {
	if b.IsInt64() {
		return b.Int64()
	}
	return b
}

// binop is Python's arithmetic.
func (ev *evaluator) binop(op string, l, r any) (any, error) {
	_, lf := l.(float64)
	_, rf := r.(float64)
	if a, ok := l.(int64); ok {
		if b, ok := r.(int64); ok {
			if v, ok := fastIntOp(op, a, b); ok {
				return v, nil
			}
		}
	}
	if isNum(l) && isNum(r) {
		if !lf && !rf {
			a, b := bigOf(l), bigOf(r)
			switch op {
			case "+":
				return normBig(new(big.Int).Add(a, b)), nil
			case "-":
				return normBig(new(big.Int).Sub(a, b)), nil
			case "*":
				if a.BitLen()+b.BitLen() > 4096 {
					return nil, ev.errf(KindOther, "integer too large")
				}
				return normBig(new(big.Int).Mul(a, b)), nil
			case "/":
				if b.Sign() == 0 {
					return nil, ev.errf(KindOther, "division by zero")
				}
				fa, _ := toFloat(l)
				fb, _ := toFloat(r)
				return fa / fb, nil
			case "//", "%":
				if b.Sign() == 0 {
					if op == "%" {
						return nil, ev.errf(KindOther, "integer modulo by zero")
					}
					return nil, ev.errf(KindOther, "integer division or modulo by zero")
				}
				// Python floors the quotient; QuoRem truncates
				q, m := new(big.Int).QuoRem(a, b, new(big.Int))
				if m.Sign() != 0 && (m.Sign() < 0) != (b.Sign() < 0) {
					q.Sub(q, big.NewInt(1))
					m.Add(m, b)
				}
				if op == "//" {
					return normBig(q), nil
				}
				return normBig(m), nil
			case "**":
				if b.Sign() < 0 {
					fa, _ := toFloat(l)
					fb, _ := toFloat(r)
					return math.Pow(fa, fb), nil
				}
				if b.BitLen() > 16 || a.BitLen()*int(b.Int64()) > 65536 {
					return nil, ev.errf(KindOther, "integer too large")
				}
				return normBig(new(big.Int).Exp(a, b, nil)), nil
			}
		}
		a, _ := toFloat(l)
		b, _ := toFloat(r)
		switch op {
		case "+":
			return a + b, nil
		case "-":
			return a - b, nil
		case "*":
			return a * b, nil
		case "/":
			if b == 0 {
				return nil, ev.errf(KindOther, "float division by zero")
			}
			return a / b, nil
		case "//":
			if b == 0 {
				return nil, ev.errf(KindOther, "float floor division by zero")
			}
			return math.Floor(a / b), nil
		case "%":
			if b == 0 {
				return nil, ev.errf(KindOther, "float modulo")
			}
			m := math.Mod(a, b)
			if m != 0 && (m < 0) != (b < 0) {
				m += b
			}
			return m, nil
		case "**":
			return math.Pow(a, b), nil
		}
	}
	switch op {
	case "+":
		switch a := l.(type) {
		case string:
			if b, ok := r.(string); ok {
				return a + b, nil
			}
			return nil, ev.errf(KindOther, "can only concatenate str (not \"%s\") to str", typeName(r))
		case []any:
			if b, ok := r.([]any); ok {
				out := make([]any, 0, len(a)+len(b))
				return append(append(out, a...), b...), nil
			}
			return nil, ev.errf(KindOther, "can only concatenate list (not \"%s\") to list", typeName(r))
		case data.Tuple:
			if b, ok := r.(data.Tuple); ok {
				out := make(data.Tuple, 0, len(a)+len(b))
				return append(append(out, a...), b...), nil
			}
		}
	case "*":
		_, ls := l.(string)
		_, ll := l.([]any)
		_, rs := r.(string)
		_, rl := r.([]any)
		if (ls || ll) && !isNum(r) || (rs || rl) && !isNum(l) {
			other := r
			if rs || rl {
				other = l
			}
			return nil, ev.errf(KindOther, "can't multiply sequence by non-int of type '%s'", typeName(other))
		}
		if n, ok := toInt(r); ok {
			if _, isBool := r.(bool); !isBool || true {
				switch a := l.(type) {
				case string:
					if n <= 0 {
						return "", nil
					}
					if int64(len(a))*n > maxOutputSize {
						return nil, ev.errf(KindOther, "repeated string too large")
					}
					return strings.Repeat(a, int(n)), nil
				case []any:
					if n <= 0 {
						return []any{}, nil
					}
					if int64(len(a))*n > 10_000_000 {
						return nil, ev.errf(KindOther, "repeated list too large")
					}
					out := make([]any, 0, len(a)*int(n))
					for i := int64(0); i < n; i++ {
						out = append(out, a...)
					}
					return out, nil
				}
			}
		}
		if _, ok := toInt(l); ok {
			if _, ok := r.(string); ok {
				return ev.binop("*", r, l)
			}
			if _, ok := r.([]any); ok {
				return ev.binop("*", r, l)
			}
		}
	case "%":
		if f, ok := l.(string); ok {
			s, err := pyPercent(f, r)
			if err != nil {
				return nil, ev.wrap(KindOther, err)
			}
			return s, nil
		}
	}
	return nil, ev.errf(KindOther, "unsupported operand type(s) for %s: '%s' and '%s'", op, typeName(l), typeName(r))
}

// fastIntOp does int64 arithmetic that cannot overflow without big.Int.
func fastIntOp(op string, a, b int64) (any, bool) {
	const lim = 1 << 31
	small := a > -lim && a < lim && b > -lim && b < lim
	if !small {
		return nil, false
	}
	switch op {
	case "+":
		return a + b, true
	case "-":
		return a - b, true
	case "*":
		return a * b, true
	case "//", "%":
		if b == 0 {
			return nil, false
		}
		q, m := a/b, a%b
		if m != 0 && (m < 0) != (b < 0) {
			q--
			m += b
		}
		if op == "//" {
			return q, true
		}
		return m, true
	}
	return nil, false
}

// compare is Python's comparison operators.
func (ev *evaluator) compare(op string, l, r any) (bool, error) {
	switch op {
	case "==":
		return data.Equal(l, r), nil
	case "!=":
		return !data.Equal(l, r), nil
	case "in", "notin":
		ok, err := ev.contains(r, l)
		if err != nil {
			return false, err
		}
		return ok == (op == "in"), nil
	}
	c, ok := data.Compare(l, r)
	if !ok {
		return false, ev.errf(KindOther, "'%s' not supported between instances of '%s' and '%s'", op, typeName(l), typeName(r))
	}
	switch op {
	case "<":
		return c < 0, nil
	case ">":
		return c > 0, nil
	case "<=":
		return c <= 0, nil
	}
	return c >= 0, nil
}

// contains is Python's "item in container".
func (ev *evaluator) contains(container, item any) (bool, error) {
	switch c := container.(type) {
	case string:
		s, ok := item.(string)
		if !ok {
			return false, ev.errf(KindOther, "'in <string>' requires string as left operand, not %s", typeName(item))
		}
		return strings.Contains(c, s), nil
	case []any:
		for _, x := range c {
			if data.Equal(x, item) {
				return true, nil
			}
		}
		return false, nil
	case data.Tuple:
		for _, x := range c {
			if data.Equal(x, item) {
				return true, nil
			}
		}
		return false, nil
	case *data.Map:
		if err := ev.hashable(item); err != nil {
			return false, err
		}
		if c.Has(item) {
			return true, nil
		}
		if isNum(item) {
			for _, k := range c.Keys() {
				if data.Equal(k, item) {
					return true, nil
				}
			}
		}
		return false, nil
	case *saltNS:
		s, _ := item.(string)
		return c.has(s), nil
	}
	return false, ev.errf(KindOther, "argument of type '%s' is not iterable", typeName(container))
}

// getattr is Jinja's environment.getattr: the attribute first (methods),
// then the item.
func (ev *evaluator) getattr(obj any, name string) (any, error) {
	switch o := obj.(type) {
	case *data.Map:
		if _, ok := dictMethods[name]; ok {
			return &method{recv: o, name: name}, nil
		}
		if v, ok := o.Get(name); ok {
			return v, nil
		}
	case *namespace:
		if v, ok := o.m.Get(name); ok {
			return v, nil
		}
	case *loopObj:
		return o.attr(ev, name)
	case *saltNS:
		return o.attr(name), nil
	case *saltMod:
		return &saltFunc{ns: o.ns, name: o.mod + "." + name}, nil
	case string:
		if _, ok := strMethods[name]; ok {
			return &method{recv: o, name: name}, nil
		}
	case []any:
		if _, ok := listMethods[name]; ok {
			return &method{recv: o, name: name}, nil
		}
	case data.Tuple:
		if name == "index" || name == "count" {
			return &method{recv: []any(o), name: name}, nil
		}
	case int64, *big.Int, bool:
		switch name {
		case "real", "numerator":
			return o, nil
		case "imag":
			return int64(0), nil
		case "denominator":
			return int64(1), nil
		}
	case float64:
		switch name {
		case "real":
			return o, nil
		case "imag":
			return 0.0, nil
		case "is_integer":
			return builtin(func(ev *evaluator, args []any, kw *data.Map) (any, error) { return o == math.Trunc(o), nil }), nil
		}
	}
	return &undefined{name: name, obj: obj, has: true}, nil
}

// getitem is Jinja's environment.getitem: the item first, then the
// attribute.
func (ev *evaluator) getitem(obj any, key any) (any, error) {
	switch o := obj.(type) {
	case *data.Map:
		if err := ev.hashable(key); err != nil {
			return nil, err
		}
		if v, ok := o.Get(key); ok {
			return v, nil
		}
		if isNum(key) {
			for _, k := range o.Keys() {
				if data.Equal(k, key) {
					v, _ := o.Get(k)
					return v, nil
				}
			}
		}
	case []any, data.Tuple, string:
		i, ok := toInt(key)
		if !ok {
			break
		}
		var n int64
		switch x := o.(type) {
		case []any:
			n = int64(len(x))
		case data.Tuple:
			n = int64(len(x))
		case string:
			rs := []rune(x)
			if i < 0 {
				i += int64(len(rs))
			}
			if i >= 0 && i < int64(len(rs)) {
				return string(rs[i]), nil
			}
			return &undefined{name: pyStr(key), obj: obj, has: true, key: key}, nil
		}
		if i < 0 {
			i += n
		}
		if i >= 0 && i < n {
			switch x := o.(type) {
			case []any:
				return x[i], nil
			case data.Tuple:
				return x[i], nil
			}
		}
	case *saltNS:
		if s, ok := key.(string); ok {
			return o.item(s), nil
		}
	case *loopObj, *namespace:
		if s, ok := key.(string); ok {
			return ev.getattr(obj, s)
		}
	}
	if s, ok := key.(string); ok {
		v, err := ev.getattr(obj, s)
		if err != nil {
			return nil, err
		}
		if u, ok := v.(*undefined); !ok || u.obj != nil || !u.has {
			return v, nil
		}
	}
	if _, ok := key.(string); ok {
		return &undefined{name: pyStr(key), obj: obj, has: true}, nil
	}
	return &undefined{name: pyStr(key), obj: obj, has: true, key: key}, nil
}

func (lo *loopObj) attr(ev *evaluator, name string) (any, error) {
	n := int64(len(lo.items))
	i := int64(lo.index0)
	switch name {
	case "index":
		return i + 1, nil
	case "index0":
		return i, nil
	case "revindex":
		return n - i, nil
	case "revindex0":
		return n - i - 1, nil
	case "first":
		return i == 0, nil
	case "last":
		return i == n-1, nil
	case "length":
		return n, nil
	case "depth":
		return int64(lo.depth0 + 1), nil
	case "depth0":
		return int64(lo.depth0), nil
	case "previtem":
		if i == 0 {
			return &undefined{hint: "there is no previous item"}, nil
		}
		return lo.items[i-1], nil
	case "nextitem":
		if i == n-1 {
			return &undefined{hint: "there is no next item"}, nil
		}
		return lo.items[i+1], nil
	case "cycle":
		return builtin(func(ev *evaluator, args []any, kw *data.Map) (any, error) {
			if len(args) == 0 {
				return nil, ev.errf(KindOther, "no items for cycling given")
			}
			return args[lo.index0%len(args)], nil
		}), nil
	case "changed":
		return builtin(func(ev *evaluator, args []any, kw *data.Map) (any, error) {
			var v any = data.Tuple(args)
			if lo.seen && data.Equal(lo.last, v) {
				return false, nil
			}
			lo.last, lo.seen = v, true
			return true, nil
		}), nil
	}
	if name == "__call__" && lo.rec != nil {
		return builtin(func(ev *evaluator, args []any, kw *data.Map) (any, error) {
			if len(args) != 1 {
				return nil, ev.errf(KindOther, "loop() takes one argument")
			}
			return lo.rec(args[0])
		}), nil
	}
	return &undefined{name: name, obj: lo, has: true}, nil
}

func (lo *loopObj) call(ev *evaluator, args []any, kw *data.Map) (any, error) {
	if lo.rec == nil {
		return nil, ev.errf(KindOther, "Tried to call non recursive loop.  Maybe you forgot the 'recursive' modifier.")
	}
	if len(args) != 1 {
		return nil, ev.errf(KindOther, "loop() takes one argument")
	}
	ev.depth++
	defer func() { ev.depth-- }()
	if ev.depth > maxCallDepth {
		return nil, ev.errf(KindOther, "maximum recursion depth exceeded")
	}
	return lo.rec(args[0])
}

// pyPercent is Python's "fmt % args".
func pyPercent(f string, arg any) (string, error) {
	var args []any
	var named *data.Map
	switch a := arg.(type) {
	case data.Tuple:
		args = a
	case *data.Map:
		named = a
		args = []any{a}
	default:
		args = []any{a}
	}
	var b strings.Builder
	ai := 0
	next := func() (any, error) {
		if ai >= len(args) {
			return nil, fmt.Errorf("not enough arguments for format string")
		}
		ai++
		return args[ai-1], nil
	}
	usedNamed := false
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(f) {
			return "", fmt.Errorf("incomplete format")
		}
		if f[i] == '%' {
			b.WriteByte('%')
			continue
		}
		var val any
		haveVal := false
		if f[i] == '(' {
			end := strings.IndexByte(f[i:], ')')
			if end < 0 {
				return "", fmt.Errorf("incomplete format key")
			}
			key := f[i+1 : i+end]
			i += end + 1
			if named == nil {
				return "", fmt.Errorf("format requires a mapping")
			}
			v, ok := named.Get(key)
			if !ok {
				return "", fmt.Errorf("%s", pyQuote(key))
			}
			val, haveVal, usedNamed = v, true, true
		}
		// flags, width, precision
		spec := "%"
		for i < len(f) && strings.IndexByte("-+ #0", f[i]) >= 0 {
			spec += string(f[i])
			i++
		}
		for i < len(f) && (isDigit(f[i]) || f[i] == '.' || f[i] == '*') {
			spec += string(f[i])
			i++
		}
		if i >= len(f) {
			return "", fmt.Errorf("incomplete format")
		}
		conv := f[i]
		if !haveVal {
			v, err := next()
			if err != nil {
				return "", err
			}
			val = v
		}
		switch conv {
		case 's':
			fmt.Fprintf(&b, spec+"s", pyStr(val))
		case 'r', 'a':
			fmt.Fprintf(&b, spec+"s", data.Repr(val))
		case 'd', 'i', 'u':
			if fv, ok := val.(float64); ok {
				val = int64(fv)
			}
			n, ok := toInt(val)
			if !ok {
				if bi, ok := val.(*big.Int); ok {
					fmt.Fprintf(&b, spec+"d", bi)
					continue
				}
				return "", fmt.Errorf("%%%c format: a real number is required, not %s", conv, typeName(val))
			}
			fmt.Fprintf(&b, spec+"d", n)
		case 'f', 'F', 'e', 'E', 'g', 'G':
			fv, ok := toFloat(val)
			if !ok {
				return "", fmt.Errorf("must be real number, not %s", typeName(val))
			}
			if !strings.Contains(spec, ".") && conv != 'g' && conv != 'G' {
				spec += ".6"
			}
			fmt.Fprintf(&b, spec+string(conv), fv)
		case 'x', 'X', 'o':
			n, ok := toInt(val)
			if !ok {
				return "", fmt.Errorf("%%%c format: an integer is required, not %s", conv, typeName(val))
			}
			fmt.Fprintf(&b, spec+string(conv), n)
		case 'c':
			if n, ok := toInt(val); ok {
				b.WriteRune(rune(n))
			} else {
				b.WriteString(pyStr(val))
			}
		default:
			return "", fmt.Errorf("unsupported format character '%c' (0x%x) at index %d", conv, conv, i)
		}
	}
	if !usedNamed && ai < len(args) && named == nil {
		return "", fmt.Errorf("not all arguments converted during string formatting")
	}
	return b.String(), nil
}

// pyFormat is Python's str.format.
func pyFormat(ev *evaluator, f string, args []any, kw *data.Map) (string, error) {
	var b strings.Builder
	auto := 0
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c == '{' {
			if i+1 < len(f) && f[i+1] == '{' {
				b.WriteByte('{')
				i++
				continue
			}
			end := strings.IndexByte(f[i:], '}')
			if end < 0 {
				return "", fmt.Errorf("Single '{' encountered in format string")
			}
			field := f[i+1 : i+end]
			i += end
			spec := ""
			if j := strings.IndexByte(field, ':'); j >= 0 {
				field, spec = field[:j], field[j+1:]
			}
			conv := byte(0)
			if j := strings.IndexByte(field, '!'); j >= 0 && j+1 < len(field) {
				conv = field[j+1]
				field = field[:j]
			}
			// attribute/index chain
			head, rest := field, ""
			if j := strings.IndexAny(field, ".["); j >= 0 {
				head, rest = field[:j], field[j:]
			}
			var v any
			if head == "" {
				if auto >= len(args) {
					return "", fmt.Errorf("Replacement index %d out of range for positional args tuple", auto)
				}
				v = args[auto]
				auto++
			} else if n, err := strconv.Atoi(head); err == nil {
				if n >= len(args) {
					return "", fmt.Errorf("Replacement index %d out of range for positional args tuple", n)
				}
				v = args[n]
			} else {
				var ok bool
				if kw != nil {
					v, ok = kw.Get(head)
				}
				if !ok {
					return "", fmt.Errorf("%s", pyQuote(head))
				}
			}
			for rest != "" {
				if rest[0] == '.' {
					j := strings.IndexAny(rest[1:], ".[")
					name := rest[1:]
					if j >= 0 {
						name, rest = rest[1:j+1], rest[j+1:]
					} else {
						rest = ""
					}
					nv, err := ev.getattr(v, name)
					if err != nil {
						return "", err
					}
					v = nv
				} else {
					j := strings.IndexByte(rest, ']')
					if j < 0 {
						return "", fmt.Errorf("Missing ']' in format string")
					}
					key := rest[1:j]
					rest = rest[j+1:]
					var k any = key
					if n, err := strconv.ParseInt(key, 10, 64); err == nil {
						k = n
					}
					nv, err := ev.getitem(v, k)
					if err != nil {
						return "", err
					}
					v = nv
				}
			}
			if err := ev.need(v); err != nil {
				return "", err
			}
			var s string
			switch conv {
			case 'r':
				s = data.Repr(v)
			default:
				s = pyStr(v)
			}
			if spec != "" {
				fs, err := formatSpec(v, spec)
				if err != nil {
					return "", err
				}
				if conv == 0 {
					s = fs
				}
			}
			b.WriteString(s)
			continue
		}
		if c == '}' {
			if i+1 < len(f) && f[i+1] == '}' {
				i++
			}
			b.WriteByte('}')
			continue
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

// formatSpec applies a format() spec: [[fill]align][sign][0][width][.prec][type].
func formatSpec(v any, spec string) (string, error) {
	fill, align := " ", byte(0)
	if len(spec) >= 2 && strings.IndexByte("<>^=", spec[1]) >= 0 {
		fill, align, spec = spec[:1], spec[1], spec[2:]
	} else if len(spec) >= 1 && strings.IndexByte("<>^=", spec[0]) >= 0 {
		align, spec = spec[0], spec[1:]
	}
	sign := ""
	if spec != "" && strings.IndexByte("+- ", spec[0]) >= 0 {
		sign, spec = spec[:1], spec[1:]
	}
	if strings.HasPrefix(spec, "0") && align == 0 {
		fill, align = "0", '='
		spec = spec[1:]
	}
	i := 0
	for i < len(spec) && isDigit(spec[i]) {
		i++
	}
	width, _ := strconv.Atoi(spec[:i])
	spec = spec[i:]
	prec := -1
	if strings.HasPrefix(spec, ".") {
		j := 1
		for j < len(spec) && isDigit(spec[j]) {
			j++
		}
		prec, _ = strconv.Atoi(spec[1:j])
		spec = spec[j:]
	}
	typ := spec
	var s string
	switch typ {
	case "d":
		n, ok := toInt(v)
		if !ok {
			return "", fmt.Errorf("Unknown format code 'd' for object of type '%s'", typeName(v))
		}
		s = strconv.FormatInt(n, 10)
	case "f", "F", "e", "E", "g", "G", "%":
		f, ok := toFloat(v)
		if !ok {
			return "", fmt.Errorf("Unknown format code '%s' for object of type '%s'", typ, typeName(v))
		}
		if prec < 0 {
			prec = 6
		}
		if typ == "%" {
			s = strconv.FormatFloat(f*100, 'f', prec, 64) + "%"
		} else {
			s = strconv.FormatFloat(f, typ[0]|0x20, prec, 64)
		}
	case "x", "X", "o", "b":
		n, ok := toInt(v)
		if !ok {
			return "", fmt.Errorf("Unknown format code '%s' for object of type '%s'", typ, typeName(v))
		}
		base := map[string]int{"x": 16, "X": 16, "o": 8, "b": 2}[typ]
		s = strconv.FormatInt(n, base)
		if typ == "X" {
			s = strings.ToUpper(s)
		}
	case "", "s":
		if f, ok := v.(float64); ok && prec >= 0 {
			s = strconv.FormatFloat(f, 'g', prec, 64)
		} else {
			s = pyStr(v)
			if prec >= 0 && typ == "s" {
				if r := []rune(s); len(r) > prec {
					s = string(r[:prec])
				}
			}
		}
	default:
		return "", fmt.Errorf("Invalid format specifier")
	}
	if sign == "+" && isNum(v) && !strings.HasPrefix(s, "-") {
		s = "+" + s
	} else if sign == " " && isNum(v) && !strings.HasPrefix(s, "-") {
		s = " " + s
	}
	n := len([]rune(s))
	if width > n {
		pad := width - n
		if align == 0 {
			if isNum(v) {
				align = '>'
			} else {
				align = '<'
			}
		}
		switch align {
		case '<':
			s += strings.Repeat(fill, pad)
		case '>':
			s = strings.Repeat(fill, pad) + s
		case '^':
			s = strings.Repeat(fill, pad/2) + s + strings.Repeat(fill, pad-pad/2)
		case '=':
			if s != "" && (s[0] == '-' || s[0] == '+') {
				s = s[:1] + strings.Repeat(fill, pad) + s[1:]
			} else {
				s = strings.Repeat(fill, pad) + s
			}
		}
	}
	return s, nil
}

func isSpaceRune(r rune) bool { return unicode.IsSpace(r) }
