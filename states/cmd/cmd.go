// Package cmd is Salt's cmd state module (salt/states/cmd.py): run, wait
// (run only through a watch requisite: mod_watch), script and mod_watch,
// with Salt's comments and changes. unless/onlyif/creates are the engine's
// (Salt's State._run_check), not this module's.
package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	cmdmod "github.com/saltgo/saltgo/modules/cmd"
	"github.com/saltgo/saltgo/state"
)

func params(extra ...host.Param) []host.Param {
	base := []host.Param{
		host.Req("name"), host.Opt("cwd", nil), host.Opt("root", nil), host.Opt("runas", nil), host.Opt("shell", nil),
		host.Opt("env", nil), host.Opt("prepend_path", nil), host.Opt("stateful", false), host.Opt("output_loglevel", "debug"),
		host.Opt("hide_output", false), host.Opt("timeout", nil), host.Opt("ignore_timeout", false), host.Opt("use_vt", false),
		host.Opt("success_retcodes", nil), host.Opt("success_stdout", nil), host.Opt("success_stderr", nil),
	}
	return append(base, extra...)
}

func init() {
	runF := &host.Func{Name: "run", Doc: "Run a command if certain circumstances are met.", Params: params(), VarKwargs: true, Fn: run}
	waitF := &host.Func{Name: "wait", Doc: "Run the given command only if the watch statement calls it.", Params: params(), VarKwargs: true, Fn: wait}
	watchF := &host.Func{Name: "watch", Doc: "Alias of cmd.wait.", Params: params(), VarKwargs: true, Fn: wait}
	scriptParams := []host.Param{
		host.Req("name"), host.Opt("source", nil), host.Opt("template", nil), host.Opt("cwd", nil), host.Opt("runas", nil),
		host.Opt("password", nil), host.Opt("shell", nil), host.Opt("env", nil), host.Opt("stateful", false),
		host.Opt("timeout", nil), host.Opt("use_vt", false), host.Opt("output_loglevel", "debug"), host.Opt("hide_output", false),
		host.Opt("defaults", nil), host.Opt("context", nil), host.Opt("success_retcodes", nil),
		host.Opt("success_stdout", nil), host.Opt("success_stderr", nil),
	}
	scriptF := &host.Func{Name: "script", Doc: "Download a script and execute it with specified arguments.", Params: scriptParams, VarKwargs: true, Fn: script}
	waitScriptF := &host.Func{Name: "wait_script", Doc: "Download a script from a remote source and execute it only if a watch statement calls it.", Params: scriptParams, VarKwargs: true, Fn: wait}
	modWatch := &host.Func{Name: "mod_watch", Doc: "Execute a cmd function based on a watch call.", Params: []host.Param{host.Req("name")}, VarKwargs: true, Fn: modWatch}
	host.Register(&host.Module{Kind: host.State, Name: "cmd", Doc: "Execution of arbitrary commands.", Funcs: []*host.Func{runF, waitF, watchF, scriptF, waitScriptF, modWatch}})
}

func ret(name any, changes *data.Map, result any, comment string) *data.Map {
	if changes == nil {
		changes = data.NewMap()
	}
	return data.M("name", name, "changes", changes, "result", result, "comment", comment)
}

// wait is cmd.wait / cmd.watch / cmd.wait_script: nothing unless a watch
// fires (mod_watch).
func wait(_ context.Context, c *host.Call) (any, error) {
	return ret(c.Get("name"), nil, true, ""), nil
}

// execArgs builds the cmd.run_all (or cmd.script) call of the state: the
// state's arguments and any extra keyword the state got.
func execArgs(c *host.Call, names []string, extra map[string]any) *data.Map {
	kw := data.NewMap()
	c.Kwargs().Range(func(k, v any) bool {
		if s, ok := k.(string); ok && !strings.HasPrefix(s, "__") && s != "sfun" {
			kw.Set(k, v)
		}
		return true
	})
	for _, n := range names {
		if v := c.Get(n); v != nil {
			kw.Set(n, v)
		}
	}
	for k, v := range extra {
		kw.Set(k, v)
	}
	return kw
}

