// Package file is Salt's file state module (salt/states/file.py): managed,
// directory, absent, symlink, copy, recurse, line, replace, append,
// prepend, blockreplace, touch, exists, missing and serialize, with Salt's
// comments and changes. The work is done by package modules/file, which
// the file execution module shares.
package file

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient"
	"github.com/saltgo/saltgo/host"
	filemod "github.com/saltgo/saltgo/modules/file"
	"github.com/saltgo/saltgo/render"
	"github.com/saltgo/saltgo/state"
)

// fn registers a state function that takes **kwargs, as most of Salt's do.
func fn(name, doc string, params []host.Param, f func(ctx context.Context, c *host.Call, r *run) error) *host.Func {
	return &host.Func{Name: name, Doc: doc, Params: params, VarKwargs: true, Fn: func(ctx context.Context, c *host.Call) (any, error) {
		r := newRun(c)
		if err := f(ctx, c, r); err != nil {
			return nil, err
		}
		return r.ret(), nil
	}}
}

// fixed registers a state function without **kwargs (Salt's touch,
// replace, append, prepend, blockreplace, line): an unknown argument is
// the engine's "invalid keyword argument" error, as in Salt.
func fixed(name, doc string, params []host.Param, f func(ctx context.Context, c *host.Call, r *run) error) *host.Func {
	h := fn(name, doc, params, f)
	h.VarKwargs = false
	return h
}

