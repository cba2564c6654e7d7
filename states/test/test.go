// Package test is Salt's test state module (salt/states/test.py): states
// that succeed, fail or pretend to change on demand, for trying out state
// trees and requisites.
package test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/state"
)

func init() {
	host.Register(&host.Module{Kind: host.State, Name: "test", Doc: "Test states.", Funcs: []*host.Func{
		simple("nop", "A no-op state that does nothing.", succeedWithout),
		simple("succeed_without_changes", "Returns successful.", succeedWithout),
		simple("fail_without_changes", "Returns failure.", failWithout),
		simple("succeed_with_changes", "Returns successful and changes is not empty.", succeedWith),
		simple("fail_with_changes", "Returns failure and changes is not empty.", failWith),
		{Name: "configurable_test_state", Doc: "A configurable test state which allows for more control over the return data.",
			Params: []host.Param{host.Req("name"), host.Opt("changes", true), host.Opt("result", true), host.Opt("comment", ""), host.Opt("warnings", nil), host.Opt("allow_test_mode_failure", false)},
			Fn:     configurable},
		{Name: "show_notification", Doc: "Simple notification using text argument.", Params: []host.Param{host.Req("name"), host.Opt("text", nil)}, VarKwargs: true, Fn: showNotification},
		{Name: "mod_watch", Doc: "Call this function via a watch statement.", Params: []host.Param{host.Req("name"), host.Opt("sfun", nil)}, VarKwargs: true, Fn: modWatch},
		{Name: "check_pillar", Doc: "Checks the presence and, optionally, the type of given keys in Pillar.",
			Params: []host.Param{host.Req("name"), host.Opt("present", nil), host.Opt("boolean", nil), host.Opt("integer", nil), host.Opt("string", nil), host.Opt("listing", nil), host.Opt("dictionary", nil), host.Opt("verbose", false)},
			Fn:     checkPillar},
	}})
}

func simple(name, doc string, fn func(c *host.Call, test bool) *data.Map) *host.Func {
	return &host.Func{Name: name, Doc: doc, Params: []host.Param{host.Req("name")}, VarKwargs: true,
		Fn: func(_ context.Context, c *host.Call) (any, error) { return fn(c, state.IsTest(c)), nil }}
}

func comment(c *host.Call, def string) any {
	if v, ok := c.Kwargs().Get("comment"); ok {
		return v
	}
	return def
}

func changed() *data.Map {
	return data.M("testing", data.M("old", "Unchanged", "new", "Something pretended to change"))
}

func succeedWithout(c *host.Call, _ bool) *data.Map {
	return data.M("name", c.Get("name"), "changes", data.NewMap(), "result", true, "comment", comment(c, "Success!"))
}

func failWithout(c *host.Call, test bool) *data.Map {
	ret := data.M("name", c.Get("name"), "changes", data.NewMap(), "result", false, "comment", comment(c, "Failure!"))
	if test {
		ret.Set("comment", "If we weren't testing, this would be a failure!")
	}
	return ret
}

func succeedWith(c *host.Call, test bool) *data.Map {
	ret := data.M("name", c.Get("name"), "changes", changed(), "result", true, "comment", comment(c, "Success!"))
	if test {
		ret.Set("result", nil)
		ret.Set("comment", "If we weren't testing, this would be successful with changes")
	}
	return ret
}

func failWith(c *host.Call, test bool) *data.Map {
	ret := data.M("name", c.Get("name"), "changes", changed(), "result", false, "comment", comment(c, "Failure!"))
	if test {
		ret.Set("result", nil)
		ret.Set("comment", "If we weren't testing, this would be failed with changes")
	}
	return ret
}

func configurable(_ context.Context, c *host.Call) (any, error) {
	ret := data.M("name", c.Get("name"), "changes", data.NewMap(), "result", false, "comment", c.Get("comment"))
	changes := c.Get("changes")
	switch {
	case changes == true:
		ret.Set("changes", changed())
	case changes == false:
	case strings.ToLower(data.Str(changes)) == "random":
		if rand.IntN(2) == 0 {
			ret.Set("changes", changed())
		}
	default:
		return nil, host.Invalidf("You have specified the state option 'changes' with invalid arguments. It must be either True, False, or 'Random'")
	}
	result := c.Get("result")
	if b, ok := result.(bool); ok {
		ret.Set("result", b)
	} else if strings.ToLower(data.Str(result)) == "random" {
		ret.Set("result", rand.IntN(2) == 0)
	} else {
		return nil, host.Invalidf("You have specified the state option 'result' with invalid arguments. It must be either True, False, or 'Random'")
	}
	switch w := c.Get("warnings").(type) {
	case nil:
	case string:
		ret.Set("warnings", []any{w})
	case []any:
		ret.Set("warnings", w)
	default:
		return nil, host.Invalidf("You have specified the state option 'warnings' with invalid arguments. It must be a string or a list of strings")
	}
	if state.IsTest(c) {
		var tr any
		if c.Bool("allow_test_mode_failure") && result == false {
			tr = false
		} else if changes == false {
			tr = true
		}
		ret.Set("result", tr)
		if !data.Truthy(c.Get("comment")) {
			ret.Set("comment", "This is a test")
		}
	}
	return ret, nil
}

