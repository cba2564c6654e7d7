// Package cmd is Salt's cmd execution module (cmdmod): run shell commands
// on the host, with Salt's argument names and return shapes.
package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient"
	"github.com/saltgo/saltgo/host"
)

// common parameters of the cmd.run family, in Salt's order.
func runParams() []host.Param {
	return []host.Param{
		host.Req("cmd"), host.Opt("cwd", nil), host.Opt("stdin", nil), host.Opt("runas", nil),
		host.Opt("group", nil), host.Opt("shell", "/bin/sh"), host.Opt("python_shell", nil),
		host.Opt("env", nil), host.Opt("clean_env", false), host.Opt("template", nil),
		host.Opt("rstrip", true), host.Opt("umask", nil), host.Opt("output_encoding", nil),
		host.Opt("output_loglevel", "debug"), host.Opt("log_callback", nil), host.Opt("hide_output", false),
		host.Opt("timeout", nil), host.Opt("reset_system_locale", true), host.Opt("ignore_retcode", false),
		host.Opt("saltenv", nil), host.Opt("use_vt", false), host.Opt("bg", false),
		host.Opt("password", nil), host.Opt("prepend_path", nil), host.Opt("success_retcodes", nil),
	}
}

const docTail = `

Options: cwd, stdin, runas, group, shell, python_shell (a shell runs the
command when true; the default is true when called from the CLI or a job),
env (a dict of variables to add), clean_env, rstrip, umask, output_loglevel,
hide_output, timeout (seconds), ignore_retcode, prepend_path,
success_retcodes.`

func init() {
	mk := func(name, doc string, fn func(ctx context.Context, c *host.Call) (any, error)) *host.Func {
		return &host.Func{Name: name, Params: runParams(), VarKwargs: true, Doc: "\n    " + strings.ReplaceAll(doc+docTail, "\n", "\n    ") + "\n    ", Fn: fn}
	}
	host.Register(&host.Module{Kind: host.Exec, Name: "cmd", Doc: "Run commands on the host.", Funcs: []*host.Func{
		mk("run", "Run a command and return its output (stderr merged into stdout).\n\nCLI Example:\n\n    salt '*' cmd.run 'ls -l /etc'", runCombined),
		mk("run_all", "Run a command and return a dict with pid, retcode, stdout and stderr.\n\nCLI Example:\n\n    salt '*' cmd.run_all 'ls -l /etc'", runAll),
		mk("run_stdout", "Run a command and return its standard output only.\n\nCLI Example:\n\n    salt '*' cmd.run_stdout 'ls -l /etc'", runStdout),
		mk("run_stderr", "Run a command and return its standard error only.\n\nCLI Example:\n\n    salt '*' cmd.run_stderr 'ls -l /nonexistent'", runStderr),
		mk("retcode", "Run a command and return its exit code.\n\nCLI Example:\n\n    salt '*' cmd.retcode 'test -d /etc'", runRetcode),
		mk("shell", "Run a command through the shell and return its output.\n\nCLI Example:\n\n    salt '*' cmd.shell 'echo $HOME | tr a-z A-Z'", runShell),
		{Name: "script", Params: append([]host.Param{host.Req("source"), host.Opt("args", nil)}, runParams()[1:]...), VarKwargs: true,
			Doc: "\n    Run a script from salt://, file:// or a local path with optional args;\n    returns the run_all dict.\n\n    CLI Example:\n\n        salt '*' cmd.script /srv/scripts/check.sh args='-v'\n    ", Fn: script},
		{Name: "which", Params: []host.Param{host.Req("cmd")}, Doc: "\n    Return the path of an executable, or None.\n\n    CLI Example:\n\n        salt '*' cmd.which ls\n    ", Fn: which},
		{Name: "has_exec", Params: []host.Param{host.Req("cmd")}, Doc: "\n    Return True when the executable is found.\n\n    CLI Example:\n\n        salt '*' cmd.has_exec ls\n    ", Fn: func(ctx context.Context, c *host.Call) (any, error) {
			_, err := exec.LookPath(c.Str("cmd"))
			return err == nil, nil
		}},
	}})
}

// Result is the outcome of a command.
type Result struct {
	PID      int
	Retcode  int
	Stdout   string
	Stderr   string
	TimedOut bool
}

