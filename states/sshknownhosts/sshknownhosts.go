// Package sshknownhosts is Salt's ssh_known_hosts state module
// (salt/states/ssh_known_hosts.py): present and absent host keys in a
// user's or the system's known_hosts file, through the ssh execution
// module (ssh-keygen; ssh-keyscan when only a fingerprint is given).
package sshknownhosts

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	sshmod "github.com/saltgo/saltgo/modules/ssh"
	"github.com/saltgo/saltgo/state"
)

func init() {
	host.Register(&host.Module{Kind: host.State, Name: "ssh_known_hosts", Doc: "Control of SSH known_hosts entries", Funcs: []*host.Func{
		{Name: "present", Params: []host.Param{host.Req("name"), host.Opt("user", nil), host.Opt("fingerprint", nil), host.Opt("key", nil),
			host.Opt("port", nil), host.Opt("enc", nil), host.Opt("config", nil), host.Opt("hash_known_hosts", true), host.Opt("timeout", 5),
			host.Opt("fingerprint_hash_type", nil)}, Fn: present, Doc: "Verifies that the specified host is known by the specified user"},
		{Name: "absent", Params: []host.Param{host.Req("name"), host.Opt("user", nil), host.Opt("config", nil)}, Fn: absent,
			Doc: "Verifies that the specified host is not known by the given user"},
	}})
}

func optStr(v any) string {
	if v == nil {
		return ""
	}
	return data.Str(v)
}

// configOf is the state's config: given, else the user's
// .ssh/known_hosts or /etc/ssh/ssh_known_hosts.
func configOf(c *host.Call, user string) string {
	if cfg := c.Get("config"); data.Truthy(cfg) {
		return data.Str(cfg)
	}
	if user == "" {
		return "/etc/ssh/ssh_known_hosts"
	}
	return ".ssh/known_hosts"
}

func present(ctx context.Context, c *host.Call) (any, error) {
	name := c.Str("name")
	user := ""
	if data.Truthy(c.Get("user")) {
		user = data.Str(c.Get("user"))
	}
	test := state.IsTest(c)
	ret := data.M("name", name, "changes", data.NewMap(), "result", true, "comment", "")
	if test {
		ret.Set("result", nil)
	}
	config := configOf(c, user)
	fail := func(msg string) (any, error) {
		ret.Set("result", false)
		ret.Set("comment", msg)
		return ret, nil
	}
	if user == "" && !filepath.IsAbs(config) {
		return fail(`If not specifying a "user", specify an absolute "config".`)
	}
	key, fp, enc := c.Get("key"), c.Get("fingerprint"), c.Get("enc")
	if test {
		if data.Truthy(key) && data.Truthy(fp) {
			return fail(`Specify either "key" or "fingerprint", not both.`)
		}
		if data.Truthy(key) && !data.Truthy(enc) {
			return fail(`Required argument "enc" if using "key" argument.`)
		}
		r, err := sshmod.CheckKnownHost(ctx, user, name, key, fp, config, c.Get("port"), c.Get("fingerprint_hash_type"))
		if err != nil {
			return nil, err
		}
		if m, ok := r.(*data.Map); ok {
			e, _ := m.Get("error")
			return fail(data.Str(e))
		}
		switch r {
		case "exists":
			ret.Set("result", true)
			ret.Set("comment", fmt.Sprintf("Host %s is already in %s", name, config))
		case "add":
			ret.Set("comment", fmt.Sprintf("Key for %s is set to be added to %s", name, config))
		default:
			ret.Set("comment", fmt.Sprintf("Key for %s is set to be updated in %s", name, config))
		}
		return ret, nil
	}
	r, err := sshmod.SetKnownHost(ctx, sshmod.KnownHost{User: user, Hostname: name, Fingerprint: fp, Key: key, Port: c.Get("port"),
		Enc: enc, Config: config, HashKnownHosts: c.Bool("hash_known_hosts"), Timeout: c.Get("timeout"),
		FingerprintHashType: c.Get("fingerprint_hash_type")})
	if err != nil {
		return nil, err
	}
	status, _ := r.String("status")
	switch status {
	case "exists":
		ret.Set("comment", fmt.Sprintf("%s already exists in %s", name, config))
		return ret, nil
	case "error":
		e, _ := r.Get("error")
		return fail(data.Str(e))
	}
	old, _ := r.Get("old")
	nv, _ := r.Get("new")
	ret.Set("changes", data.M("old", old, "new", nv))
	first := func(field string) string {
		l, _ := nv.([]any)
		if len(l) == 0 {
			return ""
		}
		m, _ := l[0].(*data.Map)
		if m == nil {
			return ""
		}
		v, _ := m.Get(field)
		return optStr(v)
	}
	switch {
	case data.Truthy(key):
		ret.Set("comment", fmt.Sprintf("%s's key saved to %s (key: %s)", name, config, first("key")))
	case data.Truthy(fp):
		ret.Set("comment", fmt.Sprintf("%s's key saved to %s (fingerprint: %s)", name, config, first("fingerprint")))
	case data.Truthy(enc):
		ret.Set("comment", fmt.Sprintf("%s's %s key saved to %s (key: %s)", name, data.Str(enc), config, first("key")))
	default:
		ret.Set("comment", fmt.Sprintf("%s's key(s) saved to %s", name, config))
	}
	return ret, nil
}

func absent(ctx context.Context, c *host.Call) (any, error) {
	name := c.Str("name")
	user := ""
	if data.Truthy(c.Get("user")) {
		user = data.Str(c.Get("user"))
	}
	ret := data.M("name", name, "changes", data.NewMap(), "result", true, "comment", "")
	config := configOf(c, user)
	if user == "" && !filepath.IsAbs(config) {
		ret.Set("result", false)
		ret.Set("comment", `If not specifying a "user", specify an absolute "config".`)
		return ret, nil
	}
	known, err := sshmod.KnownHostEntries(ctx, user, name, config, nil, nil)
	if err != nil {
		return nil, err
	}
	if !data.Truthy(known) {
		ret.Set("comment", "Host is already absent")
		return ret, nil
	}
	if state.IsTest(c) {
		ret.Set("result", nil)
		ret.Set("comment", fmt.Sprintf("Key for %s is set to be removed from %s", name, config))
		return ret, nil
	}
	r, err := sshmod.RmKnownHost(ctx, user, name, config, nil)
	if err != nil {
		return nil, err
	}
	if s, _ := r.String("status"); s == "error" {
		e, _ := r.Get("error")
		ret.Set("result", false)
		ret.Set("comment", data.Str(e))
		return ret, nil
	}
	cm, _ := r.Get("comment")
	ret.Set("changes", data.M("old", known, "new", nil))
	ret.Set("comment", cm)
	return ret, nil
}
