// Package cp is Salt's cp execution module (salt/modules/cp.py): copying
// files from the master's file server (or file_roots when masterless) and
// from URLs to the minion, and asking the file server what it holds.
//
// Every function uses package fileclient (fileclient.Open of the call's
// environment). push, push_dir, recv and recv_chunked are not provided.
package cp

import (
	"context"

	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/saltgo/saltgo/atomicfile"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient"
	"github.com/saltgo/saltgo/fileserver"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/render"
)

func init() {
	host.Register(&host.Module{Kind: host.Exec, Name: "cp", Doc: "Minion side functions for salt-cp", Funcs: []*host.Func{
		{Name: "get_file", Params: []host.Param{host.Req("path"), host.Req("dest"), host.Opt("saltenv", nil), host.Opt("makedirs", false),
			host.Opt("template", nil), host.Opt("gzip", nil)}, VarKwargs: true, Fn: getFile, Doc: doc(`Used to get a single file from the salt master (or file_roots when masterless).
dest can be a directory; gzip (1-9) compresses each chunk on the wire.

CLI Example:

    salt '*' cp.get_file salt://path/to/file /minion/dest`)},
		{Name: "envs", Fn: envs, Doc: doc(`List available environments for fileserver

CLI Example:

    salt '*' cp.envs`)},
		{Name: "get_template", Params: []host.Param{host.Req("path"), host.Req("dest"), host.Opt("template", "jinja"),
			host.Opt("saltenv", nil), host.Opt("makedirs", false)}, VarKwargs: true, Fn: getTemplate, Doc: doc(`Render a file as a template before setting it down.

CLI Example:

    salt '*' cp.get_template salt://path/to/template /minion/dest`)},
		{Name: "get_dir", Params: []host.Param{host.Req("path"), host.Req("dest"), host.Opt("saltenv", nil), host.Opt("template", nil),
			host.Opt("gzip", nil)}, VarKwargs: true, Fn: getDir, Doc: doc(`Used to recursively copy a directory from the salt master

CLI Example:

    salt '*' cp.get_dir salt://path/to/dir/ /minion/dest`)},
		{Name: "get_url", Params: []host.Param{host.Req("path"), host.Opt("dest", ""), host.Opt("saltenv", nil), host.Opt("makedirs", false),
			host.Opt("source_hash", nil)}, Fn: getURL, Doc: doc(`Used to get a single file from a URL (salt://, http://, https://, file://).
With dest None the content is returned.

CLI Example:

    salt '*' cp.get_url salt://my/file /tmp/this_file_is_mine
    salt '*' cp.get_url http://www.slashdot.org /tmp/index.html`)},
		{Name: "get_file_str", Params: []host.Param{host.Req("path"), host.Opt("saltenv", nil)}, Fn: getFileStr, Doc: doc(`Download a file from a URL to the Minion cache directory and return the
contents of that file

CLI Example:

    salt '*' cp.get_file_str salt://my/file`)},
		{Name: "cache_file", Params: []host.Param{host.Req("path"), host.Opt("saltenv", nil), host.Opt("source_hash", nil),
			host.Opt("verify_ssl", true), host.Opt("use_etag", false)}, Fn: cacheFile, Doc: doc(`Used to cache a single file on the Minion; returns the location of the
new cached file on the Minion.

CLI Example:

    salt '*' cp.cache_file salt://path/to/file`)},
		{Name: "cache_dest", Params: []host.Param{host.Req("url"), host.Opt("saltenv", nil)}, Fn: cacheDest, Doc: doc(`Returns the expected cache path for the file, if cached using
cp.cache_file.

CLI Example:

    salt '*' cp.cache_dest salt://path/to/file`)},
		{Name: "cache_files", Params: []host.Param{host.Req("paths"), host.Opt("saltenv", nil)}, Fn: cacheFiles, Doc: doc(`Used to gather many files from the Master, the gathered files will be
saved in the minion cachedir reflective to the paths retrieved from the
Master

CLI Example:

    salt '*' cp.cache_files salt://pathto/file1,salt://pathto/file1`)},
		{Name: "cache_dir", Params: []host.Param{host.Req("path"), host.Opt("saltenv", nil), host.Opt("include_empty", false),
			host.Opt("include_pat", nil), host.Opt("exclude_pat", nil)}, Fn: cacheDir, Doc: doc(`Download and cache everything under a directory from the master

CLI Example:

    salt '*' cp.cache_dir salt://path/to/dir`)},
		{Name: "cache_master", Params: []host.Param{host.Opt("saltenv", nil)}, Fn: cacheMaster, Doc: doc(`Retrieve all of the files on the master and cache them locally

CLI Example:

    salt '*' cp.cache_master`)},
		{Name: "cache_local_file", Params: []host.Param{host.Req("path")}, Fn: cacheLocalFile, Doc: doc(`Cache a local file on the minion in the localfiles cache

CLI Example:

    salt '*' cp.cache_local_file /etc/hosts`)},
		{Name: "list_states", Params: []host.Param{host.Opt("saltenv", nil)}, Fn: listStates, Doc: doc(`List all of the available state files in an environment

CLI Example:

    salt '*' cp.list_states`)},
		{Name: "list_master", Params: []host.Param{host.Opt("saltenv", nil), host.Opt("prefix", "")}, Fn: listMaster, Doc: doc(`List all of the files stored on the master

CLI Example:

    salt '*' cp.list_master`)},
		{Name: "list_master_dirs", Params: []host.Param{host.Opt("saltenv", nil), host.Opt("prefix", "")}, Fn: listMasterDirs, Doc: doc(`List all of the directories stored on the master

CLI Example:

    salt '*' cp.list_master_dirs`)},
		{Name: "list_master_symlinks", Params: []host.Param{host.Opt("saltenv", nil), host.Opt("prefix", "")}, Fn: listMasterSymlinks, Doc: doc(`List all of the symlinks stored on the master

CLI Example:

    salt '*' cp.list_master_symlinks`)},
		{Name: "list_minion", Params: []host.Param{host.Opt("saltenv", nil)}, Fn: listMinion, Doc: doc(`List all of the files cached on the minion

CLI Example:

    salt '*' cp.list_minion`)},
		{Name: "is_cached", Params: []host.Param{host.Req("path"), host.Opt("saltenv", nil)}, Fn: isCached, Doc: doc(`Returns the full path to a file if it is cached locally on the minion
otherwise returns a blank string

CLI Example:

    salt '*' cp.is_cached salt://path/to/file`)},
		{Name: "hash_file", Params: []host.Param{host.Req("path"), host.Opt("saltenv", nil)}, Fn: hashFile, Doc: doc(`Return the hash of a file, to get the hash of a file on the
salt master file server prepend the path with salt://<file on server>
otherwise, prepend the file with / for a local file.

CLI Example:

    salt '*' cp.hash_file salt://path/to/file`)},
		{Name: "stat_file", Params: []host.Param{host.Req("path"), host.Opt("saltenv", nil), host.Opt("octal", true)}, Fn: statFile, Doc: doc(`Return the permissions of a file, to get the permissions of a file on the
salt master file server prepend the path with salt://<file on server>
otherwise, prepend the file with / for a local file.

CLI Example:

    salt '*' cp.stat_file salt://path/to/file`)},
	}})
}