func init() {
	p := func(ps ...host.Param) []host.Param { return ps }
	req, opt := host.Req, host.Opt
	host.Register(&host.Module{Kind: host.State, Name: "file", Doc: "Operations on regular files, special files, directories, and symlinks.", Funcs: []*host.Func{
		fn("managed", "Manage a given file, this function allows for a file to be downloaded from the salt master and potentially run through a templating system.", p(
			req("name"), opt("source", nil), opt("source_hash", ""), opt("source_hash_name", nil), opt("keep_source", true),
			opt("user", nil), opt("group", nil), opt("mode", nil), opt("attrs", nil), opt("template", nil), opt("makedirs", false),
			opt("dir_mode", nil), opt("context", nil), opt("replace", true), opt("defaults", nil), opt("backup", ""),
			opt("show_changes", true), opt("create", true), opt("contents", nil), opt("tmp_dir", ""), opt("tmp_ext", ""),
			opt("contents_pillar", nil), opt("contents_grains", nil), opt("contents_newline", true), opt("contents_delimiter", ":"),
			opt("encoding", nil), opt("encoding_errors", "strict"), opt("allow_empty", true), opt("follow_symlinks", true),
			opt("check_cmd", nil), opt("skip_verify", false), opt("selinux", nil), opt("win_owner", nil), opt("win_perms", nil),
			opt("win_deny_perms", nil), opt("win_inheritance", true), opt("win_perms_reset", false), opt("verify_ssl", true),
			opt("use_etag", false), opt("signature", nil), opt("source_hash_sig", nil), opt("signed_by_any", nil),
			opt("signed_by_all", nil), opt("keyring", nil), opt("gnupghome", nil)), managed),
		fn("directory", "Ensure that a named directory is present and has the right perms.", p(
			req("name"), opt("user", nil), opt("group", nil), opt("recurse", nil), opt("max_depth", nil), opt("dir_mode", nil),
			opt("file_mode", nil), opt("makedirs", false), opt("clean", false), opt("require", nil), opt("exclude_pat", nil),
			opt("follow_symlinks", false), opt("force", false), opt("backupname", nil), opt("allow_symlink", true),
			opt("children_only", false)), directory),
		fn("absent", "Make sure that the named file or directory is absent.", p(req("name")), absent),
		fn("exists", "Verify that the named file or directory is present or exists.", p(req("name")), existsState),
		fn("missing", "Verify that the named file or directory is missing.", p(req("name")), missingState),
		fn("symlink", "Create a symbolic link (symlink, soft link).", p(
			req("name"), req("target"), opt("force", false), opt("backupname", nil), opt("makedirs", false),
			opt("user", nil), opt("group", nil), opt("mode", nil)), symlink),
		fn("copy", "If the file defined by the source option exists on the minion, copy it to the named path.", p(
			req("name"), req("source"), opt("force", false), opt("makedirs", false), opt("preserve", false),
			opt("user", nil), opt("group", nil), opt("mode", nil), opt("dir_mode", nil), opt("subdir", false)), copyState),
		fixed("touch", "Replicate the 'nix \"touch\" command to create a new empty file or update the atime and mtime of an existing file.", p(
			req("name"), opt("atime", nil), opt("mtime", nil), opt("makedirs", false)), touch),
		fixed("replace", "Maintain an edit in a file.", p(
			req("name"), req("pattern"), req("repl"), opt("count", 0), opt("flags", 8), opt("bufsize", 1),
			opt("append_if_not_found", false), opt("prepend_if_not_found", false), opt("not_found_content", nil),
			opt("backup", ".bak"), opt("show_changes", true), opt("ignore_if_missing", false), opt("backslash_literal", false)), replace),
		fixed("append", "Ensure that some text appears at the end of a file.", p(
			req("name"), opt("text", nil), opt("makedirs", false), opt("source", nil), opt("source_hash", nil),
			opt("template", "jinja"), opt("sources", nil), opt("source_hashes", nil), opt("defaults", nil),
			opt("context", nil), opt("ignore_whitespace", true)), appendState),
		fixed("prepend", "Ensure that some text appears at the beginning of a file.", p(
			req("name"), opt("text", nil), opt("makedirs", false), opt("source", nil), opt("source_hash", nil),
			opt("template", "jinja"), opt("sources", nil), opt("source_hashes", nil), opt("defaults", nil),
			opt("context", nil), opt("header", nil)), prepend),
		fixed("blockreplace", "Maintain an edit in a file in a zone delimited by two line markers.", p(
			req("name"), opt("marker_start", "#-- start managed zone --"), opt("marker_end", "#-- end managed zone --"),
			opt("source", nil), opt("source_hash", nil), opt("template", "jinja"), opt("sources", nil), opt("source_hashes", nil),
			opt("defaults", nil), opt("context", nil), opt("content", ""), opt("append_if_not_found", false),
			opt("prepend_if_not_found", false), opt("backup", ".bak"), opt("show_changes", true), opt("append_newline", nil),
			opt("insert_before_match", nil), opt("insert_after_match", nil)), blockreplace),
		fixed("line", "Line-focused editing of a file.", p(
			req("name"), opt("content", nil), opt("match", nil), opt("mode", nil), opt("location", nil), opt("before", nil),
			opt("after", nil), opt("show_changes", true), opt("backup", false), opt("quiet", false), opt("indent", true),
			opt("create", false), opt("user", nil), opt("group", nil), opt("file_mode", nil)), line),
		fn("recurse", "Recurse through a subdirectory on the master and copy said subdirectory over to the specified path.", p(
			req("name"), req("source"), opt("keep_source", true), opt("clean", false), opt("require", nil), opt("user", nil),
			opt("group", nil), opt("dir_mode", nil), opt("file_mode", nil), opt("sym_mode", nil), opt("template", nil),
			opt("context", nil), opt("replace", true), opt("defaults", nil), opt("include_empty", false), opt("backup", ""),
			opt("include_pat", nil), opt("exclude_pat", nil), opt("maxdepth", nil), opt("keep_symlinks", false),
			opt("force_symlinks", false)), recurse),
		fn("serialize", "Serializes dataset and store it into managed file.", p(
			req("name"), opt("dataset", nil), opt("dataset_pillar", nil), opt("user", nil), opt("group", nil), opt("mode", nil),
			opt("backup", ""), opt("makedirs", false), opt("show_changes", true), opt("create", true), opt("merge_if_exists", false),
			opt("encoding", nil), opt("encoding_errors", "strict"), opt("serializer", nil), opt("serializer_opts", nil),
			opt("deserializer_opts", nil)), serialize),
		{Name: "mod_run_check_cmd", Doc: "Execute the check_cmd logic: True when cmd succeeds on filename, else a result dict.",
			Params: []host.Param{req("cmd"), req("filename")}, VarKwargs: true, Fn: modRunCheckCmd},
	}})
}

