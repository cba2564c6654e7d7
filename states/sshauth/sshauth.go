// Package sshauth is Salt's ssh_auth state module
// (salt/states/ssh_auth.py): present and absent keys in users'
// authorized_keys files, given as a key or as a salt:// file of keys, and
// manage (only the given keys), through the ssh execution module.
package sshauth

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	sshmod "github.com/saltgo/saltgo/modules/ssh"
	"github.com/saltgo/saltgo/state"
)

func init() {
	params := func(extra ...host.Param) []host.Param {
		return append([]host.Param{host.Req("name"), host.Req("user"), host.Opt("enc", "ssh-rsa"), host.Opt("comment", ""),
			host.Opt("source", ""), host.Opt("options", nil), host.Opt("config", ".ssh/authorized_keys"),
			host.Opt("fingerprint_hash_type", nil)}, extra...)
	}
	host.Register(&host.Module{Kind: host.State, Name: "ssh_auth", Doc: "Control of entries in SSH authorized_key files", Funcs: []*host.Func{
		{Name: "present", Params: params(), VarKwargs: true, Fn: present, Doc: "Verifies that the specified SSH key is present for the specified user"},
		{Name: "absent", Params: params(), Fn: absent, Doc: "Verifies that the specified SSH key is absent"},
		{Name: "manage", Params: append([]host.Param{host.Req("name"), host.Req("ssh_keys")}, params()[1:]...), VarKwargs: true, Fn: manage,
			Doc: "Ensures that only the specified ssh_keys are present for the specified user"},
	}})
}

var sshRe = regexp.MustCompile(`^(.*?)\s?((?:sk-)?(?:ssh\-|ecds)[\w@.-]+\s.+)$`)

// args are the state's arguments after Salt's parsing of the name.
type args struct {
	name, user, enc, comment, source, config string
	options                                  []string
	hashType                                 any
	saltenv                                  string
}

func argsOf(c *host.Call) *args {
	a := &args{name: c.Str("name"), user: data.Str(c.Get("user")), enc: data.Str(c.Get("enc")), source: data.Str(c.Get("source")),
		config: data.Str(c.Get("config")), hashType: c.Get("fingerprint_hash_type"), saltenv: "base"}
	if v := c.Get("comment"); v != nil {
		a.comment = data.Str(v)
	}
	if c.Get("source") == nil {
		a.source = ""
	}
	a.options = data.Strings(c.Get("options"))
	if ch := state.Of(c); ch != nil && ch.Saltenv != "" {
		a.saltenv = ch.Saltenv
	}
	return a
}

// split is Salt's parsing of name: "[options] enc key [comment]" or
// "key [comment]". keepSpaces says whether the comment keeps its spaces
// (split(None, 1) / split(None, 2), as present does) or only a
// three-word key line sets it (absent and the test checks).
func (a *args) split(keepSpaces bool) {
	m := sshRe.FindStringSubmatch(a.name)
	if m == nil {
		var kc []string
		if keepSpaces {
			kc = splitN(a.name, 2)
		} else {
			kc = strings.Fields(a.name)
		}
		if len(kc) == 0 {
			return
		}
		a.name = kc[0]
		if len(kc) == 2 {
			a.comment = kc[1]
		}
		return
	}
	if m[1] != "" {
		a.options = strings.Split(m[1], ",")
	}
	var comps []string
	if keepSpaces {
		comps = splitN(m[2], 3)
	} else {
		comps = strings.Fields(m[2])
	}
	a.enc, a.name = comps[0], comps[1]
	if len(comps) == 3 {
		a.comment = comps[2]
	}
}

// splitN is Python's str.split(None, n-1).
func splitN(s string, n int) []string {
	var out []string
	s = strings.TrimLeft(s, " \t\r\n\v\f")
	for s != "" {
		if len(out) == n-1 {
			out = append(out, strings.TrimRight(s, " \t\r\n\v\f"))
			break
		}
		i := strings.IndexAny(s, " \t\r\n\v\f")
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i])
		s = strings.TrimLeft(s[i:], " \t\r\n\v\f")
	}
	return out
}

