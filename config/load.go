package config

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/saltgo/saltgo/data"
)

// Options tell Load which configuration to read.
type Options struct {
	// Flavour selects the install layout; the zero value means Salt.
	Flavour Flavour
	// Role selects the minion or the master file and defaults.
	Role Role
	// ConfigDir is the -c CONFIG_DIR flag; the file read is
	// ConfigDir/minion or ConfigDir/master. Empty means the flavour's
	// default directory (or $SALT_CONFIG_DIR, as Salt does).
	ConfigDir string
	// ConfFile, when set, names the main file directly (wins over ConfigDir).
	ConfFile string
	// MinionID overrides the id (salt-call --id) when the file sets none.
	MinionID string
	// CacheMinionID writes a generated id to the minion_id file, as the
	// salt-minion daemon does (when minion_id_caching is true).
	CacheMinionID bool
	// Getenv reads environment variables; nil means os.Getenv.
	Getenv func(string) string
	// Hostname returns the host name for id generation; nil means os.Hostname.
	Hostname func() (string, error)
	// SysRoot prefixes the system files read for id generation
	// (/etc/hostname, /etc/hosts); empty means "/". For tests.
	SysRoot string
	// Logger receives debug and warning messages; nil means slog.Default().
	Logger *slog.Logger
}

// Config is a loaded configuration: Salt's merged options plus their typed
// view.
type Config struct {
	// Opts is the typed view of Raw.
	Opts
	// Role and Flavour are the ones Load was called with.
	Role    Role
	Flavour Flavour
	// Path is the main configuration file Load looked for (it may be
	// missing); ConfigDir is its directory.
	Path      string
	ConfigDir string
	// Files lists the files actually read, in merge order.
	Files []string
	// Raw holds every option (defaults, then files, then Salt's
	// post-processing), unknown keys included, in Salt's key order.
	Raw *data.Map
	// Origin tells where each top-level key set by a file was set last.
	Origin map[string]Position
	// Warnings collects the non-fatal problems Salt only logs.
	Warnings []string
}

// Get returns the option key.
func (c *Config) Get(key string) (any, bool) { return c.Raw.Get(key) }

// Traverse looks up a nested option with a delimited path ("a:b:0"), the
// way salt.utils.data.traverse_dict_and_list does: list elements are
// addressed by index.
func (c *Config) Traverse(path, delim string) (any, bool) {
	return Traverse(c.Raw, path, delim)
}

// GrainsFile returns the static grains file of this configuration: the
// file "grains" next to conf_file, as salt.grains.extra.config does.
func (c *Config) GrainsFile() string {
	cf := c.ConfFile
	if cf == "" {
		cf = c.Path
	}
	if st, err := os.Stat(cf); err == nil && st.IsDir() {
		return filepath.Join(cf, "grains")
	}
	return filepath.Join(filepath.Dir(cf), "grains")
}

