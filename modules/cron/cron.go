// Package cron is Salt's cron execution module (salt/modules/cron.py):
// users' crontabs read and written through the real crontab command, with
// Salt's managed-section marker and SALT_CRON_IDENTIFIER comments.
package cron

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	filemod "github.com/saltgo/saltgo/modules/file"
)

// Tag is the line above which a crontab is left as it is.
const Tag = "# Lines below here are managed by Salt, do not edit"

const (
	idMarker = "SALT_CRON_IDENTIFIER"
	noID     = "NO ID SET"
)

func init() {
	user := host.Req("user")
	listTab := &host.Func{Name: "list_tab", Params: []host.Param{user}, Fn: listTabFn, Doc: "Return the contents of the specified user's crontab"}
	rmJob := &host.Func{Name: "rm_job", Params: []host.Param{user, host.Req("cmd"), host.Opt("minute", nil), host.Opt("hour", nil),
		host.Opt("daymonth", nil), host.Opt("month", nil), host.Opt("dayweek", nil), host.Opt("identifier", nil)}, Fn: rmJobFn,
		Doc: "Remove a cron job for a specified user."}
	host.Register(&host.Module{Kind: host.Exec, Name: "cron", Doc: "Work with cron", Virtual: virtual, Funcs: []*host.Func{
		listTab,
		{Name: "ls", Params: listTab.Params, Fn: listTabFn, Doc: listTab.Doc},
		{Name: "raw_cron", Params: []host.Param{user}, Fn: rawCronFn, Doc: "Return the contents of the user's crontab"},
		{Name: "get_entry", Params: []host.Param{user, host.Opt("identifier", nil), host.Opt("cmd", nil)}, Fn: getEntryFn,
			Doc: "Return the specified entry from user's crontab."},
		{Name: "set_job", Params: []host.Param{user, host.Req("minute"), host.Req("hour"), host.Req("daymonth"), host.Req("month"),
			host.Req("dayweek"), host.Req("cmd"), host.Opt("commented", false), host.Opt("comment", nil), host.Opt("identifier", nil)},
			Fn: setJobFn, Doc: "Sets a cron job up for a specified user."},
		{Name: "set_special", Params: []host.Param{user, host.Req("special"), host.Req("cmd"), host.Opt("commented", false),
			host.Opt("comment", nil), host.Opt("identifier", nil)}, Fn: setSpecialFn, Doc: "Set up a special command in the crontab."},
		rmJob,
		{Name: "rm", Params: rmJob.Params, Fn: rmJobFn, Doc: rmJob.Doc},
		{Name: "rm_special", Params: []host.Param{user, host.Req("cmd"), host.Opt("special", nil), host.Opt("identifier", nil)},
			Fn: rmSpecialFn, Doc: "Remove a special cron job for a specified user."},
		{Name: "set_env", Params: []host.Param{user, host.Req("name"), host.Opt("value", nil)}, Fn: setEnvFn,
			Doc: "Set up an environment variable in the crontab."},
		{Name: "rm_env", Params: []host.Param{user, host.Req("name")}, Fn: rmEnvFn, Doc: "Remove cron environment variable for a specified user."},
		{Name: "write_cron_file", Params: []host.Param{user, host.Req("path")}, Fn: writeCronFileFn,
			Doc: "Writes the contents of a file to a user's crontab"},
		{Name: "write_cron_file_verbose", Params: []host.Param{user, host.Req("path")}, Fn: writeCronFileVerboseFn,
			Doc: "Writes the contents of a file to a user's crontab and return error message on error"},
	}})
}

func virtual() error {
	if _, err := exec.LookPath("crontab"); err != nil {
		return errors.New("Cannot load cron module: crontab command not found")
	}
	return nil
}

// Job is one crontab entry below Salt's marker: a timed job or, with
// Special set, an @-line. Identifier and Comment are nil or a string.
type Job struct {
	Minute, Hour, Daymonth, Month, Dayweek string
	Special                                bool
	Spec                                   string
	Cmd                                    string
	Identifier                             any
	Comment                                any
	Commented                              bool
}

// get is Python's cron.get(key): nil for the fields the entry lacks.
func (j *Job) get(key string) any {
	if j.Special {
		if key == "spec" {
			return j.Spec
		}
		return nil
	}
	switch key {
	case "minute":
		return j.Minute
	case "hour":
		return j.Hour
	case "daymonth":
		return j.Daymonth
	case "month":
		return j.Month
	case "dayweek":
		return j.Dayweek
	}
	return nil
}

