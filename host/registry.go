// Package host is saltgo's module host: execution and runner modules written
// in Go register their Salt functions here (the way Caddy modules register
// themselves), and every front door -- a job published by a master, a
// salt-call, a salt-run -- looks the function up here and calls it through
// the same argument binding.
package host

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Kind says which Salt loader a module belongs to.
type Kind string

// Module kinds.
const (
	Exec   Kind = "exec"   // execution modules (salt, salt-call)
	Runner Kind = "runner" // runner modules (salt-run)
	// State modules (file, cmd, test...): their functions take the
	// arguments of a low chunk and return a state return map; the state
	// engine (package state) calls them.
	State Kind = "state"
)

// Param describes one named parameter of a function, in Python order.
type Param struct {
	Name string
	// Default is used when the caller does not pass the parameter; it only
	// counts when Optional is true (a default of nil is Python's None).
	Default  any
	Optional bool
}

// Req returns a required parameter.
func Req(name string) Param { return Param{Name: name} }

// Opt returns an optional parameter with its default.
func Opt(name string, def any) Param { return Param{Name: name, Default: def, Optional: true} }

// Func is one Salt function served by a module.
type Func struct {
	// Name is the function name inside its module ("ping").
	Name string
	// PyName is the Python function name used in argument error texts
	// when it differs from Name (Salt's __func_alias__: none_ -> none).
	PyName string
	// Doc is the docstring shown by sys.doc and on argument errors.
	Doc string
	// Params are the named parameters, in order.
	Params []Param
	// VarArgs accepts extra positional arguments (Python *args).
	VarArgs bool
	// VarKwargs accepts any keyword argument (Python **kwargs); the
	// publish data then arrives as __pub_* keyword arguments too.
	VarKwargs bool
	// Outputter overrides the default outputter (Salt's __outputter__).
	Outputter string
	// Fn runs the function.
	Fn func(ctx context.Context, c *Call) (any, error)
}

// Module is a Salt module implemented in Go.
type Module struct {
	Kind Kind
	// Name is the Salt (virtual) name: "test", "mc_cloud_lxc".
	Name string
	// Doc describes the module.
	Doc string
	// Virtual reports whether the module can load on this host (Salt's
	// __virtual__); a non-nil error is the reason it cannot.
	Virtual func() error
	Funcs   []*Func
}

// ID returns the module's registry ID, "<kind>.<name>".
func (m *Module) ID() string { return string(m.Kind) + "." + m.Name }

var (
	mu      sync.RWMutex
	modules = map[string]*Module{}
)

// Register adds a module to the registry. It panics on programmer errors: an
// empty or invalid name, an unknown kind, a function without Fn, a
// duplicate function, or a module registered twice.
func Register(m *Module) {
	if m == nil || m.Name == "" || strings.ContainsAny(m.Name, ". ") {
		panic(fmt.Sprintf("host: invalid module name %q", nameOf(m)))
	}
	if m.Kind != Exec && m.Kind != Runner && m.Kind != State {
		panic(fmt.Sprintf("host: module %q has unknown kind %q", m.Name, m.Kind))
	}
	seen := map[string]bool{}
	for _, f := range m.Funcs {
		if f == nil || f.Name == "" || f.Fn == nil {
			panic(fmt.Sprintf("host: module %s has an invalid function", m.ID()))
		}
		if seen[f.Name] {
			panic(fmt.Sprintf("host: module %s registers %s twice", m.ID(), f.Name))
		}
		seen[f.Name] = true
	}
	mu.Lock()
	defer mu.Unlock()
	if _, dup := modules[m.ID()]; dup {
		panic(fmt.Sprintf("host: module already registered: %s", m.ID()))
	}
	modules[m.ID()] = m
}

func nameOf(m *Module) string {
	if m == nil {
		return "<nil>"
	}
	return m.Name
}

// Unregister removes a module; it exists for tests that register throwaway
// modules.
func Unregister(kind Kind, name string) {
	mu.Lock()
	defer mu.Unlock()
	delete(modules, string(kind)+"."+name)
}

// Modules returns the registered modules of a kind, sorted by name.
func Modules(kind Kind) []*Module {
	mu.RLock()
	defer mu.RUnlock()
	var out []*Module
	for _, m := range modules {
		if m.Kind == kind {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// GetModule returns the module of a kind by Salt name.
func GetModule(kind Kind, name string) (*Module, bool) {
	mu.RLock()
	defer mu.RUnlock()
	m, ok := modules[string(kind)+"."+name]
	return m, ok
}

// Available reports whether m loads here, with the reason when it does not.
func (m *Module) Available() error {
	if m.Virtual == nil {
		return nil
	}
	return m.Virtual()
}

// Lookup resolves "module.function" of a kind. It returns the function and
// its module; when the module exists but is unavailable, the function is
// returned together with the module's reason (the caller decides how to
// report it).
func Lookup(kind Kind, fun string) (*Func, *Module, error) {
	i := strings.LastIndex(fun, ".")
	if i <= 0 || i == len(fun)-1 {
		return nil, nil, ErrNotAvailable
	}
	m, ok := GetModule(kind, fun[:i])
	if !ok {
		return nil, nil, ErrNotAvailable
	}
	name := fun[i+1:]
	for _, f := range m.Funcs {
		if f.Name == name {
			if err := m.Available(); err != nil {
				return f, m, &UnavailableError{Module: m.Name, Reason: err}
			}
			return f, m, nil
		}
	}
	return nil, m, ErrNotAvailable
}

// FunctionNames returns every "module.function" of the available modules of a
// kind, sorted.
func FunctionNames(kind Kind) []string {
	var out []string
	for _, m := range Modules(kind) {
		if m.Available() != nil {
			continue
		}
		for _, f := range m.Funcs {
			out = append(out, m.Name+"."+f.Name)
		}
	}
	sort.Strings(out)
	return out
}