// Traverse walks m with a delimited key path; integer segments index lists.
func Traverse(m *data.Map, path, delim string) (any, bool) {
	if delim == "" {
		delim = ":"
	}
	var cur any = m
	for _, seg := range strings.Split(path, delim) {
		switch x := cur.(type) {
		case *data.Map:
			v, ok := x.Get(seg)
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			var i int
			if _, err := fmt.Sscan(seg, &i); err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			cur = x[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// LoadMinion loads the minion configuration of flavour f from configDir
// ("" for the default directory).
func LoadMinion(configDir string, f Flavour) (*Config, error) {
	return Load(context.Background(), Options{Flavour: f, Role: Minion, ConfigDir: configDir})
}

// LoadMaster loads the master configuration of flavour f from configDir
// ("" for the default directory).
func LoadMaster(configDir string, f Flavour) (*Config, error) {
	return Load(context.Background(), Options{Flavour: f, Role: Master, ConfigDir: configDir})
}

type loader struct {
	opts   Options
	log    *slog.Logger
	cfg    *Config
	getenv func(string) string
}

// Load reads the configuration the way salt.config.minion_config /
// master_config do: defaults, the main file (missing is not an error),
// default_include files (minion.d/*.conf) merged in sorted order, then the
// include key, then Salt's post-processing (id, root_dir prefixing, roots
// normalisation). Syntax errors and wrongly typed options are returned as
// *Error naming the file and line.
func Load(ctx context.Context, o Options) (*Config, error) {
	if o.Flavour.Name == "" {
		o.Flavour = Salt
	}
	l := &loader{opts: o, log: o.Logger, getenv: o.Getenv}
	if l.log == nil {
		l.log = slog.Default()
	}
	if l.getenv == nil {
		l.getenv = os.Getenv
	}
	c := &Config{Role: o.Role, Flavour: o.Flavour, Origin: map[string]Position{}}
	l.cfg = c
	defaults := Defaults(o.Role, o.Flavour)
	defaultPath := o.Flavour.ConfFile(o.Role)

	path := defaultPath
	switch {
	case o.ConfFile != "":
		path = o.ConfFile
	case o.ConfigDir != "":
		path = filepath.Join(o.ConfigDir, o.Role.String())
	}
	envVar := "SALT_MINION_CONFIG"
	if o.Role == Master {
		envVar = "SALT_MASTER_CONFIG"
	}
	envPath := l.getenv(envVar)
	if envPath == "" {
		if dir := l.getenv("SALT_CONFIG_DIR"); dir != "" {
			if p := filepath.Join(dir, o.Role.String()); isFile(p) {
				envPath = p
			}
		}
	}
	if envPath != "" && isFile(envPath) && path == defaultPath {
		path = envPath
	}
	c.Path = path
	c.ConfigDir = filepath.Dir(path)

	overrides := data.NewMap()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if b, err := os.ReadFile(path); err == nil {
		m, err := l.parse(b, path)
		if err != nil {
			return nil, err
		}
		overrides = m
		overrides.Set("conf_file", path)
	} else if errors.Is(err, fs.ErrNotExist) {
		l.log.Debug("Missing configuration file", "path", path)
		c.Warnings = append(c.Warnings, "Missing configuration file: "+path)
	} else if st, serr := os.Stat(path); serr == nil && st.IsDir() {
		l.log.Debug("Missing configuration file", "path", path)
		c.Warnings = append(c.Warnings, "Missing configuration file: "+path)
	} else {
		return nil, &Error{File: path, Err: err}
	}

	defInclude, ok := overrides.Get("default_include")
	if !ok {
		defInclude, _ = defaults.Get("default_include")
	}
	include, _ := overrides.Get("include")
	for _, inc := range []struct {
		v       any
		verbose bool
	}{{defInclude, false}, {include, true}} {
		m, origin, err := l.includeConfig(inc.v, path, inc.verbose, 0)
		if err != nil {
			return nil, err
		}
		m.Range(func(k, v any) bool { overrides.Set(k, v); return true })
		for k, p := range origin {
			c.Origin[k] = p
		}
	}

	var err error
	if o.Role == Master {
		err = l.applyMaster(defaults, overrides)
	} else {
		err = l.applyMinion(defaults, overrides)
	}
	if err != nil {
		return nil, err
	}
	c.Opts = Opts{PublishPort: o.Flavour.PublishPort, RetPort: o.Flavour.RetPort}
	if err := decodeOpts(&c.Opts, c.Raw, c.Origin, path); err != nil {
		return nil, err
	}
	return c, nil
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// parse reads one configuration document as _read_conf_file does.
func (l *loader) parse(b []byte, path string) (*data.Map, error) {
	v, lines, err := unmarshalYAMLPos(b, path)
	if err != nil {
		return nil, err
	}
	l.cfg.Files = append(l.cfg.Files, path)
	if v == nil {
		return data.NewMap(), nil
	}
	m, ok := v.(*data.Map)
	if !ok {
		return nil, &Error{File: path, Line: 1, Err: fmt.Errorf("conf should be a document, not %s", data.TypeStr(v))}
	}
	for k, line := range lines {
		l.cfg.Origin[k] = Position{File: path, Line: line}
	}
	if err := checkTypes(m, lines, path); err != nil {
		return nil, err
	}
	return m, nil
}

// includeConfig implements salt.config.include_config: each pattern is
// globbed relative to the including file's directory and the matches are
// merged recursively in sorted order (lists are merged without duplicates).
func (l *loader) includeConfig(include any, origPath string, verbose bool, depth int) (*data.Map, map[string]Position, error) {
	conf := data.NewMap()
	origin := map[string]Position{}
	var pats []string
	switch x := include.(type) {
	case nil:
	case string:
		if x != "" {
			pats = []string{x}
		}
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok && s != "" {
				pats = append(pats, s)
			}
		}
	}
	if depth > 32 {
		return nil, nil, &Error{File: origPath, Err: errors.New("include nesting too deep (include loop?)")}
	}
	for _, pat := range pats {
		if strings.HasPrefix(pat, "~") {
			if home, err := os.UserHomeDir(); err == nil {
				pat = home + pat[1:]
			}
		}
		if !filepath.IsAbs(pat) {
			pat = filepath.Join(filepath.Dir(origPath), pat)
		}
		matches := pyGlob(pat)
		if len(matches) == 0 && verbose {
			msg := fmt.Sprintf("Warning parsing configuration file: \"include\" path/glob '%s' matches no files", pat)
			l.log.Warn(msg)
			l.cfg.Warnings = append(l.cfg.Warnings, msg)
		}
		for _, fn := range matches {
			l.log.Debug("Including configuration", "path", fn)
			b, err := os.ReadFile(fn)
			if err != nil {
				return nil, nil, &Error{File: fn, Err: err}
			}
			saved := l.cfg.Origin
			l.cfg.Origin = map[string]Position{}
			opts, err := l.parse(b, fn)
			fileOrigin := l.cfg.Origin
			l.cfg.Origin = saved
			if err != nil {
				return nil, nil, err
			}
			if inc, ok := opts.Get("include"); ok {
				sub, subOrigin, err := l.includeConfig(inc, fn, verbose, depth+1)
				if err != nil {
					return nil, nil, err
				}
				sub.Range(func(k, v any) bool { opts.Set(k, v); return true })
				for k, p := range subOrigin {
					fileOrigin[k] = p
				}
			}
			data.DictUpdate(conf, opts, true)
			for k, p := range fileOrigin {
				origin[k] = p
			}
		}
	}
	return conf, origin, nil
}

// pyGlob is Python's glob.glob: sorted matches, and a wildcard never
// matches a leading dot.
func pyGlob(pat string) []string {
	if !strings.ContainsAny(pat, "*?[") {
		if _, err := os.Stat(pat); err == nil {
			return []string{pat}
		}
		return nil
	}
	matches, _ := filepath.Glob(pat)
	out := matches[:0]
	for _, m := range matches {
		if strings.HasPrefix(filepath.Base(m), ".") && !strings.HasPrefix(filepath.Base(pat), ".") {
			continue
		}
		out = append(out, m)
	}
	slices.Sort(out)
	return out
}

func (l *loader) adjustLogFile(overrides *data.Map, defaultLogFile string) {
	logDir, _ := overrides.String("log_dir")
	if logDir == "" {
		return
	}
	if lf, _ := overrides.String("log_file"); lf != "" {
		if !filepath.IsAbs(lf) {
			overrides.Set("log_file", filepath.Join(logDir, lf))
		}
		return
	}
	overrides.Set("log_file", filepath.Join(logDir, filepath.Base(defaultLogFile)))
}

// common applies the post-processing shared by minion and master.
func (l *loader) common(defaults, overrides *data.Map, role string) *data.Map {
	dlf, _ := defaults.String("log_file")
	l.adjustLogFile(overrides, dlf)
	opts := defaults
	opts.Set("__role", role)
	overrides.Range(func(k, v any) bool { opts.Set(k, v); return true })
	if env, ok := opts.Get("environment"); ok {
		if se, _ := opts.Get("saltenv"); se != nil {
			l.warn(fmt.Sprintf("The 'saltenv' and 'environment' %s config options cannot both be used. Ignoring 'environment' in favor of 'saltenv'.", role))
			opts.Set("environment", se)
		} else {
			l.warn(fmt.Sprintf("The 'environment' %s config option has been renamed to 'saltenv'. Using %v as the 'saltenv' config value.", role, env))
			opts.Set("saltenv", env)
		}
	}
	if fb, ok := opts.Get("fileserver_backend"); ok {
		if lst, ok := fb.([]any); ok {
			out := make([]any, len(lst))
			for i, e := range lst {
				out[i] = e
				if s, ok := e.(string); ok && (s == "git" || s == "hg" || s == "svn" || s == "minion") {
					out[i] = s + "fs"
				}
			}
			opts.Set("fileserver_backend", out)
		}
	}
	return opts
}

func (l *loader) warn(msg string) {
	l.log.Warn(msg)
	l.cfg.Warnings = append(l.cfg.Warnings, msg)
}

func str(m *data.Map, k string) string {
	v, _ := m.Get(k)
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	return data.Str(v)
}

func truthy(m *data.Map, k string, dflt bool) bool {
	v, ok := m.Get(k)
	if !ok {
		return dflt
	}
	return data.Truthy(v)
}

func (l *loader) applyMinion(defaults, overrides *data.Map) error {
	opts := l.common(defaults, overrides, "minion")
	usingIP := false
	if str(opts, "id") == "" {
		if l.opts.MinionID != "" {
			opts.Set("id", l.opts.MinionID)
		} else {
			id, isIP, err := l.getID(opts, l.opts.CacheMinionID)
			if err != nil {
				return err
			}
			opts.Set("id", id)
			usingIP = isIP
		}
	}
	if !usingIP && opts.Has("append_domain") {
		opts.Set("id", appendDomain(str(opts, "id"), str(opts, "append_domain")))
	}
	if dirs, ok := opts.Get("append_minionid_config_dirs"); ok {
		lst, _ := dirs.([]any)
		id := str(opts, "id")
		for _, d := range lst {
			switch d {
			case "pki_dir", "cachedir", "extension_modules":
				opts.Set(d, filepath.Join(str(opts, d.(string)), id))
			case "default_include":
				di := str(opts, "default_include")
				opts.Set("default_include", filepath.Join(filepath.Dir(di), id, filepath.Base(di)))
			case "pidfile":
				pf := str(opts, "pidfile")
				opts.Set("pidfile", filepath.Join(filepath.Dir(pf), "salt", id, filepath.Base(pf)))
			}
		}
	}
	l.finish(opts, []string{"pki_dir", "cachedir", "sock_dir", "extension_modules", "pidfile"},
		[]string{"log_file", "key_logfile"})
	if !opts.Has("beacons") {
		opts.Set("beacons", data.NewMap())
	}
	opts.Set("file_roots", l.validateRoots(opts, "file_roots", l.opts.Flavour.FileRoots[:1]))
	opts.Set("pillar_roots", l.validateRoots(opts, "pillar_roots", l.opts.Flavour.PillarRoots[:1]))
	if err := l.checkAlgo(opts, "encryption_algorithm", "OAEP-SHA1", "OAEP-SHA224"); err != nil {
		return err
	}
	if err := l.checkAlgo(opts, "signing_algorithm", "PKCS1v15-SHA1", "PKCS1v15-SHA224"); err != nil {
		return err
	}
	l.cfg.Raw = opts
	return nil
}

func (l *loader) applyMaster(defaults, overrides *data.Map) error {
	opts := l.common(defaults, overrides, "master")
	if rest, ok := opts.Get("external_auth"); ok {
		if m, ok := rest.(*data.Map); ok && m.Has("rest") {
			if v, _ := opts.Get("keep_acl_in_token"); v == false {
				l.warn("The 'rest' external_auth backend requires 'keep_acl_in_token' to be True. Setting 'keep_acl_in_token' to True.")
			}
			opts.Set("keep_acl_in_token", true)
		}
	}
	cachedir := str(opts, "cachedir")
	opts.Set("token_dir", filepath.Join(cachedir, "tokens"))
	opts.Set("syndic_dir", filepath.Join(cachedir, "syndics"))
	usingIP, appendMaster := false, false
	if str(opts, "id") == "" {
		id, isIP, err := l.getID(opts, false)
		if err != nil {
			return err
		}
		opts.Set("id", id)
		usingIP, appendMaster = isIP, true
	}
	if !usingIP && opts.Has("append_domain") {
		opts.Set("id", appendDomain(str(opts, "id"), str(opts, "append_domain")))
	}
	if appendMaster {
		opts.Set("id", str(opts, "id")+"_master")
	}
	l.finish(opts, []string{"pki_dir", "cachedir", "pidfile", "sock_dir", "extension_modules",
		"autosign_file", "autoreject_file", "token_dir", "syndic_dir", "sqlite_queue_dir", "autosign_grains_dir"},
		[]string{"log_file", "key_logfile", "ssh_log_file"})
	if v, _ := opts.Get("cluster_id"); v == nil {
		if peers, _ := opts.Get("cluster_peers"); data.Truthy(peers) {
			l.warn("Cluster peers defined without a cluster_id, ignoring.")
			opts.Set("cluster_peers", []any{})
		}
		if pki, _ := opts.Get("cluster_pki_dir"); data.Truthy(pki) {
			l.warn("Cluster pki dir defined without a cluster_id, ignoring.")
			opts.Set("cluster_pki_dir", nil)
		}
	} else {
		if peers, _ := opts.Get("cluster_peers"); !data.Truthy(peers) {
			l.warn("Cluster id defined without defining cluster peers")
			opts.Set("cluster_peers", []any{})
		}
		if pki, _ := opts.Get("cluster_pki_dir"); !data.Truthy(pki) {
			l.warn("Cluster id defined without defining cluster pki, falling back to pki_dir")
			pki, _ := opts.Get("pki_dir")
			opts.Set("cluster_pki_dir", pki)
		}
	}
	aa, _ := opts.Get("auto_accept")
	opts.Set("auto_accept", aa == true)
	opts.Set("file_roots", l.validateRoots(opts, "file_roots", l.opts.Flavour.FileRoots[:1]))
	opts.Set("pillar_roots", l.validateRoots(opts, "pillar_roots", l.opts.Flavour.FileRoots[:1]))
	for _, k := range []string{"file_ignore_regex", "file_ignore_glob"} {
		if s, ok := opts.Get(k); ok {
			if s, ok := s.(string); ok && s != "" {
				opts.Set(k, []any{s})
			}
		}
	}
	if ng, _ := opts.Get("nodegroups"); ng == nil {
		opts.Set("nodegroups", data.NewMap())
	}
	if err := l.checkAlgo(opts, "publish_signing_algorithm", "PKCS1v15-SHA1", "PKCS1v15-SHA224"); err != nil {
		return err
	}
	l.cfg.Raw = opts
	return nil
}

// finish applies the steps that follow id resolution in both roles.
func (l *loader) finish(opts *data.Map, pathKeys, logKeys []string) {
	if len(str(opts, "sock_dir")) > len(str(opts, "cachedir"))+10 {
		opts.Set("sock_dir", filepath.Join(str(opts, "cachedir"), ".salt-unix"))
	}
	om, _ := opts.Get("open_mode")
	opts.Set("open_mode", om == true)
	if !truthy(opts, "extension_modules", false) {
		opts.Set("extension_modules", filepath.Join(str(opts, "cachedir"), "extmods"))
	}
	if !truthy(opts, "utils_dirs", false) {
		opts.Set("utils_dirs", []any{filepath.Join(str(opts, "extension_modules"), "utils")})
	}
	for _, k := range logKeys {
		if v, ok := opts.Get(k); ok && v != nil {
			if s, ok := v.(string); ok {
				if u, err := url.Parse(s); err == nil && u.Scheme != "" {
					continue
				}
			}
			pathKeys = append(pathKeys, k)
		}
	}
	prependRootDir(opts, pathKeys)
	ht := str(opts, "hash_type")
	opts.Set("hash_type", strings.ToLower(ht))
	switch v, _ := opts.Get("ssl"); v {
	case nil, false:
		opts.Set("ssl", nil)
	case true:
		opts.Set("ssl", data.NewMap())
	}
}

func (l *loader) checkAlgo(opts *data.Map, key string, valid ...string) error {
	v := str(opts, key)
	if slices.Contains(valid, v) {
		return nil
	}
	pos, ok := l.cfg.Origin[key]
	if !ok {
		pos = Position{File: l.cfg.Path}
	}
	return &Error{File: pos.File, Line: pos.Line, Key: key,
		Err: fmt.Errorf("the algorithm '%s' is not valid. Please specify one of %s", v, strings.Join(valid, ","))}
}

// validateRoots implements _validate_file_roots: a non-mapping value falls
// back to the default root, each saltenv gets a list (None -> []), keys
// become strings and globs in the paths are expanded.
func (l *loader) validateRoots(opts *data.Map, key string, dflt []string) *data.Map {
	v, _ := opts.Get(key)
	m, ok := v.(*data.Map)
	if !ok {
		l.warn(fmt.Sprintf("The %s parameter is not properly formatted, using defaults", key))
		return data.M("base", expandGlobs(data.List(dflt)))
	}
	out := data.NewMap()
	m.Range(func(k, dirs any) bool {
		lst, ok := dirs.([]any)
		if !ok {
			lst = []any{}
		}
		out.Set(data.Str(k), expandGlobs(lst))
		return true
	})
	return out
}

func expandGlobs(paths []any) []any {
	out := make([]any, 0, len(paths))
	for _, p := range paths {
		s, ok := p.(string)
		if ok && strings.ContainsAny(s, "*?[") {
			for _, m := range pyGlob(s) {
				out = append(out, m)
			}
			continue
		}
		out = append(out, p)
	}
	return out
}

// prependRootDir implements salt.config.prepend_root_dir: path options are
// re-rooted under root_dir unless they already live there.
func prependRootDir(opts *data.Map, keys []string) {
	root := str(opts, "root_dir")
	for _, k := range keys {
		v, ok := opts.Get(k)
		if !ok {
			continue
		}
		p, ok := v.(string)
		if !ok || p == "" {
			continue
		}
		opts.Set(k, UnderRoot(root, p))
	}
}

// UnderRoot re-roots the path p under root_dir root as
// salt.config.prepend_root_dir does for Salt's path options: a path
// already under root is kept, any other (absolute or relative) is joined
// under it; root "/" (or "") changes nothing but cleaning. saltgo's own
// writers of system paths (the mc_cloud_lxc runner's cron file, image
// and allocation directories) use it so that a scratch root_dir is
// honoured.
func UnderRoot(root, p string) string {
	if root == "" {
		root = "/"
	}
	root = filepath.Clean(root)
	if !filepath.IsAbs(root) {
		if abs, err := filepath.Abs(root); err == nil {
			root = abs
		}
	}
	if root != "/" && (p == root || strings.HasPrefix(p, root+"/")) {
		p = p[len(root):]
	}
	return joinRoot(root, p)
}

// joinRoot joins p under root, like salt.utils.path.join (a leading slash
// of p does not reset the path).
func joinRoot(root, p string) string {
	if p == "" {
		return root
	}
	return filepath.Join(root, strings.TrimLeft(p, "/"))
}

func appendDomain(id, domain string) string {
	if strings.HasSuffix(id, domain) || strings.HasSuffix(id, ".") {
		return id
	}
	return id + "." + domain
}