func showNotification(_ context.Context, c *host.Call) (any, error) {
	if !data.Truthy(c.Get("text")) {
		return nil, host.Invalidf("Missing required argument text.")
	}
	return data.M("name", c.Get("name"), "changes", data.NewMap(), "result", true, "comment", c.Get("text")), nil
}

func modWatch(_ context.Context, c *host.Call) (any, error) {
	hasChanges := []any{}
	if ch := state.Of(c); ch != nil && ch.Low != nil {
		if reqs, ok := ch.Low.Get("__reqs__"); ok {
			if rm, ok := reqs.(*data.Map); ok {
				watch, _ := rm.Get("watch")
				l, _ := watch.([]any)
				for _, req := range l {
					rq, ok := req.(*data.Map)
					if !ok {
						continue
					}
					if ch.Running != nil {
						if rv, ok := ch.Running.Get(state.Tag(rq)); ok {
							if r, ok := rv.(*data.Map); ok {
								if chg, _ := r.Get("changes"); data.Truthy(chg) {
									st, _ := rq.Get("state")
									id, _ := rq.Get("__id__")
									hasChanges = append(hasChanges, fmt.Sprintf("%s: %s", data.Str(st), data.Str(id)))
								}
							}
						}
					}
				}
			}
		}
	}
	kw := c.Kwargs()
	get := func(k string, def any) any {
		if v, ok := kw.Get(k); ok {
			return v
		}
		return def
	}
	return data.M("name", c.Get("name"), "result", get("result", true), "comment", get("comment", "Watch statement fired."),
		"changes", get("changes", data.M("Requisites with changes", hasChanges))), nil
}

func checkPillar(_ context.Context, c *host.Call) (any, error) {
	kinds := []struct{ arg, label string }{{"present", ""}, {"boolean", "<class 'bool'>"}, {"integer", "<class 'int'>"}, {"string", "(<class 'str'>,)"}, {"listing", "<class 'list'>"}, {"dictionary", "<class 'dict'>"}}
	any_ := false
	for _, k := range kinds {
		if data.Truthy(c.Get(k.arg)) {
			any_ = true
		}
	}
	if !any_ {
		return nil, host.Invalidf("Missing required argument text.")
	}
	ret := data.M("name", c.Get("name"), "changes", data.NewMap(), "result", true, "comment", "")
	pillar := c.Env.Pillar
	type fail struct{ key, label string }
	var failed []fail
	var fine []fail
	for _, k := range kinds {
		var keys []any
		switch v := c.Get(k.arg).(type) {
		case nil:
		case string:
			keys = []any{v}
		case []any:
			keys = v
		default:
			if data.Truthy(v) {
				return nil, fmt.Errorf("test.check_pillar: %s must be a string or a list", k.arg)
			}
		}
		for _, key := range keys {
			v, ok := data.Traverse(pillar, data.Str(key), ":")
			if !ok || v == nil {
				failed = append(failed, fail{data.Str(key), ""})
				ret.Set("result", false)
				continue
			}
			good := true
			switch k.arg {
			case "boolean":
				_, good = v.(bool)
			case "integer":
				switch v.(type) {
				case int64, uint64, bool:
				default:
					good = false
				}
			case "string":
				_, good = v.(string)
			case "listing":
				_, good = v.([]any)
			case "dictionary":
				_, good = v.(*data.Map)
			}
			if !good {
				failed = append(failed, fail{data.Str(key), k.label})
				ret.Set("result", false)
			} else if c.Bool("verbose") {
				fine = append(fine, fail{data.Str(key), k.label})
			}
		}
	}
	cm := ""
	for _, f := range failed {
		if f.label == "" {
			cm += fmt.Sprintf("Pillar key \"%s\" is missing.\n", f.key)
		} else {
			cm += fmt.Sprintf("Pillar key \"%s\" is not %s.\n", f.key, f.label)
		}
	}
	if c.Bool("verbose") && len(fine) > 0 {
		cm += "Those keys passed the check:\n"
		for _, f := range fine {
			label := f.label
			if label == "" {
				label = "None"
			}
			cm += fmt.Sprintf("- %s (%s)\n", f.key, label)
		}
	}
	ret.Set("comment", cm)
	return ret, nil
}