// modRunCheckCmd is Salt's mod_run_check_cmd state function (its presence
// tells the engine that file.managed runs check_cmd itself).
func modRunCheckCmd(ctx context.Context, c *host.Call) (any, error) {
	kw := data.M("__kwarg__", true)
	c.Kwargs().Range(func(k, v any) bool {
		if s, ok := k.(string); ok && !strings.HasPrefix(s, "__") {
			kw.Set(k, v)
		}
		return true
	})
	res := host.Run(ctx, c.Env, host.Request{Kind: host.Exec, Fun: "cmd.run_all", Args: []any{c.Str("cmd") + " " + c.Str("filename"), kw}})
	if res.Err != nil {
		return nil, res.Err
	}
	out, _ := res.Return.(*data.Map)
	if rc, _ := out.Get("retcode"); data.Equal(rc, int64(0)) {
		return true, nil
	}
	comment := "check_cmd execution failed"
	if so, _ := out.String("stdout"); so != "" {
		comment += "\n" + so
	}
	if se, _ := out.String("stderr"); se != "" {
		comment += "\n" + se
	}
	return data.M("comment", comment, "skip_watch", true, "result", false), nil
}

// run is one state call: its arguments, chunk and result.
type run struct {
	c    *host.Call
	ch   *state.Chunk
	name string
	// retName is the name the return carries (Salt builds the return
	// before file.directory strips a trailing slash).
	retName string
	res     *filemod.Result
	// skipWatch adds Salt's skip_watch: True (a failed check_cmd).
	skipWatch bool
}

func newRun(c *host.Call) *run {
	ch := state.Of(c)
	if ch == nil {
		ch = &state.Chunk{Low: data.NewMap(), Saltenv: "base"}
	}
	if ch.Saltenv == "" {
		ch.Saltenv = "base"
	}
	name := expandUser(c.Str("name"))
	return &run{c: c, ch: ch, name: name, retName: name, res: filemod.NewResult()}
}

func (r *run) ret() *data.Map {
	m := data.M("name", r.retName, "changes", r.res.Changes, "result", r.res.Result, "comment", r.res.Comment)
	if len(r.res.Warnings) > 0 {
		m.Set("warnings", r.res.Warnings)
	}
	if r.skipWatch {
		m.Set("skip_watch", true)
	}
	return m
}

func (r *run) fail(msg string) error {
	r.res.Fail(msg)
	return nil
}

func (r *run) test() bool { return r.ch.Test }

// opt returns an option of the minion.
func (r *run) opt(key string) (any, bool) { return r.c.Env.Opt(key) }

func (r *run) cachedir() string {
	if v, ok := r.opt("cachedir"); ok {
		return data.Str(v)
	}
	return "/var/cache/salt/minion"
}

// files returns the run's file client (the chunk's, else a new one).
func (r *run) files() (fileclient.Client, error) {
	if r.ch.Files != nil {
		return r.ch.Files, nil
	}
	fc, err := fileclient.New(r.c.Env)
	if err != nil {
		return nil, fmt.Errorf("file client: %w", err)
	}
	r.ch.Files = fc
	return fc, nil
}

func (r *run) source() (*filemod.Source, error) {
	s := &filemod.Source{Saltenv: r.ch.Saltenv, Cachedir: r.cachedir()}
	if v := r.c.Get("verify_ssl"); v != nil && !data.Truthy(v) {
		// verify_ssl: False skips the certificate check of https sources.
		s.HTTP = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // the state asked for it
	}
	fc, err := r.files()
	if err != nil {
		return s, err
	}
	s.Files = fc
	return s, nil
}

// owner returns the user argument (or Salt's undocumented "owner").
func (r *run) owner() any {
	if u := r.c.Get("user"); data.Truthy(u) {
		return u
	}
	if v, ok := r.c.Kwargs().Get("owner"); ok {
		return v
	}
	return r.c.Get("user")
}