// callExec runs an execution function with keyword arguments through the
// host, so that its own argument binding and defaults apply.
func callExec(ctx context.Context, c *host.Call, fun string, pos []any, kw *data.Map) (any, int, error) {
	f, _, err := host.Lookup(host.Exec, fun)
	if err != nil {
		return nil, 0, fmt.Errorf("'%s' is not available.", fun)
	}
	call, err := host.Bind(f, pos, kw)
	if err != nil {
		return nil, 0, err
	}
	call.Env, call.Fun = c.Env, fun
	out, err := host.Invoke(ctx, call)
	return out, call.Retcode, err
}

func checkEnv(c *host.Call) string {
	switch c.Get("env").(type) {
	case nil, *data.Map, []any:
		return ""
	}
	return "Invalidly-formatted 'env' parameter. See documentation."
}

// envMap turns a list of one-entry maps (Salt accepts both) into a map.
func envMap(v any) any {
	l, ok := v.([]any)
	if !ok {
		return v
	}
	m := data.NewMap()
	for _, e := range l {
		if em, ok := e.(*data.Map); ok {
			em.Range(func(k, vv any) bool { m.Set(k, vv); return true })
		}
	}
	return m
}

func run(ctx context.Context, c *host.Call) (any, error) {
	name := c.Str("name")
	test := state.IsTest(c)
	stateful, testName := statefulArg(c)
	if test && testName != "" {
		name = testName
	}
	if msg := checkEnv(c); msg != "" {
		return ret(name, nil, false, msg), nil
	}
	if test && testName == "" {
		r := ret(name, data.M("cmd", name), nil, fmt.Sprintf(`Command "%s" would have been executed`, name))
		if stateful {
			return reinterpreted(r), nil
		}
		return r, nil
	}
	if cwd := c.Str("cwd"); cwd != "" {
		if st, err := os.Stat(cwd); err != nil || !st.IsDir() {
			return ret(name, nil, false, fmt.Sprintf(`Desired working directory "%s" is not available`, cwd)), nil
		}
	}
	shell := c.Get("shell")
	if shell == nil {
		shell = grainShell(c)
	}
	kw := execArgs(c, []string{"cwd", "runas", "prepend_path", "output_loglevel", "hide_output", "timeout", "success_retcodes"},
		map[string]any{"python_shell": true, "shell": shell})
	if e := c.Get("env"); e != nil {
		kw.Set("env", envMap(e))
	}
	for _, k := range []string{"success_stdout", "success_stderr", "stateful", "ignore_timeout", "root", "use_vt"} {
		kw.Delete(k)
	}
	out, _, err := callExec(ctx, c, "cmd.run_all", []any{name}, kw)
	if err != nil {
		return ret(name, nil, false, err.Error()), nil
	}
	all, ok := out.(*data.Map)
	if !ok {
		return ret(name, nil, false, fmt.Sprintf("unexpected cmd.run_all return: %s", data.Repr(out))), nil
	}
	applySuccess(c, all)
	rc, _ := all.Get("retcode")
	code, _ := data.AsInt(rc)
	r := ret(name, all, code == 0, fmt.Sprintf(`Command "%s" run`, name))
	if c.Bool("ignore_timeout") {
		so, _ := all.String("stdout")
		if code == 1 && strings.Contains(so, "Timed out after") {
			all.Set("retcode", int64(0))
			r.Set("result", true)
		}
	}
	if stateful {
		r = reinterpreted(r)
	}
	if ch, _ := r.Get("changes"); test && code == 0 && data.Truthy(ch) {
		r.Set("result", nil)
	}
	return r, nil
}

// applySuccess is cmdmod's success_retcodes/success_stdout/success_stderr:
// the retcode becomes 0 when one of them matches.
func applySuccess(c *host.Call, all *data.Map) {
	rcv, _ := all.Get("retcode")
	code, _ := data.AsInt(rcv)
	if code == 0 {
		return
	}
	for _, s := range splitInput(c.Get("success_retcodes")) {
		if s == fmt.Sprint(code) {
			all.Set("retcode", int64(0))
			return
		}
	}
	so, _ := all.String("stdout")
	se, _ := all.String("stderr")
	for _, s := range splitInput(c.Get("success_stdout")) {
		if strings.Contains(so, s) {
			all.Set("retcode", int64(0))
			return
		}
	}
	for _, s := range splitInput(c.Get("success_stderr")) {
		if strings.Contains(se, s) {
			all.Set("retcode", int64(0))
			return
		}
	}
}

