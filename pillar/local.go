// Package pillar compiles pillar data locally, the way a masterless Salt
// minion (salt-call --local) does: top.sls in the pillar_roots of an
// environment selects SLS files for the minion, and their YAML data is
// merged in order.
//
// Supported renderers: YAML (the default, and "#!yaml"). A file that asks
// for another renderer (jinja, py, gpg...) gives a clear error naming it.
package pillar

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/saltyaml"
)

// Matcher decides whether a top-file target selects this minion; tgtType is
// "glob" unless the target's list holds a {match: type} entry.
type Matcher func(tgt, tgtType string) bool

// Options say where and for whom pillar is compiled.
type Options struct {
	// Roots maps an environment name to its pillar_roots directories.
	Roots map[string][]string
	// Env restricts compilation to one pillarenv ("" = all environments).
	Env string
	// Match selects top-file targets; nil matches with a glob on ID.
	Match Matcher
	// ID is the minion id (for the default glob matcher).
	ID string
}

// Compile returns the pillar for the minion. Errors in individual SLS files
// are collected under the _errors key, as Salt does, and also returned.
func Compile(opts Options) (*data.Map, error) {
	if opts.Match == nil {
		id := opts.ID
		opts.Match = func(tgt, tgtType string) bool {
			if tgtType != "" && tgtType != "glob" {
				return false
			}
			ok, _ := path.Match(tgt, id)
			return ok
		}
	}
	envs := sortedEnvs(opts.Roots)
	if opts.Env != "" {
		envs = []string{opts.Env}
	}
	out := data.NewMap()
	out.Ordered = true
	var errs []string
	for _, env := range envs {
		top, err := readTop(opts.Roots[env])
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		if top == nil {
			continue
		}
		for _, topEnv := range top.Keys() {
			if opts.Env != "" && topEnv != opts.Env {
				continue
			}
			if topEnv != env && opts.Env == "" {
				continue
			}
			targets, _ := top.Get(topEnv)
			tm, ok := targets.(*data.Map)
			if !ok {
				continue
			}
			for _, sls := range selectSLS(tm, opts.Match) {
				seen := map[string]bool{}
				if err := renderInto(out, opts.Roots[topEnv.(string)], sls, seen, 0); err != nil {
					errs = append(errs, err.Error())
				}
			}
		}
	}
	if len(errs) > 0 {
		l := make([]any, len(errs))
		for i, e := range errs {
			l[i] = e
		}
		out.Set("_errors", l)
		return out, errors.New(strings.Join(errs, "; "))
	}
	return out, nil
}

func sortedEnvs(roots map[string][]string) []string {
	var envs []string
	for e := range roots {
		envs = append(envs, e)
	}
	sort.Slice(envs, func(i, j int) bool {
		if envs[i] == "base" || envs[j] == "base" {
			return envs[i] == "base"
		}
		return envs[i] < envs[j]
	})
	return envs
}

func readTop(dirs []string) (*data.Map, error) {
	for _, d := range dirs {
		p := filepath.Join(d, "top.sls")
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("pillar top file %s: %w", p, err)
		}
		v, err := render(p, b)
		if err != nil {
			return nil, err
		}
		m, ok := v.(*data.Map)
		if !ok && v != nil {
			return nil, fmt.Errorf("pillar top file %s: not a mapping", p)
		}
		return m, nil
	}
	return nil, nil
}

func selectSLS(targets *data.Map, match Matcher) []string {
	var out []string
	targets.Range(func(k, v any) bool {
		tgt, _ := data.AsString(k)
		list, ok := v.([]any)
		if !ok {
			return true
		}
		tgtType := "glob"
		var names []string
		for _, e := range list {
			switch x := e.(type) {
			case string:
				names = append(names, x)
			case *data.Map:
				if mt, ok := x.String("match"); ok {
					tgtType = mt
				}
			}
		}
		if match(tgt, tgtType) {
			for _, n := range names {
				if !slices.Contains(out, n) {
					out = append(out, n)
				}
			}
		}
		return true
	})
	return out
}

// slsPath finds the file of an SLS name: a/b -> a/b.sls or a/b/init.sls.
func slsPath(dirs []string, sls string) (string, bool) {
	rel := strings.ReplaceAll(sls, ".", "/")
	for _, d := range dirs {
		for _, cand := range []string{rel + ".sls", filepath.Join(rel, "init.sls")} {
			p := filepath.Join(d, cand)
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p, true
			}
		}
	}
	return "", false
}

func renderInto(out *data.Map, dirs []string, sls string, seen map[string]bool, depth int) error {
	if seen[sls] {
		return nil
	}
	seen[sls] = true
	if depth > 50 {
		return fmt.Errorf("pillar SLS %s: include nesting too deep", sls)
	}
	p, ok := slsPath(dirs, sls)
	if !ok {
		return fmt.Errorf("Specified SLS '%s' in environment is not available on the salt master", sls)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return fmt.Errorf("pillar SLS %s: %w", p, err)
	}
	v, err := render(p, b)
	if err != nil {
		return err
	}
	if v == nil {
		return nil
	}
	m, ok := v.(*data.Map)
	if !ok {
		return fmt.Errorf("SLS '%s' does not render to a dictionary", sls)
	}
	if inc, ok := m.Get("include"); ok {
		m = m.Copy()
		m.Delete("include")
		if l, ok := inc.([]any); ok {
			for _, e := range l {
				name, _ := data.AsString(e)
				if strings.HasPrefix(name, ".") {
					base := sls
					if !strings.HasSuffix(p, "init.sls") {
						if i := strings.LastIndex(base, "."); i >= 0 {
							base = base[:i]
						} else {
							base = ""
						}
					}
					name = strings.TrimPrefix(base+name, ".")
				}
				if name == "" {
					continue
				}
				if err := renderInto(out, dirs, name, seen, depth+1); err != nil {
					return err
				}
			}
		}
	}
	Merge(out, m)
	return nil
}

func render(p string, b []byte) (any, error) {
	text := string(b)
	if strings.HasPrefix(text, "#!") {
		line, _, _ := strings.Cut(text, "\n")
		r := strings.TrimSpace(strings.TrimPrefix(line, "#!"))
		if r != "yaml" && r != "yamlex" {
			return nil, fmt.Errorf("pillar file %s: renderer %q is not supported by saltgo (only yaml)", p, r)
		}
	} else if strings.Contains(text, "{{") || strings.Contains(text, "{%") {
		return nil, fmt.Errorf("pillar file %s: uses Jinja, which saltgo's local pillar does not render (only yaml)", p)
	}
	v, err := saltyaml.Load(b)
	if err != nil {
		return nil, fmt.Errorf("pillar file %s: %w", p, err)
	}
	data.MarkOrdered(v)
	return v, nil
}

// Merge merges src into dst recursively (Salt's "smart"/recurse strategy):
// nested maps merge, anything else is replaced. A map nested in dst is not
// changed in place: dst gets a merged copy, so maps dst shares with others
// (a lookup table, an earlier render) stay as they were.
func Merge(dst, src *data.Map) {
	src.Range(func(k, v any) bool {
		if sm, ok := v.(*data.Map); ok {
			if dv, ok := dst.Get(k); ok {
				if dm, ok := dv.(*data.Map); ok {
					dm = dm.Copy()
					Merge(dm, sm)
					dst.Set(k, dm)
					return true
				}
			}
		}
		dst.Set(k, v)
		return true
	})
}