// test is Salt's _present_test (present) and _absent_test.
func test(ctx context.Context, c *host.Call, a *args, present bool) (any, string, error) {
	if a.source != "" {
		keys, errText, err := sshmod.CheckKeyFile(ctx, sshmod.CacheFile(c.Env), a.user, a.source, a.config, a.saltenv, a.hashType)
		if err != nil {
			return nil, "", err
		}
		var b strings.Builder
		keys.Range(func(k, v any) bool {
			st := data.Str(v)
			if present && st != "exists" {
				fmt.Fprintf(&b, "Set to %s: %s\n", st, data.Str(k))
			}
			if !present && st != "add" {
				fmt.Fprintf(&b, "Set to remove: %s\n", data.Str(k))
			}
			return true
		})
		if b.Len() > 0 {
			return nil, b.String(), nil
		}
		if errText != "" {
			return false, errText, nil
		}
		if present {
			return true, fmt.Sprintf("All host keys in file %s are already present", a.source), nil
		}
		return true, fmt.Sprintf("All host keys in file %s are already absent", a.source), nil
	}
	a.split(false)
	st, err := sshmod.CheckKey(a.user, a.name, a.enc, a.comment, a.options, a.config, a.hashType)
	if err != nil {
		return nil, "", err
	}
	if present {
		switch st {
		case "update":
			return nil, fmt.Sprintf("Key %s for user %s is set to be updated", a.name, a.user), nil
		case "add":
			return nil, fmt.Sprintf("Key %s for user %s is set to be added", a.name, a.user), nil
		}
		return true, fmt.Sprintf("The authorized host key %s is already present for user %s", a.name, a.user), nil
	}
	if st == "update" || st == "exists" {
		return nil, fmt.Sprintf("Key %s for user %s is set for removal", a.name, a.user), nil
	}
	return true, "Key is already absent", nil
}

// sourceExists is cp.get_url(source, None, saltenv=...) being truthy.
func sourceExists(ctx context.Context, c *host.Call, a *args) (bool, error) {
	r := host.Run(ctx, c.Env, host.Request{Kind: host.Exec, Fun: "cp.get_url",
		Args: []any{a.source, nil, data.M("saltenv", a.saltenv, "__kwarg__", true)}})
	if r.Err != nil {
		return false, fmt.Errorf("cp.get_url %s: %w", a.source, r.Err)
	}
	return data.Truthy(r.Return), nil
}

func present(ctx context.Context, c *host.Call) (any, error) {
	a := argsOf(c)
	ret := data.M("name", a.name, "changes", data.NewMap(), "result", true, "comment", "")
	if a.source == "" {
		a.split(true)
	}
	if state.IsTest(c) {
		res, comment, err := test(ctx, c, a, true)
		if err != nil {
			return nil, err
		}
		ret.Set("result", res)
		ret.Set("comment", comment)
		return ret, nil
	}
	var out, errText string
	if a.source != "" {
		ok, err := sourceExists(ctx, c, a)
		if err != nil {
			return nil, err
		}
		if !ok {
			out = "no key"
		} else {
			out, errText, err = sshmod.SetAuthKeyFromFile(ctx, sshmod.CacheFile(c.Env), a.user, a.source, a.config, a.saltenv, a.options, a.hashType)
			if err != nil {
				return nil, err
			}
		}
	} else {
		var err error
		out, err = sshmod.SetAuthKey(a.user, a.name, a.enc, a.comment, a.options, a.config, a.hashType)
		if err != nil {
			return nil, err
		}
	}
	changes := data.NewMap()
	ret.Set("changes", changes)
	switch out {
	case "replace":
		changes.Set(a.name, "Updated")
		ret.Set("comment", fmt.Sprintf("The authorized host key %s for user %s was updated", a.name, a.user))
	case "no change":
		ret.Set("comment", fmt.Sprintf("The authorized host key %s is already present for user %s", a.name, a.user))
	case "new":
		changes.Set(a.name, "New")
		ret.Set("comment", fmt.Sprintf("The authorized host key %s for user %s was added", a.name, a.user))
	case "no key":
		ret.Set("result", false)
		ret.Set("comment", fmt.Sprintf("Failed to add the ssh key. Source file %s is missing", a.source))
	case "fail":
		ret.Set("result", false)
		if errText != "" {
			ret.Set("comment", errText)
		} else {
			ret.Set("comment", "Failed to add the ssh key. Is the home directory available, and/or does the key file exist?")
		}
	case "invalid", "Invalid public key":
		ret.Set("result", false)
		ret.Set("comment", "Invalid public ssh key, most likely has spaces or invalid syntax")
	}
	return ret, nil
}