func doc(s string) string { return "\n" + s + "\n" }

// client opens the file client of the call's environment.
func client(c *host.Call) (*fileclient.FileClient, error) {
	fc, err := fileclient.Open(c.Env)
	if err != nil {
		return nil, host.Errorf("%v", err)
	}
	return fc, nil
}

// saltenv is the call's saltenv: the argument, else the saltenv option,
// else "base" (`saltenv or __opts__["saltenv"] or "base"`).
func saltenv(c *host.Call) string {
	if v := c.Get("saltenv"); data.Truthy(v) {
		return data.Str(v)
	}
	if v, ok := c.Env.Opt("saltenv"); ok && data.Truthy(v) {
		return data.Str(v)
	}
	return "base"
}

// splitEnv applies a salt:// url's ?saltenv= to env.
func splitEnv(url, env string) (string, string) {
	if !strings.HasPrefix(url, "salt://") {
		return url, env
	}
	p, senv := fileclient.SplitEnv(url)
	if senv != "" {
		env = senv
	}
	return fileclient.SaltURL(p, ""), env
}

// orFalse is Salt's "path or False".
func orFalse(p string) any {
	if p == "" {
		return false
	}
	return p
}

func gzipLevel(c *host.Call) (int, error) {
	v := c.Get("gzip")
	if v == nil {
		return 0, nil
	}
	n, ok := data.AsInt(v)
	if !ok {
		if s, ok := v.(string); ok {
			if _, err := fmt.Sscanf(s, "%d", &n); err == nil {
				return int(n), nil
			}
		}
		return 0, host.Invalidf("gzip must be an integer 1-9, not %s", data.Repr(v))
	}
	return int(n), nil
}