// Map is the entry as list_tab shows it.
func (j *Job) Map() *data.Map {
	if j.Special {
		return data.M("spec", j.Spec, "cmd", j.Cmd, "identifier", j.Identifier, "comment", j.Comment, "commented", j.Commented)
	}
	return data.M("minute", j.Minute, "hour", j.Hour, "daymonth", j.Daymonth, "month", j.Month, "dayweek", j.Dayweek,
		"identifier", j.Identifier, "cmd", j.Cmd, "comment", j.Comment, "commented", j.Commented)
}

// Env is one NAME=value line.
type Env struct {
	Name  string
	Value any
}

// Tab is a parsed crontab: the lines before the marker, the jobs, the
// special jobs and the environment lines.
type Tab struct {
	Pre     []string
	Crons   []*Job
	Special []*Job
	Env     []Env
}

// Map is the tab as list_tab returns it.
func (t *Tab) Map() *data.Map {
	pre := make([]any, 0, len(t.Pre))
	for _, p := range t.Pre {
		pre = append(pre, p)
	}
	jobs := func(l []*Job) []any {
		out := make([]any, 0, len(l))
		for _, j := range l {
			out = append(out, j.Map())
		}
		return out
	}
	env := make([]any, 0, len(t.Env))
	for _, e := range t.Env {
		env = append(env, data.M("name", e.Name, "value", e.Value))
	}
	return data.M("pre", pre, "crons", jobs(t.Crons), "special", jobs(t.Special), "env", env)
}

// Result is a command's outcome as cmd.run_all reports it (stdout and
// stderr right-stripped).
type Result struct {
	Retcode        int
	Stdout, Stderr string
}

// Map is the result as cmd.run_all returns it.
func (r Result) Map() *data.Map {
	return data.M("pid", 0, "retcode", r.Retcode, "stdout", r.Stdout, "stderr", r.Stderr)
}

// crontabArgs builds crontab's arguments as Salt does: no -u when the
// minion runs as the user, -u user when it runs as root.
func crontabArgs(user string, rest ...string) []string {
	if uid, ok := filemod.UserToUID(user).(int64); ok && uid == int64(os.Geteuid()) {
		return rest
	}
	return append([]string{"-u", user}, rest...)
}

func run(ctx context.Context, args ...string) (Result, error) {
	cmd := exec.CommandContext(ctx, "crontab", args...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	err := cmd.Run()
	r := Result{Stdout: out.String(), Stderr: strings.TrimRight(errb.String(), " \t\r\n\v\f")}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.Retcode = ee.ExitCode()
		return r, nil
	}
	if err != nil {
		return r, fmt.Errorf("running crontab %s: %w", strings.Join(args, " "), err)
	}
	return r, nil
}

// Raw is raw_cron: the user's crontab as crontab -l prints it (empty when
// the user has none).
func Raw(ctx context.Context, user string) (string, error) {
	r, err := run(ctx, crontabArgs(user, "-l")...)
	if err != nil {
		return "", err
	}
	lines := data.SplitLines(r.Stdout, true)
	if len(lines) > 0 && strings.HasPrefix(lines[0], "# DO NOT EDIT THIS FILE - edit the master and reinstall.") {
		lines = lines[min(3, len(lines)):]
	}
	return strings.Join(lines, ""), nil
}

// List is list_tab: the user's crontab parsed as Salt parses it.
func List(ctx context.Context, user string) (*Tab, error) {
	raw, err := Raw(ctx, user)
	if err != nil {
		return nil, err
	}
	return Parse(raw), nil
}

