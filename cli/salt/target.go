package salt

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/saltgo/saltgo/data"
)

// targetOption is one of the salt CLI's target selection flags, in Salt's
// order (which its mutual-exclusion message follows).
type targetOption struct {
	short, long, dest, tgtType string
}

var targetOptions = []targetOption{
	{"E", "pcre", "pcre", "pcre"},
	{"L", "list", "list", "list"},
	{"G", "grain", "grain", "grain"},
	{"P", "grain-pcre", "grain_pcre", "grain_pcre"},
	{"N", "nodegroup", "nodegroup", "nodegroup"},
	{"R", "range", "range", "range"},
	{"C", "compound", "compound", "compound"},
	{"I", "pillar", "pillar_target", "pillar"},
	{"J", "pillar-pcre", "pillar_pcre", "pillar_pcre"},
	{"S", "ipcidr", "ipcidr", "ipcidr"},
}

// listTarget splits a -L target as Salt does: on commas (spaces removed)
// when there is a comma, else on whitespace.
func listTarget(s string) []any {
	var parts []string
	if strings.Contains(s, ",") {
		parts = strings.Split(strings.ReplaceAll(s, " ", ""), ",")
	} else {
		parts = strings.Fields(s)
	}
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out
}

// InvocationError is a target the salt CLI refuses before publishing
// (Salt's SaltInvocationError: an unknown nodegroup).
type InvocationError struct{ Msg string }

func (e *InvocationError) Error() string { return e.Msg }

// resolveTarget turns nodegroup targets into compound ones with the
// master's nodegroups, as LocalClient does before publishing (minions do
// not know the nodegroups): "-N group" and N@group words of a compound
// target are expanded, and a compound target is sent as one string.
func resolveTarget(tgt any, tgtType string, opts *data.Map) (any, string, error) {
	ngv, _ := opts.Get("nodegroups")
	groups, _ := ngv.(*data.Map)
	confFile, ok := opts.String("conf_file")
	if !ok || confFile == "" {
		confFile = "the master config file"
	}
	resolve := func(name string) ([]string, error) {
		if !groups.Has(name) {
			return nil, &InvocationError{Msg: fmt.Sprintf("Node group %s unavailable in %s", name, confFile)}
		}
		return nodegroupComp(name, groups, map[string]bool{}, true), nil
	}
	if tgtType == "nodegroup" {
		name, _ := tgt.(string)
		words, err := resolve(name)
		if err != nil {
			return nil, "", err
		}
		tgt, tgtType = words, "compound"
	}
	if tgtType != "compound" {
		return tgt, tgtType, nil
	}
	var words []string
	switch t := tgt.(type) {
	case string:
		words = strings.Fields(t)
	case []string:
		words = t
	}
	var out []string
	for _, w := range words {
		if strings.HasPrefix(w, "N@") && len(w) > 2 {
			r, err := resolve(w[2:])
			if err != nil {
				return nil, "", err
			}
			out = append(out, r...)
			continue
		}
		out = append(out, w)
	}
	return strings.Join(out, " "), "compound", nil
}

var compoundOpers = map[string]bool{"and": true, "or": true, "not": true, "(": true, ")": true}

// nodegroupComp expands a nodegroup into compound words with Salt's rules
// (salt.utils.minions.nodegroup_comp): nested N@ groups are expanded in
// parentheses, and a plain list of names becomes L@a,b (E@... when a name
// holds regex characters). An illegal (recursive) or unknown nested group
// expands to nothing.
func nodegroupComp(name string, groups *data.Map, skip map[string]bool, first bool) []string {
	if skip[name] || !groups.Has(name) {
		return nil
	}
	v, _ := groups.Get(name)
	var words []string
	switch x := v.(type) {
	case string:
		words = strings.Fields(x)
	case []any:
		for _, w := range x {
			words = append(words, data.Str(w))
		}
	default:
		return nil
	}
	skip[name] = true
	var ret []string
	nested := false
	for _, w := range words {
		switch {
		case compoundOpers[w]:
			ret = append(ret, w)
		case len(w) >= 3 && strings.HasPrefix(w, "N@"):
			nested = true
			ret = append(ret, nodegroupComp(w[2:], groups, skip, false)...)
		default:
			ret = append(ret, w)
		}
	}
	if len(ret) > 0 {
		ret = append(append([]string{"("}, ret...), ")")
	}
	delete(skip, name)
	if nested || !first {
		if !first {
			if j := nodegroupRegex(words); j != "" {
				return []string{j}
			}
		}
		return ret
	}
	if j := nodegroupRegex(words); j != "" {
		return []string{j}
	}
	return words
}

var groupTypeRe = regexp.MustCompile(`^[A-Z]@`)

// nodegroupRegex turns a plain nodegroup definition (no operators, no
// target types, no globs) into L@names or E@expressions.
func nodegroupRegex(words []string) string {
	for _, w := range words {
		if compoundOpers[w] || strings.Contains(w, "*") || groupTypeRe.MatchString(w) {
			return ""
		}
	}
	for _, w := range words {
		if strings.ContainsAny(w, "([{\\?}])") {
			return "E@" + strings.Join(words, ",")
		}
	}
	return "L@" + strings.Join(words, ",")
}