// Map returns Salt's run_all dict.
func (r Result) Map() *data.Map {
	return data.M("pid", r.PID, "retcode", r.Retcode, "stdout", r.Stdout, "stderr", r.Stderr)
}

func useShell(c *host.Call) bool {
	if v := c.Get("python_shell"); v != nil {
		return data.Truthy(v)
	}
	if c.Pub != nil {
		if _, ok := c.Pub.Get("jid"); ok {
			return true
		}
	}
	return false
}

// Run runs the call's command; combined merges stderr into stdout as
// cmd.run does.
func Run(ctx context.Context, c *host.Call, cmdline string, args []string, combined, shell bool) (Result, error) {
	var cmd *exec.Cmd
	if timeout := c.Get("timeout"); timeout != nil {
		secs, ok := toFloat(timeout)
		if !ok || secs <= 0 {
			return Result{}, host.Invalidf("timeout must be a positive number of seconds")
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(secs*float64(time.Second)))
		defer cancel()
	}
	if shell {
		sh := c.Str("shell")
		if sh == "" {
			sh = "/bin/sh"
		}
		full := cmdline
		if len(args) > 0 {
			full += " " + strings.Join(args, " ")
		}
		cmd = exec.CommandContext(ctx, sh, "-c", full)
	} else {
		words, err := splitArgs(cmdline)
		if err != nil {
			return Result{}, host.Invalidf("%v", err)
		}
		words = append(words, args...)
		if len(words) == 0 {
			return Result{}, host.Invalidf("No command given")
		}
		cmd = exec.CommandContext(ctx, words[0], words[1:]...)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if cwd := c.Str("cwd"); cwd != "" {
		if st, err := os.Stat(cwd); err != nil || !st.IsDir() {
			return Result{}, host.Errorf("Specified cwd '%s' either not absolute or does not exist", cwd)
		}
		cmd.Dir = cwd
	}
	env := os.Environ()
	if c.Bool("clean_env") {
		env = nil
	}
	if c.Bool("reset_system_locale") {
		env = append(env, "LC_CTYPE=C", "LC_NUMERIC=C", "LC_TIME=C", "LC_COLLATE=C", "LC_MONETARY=C", "LC_MESSAGES=C")
	}
	if m, ok := c.Get("env").(*data.Map); ok {
		m.Range(func(k, v any) bool {
			env = append(env, fmt.Sprintf("%v=%s", k, strOf(v)))
			return true
		})
	} else if c.Get("env") != nil {
		return Result{}, host.Invalidf("Invalid input: env must be a dict")
	}
	if pp := c.Str("prepend_path"); pp != "" {
		env = append(env, "PATH="+pp+":"+os.Getenv("PATH"))
	}
	cmd.Env = env
	if runas := c.Str("runas"); runas != "" {
		cred, home, err := credential(runas, c.Str("group"))
		if err != nil {
			return Result{}, err
		}
		cmd.SysProcAttr.Credential = cred
		cmd.Env = append(cmd.Env, "HOME="+home, "USER="+runas, "LOGNAME="+runas)
	}
	if s := c.Get("stdin"); s != nil {
		cmd.Stdin = strings.NewReader(strOf(s))
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	if combined {
		cmd.Stderr = &stdout
	} else {
		cmd.Stderr = &stderr
	}
	err := cmd.Run()
	r := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	if cmd.Process != nil {
		r.PID = cmd.Process.Pid
	}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		r.TimedOut = true
		r.Retcode = 1
		msg := fmt.Sprintf("Timed out after %s seconds", strOf(c.Get("timeout")))
		if r.Stdout != "" {
			r.Stdout += "\n"
		}
		r.Stdout += msg
	case errors.As(err, &exitErr):
		r.Retcode = exitErr.ExitCode()
		if r.Retcode < 0 {
			r.Retcode = 1
		}
	case err != nil:
		return r, host.Errorf("Unable to run command '%s' with the context '%v', reason: %v", cmdline, ctx, err)
	}
	if c.Bool("ignore_retcode") || successCode(c, r.Retcode) {
		host.SetJobRetcode(ctx, 0)
	} else {
		host.SetJobRetcode(ctx, r.Retcode)
	}
	if data.Truthy(c.Get("rstrip")) {
		r.Stdout = strings.TrimRight(r.Stdout, " \t\r\n")
		r.Stderr = strings.TrimRight(r.Stderr, " \t\r\n")
	}
	logOutput(c, cmdline, r)
	return r, nil
}

func logOutput(c *host.Call, cmdline string, r Result) {
	log := c.Env.Logger()
	if r.Retcode != 0 && !c.Bool("ignore_retcode") && !successCode(c, r.Retcode) {
		log.Error(fmt.Sprintf("Command '%s' failed with return code: %d", cmdline, r.Retcode))
	}
	if c.Bool("hide_output") {
		return
	}
	lvl := slog.LevelDebug
	switch strings.ToLower(c.Str("output_loglevel")) {
	case "quiet":
		return
	case "info":
		lvl = slog.LevelInfo
	case "warning", "warn":
		lvl = slog.LevelWarn
	case "error":
		lvl = slog.LevelError
	}
	if r.Stdout != "" {
		log.Log(context.Background(), lvl, "stdout: "+r.Stdout)
	}
	if r.Stderr != "" {
		log.Log(context.Background(), lvl, "stderr: "+r.Stderr)
	}
}

func successCode(c *host.Call, code int) bool {
	switch v := c.Get("success_retcodes").(type) {
	case []any:
		for _, e := range v {
			if n, ok := data.AsInt(e); ok && int(n) == code {
				return true
			}
		}
	default:
		if n, ok := data.AsInt(v); ok && int(n) == code {
			return true
		}
	}
	return false
}

// setRetcode mirrors Salt: a failing command sets the job's retcode unless
// ignore_retcode or success_retcodes say otherwise.
func setRetcode(c *host.Call, r Result) {
	if r.Retcode != 0 && !c.Bool("ignore_retcode") && !successCode(c, r.Retcode) {
		c.Retcode = r.Retcode
	}
}

// runFamily builds a function of the cmd.run family: it runs the call's
// cmd (stderr merged into stdout when combined; through the shell when
// forceShell is set or useShell says so), sets the job's retcode as Salt
// does and returns ret(r).
func runFamily(combined, forceShell bool, ret func(r Result) any) func(context.Context, *host.Call) (any, error) {
	return func(ctx context.Context, c *host.Call) (any, error) {
		r, err := Run(ctx, c, c.Str("cmd"), nil, combined, forceShell || useShell(c))
		if err != nil {
			return nil, err
		}
		setRetcode(c, r)
		if c.Bool("hide_output") {
			r.Stdout, r.Stderr = "", "" // Salt returns nothing with hide_output
		}
		return ret(r), nil
	}
}

var (
	runCombined = runFamily(true, false, func(r Result) any { return r.Stdout })
	runShell    = runFamily(true, true, func(r Result) any { return r.Stdout })
	runAll      = runFamily(false, false, func(r Result) any { return r.Map() })
	runStdout   = runFamily(false, false, func(r Result) any { return r.Stdout })
	runStderr   = runFamily(false, false, func(r Result) any { return r.Stderr })
)

func runRetcode(ctx context.Context, c *host.Call) (any, error) {
	r, err := Run(ctx, c, c.Str("cmd"), nil, false, useShell(c))
	if err != nil {
		return nil, err
	}
	return int64(r.Retcode), nil
}

// FilesKey holds the file client cmd.script fetches salt:// sources with
// (the state engine's, for cmd.script states); without it the function
// opens one with fileclient.New.
var FilesKey = host.NewKey[fileclient.Client]("cmd.files")

// cacheError is cmd.script's return when the source cannot be fetched.
func cacheError() *data.Map {
	return data.M("pid", int64(0), "retcode", int64(1), "stdout", "", "stderr", "", "cache_error", true)
}

func script(ctx context.Context, c *host.Call) (any, error) {
	src := c.Str("source")
	if tmpl := c.Str("template"); tmpl != "" {
		// Salt renders the script with cp.get_template into a temporary
		// file; the keyword arguments (a state's context) are the
		// template's variables.
		tmp, err := os.CreateTemp(c.Str("cwd"), "__salt.tmp.*"+filepath.Ext(src))
		if err != nil {
			return nil, host.Errorf("cmd.script: %v", err)
		}
		tmp.Close()
		defer os.Remove(tmp.Name())
		saltenv := c.Str("saltenv")
		if saltenv == "" {
			saltenv = "base"
		}
		kw := data.M("__kwarg__", true)
		if ctxMap, ok := c.Kwargs().Get("context"); ok {
			if m, ok := ctxMap.(*data.Map); ok {
				m.Range(func(k, v any) bool { kw.Set(k, v); return true })
			}
		}
		res := host.Run(ctx, c.Env, host.Request{Kind: host.Exec, Fun: "cp.get_template", Args: []any{src, tmp.Name(), tmpl, saltenv, kw}})
		if res.Err != nil || !data.Truthy(res.Return) {
			return cacheError(), nil
		}
		if err := os.Chmod(tmp.Name(), 0o500); err != nil {
			return cacheError(), nil
		}
		src = tmp.Name()
	} else if strings.Contains(src, "://") && !strings.HasPrefix(src, "file://") {
		fc, ok := FilesKey.Get(c.Env)
		if !ok {
			var err error
			if fc, err = fileclient.New(c.Env); err != nil {
				return nil, host.Errorf("cmd.script: %v", err)
			}
		}
		saltenv := c.Str("saltenv")
		if saltenv == "" {
			saltenv = "base"
		}
		cached, err := fc.CacheFile(ctx, src, saltenv)
		if err != nil || cached == "" {
			return cacheError(), nil
		}
		tmp, err := os.CreateTemp(c.Str("cwd"), "__salt.tmp.*"+filepath.Ext(cached))
		if err != nil {
			return nil, host.Errorf("cmd.script: %v", err)
		}
		defer os.Remove(tmp.Name())
		b, err := os.ReadFile(cached)
		if err == nil {
			_, err = tmp.Write(b)
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Chmod(tmp.Name(), 0o500)
		}
		if err != nil {
			return cacheError(), nil
		}
		src = tmp.Name()
	}
	src = strings.TrimPrefix(src, "file://")
	st, err := os.Stat(src)
	if err != nil {
		return nil, host.Errorf("cmd.script: %v", err)
	}
	if st.IsDir() {
		return nil, host.Errorf("cmd.script: %s is a directory", src)
	}
	var args []string
	if a := c.Get("args"); a != nil {
		words, err := splitArgs(strOf(a))
		if err != nil {
			return nil, host.Invalidf("%v", err)
		}
		args = words
	}
	cmdline := src
	if st.Mode()&0o111 == 0 {
		cmdline = c.Str("shell") + " " + src
	}
	r, err := Run(ctx, c, cmdline, args, false, false)
	if err != nil {
		return nil, err
	}
	setRetcode(c, r)
	if c.Bool("hide_output") {
		r.Stdout, r.Stderr = "", ""
	}
	return r.Map(), nil
}

func which(_ context.Context, c *host.Call) (any, error) {
	p, err := exec.LookPath(c.Str("cmd"))
	if err != nil {
		return nil, nil
	}
	return p, nil
}

func credential(name, group string) (*syscall.Credential, string, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, "", host.Errorf("User '%s' is not available", name)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			return nil, "", host.Errorf("Group '%s' is not available", group)
		}
		gid, _ = strconv.ParseUint(g.Gid, 10, 32)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, u.HomeDir, nil
}

func toFloat(v any) (float64, bool) {
	switch x := data.Normalize(v).(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

// strOf is Python's str(v), with "" for None (an absent value).
func strOf(v any) string {
	if v = data.Canonical(v); v == nil {
		return ""
	}
	return data.Str(v)
}

// SplitArgs splits a command line the way Python's shlex.split does
// (quotes and backslashes, no shell expansion).
func SplitArgs(s string) ([]string, error) { return splitArgs(s) }

func splitArgs(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	var quote rune
	esc := false
	for _, r := range s {
		switch {
		case esc:
			cur.WriteRune(r)
			esc = false
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case quote == '"':
			if r == '"' {
				quote = 0
			} else if r == '\\' {
				esc = true
			} else {
				cur.WriteRune(r)
			}
		case r == '\\':
			esc, inWord = true, true
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, errors.New("No closing quotation")
	}
	if esc {
		return nil, errors.New("No escaped character")
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}