// Parse parses a crontab's text as list_tab does.
func Parse(raw string) *Tab {
	t := &Tab{Pre: []string{}}
	flag := false
	var comment, identifier any
	for _, line := range data.SplitLines(raw, false) {
		if line == Tag {
			flag = true
			continue
		}
		if !flag {
			t.Pre = append(t.Pre, line)
			continue
		}
		commented := false
		if strings.HasPrefix(line, "#DISABLED#") {
			line = line[10:]
			commented = true
		}
		switch {
		case strings.HasPrefix(line, "@"):
			comps := strings.Fields(line)
			if len(comps) < 2 {
				continue
			}
			t.Special = append(t.Special, &Job{Special: true, Spec: comps[0], Cmd: strings.Join(comps[1:], " "),
				Identifier: identifier, Comment: comment, Commented: commented})
			identifier, comment = nil, nil
		case strings.HasPrefix(line, "#"):
			cl := strings.TrimLeft(line, "# ")
			if strings.Contains(cl, idMarker) {
				parts := strings.Split(cl, idMarker)
				cl = strings.TrimRight(parts[0], " \t\r\n\v\f")
				if len(parts[1]) > 1 {
					identifier = parts[1][1:]
				}
			}
			if comment == nil {
				comment = cl
			} else {
				comment = data.Str(comment) + "\n" + cl
			}
		case strings.Index(line, "=") > 0 && (!strings.Contains(line, " ") || strings.Index(line, "=") < strings.Index(line, " ")):
			name, value, _ := strings.Cut(line, "=")
			t.Env = append(t.Env, Env{Name: name, Value: value})
		case len(strings.Split(line, " ")) > 5:
			c := strings.Split(line, " ")
			t.Crons = append(t.Crons, &Job{Minute: c[0], Hour: c[1], Daymonth: c[2], Month: c[3], Dayweek: c[4],
				Identifier: identifier, Cmd: strings.Join(c[5:], " "), Comment: comment, Commented: commented})
			identifier, comment = nil, nil
		}
	}
	return t
}

// Render is Salt's _render_tab: the crontab's text.
func (t *Tab) Render() string {
	var b strings.Builder
	for _, p := range t.Pre {
		b.WriteString(p + "\n")
	}
	if len(t.Pre) == 0 || t.Pre[len(t.Pre)-1] != Tag {
		b.WriteString(Tag + "\n")
	}
	for _, e := range t.Env {
		if e.Value == nil || data.Str(e.Value) == "" {
			fmt.Fprintf(&b, "%s=\"\"\n", e.Name)
		} else {
			fmt.Fprintf(&b, "%s=%s\n", e.Name, data.Str(e.Value))
		}
	}
	for _, l := range [][]*Job{t.Crons, t.Special} {
		for _, j := range l {
			if j.Comment != nil || j.Identifier != nil {
				c := "#"
				if data.Truthy(j.Comment) {
					s := data.Str(j.Comment)
					if j.Special {
						s = strings.TrimRight(s, " \t\r\n\v\f")
					}
					c += " " + strings.ReplaceAll(s, "\n", "\n# ")
				}
				if data.Truthy(j.Identifier) {
					c += fmt.Sprintf(" %s:%s", idMarker, data.Str(j.Identifier))
				}
				b.WriteString(c + "\n")
			}
			if j.Commented {
				b.WriteString("#DISABLED#")
			}
			if j.Special {
				fmt.Fprintf(&b, "%s %s\n", j.Spec, j.Cmd)
			} else {
				fmt.Fprintf(&b, "%s %s %s %s %s %s\n", j.Minute, j.Hour, j.Daymonth, j.Month, j.Dayweek, j.Cmd)
			}
		}
	}
	return b.String()
}

// WriteFile is write_cron_file_verbose: install path as the user's
// crontab with crontab(1).
func WriteFile(ctx context.Context, user, path string) (Result, error) {
	return run(ctx, crontabArgs(user, path)...)
}

// write installs the tab through a private temporary file, as Salt's
// _write_cron_lines.
func write(ctx context.Context, user string, t *Tab) (Result, error) {
	f, err := os.CreateTemp("", "__salt.tmp.")
	if err != nil {
		return Result{}, fmt.Errorf("cron: temporary crontab: %w", err)
	}
	defer os.Remove(f.Name())
	_, werr := f.WriteString(t.Render())
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return Result{}, fmt.Errorf("cron: writing %s: %w", f.Name(), werr)
	}
	return WriteFile(ctx, user, f.Name())
}

// IDOf is Salt's _cron_id.
func IDOf(j *Job) string {
	if data.Truthy(j.Identifier) {
		return data.Str(j.Identifier)
	}
	return noID
}

// Matched is Salt's _cron_matched: whether j is the entry for cmd and
// identifier (nil for none).
func Matched(j *Job, cmd string, identifier any) bool {
	cid := IDOf(j)
	if !data.Truthy(identifier) {
		identifier = noID
	}
	eid := data.Str(identifier)
	if j.Cmd != cmd && cid == noID && eid == noID {
		return false
	}
	if j.Cmd == cmd && cid == noID {
		cid = eid
	}
	return eid == cid
}