// checkUser is Salt's _check_user.
func (r *run) checkUser(usr, grp any) string {
	var msg string
	if data.Truthy(usr) && filemod.UserToUID(usr) == "" {
		msg += fmt.Sprintf("User %s is not available ", data.Str(usr))
	}
	if data.Truthy(grp) && filemod.GroupToGID(grp) == "" {
		msg += fmt.Sprintf("Group %s is not available", data.Str(grp))
	}
	if msg != "" && r.test() {
		r.c.Env.Logger().Warn(msg)
		return ""
	}
	return msg
}

// renderer returns the template renderer of file.managed & co: Jinja with
// salt, grains, pillar, opts, saltenv, the state's own arguments and the
// defaults/context maps, plus tpl* (no sls/slspath, as Salt).
func (r *run) renderer(source string, extra *data.Map) func(ctx context.Context, src []byte) ([]byte, error) {
	return func(ctx context.Context, src []byte) ([]byte, error) {
		env := r.c.Env
		vars := map[string]any{
			"grains": orEmpty(env.Grains), "pillar": orEmpty(env.Pillar), "opts": orEmpty(env.Opts),
			"saltenv": r.ch.Saltenv, "name": r.name, "source": source,
			"user": r.c.Get("user"), "group": r.c.Get("group"), "mode": r.c.Get("mode"), "attrs": r.c.Get("attrs"),
		}
		if p, _ := fileclient.SplitEnv(source); strings.HasPrefix(source, "salt://") {
			rel := strings.TrimPrefix(p, "salt://")
			dir := filepath.Dir(rel)
			vars["tplfile"] = rel
			vars["tpldir"] = dir
			if dir == "." {
				vars["tpldot"] = ""
			} else {
				vars["tpldot"] = strings.ReplaceAll(dir, "/", ".")
			}
			if fc, err := r.files(); err == nil {
				vars["tplpath"] = fc.CachePath(r.ch.Saltenv, rel)
			}
		}
		if extra != nil {
			extra.Range(func(k, v any) bool {
				vars[data.Str(k)] = v
				return true
			})
		}
		fc, _ := r.files()
		salt, has := render.HostFuncs(env)
		out, err := render.Render(ctx, src, render.Options{
			Pipeline: "jinja", Vars: vars, Files: fc, Saltenv: r.ch.Saltenv, Salt: salt, SaltHas: has,
		})
		if err != nil {
			return nil, err
		}
		switch v := out.(type) {
		case string:
			return []byte(v), nil
		case []byte:
			return v, nil
		}
		return []byte(data.Str(out)), nil
	}
}

func orEmpty(m *data.Map) *data.Map {
	if m == nil {
		return data.NewMap()
	}
	return m
}

// mergeContext is Salt's defaults.update(context).
func mergeContext(defaults, ctx any) (*data.Map, string) {
	out := data.NewMap()
	if defaults != nil {
		d, ok := defaults.(*data.Map)
		if !ok {
			return nil, "Defaults must be formed as a dict"
		}
		d.Range(func(k, v any) bool { out.Set(k, v); return true })
	}
	if ctx != nil {
		c, ok := ctx.(*data.Map)
		if !ok {
			return nil, "Context must be formed as a dict"
		}
		c.Range(func(k, v any) bool { out.Set(k, v); return true })
	}
	return out, ""
}

func expandUser(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if h, err := os.UserHomeDir(); err == nil {
			return h + p[1:]
		}
	}
	return p
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func isLink(p string) bool {
	st, err := os.Lstat(p)
	return err == nil && st.Mode()&os.ModeSymlink != 0
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func lexists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// checkFile is Salt's _check_file.
func checkFile(name string) (bool, string) {
	if !filepath.IsAbs(name) {
		return false, fmt.Sprintf("Specified file %s is not an absolute path", name)
	}
	if !exists(name) {
		return false, fmt.Sprintf("%s: file not found", name)
	}
	return true, ""
}