func getFile(ctx context.Context, c *host.Call) (any, error) {
	env := saltenv(c)
	path, dest, err := renderFilenames(ctx, c, c.Str("path"), c.Str("dest"), env)
	if err != nil {
		return nil, err
	}
	path, env = splitEnv(path, env)
	gz, err := gzipLevel(c)
	if err != nil {
		return nil, err
	}
	fc, err := client(c)
	if err != nil {
		return nil, err
	}
	h, err := fc.HashFileReply(ctx, path, env)
	if err != nil {
		return nil, err
	}
	if !data.Truthy(h) {
		return "", nil
	}
	got, err := fc.GetFile(ctx, path, dest, c.Bool("makedirs"), env, gz)
	if err != nil {
		return nil, err
	}
	return orFalse(got), nil
}

func envs(ctx context.Context, c *host.Call) (any, error) {
	fc, err := client(c)
	if err != nil {
		return nil, err
	}
	l, err := fc.Envs(ctx)
	if err != nil {
		return nil, err
	}
	return data.List(l), nil
}

func getDir(ctx context.Context, c *host.Call) (any, error) {
	env := saltenv(c)
	path, dest, err := renderFilenames(ctx, c, c.Str("path"), c.Str("dest"), env)
	if err != nil {
		return nil, err
	}
	gz, err := gzipLevel(c)
	if err != nil {
		return nil, err
	}
	fc, err := client(c)
	if err != nil {
		return nil, err
	}
	l, err := fc.GetDir(ctx, path, dest, env, gz)
	if err != nil {
		return nil, err
	}
	return data.List(l), nil
}

// hashForm is salt.utils.files.HASHES_REVMAP: the hash type of a hex
// digest, by its length.
var hashForm = map[int]string{32: "md5", 40: "sha1", 56: "sha224", 64: "sha256", 96: "sha384", 128: "sha512"}

// cachedMatches reports whether the extrn_files copy of an http(s) url
// already has source_hash (get_url's skip-download check).
func cachedMatches(fc *fileclient.FileClient, url, env string, sourceHash any) (string, bool) {
	if sourceHash == nil || !(strings.HasPrefix(url, "http://") || strings.HasPrefix(url, "https://")) {
		return "", false
	}
	sh := data.Str(sourceHash)
	if i := strings.LastIndex(sh, "="); i >= 0 {
		sh = sh[i+1:]
	}
	form, ok := hashForm[len(sh)]
	if !ok {
		return "", false
	}
	dest := fc.ExtrnPath(url, env)
	sum, err := fileserver.HashFile(dest, form)
	if err != nil || !strings.EqualFold(sum, sh) {
		return "", false
	}
	return dest, true
}

func getURL(ctx context.Context, c *host.Call) (any, error) {
	env := saltenv(c)
	path := c.Str("path")
	fc, err := client(c)
	if err != nil {
		return nil, err
	}
	if c.Get("dest") == nil {
		b, ok, err := fc.ReadURL(ctx, path, env)
		if err != nil {
			return nil, host.Errorf("%v", err)
		}
		if !ok {
			return false, nil
		}
		if utf8.Valid(b) {
			return string(b), nil
		}
		return b, nil
	}
	dest := c.Str("dest")
	if dest == "" {
		if p, ok := cachedMatches(fc, path, env, c.Get("source_hash")); ok {
			return p, nil
		}
	}
	got, err := fc.GetURL(ctx, path, dest, c.Bool("makedirs"), env)
	if err != nil {
		return nil, host.Errorf("%v", err)
	}
	if !strings.HasPrefix(path, "salt://") {
		return got, nil // get_url's "" (a missing destination directory)
	}
	return orFalse(got), nil
}

func getFileStr(ctx context.Context, c *host.Call) (any, error) {
	fn, err := cacheFile(ctx, c)
	if err != nil {
		return nil, err
	}
	p, ok := fn.(string)
	if !ok {
		return fn, nil
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return false, nil
	}
	return string(b), nil
}

func cacheFile(ctx context.Context, c *host.Call) (any, error) {
	path, env := splitEnv(c.Str("path"), saltenv(c))
	fc, err := client(c)
	if err != nil {
		return nil, err
	}
	if p, ok := cachedMatches(fc, path, env, c.Get("source_hash")); ok {
		return p, nil
	}
	got, err := fc.WithVerifySSL(data.Truthy(c.Get("verify_ssl"))).CacheFile(ctx, path, env)
	if err != nil {
		return nil, host.Errorf("%v", err)
	}
	return orFalse(got), nil
}

func cacheDest(_ context.Context, c *host.Call) (any, error) {
	fc, err := client(c)
	if err != nil {
		return nil, err
	}
	return fc.CacheDest(c.Str("url"), saltenv(c)), nil
}