// splitInput is salt.utils.args.split_input: a list, or a comma-separated
// string.
func splitInput(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, strings.TrimSpace(data.Str(e)))
		}
		return out
	default:
		var out []string
		for _, p := range strings.Split(data.Str(x), ",") {
			out = append(out, strings.TrimSpace(p))
		}
		return out
	}
}

func grainShell(c *host.Call) any {
	if c.Env.Grains != nil {
		if v, ok := c.Env.Grains.Get("shell"); ok && data.Truthy(v) {
			return v
		}
	}
	return "/bin/sh"
}

// statefulArg returns whether the state is stateful and its test_name.
func statefulArg(c *host.Call) (bool, string) {
	switch v := c.Get("stateful").(type) {
	case []any:
		if len(v) > 0 {
			if m, ok := v[0].(*data.Map); ok {
				if tn, ok := m.Get("test_name"); ok {
					return true, data.Str(tn)
				}
			}
		}
		return true, ""
	case bool:
		return v, ""
	}
	return false, ""
}

// reinterpreted is Salt's _reinterpreted_state: the command's output says
// what changed (a JSON object, or a last line of key=value words).
func reinterpreted(r *data.Map) *data.Map {
	chv, _ := r.Get("changes")
	out, _ := chv.(*data.Map)
	if out == nil {
		out = data.NewMap()
	}
	r.Set("changes", data.NewMap())
	r.Set("comment", "")
	stdout, _ := out.String("stdout")
	if stdout == "" {
		if se, _ := out.String("stderr"); se != "" {
			r.Set("comment", se)
		}
		return r
	}
	fields := data.NewMap()
	isJSON := false
	idx := -1
	var js any
	if err := json.Unmarshal([]byte(stdout), &js); err == nil {
		m, ok := js.(map[string]any)
		if !ok {
			r.Set("comment", "script JSON output must be a JSON object (e.g., {})!")
			r.Set("result", false)
			return r
		}
		isJSON = true
		for k, v := range m {
			fields.Set(k, data.Normalize(v))
		}
	} else {
		last := stdout
		idx = strings.LastIndex(strings.TrimRight(stdout, " \t\r\n"), "\n")
		if idx != -1 {
			last = stdout[idx+1:]
		}
		items, err := cmdmod.SplitArgs(last)
		if err != nil {
			items = []string{"="} // unbalanced quotes: a parse failure below
		}
		for _, item := range items {
			k, v, ok := strings.Cut(item, "=")
			if !ok || k == "" || strings.Contains(v, "=") {
				r.Set("comment", "Failed parsing script output! Stdout must be JSON or a line of name=value pairs.")
				r.Set("result", false)
				ch := data.NewMap()
				out.Range(func(k, v any) bool { ch.Set(k, v); return true })
				r.Set("changes", ch)
				return r
			}
			fields.Set(k, v)
		}
	}
	changedV, ok := fields.Get("changed")
	if !ok {
		changedV = "no"
	}
	changed := false
	switch strings.ToLower(data.Str(changedV)) {
	case "true", "yes", "1":
		changed = true
	case "false", "no", "0":
	default:
		r.Set("comment", fmt.Sprintf("Failed parsing boolean value: %s", data.Str(changedV)))
		r.Set("result", false)
		return r
	}
	if cm, ok := fields.Get("comment"); ok {
		r.Set("comment", cm)
		fields.Delete("comment")
	}
	if changed {
		out.Range(func(k, v any) bool {
			if !fields.Has(k) {
				fields.Set(k, v)
			}
			return true
		})
		if isJSON {
			fields.Set("stdout", "")
		} else if idx >= 0 {
			fields.Set("stdout", stdout[:idx])
		} else {
			fields.Set("stdout", "")
		}
		r.Set("changes", fields)
	}
	return r
}

