// Package cron is Salt's cron state module (salt/states/cron.py):
// present, absent, env_present, env_absent and file through the cron
// execution module (the real crontab command).
package cron

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	cronmod "github.com/saltgo/saltgo/modules/cron"
	filemod "github.com/saltgo/saltgo/modules/file"
	usermod "github.com/saltgo/saltgo/modules/user"
	"github.com/saltgo/saltgo/state"
	statefile "github.com/saltgo/saltgo/states/file"
)

func init() {
	user := host.Opt("user", "root")
	host.Register(&host.Module{Kind: host.State, Name: "cron", Doc: "Management of cron, the Unix command scheduler", Funcs: []*host.Func{
		{Name: "present", Params: []host.Param{host.Req("name"), user, host.Opt("minute", "*"), host.Opt("hour", "*"),
			host.Opt("daymonth", "*"), host.Opt("month", "*"), host.Opt("dayweek", "*"), host.Opt("comment", nil),
			host.Opt("commented", false), host.Opt("identifier", false), host.Opt("special", nil)},
			Fn: present, Doc: "Verifies that the specified cron job is present for the specified user."},
		{Name: "absent", Params: []host.Param{host.Req("name"), user, host.Opt("identifier", false), host.Opt("special", nil)},
			VarKwargs: true, Fn: absent, Doc: "Verifies that the specified cron job is absent for the specified user."},
		{Name: "env_present", Params: []host.Param{host.Req("name"), host.Opt("value", nil), user}, Fn: envPresent,
			Doc: "Verifies that the specified environment variable is present in the crontab for the specified user."},
		{Name: "file", Params: []host.Param{host.Req("name"), host.Opt("source_hash", ""), host.Opt("source_hash_name", nil), user,
			host.Opt("template", nil), host.Opt("context", nil), host.Opt("replace", true), host.Opt("defaults", nil), host.Opt("backup", "")},
			VarKwargs: true, Fn: file, Doc: "Provides file.managed-like functionality (templating, etc.) for a pre-made crontab file, to be assigned to a given user."},
		{Name: "env_absent", Params: []host.Param{host.Req("name"), user}, Fn: envAbsent,
			Doc: "Verifies that the specified environment variable is absent from the crontab for the specified user"},
	}})
}

func ret(name string) *data.Map {
	return data.M("name", name, "changes", data.NewMap(), "result", true, "comment", "")
}

func lowerOpt(v any) any {
	if v == nil {
		return nil
	}
	return strings.ToLower(data.Str(v))
}

// check is Salt's _check_cron: "absent", "present" or "update".
func check(ctx context.Context, user, cmd string, s cronmod.Spec, when []any, special any) (string, error) {
	t, err := cronmod.List(ctx, user)
	if err != nil {
		return "", err
	}
	var commented any
	if s.Commented != nil {
		commented = s.Commented == true
	}
	if special == nil {
		for _, j := range t.Crons {
			if !cronmod.Matched(j, cmd, s.Identifier) {
				continue
			}
			for _, p := range [][2]any{{j.Minute, when[0]}, {j.Hour, when[1]}, {j.Daymonth, when[2]}, {j.Month, when[3]},
				{j.Dayweek, when[4]}, {j.Identifier, s.Identifier}, {j.Cmd, cmd}, {j.Comment, s.Comment}, {j.Commented, commented}} {
				if cronmod.NeedsChange(p[0], p[1]) {
					return "update", nil
				}
			}
			return "present", nil
		}
		return "absent", nil
	}
	for _, j := range t.Special {
		if !cronmod.Matched(j, cmd, s.Identifier) {
			continue
		}
		for _, p := range [][2]any{{j.Spec, special}, {j.Identifier, s.Identifier}, {j.Cmd, cmd}, {j.Comment, s.Comment}, {j.Commented, commented}} {
			if cronmod.NeedsChange(p[0], p[1]) {
				return "update", nil
			}
		}
		return "present", nil
	}
	return "absent", nil
}

// identifierArg is the identifier argument as Salt's state passes it on:
// the name when not given (False), else the value as given.
func identifierArg(c *host.Call, name string) any {
	id := c.Get("identifier")
	if b, ok := id.(bool); ok && !b {
		return name
	}
	return id
}