func cacheFiles(ctx context.Context, c *host.Call) (any, error) {
	var paths []string
	switch v := c.Get("paths").(type) {
	case string:
		paths = strings.Split(v, ",")
	case []any:
		for _, e := range v {
			paths = append(paths, data.Str(e))
		}
	default:
		return nil, host.Invalidf("paths must be a list or a comma-separated string, not %s", data.Repr(v))
	}
	env := saltenv(c)
	fc, err := client(c)
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(paths))
	for _, p := range paths {
		p, e := splitEnv(p, env)
		got, err := fc.CacheFile(ctx, p, e)
		if err != nil {
			return nil, host.Errorf("%v", err)
		}
		out = append(out, orFalse(got))
	}
	return out, nil
}

func cacheDir(ctx context.Context, c *host.Call) (any, error) {
	fc, err := client(c)
	if err != nil {
		return nil, err
	}
	l, err := fc.CacheDir(ctx, c.Str("path"), saltenv(c), c.Bool("include_empty"), c.Str("include_pat"), c.Str("exclude_pat"))
	if err != nil {
		return nil, host.Errorf("%v", err)
	}
	return data.List(l), nil
}

func cacheMaster(ctx context.Context, c *host.Call) (any, error) {
	env := saltenv(c)
	fc, err := client(c)
	if err != nil {
		return nil, err
	}
	files, err := fc.FileList(ctx, env, "")
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(files))
	for _, f := range files {
		got, err := fc.CacheFile(ctx, fileclient.SaltURL(f, ""), env)
		if err != nil {
			return nil, host.Errorf("%v", err)
		}
		out = append(out, orFalse(got))
	}
	return out, nil
}

func cacheLocalFile(ctx context.Context, c *host.Call) (any, error) {
	path := c.Str("path")
	if _, err := os.Stat(path); err != nil {
		return "", nil
	}
	fc, err := client(c)
	if err != nil {
		return nil, err
	}
	if cached := fc.IsCached(path, saltenv(c)); cached != "" {
		a, err1 := fc.HashFile(ctx, path, "base")
		b, err2 := fc.HashFile(ctx, cached, "base")
		if err1 == nil && err2 == nil && a == b {
			return cached, nil
		}
	}
	p, err := fc.CacheLocalFile(path)
	if err != nil {
		return nil, host.Errorf("%v", err)
	}
	return p, nil
}

func strList(l []string, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return data.List(l), nil
}

func listStates(ctx context.Context, c *host.Call) (any, error) {
	fc, err := client(c)
	if err != nil {
		return nil, err
	}
	return strList(fc.ListStates(ctx, saltenv(c)))
}

func listMaster(ctx context.Context, c *host.Call) (any, error) {
	fc, err := client(c)
	if err != nil {
		return nil, err
	}
	return strList(fc.FileList(ctx, saltenv(c), c.Str("prefix")))
}

func listMasterDirs(ctx context.Context, c *host.Call) (any, error) {
	fc, err := client(c)
	if err != nil {
		return nil, err
	}
	return strList(fc.DirList(ctx, saltenv(c), c.Str("prefix")))
}

func listMasterSymlinks(ctx context.Context, c *host.Call) (any, error) {
	fc, err := client(c)
	if err != nil {
		return nil, err
	}
	m, err := fc.SymlinkList(ctx, saltenv(c), c.Str("prefix"))
	if err != nil {
		return nil, err
	}
	out := data.NewMap()
	for _, k := range fileclient.SortedLinks(m) {
		out.Set(k, m[k])
	}
	return out, nil
}

func listMinion(_ context.Context, c *host.Call) (any, error) {
	fc, err := client(c)
	if err != nil {
		return nil, err
	}
	return data.List(fc.FileLocalList(saltenv(c))), nil
}

func isCached(_ context.Context, c *host.Call) (any, error) {
	path, env := splitEnv(c.Str("path"), saltenv(c))
	fc, err := client(c)
	if err != nil {
		return nil, err
	}
	return fc.IsCached(path, env), nil
}

func hashFile(ctx context.Context, c *host.Call) (any, error) {
	path, env := splitEnv(c.Str("path"), saltenv(c))
	fc, err := client(c)
	if err != nil {
		return nil, err
	}
	return fc.HashFileReply(ctx, path, env)
}

