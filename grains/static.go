package grains

import (
	"context"
	"fmt"
	"os"
	"regexp"

	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/minion/match"
)

// collectGrainsFile is salt.grains.extra.config: the static grains file.
// A bad file is an error (logged by Collect), never fatal.
func collectGrainsFile(_ context.Context, e *Env) (*data.Map, error) {
	if e.Opts.GrainsFile == "" {
		return nil, nil
	}
	return ReadGrainsFile(e.Opts.GrainsFile)
}

// ReadGrainsFile reads a static grains file (/etc/salt/grains). A missing
// or empty file gives an empty map; a file that is not a mapping gives an
// empty map and an error.
func ReadGrainsFile(path string) (*data.Map, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return data.NewMap(), nil
		}
		return data.NewMap(), fmt.Errorf("read grains file: %w", err)
	}
	v, err := config.UnmarshalYAML(b, path)
	if err != nil {
		return data.NewMap(), err
	}
	switch m := v.(type) {
	case nil:
		return data.NewMap(), nil
	case *data.Map:
		return m, nil
	}
	return data.NewMap(), fmt.Errorf("%s: grains file is not a mapping", path)
}

// ApplyBlacklist deletes from g the keys matching one of the patterns, with
// Salt's expr_match: a shell glob (fnmatch) or else a full regex match.
func ApplyBlacklist(g *data.Map, patterns []string) {
	if len(patterns) == 0 || g.Len() == 0 {
		return
	}
	ms := make([]func(string) bool, 0, len(patterns))
	for _, p := range patterns {
		ms = append(ms, exprMatcher(p))
	}
	for _, k := range g.Keys() {
		ks, ok := k.(string)
		if !ok {
			continue
		}
		for _, m := range ms {
			if m(ks) {
				g.Delete(k)
				break
			}
		}
	}
}

// exprMatcher compiles Salt's expr_match(line, expr).
func exprMatcher(expr string) func(string) bool {
	re, err := regexp.Compile(`\A(?:` + expr + `)\z`)
	if err != nil {
		re = nil
	}
	return func(s string) bool {
		return match.FnmatchString(s, expr) || (re != nil && re.MatchString(s))
	}
}