// NeedsChange is Salt's _needs_change.
func NeedsChange(old, new any) bool {
	if data.Equal(old, new) {
		return false
	}
	if s, ok := new.(string); ok && s == "random" {
		return data.Equal(old, "*")
	}
	return new != nil
}

// Spec are the arguments of set_job and set_special.
type Spec struct {
	Minute, Hour, Daymonth, Month, Dayweek string
	// Special is the @-spec for set_special ("" for a timed job).
	Special    string
	Cmd        string
	Commented  any
	Comment    any
	Identifier any
}

func (s *Spec) special() bool { return s.Special != "" }

// Set is set_job (or, with s.Special, set_special): "present", "new",
// "updated", or crontab's error text.
func Set(ctx context.Context, user string, s Spec) (string, error) {
	if !s.special() {
		for _, p := range []*string{&s.Minute, &s.Hour, &s.Daymonth, &s.Month, &s.Dayweek} {
			*p = strings.ToLower(*p)
		}
	}
	t, err := List(ctx, user)
	if err != nil {
		return "", err
	}
	for _, j := range append(append([]*Job{}, t.Crons...), t.Special...) {
		cid := IDOf(j)
		if !Matched(j, s.Cmd, s.Identifier) {
			continue
		}
		var setted any = noID
		if j.Identifier != nil {
			setted = j.Identifier
		}
		tests := [][2]any{{j.Comment, s.Comment}, {j.Commented, s.Commented}, {s.Identifier, setted}}
		if s.special() {
			tests = append(tests, [2]any{j.get("minute"), nil}, [2]any{j.get("hour"), nil}, [2]any{j.get("daymonth"), nil},
				[2]any{j.get("month"), nil}, [2]any{j.get("dayweek"), nil}, [2]any{j.get("spec"), s.Special})
		} else {
			tests = append(tests, [2]any{j.get("minute"), s.Minute}, [2]any{j.get("hour"), s.Hour}, [2]any{j.get("daymonth"), s.Daymonth},
				[2]any{j.get("month"), s.Month}, [2]any{j.get("dayweek"), s.Dayweek}, [2]any{j.get("spec"), nil})
		}
		tests = append(tests, [2]any{j.Cmd, s.Cmd})
		change := false
		for _, tt := range tests {
			if NeedsChange(tt[0], tt[1]) {
				change = true
			}
		}
		if !change {
			return "present", nil
		}
		if j.Special {
			if _, err := RmSpecial(ctx, user, s.Cmd, nil, cid); err != nil {
				return "", err
			}
		} else {
			if _, err := RmJob(ctx, user, s.Cmd, nil, cid); err != nil {
				return "", err
			}
		}
		keep := func(p *string, old any) {
			if !NeedsChange(old, *p) {
				if old == nil {
					*p = ""
				} else {
					*p = data.Str(old)
				}
			}
		}
		if s.special() {
			keep(&s.Special, j.get("spec"))
		} else {
			keep(&s.Minute, j.get("minute"))
			keep(&s.Hour, j.get("hour"))
			keep(&s.Daymonth, j.get("daymonth"))
			keep(&s.Month, j.get("month"))
			keep(&s.Dayweek, j.get("dayweek"))
		}
		if !NeedsChange(j.Commented, s.Commented) {
			s.Commented = j.Commented
		}
		if !NeedsChange(j.Comment, s.Comment) {
			s.Comment = j.Comment
		}
		var cidv any = cid
		if !NeedsChange(j.Cmd, s.Cmd) {
			if cid == noID {
				if data.Truthy(s.Identifier) {
					cidv = s.Identifier
				}
				if data.Equal(cidv, noID) && j.Identifier == nil {
					cidv = nil
				}
			}
		}
		if !data.Truthy(cidv) || !NeedsChange(cidv, s.Identifier) {
			s.Identifier = cidv
		}
		r, err := Set(ctx, user, s)
		if r == "new" {
			r = "updated"
		}
		return r, err
	}
	j := &Job{Cmd: s.Cmd, Identifier: s.Identifier, Comment: s.Comment, Commented: s.Commented == true}
	if s.special() {
		j.Special, j.Spec = true, s.Special
		t.Special = append(t.Special, j)
	} else {
		j.Minute, j.Hour, j.Daymonth, j.Month, j.Dayweek = dateTime(s)
		t.Crons = append(t.Crons, j)
	}
	r, err := write(ctx, user, t)
	if err != nil {
		return "", err
	}
	if r.Retcode != 0 {
		return r.Stderr, nil
	}
	return "new", nil
}