func statFile(ctx context.Context, c *host.Call) (any, error) {
	path, env := splitEnv(c.Str("path"), saltenv(c))
	fc, err := client(c)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(path, "salt://") {
		// hash_and_stat_file asks _file_hash, then _file_find.
		if _, err := fc.HashFileReply(ctx, path, env); err != nil {
			return nil, err
		}
	}
	st, err := fc.StatFile(ctx, path, env)
	if err != nil {
		return nil, err
	}
	if len(st) == 0 {
		return nil, nil
	}
	mode, ok := data.AsInt(st[0])
	if !ok {
		return nil, host.Errorf("the file server sent a stat mode %s", data.Repr(st[0]))
	}
	if data.Equal(c.Get("octal"), true) {
		s := fmt.Sprintf("0o%o", mode)
		return s[len(s)-4:], nil
	}
	return mode, nil
}

// ctxVars are the template context get_template and the file-name
// templates get: salt, pillar, grains, opts, saltenv and the extra
// keyword arguments.
func ctxVars(c *host.Call, env string) map[string]any {
	vars := map[string]any{}
	c.Kwargs().Range(func(k, v any) bool {
		ks := data.Str(k)
		if !strings.HasPrefix(ks, "__") {
			vars[ks] = v
		}
		return true
	})
	setDef := func(k string, v any) {
		if _, ok := vars[k]; !ok {
			vars[k] = v
		}
	}
	setDef("pillar", orEmpty(c.Env.Pillar))
	setDef("grains", orEmpty(c.Env.Grains))
	setDef("opts", orEmpty(c.Env.Opts))
	vars["saltenv"] = env
	return vars
}

func orEmpty(m *data.Map) *data.Map {
	if m == nil {
		return data.NewMap()
	}
	return m
}

// renderString renders text with a template engine (only jinja).
func renderString(ctx context.Context, c *host.Call, fc fileclient.Client, template, env string, src []byte) (string, error) {
	if template != "jinja" {
		return "", fmt.Errorf("Attempted to render with unavailable engine %s", template)
	}
	if strings.TrimSpace(string(src)) == "" {
		return string(src), nil // render.Render makes {} of it; Jinja gives it back
	}
	salt, has := render.HostFuncs(c.Env)
	out, err := render.Render(ctx, src, render.Options{Pipeline: "jinja", Vars: ctxVars(c, env), Salt: salt, SaltHas: has, Files: fc, Saltenv: env})
	if err != nil {
		return "", err
	}
	s, ok := out.(string)
	if !ok {
		return "", fmt.Errorf("the jinja renderer returned a %s", data.TypeStr(out))
	}
	return s, nil
}

// renderFilenames is cp._render_filenames: path and dest rendered as
// templates when template is given.
func renderFilenames(ctx context.Context, c *host.Call, path, dest, env string) (string, string, error) {
	t := c.Get("template")
	if !data.Truthy(t) {
		return path, dest, nil
	}
	tmpl := data.Str(t)
	if tmpl != "jinja" {
		return "", "", host.Errorf("Attempted to render file paths with unavailable engine %s", tmpl)
	}
	fc, err := client(c)
	if err != nil {
		return "", "", err
	}
	out := make([]string, 2)
	for i, s := range []string{path, dest} {
		r, err := renderString(ctx, c, fc, tmpl, env, []byte(s))
		if err != nil {
			return "", "", host.Errorf("Failed to render file path with error: %v", err)
		}
		out[i] = r
	}
	return out[0], out[1], nil
}

func getTemplate(ctx context.Context, c *host.Call) (any, error) {
	env := saltenv(c)
	url := c.Str("path")
	fc, err := client(c)
	if err != nil {
		return nil, err
	}
	sfn, err := fc.CacheFile(ctx, url, env)
	if err != nil {
		return nil, host.Errorf("%v", err)
	}
	if sfn == "" {
		return "", nil
	}
	src, err := os.ReadFile(sfn)
	if err != nil {
		return "", nil
	}
	tmpl := c.Str("template")
	if tmpl != "jinja" {
		c.Env.Logger().Error("Attempted to render template with unavailable engine " + tmpl)
		return "", nil
	}
	// A render error is raised (SaltRenderError), not returned as "".
	out, err := renderString(ctx, c, fc, tmpl, env, src)
	if err != nil {
		return nil, host.Errorf("%v", err)
	}
	dest := c.Str("dest")
	makedirs := c.Bool("makedirs")
	if dest == "" {
		dest = fc.ExtrnPath(url, env)
		makedirs = true
	}
	dir := filepath.Dir(dest)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		if !makedirs {
			return "", nil
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, host.Errorf("%v", err)
		}
	}
	// Salt renders into a mkstemp file (0600) and moves it to dest.
	if err := atomicfile.Write(dest, []byte(out), 0o600); err != nil {
		return nil, host.Errorf("%v", err)
	}
	return dest, nil
}