func present(ctx context.Context, c *host.Call) (any, error) {
	name := strings.TrimSpace(c.Str("name"))
	user := data.Str(c.Get("user"))
	id := identifierArg(c, name)
	r := ret(name)
	special := c.Get("special")
	if state.IsTest(c) {
		when := []any{lowerOpt(c.Get("minute")), lowerOpt(c.Get("hour")), lowerOpt(c.Get("daymonth")), lowerOpt(c.Get("month")), lowerOpt(c.Get("dayweek"))}
		var sp any
		if special != nil {
			sp = data.Str(special)
		}
		st, err := check(ctx, user, name, cronmod.Spec{Comment: c.Get("comment"), Commented: c.Get("commented"), Identifier: strOpt(id)}, when, sp)
		if err != nil {
			return nil, err
		}
		r.Set("result", nil)
		switch st {
		case "absent":
			r.Set("comment", fmt.Sprintf("Cron %s is set to be added", name))
		case "present":
			r.Set("result", true)
			r.Set("comment", fmt.Sprintf("Cron %s already present", name))
		case "update":
			r.Set("comment", fmt.Sprintf("Cron %s is set to be updated", name))
		}
		return r, nil
	}
	s := cronmod.Spec{Cmd: name, Comment: c.Get("comment"), Commented: c.Get("commented"), Identifier: id}
	if special == nil {
		s.Minute, s.Hour, s.Daymonth = data.Str(c.Get("minute")), data.Str(c.Get("hour")), data.Str(c.Get("daymonth"))
		s.Month, s.Dayweek = data.Str(c.Get("month")), data.Str(c.Get("dayweek"))
	} else {
		s.Special = data.Str(special)
	}
	out, err := cronmod.Set(ctx, user, s)
	if err != nil {
		return nil, err
	}
	switch out {
	case "present":
		r.Set("comment", fmt.Sprintf("Cron %s already present", name))
	case "new":
		r.Set("comment", fmt.Sprintf("Cron %s added to %s's crontab", name, user))
		r.Set("changes", data.M(user, name))
	case "updated":
		r.Set("comment", fmt.Sprintf("Cron %s updated", name))
		r.Set("changes", data.M(user, name))
	default:
		r.Set("comment", fmt.Sprintf("Cron %s for user %s failed to commit with error \n%s", name, user, out))
		r.Set("result", false)
	}
	return r, nil
}

func absent(ctx context.Context, c *host.Call) (any, error) {
	name := strings.TrimSpace(c.Str("name"))
	user := data.Str(c.Get("user"))
	id := identifierArg(c, name)
	r := data.M("name", name, "result", true, "changes", data.NewMap(), "comment", "")
	if state.IsTest(c) {
		st, err := check(ctx, user, name, cronmod.Spec{Identifier: strOpt(id)}, make([]any, 5), nil)
		if err != nil {
			return nil, err
		}
		r.Set("result", nil)
		if st == "absent" {
			r.Set("result", true)
			r.Set("comment", fmt.Sprintf("Cron %s is absent", name))
		} else {
			r.Set("comment", fmt.Sprintf("Cron %s is set to be removed", name))
		}
		return r, nil
	}
	var out string
	var err error
	if special := c.Get("special"); special == nil {
		out, err = cronmod.RmJob(ctx, user, name, nil, id)
	} else {
		out, err = cronmod.RmSpecial(ctx, user, name, special, id)
	}
	if err != nil {
		return nil, err
	}
	switch out {
	case "absent":
		r.Set("comment", fmt.Sprintf("Cron %s already absent", name))
	case "removed":
		r.Set("comment", fmt.Sprintf("Cron %s removed from %s's crontab", name, user))
		r.Set("changes", data.M(user, name))
	default:
		r.Set("comment", fmt.Sprintf("Cron %s for user %s failed to commit with error %s", name, user, out))
		r.Set("result", false)
	}
	return r, nil
}

// checkEnv is Salt's _check_cron_env.
func checkEnv(ctx context.Context, user, name string, value any) (string, error) {
	if value == nil {
		value = ""
	}
	t, err := cronmod.List(ctx, user)
	if err != nil {
		return "", err
	}
	for _, e := range t.Env {
		if e.Name == name {
			if !data.Equal(value, e.Value) {
				return "update", nil
			}
			return "present", nil
		}
	}
	return "absent", nil
}

func envPresent(ctx context.Context, c *host.Call) (any, error) {
	name, user, value := c.Str("name"), data.Str(c.Get("user")), c.Get("value")
	r := ret(name)
	if state.IsTest(c) {
		st, err := checkEnv(ctx, user, name, value)
		if err != nil {
			return nil, err
		}
		r.Set("result", nil)
		switch st {
		case "absent":
			r.Set("comment", fmt.Sprintf("Cron env %s is set to be added", name))
		case "present":
			r.Set("result", true)
			r.Set("comment", fmt.Sprintf("Cron env %s already present", name))
		case "update":
			r.Set("comment", fmt.Sprintf("Cron env %s is set to be updated", name))
		}
		return r, nil
	}
	out, err := cronmod.SetEnv(ctx, user, name, value)
	if err != nil {
		return nil, err
	}
	switch out {
	case "present":
		r.Set("comment", fmt.Sprintf("Cron env %s already present", name))
	case "new":
		r.Set("comment", fmt.Sprintf("Cron env %s added to %s's crontab", name, user))
		r.Set("changes", data.M(user, name))
	case "updated":
		r.Set("comment", fmt.Sprintf("Cron env %s updated", name))
		r.Set("changes", data.M(user, name))
	default:
		r.Set("comment", fmt.Sprintf("Cron env %s for user %s failed to commit with error \n%s", name, user, out))
		r.Set("result", false)
	}
	return r, nil
}

