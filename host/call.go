package host

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/go-viper/mapstructure/v2"

	"github.com/saltgo/saltgo/data"
)

// Call is one invocation of a function, with its arguments bound.
type Call struct {
	Env  *Env
	Fun  string
	Func *Func
	// Pub is the publish data (jid, fun, tgt, user...) or, for salt-call,
	// the local job data; nil when unknown.
	Pub *data.Map
	// Retcode is what the function sets the way a Python module sets
	// __context__['retcode'].
	Retcode int

	bound     map[string]any
	given     map[string]bool
	extraArgs []any
	extraKw   *data.Map
}

// Get returns the bound value of a named parameter (its default when the
// caller did not pass it).
func (c *Call) Get(name string) any { return c.bound[name] }

// Given reports whether the caller passed the parameter.
func (c *Call) Given(name string) bool { return c.given[name] }

// Str returns a parameter as text: strings as they are, other scalars in
// their Python str() form, nil as "".
func (c *Call) Str(name string) string {
	switch v := c.bound[name].(type) {
	case nil:
		return ""
	case string:
		return v
	case []byte:
		return string(v)
	default:
		return data.Str(v)
	}
}

// Bool returns a parameter as a boolean (Python truthiness).
func (c *Call) Bool(name string) bool { return data.Truthy(c.bound[name]) }

// Int returns a parameter as an integer, with an InvocationError when it
// is not one.
func (c *Call) Int(name string) (int64, error) {
	v := c.bound[name]
	if n, ok := data.AsInt(v); ok {
		return n, nil
	}
	if s, ok := v.(string); ok {
		var n int64
		if _, err := fmt.Sscan(s, &n); err == nil {
			return n, nil
		}
	}
	return 0, Invalidf("%s must be an integer, not %s", name, data.Str(v))
}

// Args returns the extra positional arguments (*args).
func (c *Call) Args() []any { return c.extraArgs }

// Kwargs returns the extra keyword arguments (**kwargs), including the
// __pub_* ones.
func (c *Call) Kwargs() *data.Map {
	if c.extraKw == nil {
		return data.NewMap()
	}
	return c.extraKw
}

// Decode copies the bound parameters into a struct with mapstructure
// (field tag `salt:"name"`), typing loosely as Salt's modules do.
func (c *Call) Decode(dst any) error {
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		Result:           dst,
		TagName:          "salt",
		WeaklyTypedInput: true,
	})
	if err != nil {
		return err
	}
	in := map[string]any{}
	for k, v := range c.bound {
		in[k] = toPlain(v)
	}
	if err := dec.Decode(in); err != nil {
		return Invalidf("%v", err)
	}
	return nil
}

// toPlain converts data.Map values into map[string]any for mapstructure.
func toPlain(v any) any { return data.Plain(v, nil) }

// Bind matches positional and keyword arguments to f's parameters with
// Python's rules and error texts.
func Bind(f *Func, pos []any, kwargs *data.Map) (*Call, error) {
	c := &Call{Func: f, bound: map[string]any{}, given: map[string]bool{}}
	n := len(f.Params)
	if len(pos) > n && !f.VarArgs {
		return nil, Invalidf("%s", tooMany(f, len(pos)))
	}
	for i, a := range pos {
		if i < n {
			c.bound[f.Params[i].Name] = a
			c.given[f.Params[i].Name] = true
		} else {
			c.extraArgs = append(c.extraArgs, a)
		}
	}
	var err error
	kwargs.Range(func(k, v any) bool {
		name, _ := k.(string)
		if f.hasParam(name) {
			if c.given[name] {
				err = Invalidf("%s() got multiple values for argument '%s'", f.pyName(), name)
				return false
			}
			c.bound[name] = v
			c.given[name] = true
			return true
		}
		if !f.VarKwargs {
			err = Invalidf("%s() got an unexpected keyword argument '%s'", f.pyName(), name)
			return false
		}
		if c.extraKw == nil {
			c.extraKw = data.NewMap()
		}
		c.extraKw.Set(name, v)
		return true
	})
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, p := range f.Params {
		if c.given[p.Name] {
			continue
		}
		if !p.Optional {
			missing = append(missing, "'"+p.Name+"'")
			continue
		}
		c.bound[p.Name] = p.Default
	}
	if len(missing) > 0 {
		word := "argument"
		if len(missing) > 1 {
			word = "arguments"
		}
		return nil, Invalidf("%s() missing %d required positional %s: %s", f.pyName(), len(missing), word, joinPy(missing))
	}
	return c, nil
}

func tooMany(f *Func, given int) string {
	req := 0
	for _, p := range f.Params {
		if !p.Optional {
			req++
		}
	}
	n := len(f.Params)
	takes := fmt.Sprint(n)
	if req != n {
		takes = fmt.Sprintf("from %d to %d", req, n)
	}
	word := "arguments"
	if n == 1 && req == n {
		word = "argument"
	}
	were := "were"
	if given == 1 {
		were = "was"
	}
	return fmt.Sprintf("%s() takes %s positional %s but %d %s given", f.pyName(), takes, word, given, were)
}

func joinPy(names []string) string {
	switch len(names) {
	case 1:
		return names[0]
	case 2:
		return names[0] + " and " + names[1]
	}
	return strings.Join(names[:len(names)-1], ", ") + ", and " + names[len(names)-1]
}

// Invoke runs a bound call; a panic inside the function is recovered and
// returned as a *PanicError.
func Invoke(ctx context.Context, c *Call) (ret any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r, Stack: string(debug.Stack())}
		}
	}()
	return c.Func.Fn(ctx, c)
}

func (f *Func) pyName() string {
	if f.PyName != "" {
		return f.PyName
	}
	return f.Name
}