// dateTime is Salt's _get_cron_date_time: "random" and "a:b" ranges
// resolved for a new entry.
func dateTime(s Spec) (minute, hour, daymonth, month, dayweek string) {
	pick := func(v string, lo, hi int) string {
		if v == "random" {
			return strconv.Itoa(lo + rand.IntN(hi-lo))
		}
		if p := strings.Split(v, ":"); len(p) == 2 {
			sort.Strings(p)
			a, err1 := strconv.Atoi(p[0])
			b, err2 := strconv.Atoi(p[1])
			if err1 == nil && err2 == nil && b >= a {
				return strconv.Itoa(a + rand.IntN(b-a+1))
			}
		}
		return v
	}
	minute, hour, month, dayweek = pick(s.Minute, 0, 60), pick(s.Hour, 0, 24), pick(s.Month, 1, 13), pick(s.Dayweek, 0, 7)
	dmax := 28
	switch month {
	case "1", "3", "5", "7", "8", "10", "12":
		dmax = 31
	case "4", "6", "9", "11":
		dmax = 30
	}
	daymonth = s.Daymonth
	if daymonth == "random" {
		daymonth = strconv.Itoa(1 + rand.IntN(dmax))
	}
	return
}

// When are rm_job's optional date/time filters (nil: any).
type When struct{ Minute, Hour, Daymonth, Month, Dayweek any }

func (w *When) any() bool {
	return w != nil && (w.Minute != nil || w.Hour != nil || w.Daymonth != nil || w.Month != nil || w.Dayweek != nil)
}

func (w *When) match(j *Job) bool {
	for _, p := range [][2]any{{w.Minute, j.Minute}, {w.Hour, j.Hour}, {w.Daymonth, j.Daymonth}, {w.Month, j.Month}, {w.Dayweek, j.Dayweek}} {
		if p[0] == nil {
			continue
		}
		v := data.Str(p[0])
		if v != p[1] && !(strings.ToLower(v) == "random" && p[1] != "*") {
			return false
		}
	}
	return true
}

// RmJob is rm_job: "removed", "absent", or crontab's error text.
func RmJob(ctx context.Context, user, cmd string, when *When, identifier any) (string, error) {
	t, err := List(ctx, user)
	if err != nil {
		return "", err
	}
	for i, j := range t.Crons {
		if Matched(j, cmd, identifier) && (!when.any() || when.match(j)) {
			t.Crons = append(t.Crons[:i], t.Crons[i+1:]...)
			r, err := write(ctx, user, t)
			if err != nil {
				return "", err
			}
			if r.Retcode != 0 {
				return r.Stderr, nil
			}
			return "removed", nil
		}
	}
	return "absent", nil
}

// RmSpecial is rm_special: "removed", "absent", or crontab's error text.
// Like Salt it rewrites the crontab either way.
func RmSpecial(ctx context.Context, user, cmd string, special, identifier any) (string, error) {
	t, err := List(ctx, user)
	if err != nil {
		return "", err
	}
	ret := "absent"
	for i, j := range t.Special {
		if Matched(j, cmd, identifier) && (special == nil || data.Str(special) == j.Spec) {
			t.Special = append(t.Special[:i], t.Special[i+1:]...)
			ret = "removed"
			break
		}
	}
	r, err := write(ctx, user, t)
	if err != nil {
		return "", err
	}
	if r.Retcode != 0 {
		return r.Stderr, nil
	}
	return ret, nil
}

// SetEnv is set_env: "present", "new", "updated", or crontab's error.
func SetEnv(ctx context.Context, user, name string, value any) (string, error) {
	t, err := List(ctx, user)
	if err != nil {
		return "", err
	}
	for _, e := range t.Env {
		if e.Name != name {
			continue
		}
		if data.Equal(value, e.Value) {
			return "present", nil
		}
		if _, err := RmEnv(ctx, user, name); err != nil {
			return "", err
		}
		r, err := SetEnv(ctx, user, name, value)
		if r == "new" {
			r = "updated"
		}
		return r, err
	}
	t.Env = append(t.Env, Env{Name: name, Value: value})
	r, err := write(ctx, user, t)
	if err != nil {
		return "", err
	}
	if r.Retcode != 0 {
		return r.Stderr, nil
	}
	return "new", nil
}

