// Package pillar compiles pillar data locally, the way a masterless Salt
// minion (salt-call --local) does: top.sls in the pillar_roots of an
// environment selects SLS files for the minion, and their YAML data is
// merged in order. Top targets are matched by the minion's matchers
// (minion/match), compound unless the target's list says {match: type}, as
// Salt's confirm_top does; this is the one place a pillar top is compiled
// (salt-call --local and the mc_cloud_lxc runner's controller call it).
//
// Supported renderers: YAML (the default, and "#!yaml"). A file that asks
// for another renderer (jinja, py, gpg...) gives a clear error naming it.
package pillar

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/minion/match"
	"github.com/saltgo/saltgo/saltyaml"
)

// Options say where and for whom pillar is compiled.
type Options struct {
	// Roots maps an environment name to its pillar_roots directories.
	Roots map[string][]string
	// Env restricts compilation to one pillarenv ("" = all environments).
	Env string
	// Minion is the minion the top file's targets are matched for, as
	// Salt's confirm_top does with the minion's matchers (salt/matchers):
	// its id, its grains, its nodegroups and the pillar it held before this
	// compile (Salt's opts["pillar"]; nil on a first compile and on the
	// master, so pillar targets then select nothing).
	Minion match.Minion
}

// Compile returns the pillar for the minion. Errors in individual SLS files
// and top file targets that cannot be evaluated (an unknown match type, a
// bad regular expression) are collected under the _errors key, as Salt
// does for SLS errors, and also returned.
func Compile(opts Options) (*data.Map, error) {
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
			names, terrs := selectSLS(tm, &opts.Minion)
			errs = append(errs, terrs...)
			for _, sls := range names {
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

// selectSLS is Salt's top_matches for one environment: each target is
// matched with the matcher its list names ({match: type}, the last one
// wins) or, without one, the compound matcher (confirm_top's default), and
// the SLS names of the matching targets are collected once each, in order.
func selectSLS(targets *data.Map, m *match.Minion) (names []string, errs []string) {
	targets.Range(func(k, v any) bool {
		list, ok := v.([]any)
		if !ok {
			return true
		}
		tgtType := "compound"
		var sls []string
		for _, e := range list {
			switch x := e.(type) {
			case string:
				sls = append(sls, x)
			case *data.Map:
				if mt, ok := x.Get("match"); ok {
					s, isStr := data.AsString(mt)
					if !isStr {
						errs = append(errs, fmt.Sprintf("pillar top target %v: match type %v is not a string", k, data.Repr(mt)))
						return true
					}
					tgtType = s
				}
			}
		}
		ok, err := match.Match(m, k, tgtType, "")
		if err != nil {
			errs = append(errs, fmt.Sprintf("pillar top target %v (match: %s): %v", k, tgtType, err))
			return true
		}
		if ok {
			for _, n := range sls {
				if !slices.Contains(names, n) {
					names = append(names, n)
				}
			}
		}
		return true
	})
	return names, errs
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