func script(ctx context.Context, c *host.Call) (any, error) {
	name := c.Str("name")
	test := state.IsTest(c)
	stateful, testName := statefulArg(c)
	if test && testName != "" {
		name = testName
	}
	if msg := checkEnv(c); msg != "" {
		return ret(name, nil, false, msg), nil
	}
	if v := c.Get("context"); v != nil {
		if _, ok := v.(*data.Map); !ok {
			return ret(name, nil, false, "Invalidly-formatted 'context' parameter. Must be formed as a dict."), nil
		}
	}
	if v := c.Get("defaults"); v != nil {
		if _, ok := v.(*data.Map); !ok {
			return ret(name, nil, false, "Invalidly-formatted 'defaults' parameter. Must be formed as a dict."), nil
		}
	}
	source := c.Str("source")
	if c.Get("source") == nil {
		source = name
	}
	kw := execArgs(c, []string{"runas", "cwd", "template", "timeout", "output_loglevel", "hide_output", "success_retcodes"}, nil)
	shell := c.Get("shell")
	if shell == nil {
		shell = grainShell(c)
	}
	kw.Set("shell", shell)
	if e := c.Get("env"); e != nil {
		kw.Set("env", envMap(e))
	}
	if _, ok := kw.Get("args"); !ok && len(strings.Fields(name)) > 1 {
		_, rest, _ := strings.Cut(name, " ")
		kw.Set("args", rest)
	}
	saltenv := "base"
	if ch := state.Of(c); ch != nil && ch.Saltenv != "" {
		saltenv = ch.Saltenv
	}
	kw.Set("saltenv", saltenv)
	kw.Set("python_shell", true)
	for _, k := range []string{"success_stdout", "success_stderr", "stateful", "defaults", "context", "password", "use_vt"} {
		kw.Delete(k)
	}
	// The template's context: defaults updated by context, as Salt.
	tmpctx := data.NewMap()
	for _, k := range []string{"defaults", "context"} {
		if m, ok := c.Get(k).(*data.Map); ok {
			m.Range(func(k, v any) bool { tmpctx.Set(k, v); return true })
		}
	}
	kw.Set("context", tmpctx)
	if test && testName == "" {
		r := ret(name, nil, nil, fmt.Sprintf("Command '%s' would have been executed", name))
		if stateful {
			return reinterpreted(r), nil
		}
		return r, nil
	}
	if cwd := c.Str("cwd"); cwd != "" {
		if st, err := os.Stat(cwd); err != nil || !st.IsDir() {
			return ret(name, nil, false, fmt.Sprintf(`Desired working directory "%s" is not available`, cwd)), nil
		}
	}
	// cmd.script finds salt:// sources through the chunk's file client.
	if ch := state.Of(c); ch != nil && ch.Files != nil {
		cmdmod.FilesKey.Set(c.Env, ch.Files)
	}
	out, _, err := callExec(ctx, c, "cmd.script", []any{source}, kw)
	if err != nil {
		return ret(name, nil, false, err.Error()), nil
	}
	all, ok := out.(*data.Map)
	if !ok {
		return ret(name, nil, false, fmt.Sprintf("unexpected cmd.script return: %s", data.Repr(out))), nil
	}
	applySuccess(c, all)
	rc, _ := all.Get("retcode")
	code, _ := data.AsInt(rc)
	comment := fmt.Sprintf("Command '%s' run", name)
	if ce, _ := all.Get("cache_error"); data.Truthy(ce) {
		comment = fmt.Sprintf("Unable to cache script %s from saltenv '%s'", source, saltenv)
	}
	r := ret(name, all, code == 0, comment)
	if stateful {
		r = reinterpreted(r)
	}
	if ch, _ := r.Get("changes"); test && code == 0 && data.Truthy(ch) {
		r.Set("result", nil)
	}
	return r, nil
}

// modWatch is cmd.mod_watch: a fired watch runs cmd.wait/run/watch as
// cmd.run and wait_script/script as cmd.script.
func modWatch(ctx context.Context, c *host.Call) (any, error) {
	sfun := ""
	if v, ok := c.Kwargs().Get("sfun"); ok {
		sfun = data.Str(v)
	}
	var target *host.Func
	switch sfun {
	case "wait", "run", "watch":
		target, _, _ = host.Lookup(host.State, "cmd.run")
	case "wait_script", "script":
		target, _, _ = host.Lookup(host.State, "cmd.script")
	case "wait_call", "call":
		return ret(c.Get("name"), nil, false, fmt.Sprintf("cmd.%s needs a named parameter func", sfun)), nil
	default:
		return ret(c.Get("name"), nil, false, fmt.Sprintf("cmd.%s does not work with the watch requisite, please use cmd.wait or cmd.wait_script", sfun)), nil
	}
	kw := c.Kwargs().Copy()
	kw.Delete("sfun")
	call, err := host.Bind(target, []any{c.Get("name")}, kw)
	if err != nil {
		return nil, err
	}
	call.Env, call.Fun, call.Pub = c.Env, "cmd."+target.Name, c.Pub
	return host.Invoke(ctx, call)
}