// RmEnv is rm_env: "removed", "absent", or crontab's error text. Like
// Salt it rewrites the crontab either way.
func RmEnv(ctx context.Context, user, name string) (string, error) {
	t, err := List(ctx, user)
	if err != nil {
		return "", err
	}
	ret := "absent"
	idx := -1
	for i, e := range t.Env {
		if e.Name == name {
			idx = i
		}
	}
	if idx >= 0 {
		t.Env = append(t.Env[:idx], t.Env[idx+1:]...)
		ret = "removed"
	}
	r, err := write(ctx, user, t)
	if err != nil {
		return "", err
	}
	if r.Retcode != 0 {
		return r.Stderr, nil
	}
	return ret, nil
}

// optStr is an optional argument as nil or its str().
func optStr(v any) any {
	if v == nil {
		return nil
	}
	return data.Str(v)
}

func listTabFn(ctx context.Context, c *host.Call) (any, error) {
	t, err := List(ctx, c.Str("user"))
	if err != nil {
		return nil, err
	}
	return t.Map(), nil
}

func rawCronFn(ctx context.Context, c *host.Call) (any, error) {
	return Raw(ctx, c.Str("user"))
}

func getEntryFn(ctx context.Context, c *host.Call) (any, error) {
	t, err := List(ctx, c.Str("user"))
	if err != nil {
		return nil, err
	}
	id, cmd := c.Get("identifier"), c.Get("cmd")
	if data.Truthy(id) {
		cmd = nil
	}
	for _, j := range append(append([]*Job{}, t.Crons...), t.Special...) {
		if data.Truthy(id) && data.Equal(j.Identifier, id) {
			return j.Map(), nil
		}
		if data.Truthy(cmd) && data.Equal(j.Cmd, cmd) {
			return j.Map(), nil
		}
	}
	return false, nil
}

func setJobFn(ctx context.Context, c *host.Call) (any, error) {
	return Set(ctx, c.Str("user"), Spec{Minute: data.Str(c.Get("minute")), Hour: data.Str(c.Get("hour")),
		Daymonth: data.Str(c.Get("daymonth")), Month: data.Str(c.Get("month")), Dayweek: data.Str(c.Get("dayweek")),
		Cmd: c.Str("cmd"), Commented: c.Get("commented"), Comment: c.Get("comment"), Identifier: c.Get("identifier")})
}

func setSpecialFn(ctx context.Context, c *host.Call) (any, error) {
	return Set(ctx, c.Str("user"), Spec{Special: c.Str("special"), Cmd: c.Str("cmd"), Commented: c.Get("commented"),
		Comment: c.Get("comment"), Identifier: c.Get("identifier")})
}

func rmJobFn(ctx context.Context, c *host.Call) (any, error) {
	w := &When{c.Get("minute"), c.Get("hour"), c.Get("daymonth"), c.Get("month"), c.Get("dayweek")}
	return RmJob(ctx, c.Str("user"), c.Str("cmd"), w, optStr(c.Get("identifier")))
}

func rmSpecialFn(ctx context.Context, c *host.Call) (any, error) {
	return RmSpecial(ctx, c.Str("user"), c.Str("cmd"), c.Get("special"), optStr(c.Get("identifier")))
}

func setEnvFn(ctx context.Context, c *host.Call) (any, error) {
	return SetEnv(ctx, c.Str("user"), c.Str("name"), c.Get("value"))
}

func rmEnvFn(ctx context.Context, c *host.Call) (any, error) {
	return RmEnv(ctx, c.Str("user"), c.Str("name"))
}

func writeCronFileFn(ctx context.Context, c *host.Call) (any, error) {
	r, err := WriteFile(ctx, c.Str("user"), c.Str("path"))
	if err != nil {
		return nil, err
	}
	return r.Retcode == 0, nil
}

func writeCronFileVerboseFn(ctx context.Context, c *host.Call) (any, error) {
	r, err := WriteFile(ctx, c.Str("user"), c.Str("path"))
	if err != nil {
		return nil, err
	}
	return r.Map(), nil
}