func absent(ctx context.Context, c *host.Call) (any, error) {
	a := argsOf(c)
	ret := data.M("name", a.name, "changes", data.NewMap(), "result", true, "comment", "")
	if state.IsTest(c) {
		res, comment, err := test(ctx, c, a, false)
		if err != nil {
			return nil, err
		}
		ret.Set("result", res)
		ret.Set("comment", comment)
		return ret, nil
	}
	comment := ""
	if a.source != "" {
		ok, err := sourceExists(ctx, c, a)
		if err != nil {
			return nil, err
		}
		if ok {
			comment, _, err = sshmod.RmAuthKeyFromFile(ctx, sshmod.CacheFile(c.Env), a.user, a.source, a.config, a.saltenv, a.hashType)
			if err != nil {
				return nil, err
			}
		}
	} else {
		a.split(false)
		var err error
		comment, err = sshmod.RmAuthKey(a.user, a.name, a.config, a.hashType)
		if err != nil {
			return nil, err
		}
	}
	ret.Set("comment", comment)
	switch comment {
	case "User authorized keys file not present":
		ret.Set("result", false)
	case "Key removed":
		ret.Set("changes", data.M(a.name, "Removed"))
	}
	return ret, nil
}

// call runs this module's state function fun with the keyword arguments
// kw in c's environment (the same chunk), as Salt's manage calls present
// and absent.
func call(ctx context.Context, c *host.Call, fun string, kw *data.Map) (*data.Map, error) {
	f, _, err := host.Lookup(host.State, fun)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fun, err)
	}
	sub, err := host.Bind(f, nil, kw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fun, err)
	}
	sub.Env, sub.Fun = c.Env, fun
	out, err := host.Invoke(ctx, sub)
	if err != nil {
		return nil, err
	}
	m, ok := out.(*data.Map)
	if !ok {
		return nil, fmt.Errorf("%s returned %T", fun, out)
	}
	return m, nil
}

// manage is Salt's ssh_auth.manage: keys of the file not among ssh_keys
// removed, each of ssh_keys made present.
func manage(ctx context.Context, c *host.Call) (any, error) {
	a := argsOf(c)
	keys := data.Strings(c.Get("ssh_keys"))
	ret := data.M("name", "", "changes", data.NewMap(), "result", true, "comment", "")
	changes := data.NewMap()
	ret.Set("changes", changes)
	var potential []string
	for _, k := range keys {
		potential = append(potential, strings.Split(k, " ")...)
	}
	existing, err := sshmod.AuthKeys(a.user, a.config, a.hashType)
	if err != nil {
		return nil, err
	}
	common := func(name string) *data.Map {
		return data.M("name", name, "user", a.user, "enc", c.Get("enc"), "comment", c.Get("comment"), "source", c.Get("source"),
			"options", c.Get("options"), "config", c.Get("config"), "fingerprint_hash_type", a.hashType)
	}
	for _, k := range existing.Order {
		if slices.Contains(potential, k) {
			continue
		}
		if state.IsTest(c) {
			ret.Set("comment", k+" Key set for removal")
			ret.Set("result", nil)
			continue
		}
		r, err := call(ctx, c, "ssh_auth.absent", common(k))
		if err != nil {
			return nil, err
		}
		cm, _ := r.Get("comment")
		changes.Set(k, cm)
	}
	for _, k := range keys {
		r, err := call(ctx, c, "ssh_auth.present", common(k))
		if err != nil {
			return nil, err
		}
		rc, _ := r.Get("changes")
		if m, ok := rc.(*data.Map); ok && m.Len() > 0 {
			m.Range(func(k, v any) bool {
				changes.Set(k, v)
				return true
			})
		} else {
			cm, _ := r.Get("comment")
			cur, _ := ret.Get("comment")
			ret.Set("comment", strings.TrimSpace(data.Str(cur)+"\n"+data.Str(cm)))
		}
		res, _ := r.Get("result")
		if res == nil {
			ret.Set("result", nil)
		} else if !data.Truthy(res) {
			ret.Set("result", false)
		}
	}
	return ret, nil
}