func envAbsent(ctx context.Context, c *host.Call) (any, error) {
	name, user := strings.TrimSpace(c.Str("name")), data.Str(c.Get("user"))
	r := data.M("name", name, "result", true, "changes", data.NewMap(), "comment", "")
	if state.IsTest(c) {
		st, err := checkEnv(ctx, user, name, nil)
		if err != nil {
			return nil, err
		}
		r.Set("result", nil)
		if st == "absent" {
			r.Set("result", true)
			r.Set("comment", fmt.Sprintf("Cron env %s is absent", name))
		} else {
			r.Set("comment", fmt.Sprintf("Cron env %s is set to be removed", name))
		}
		return r, nil
	}
	out, err := cronmod.RmEnv(ctx, user, name)
	if err != nil {
		return nil, err
	}
	switch out {
	case "absent":
		r.Set("comment", fmt.Sprintf("Cron env %s already absent", name))
	case "removed":
		r.Set("comment", fmt.Sprintf("Cron env %s removed from %s's crontab", name, user))
		r.Set("changes", data.M(user, name))
	default:
		r.Set("comment", fmt.Sprintf("Cron env %s for user %s failed to commit with error %s", name, user, out))
		r.Set("result", false)
	}
	return r, nil
}

// file is Salt's cron.file: the user's crontab managed as a file
// (salt:// source, template) on a private temporary copy, installed with
// crontab(1) when it changed.
func file(ctx context.Context, c *host.Call) (any, error) {
	name, user := c.Str("name"), data.Str(c.Get("user"))
	info, err := usermod.Info("", user)
	if err != nil {
		return nil, fmt.Errorf("cron.file: %w", err)
	}
	groups, _ := info.Get("groups")
	gl, _ := groups.([]any)
	if len(gl) == 0 {
		return data.M("name", name, "changes", data.NewMap(), "result", false, "comment", fmt.Sprintf("Could not identify group for user %s", user)), nil
	}
	group := gl[0]
	raw, err := cronmod.Raw(ctx, user)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(raw, "\n") {
		raw += "\n"
	}
	tmp, err := os.CreateTemp("", "__salt.tmp.")
	if err != nil {
		return nil, fmt.Errorf("cron.file: %w", err)
	}
	path := tmp.Name()
	defer os.Remove(path)
	_, werr := tmp.WriteString(raw)
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, fmt.Errorf("cron.file: %w", werr)
	}
	r := ret(name)
	fail := func(msg string) (any, error) {
		r.Set("result", false)
		r.Set("changes", data.NewMap())
		r.Set("comment", msg)
		return r, nil
	}
	if !c.Bool("replace") {
		r.Set("comment", fmt.Sprintf("User %s already has a crontab. No changes made", user))
		return r, nil
	}
	m, msg, err := statefile.ManagedFor(ctx, c, path, name, c.Get("source_hash"), optStr(c.Get("template")), c.Get("defaults"), c.Get("context"))
	if err != nil {
		return nil, err
	}
	if msg != "" {
		return fail(msg)
	}
	m.User, m.Group, m.Mode = user, group, "0600"
	content, msg, err := m.GetManaged(ctx)
	if state.IsTest(c) {
		if err != nil {
			return nil, err
		}
		if msg != "" {
			return fail(msg)
		}
		changes, err := m.CheckFileMeta(ctx, content)
		if err != nil {
			return nil, err
		}
		// Salt ignores the permissions of files in the temporary directory.
		for _, k := range []string{"user", "group", "mode"} {
			changes.Delete(k)
		}
		if changes.Len() == 0 {
			r.Set("comment", fmt.Sprintf("The file %s is in the correct state", path))
			return r, nil
		}
		var b strings.Builder
		b.WriteString("The following values are set to be changed:\n")
		changes.Range(func(k, v any) bool {
			fmt.Fprintf(&b, "%s: %s\n", data.Str(k), data.Str(v))
			return true
		})
		r.Set("result", nil)
		r.Set("comment", b.String())
		return r, nil
	}
	if err != nil {
		return fail(fmt.Sprintf("Unable to manage file: %v", err))
	}
	if msg != "" {
		return fail(msg)
	}
	res := filemod.NewResult()
	if err := m.ManageFile(ctx, res, content); err != nil {
		return fail(fmt.Sprintf("Unable to manage file: %v", err))
	}
	switch {
	case res.Changes.Has("diff"):
		out, err := cronmod.WriteFile(ctx, user, path)
		if err != nil {
			return nil, err
		}
		if out.Retcode != 0 {
			return fail(fmt.Sprintf("Unable to update user %s crontab %s. Error: %s", user, path, out.Stderr))
		}
		r.Set("changes", res.Changes)
		r.Set("comment", fmt.Sprintf("Crontab for user %s was updated", user))
	case data.Truthy(res.Result):
		r.Set("comment", fmt.Sprintf("Crontab for user %s is in the correct state", user))
	default:
		r.Set("result", res.Result)
		r.Set("changes", res.Changes)
		r.Set("comment", res.Comment)
	}
	return r, nil
}

// strOpt is str(v), nil staying nil.
func strOpt(v any) any {
	if v == nil {
		return nil
	}
	return data.Str(v)
}

func optStr(v any) string {
	if v == nil {
		return ""
	}
	return data.Str(v)
}
