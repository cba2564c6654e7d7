package state

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/minion/match"
	"github.com/saltgo/saltgo/render"
)

// NoStatesTag is the result key of a highstate that found nothing to run.
const NoStatesTag = "no_|-states_|-states_|-None"

// Config is what a state run is built from.
type Config struct {
	// Env is the calling environment (id, options, grains).
	Env *host.Env
	// Files is the run's file client.
	Files fileclient.Client
	// Pillar is the pillar of the run (the env's, with any pillar=
	// override merged over it); nil means Env.Pillar.
	Pillar *data.Map
	// Saltenv is the saltenv= argument ("" for none: a highstate then
	// uses every environment).
	Saltenv string
	// Test is test=True.
	Test bool
	// Render renders SLS and top files (render.Render when nil).
	Render func(ctx context.Context, src []byte, o render.Options) (any, error)
}

// HighState compiles top files and SLS files into high data and runs
// them (salt.state.HighState and its State).
type HighState struct {
	cfg    Config
	opts   *data.Map
	pillar *data.Map
	iorder int64
	avail  map[string][]string
	envs   []string
	envsOK bool
	// building is the high data being rendered.
	building *data.Map
	// sources remembers which file each rendered sls came from.
	sources map[string]string
}

// New prepares a state run: the options are the minion's, overridden by
// the master's _master_opts when there is a master (salt.state
// BaseHighState.__gen_opts).
func New(ctx context.Context, cfg Config) (*HighState, error) {
	if cfg.Env == nil {
		return nil, fmt.Errorf("state: no environment")
	}
	opts := cfg.Env.Opts.Copy()
	if opts == nil {
		opts = data.NewMap()
	}
	for k, v := range map[string]any{"renderer": "jinja|yaml", "failhard": false, "state_top": "salt://top.sls", "state_auto_order": true, "top_file_merging_strategy": "merge", "default_top": "base"} {
		if !opts.Has(k) {
			opts.Set(k, v)
		}
	}
	if cfg.Files != nil {
		mo, err := cfg.Files.MasterOpts(ctx)
		if err != nil {
			return nil, fmt.Errorf("state: master options: %w", err)
		}
		if mo != nil {
			applyMasterOpts(opts, mo)
		}
	}
	st := str(mustGet(opts, "state_top"))
	if !strings.HasPrefix(st, "salt://") {
		opts.Set("state_top", "salt://"+strings.TrimPrefix(st, "/"))
	}
	p := cfg.Pillar
	if p == nil {
		p = cfg.Env.Pillar
	}
	if p == nil {
		p = data.NewMap()
	}
	return &HighState{cfg: cfg, opts: opts, pillar: p, iorder: 10000, avail: map[string][]string{}, building: data.NewMap(), sources: map[string]string{}}, nil
}

func applyMasterOpts(opts, mo *data.Map) {
	get := func(k string, def any) any {
		if v, ok := mo.Get(k); ok {
			return v
		}
		return def
	}
	opts.Set("renderer", get("renderer", "jinja|yaml"))
	opts.Set("failhard", get("failhard", false))
	st := str(get("state_top", "top.sls"))
	switch {
	case strings.HasPrefix(st, "salt://"):
	case strings.HasPrefix(st, "/"):
		st = "salt://" + st[1:]
	default:
		st = "salt://" + st
	}
	opts.Set("state_top", st)
	opts.Set("state_top_saltenv", get("state_top_saltenv", nil))
	opts.Set("nodegroups", get("nodegroups", data.NewMap()))
	opts.Set("state_auto_order", get("state_auto_order", mustGet(opts, "state_auto_order")))
	if v, ok := mo.Get("file_roots"); ok {
		opts.Set("file_roots", v)
	}
	opts.Set("top_file_merging_strategy", get("top_file_merging_strategy", mustGet(opts, "top_file_merging_strategy")))
	opts.Set("env_order", get("env_order", mustGet(opts, "env_order")))
	opts.Set("default_top", get("default_top", mustGet(opts, "default_top")))
	opts.Set("state_events", data.Truthy(mustGet(opts, "state_events")) || data.Truthy(get("state_events", false)))
	opts.Set("state_aggregate", data.Truthy(mustGet(opts, "state_aggregate")) || data.Truthy(get("state_aggregate", false)))
	opts.Set("jinja_env", get("jinja_env", data.NewMap()))
	opts.Set("jinja_sls_env", get("jinja_sls_env", data.NewMap()))
	opts.Set("jinja_lstrip_blocks", get("jinja_lstrip_blocks", false))
	opts.Set("jinja_trim_blocks", get("jinja_trim_blocks", false))
}

// Opts returns the run's effective options.
func (h *HighState) Opts() *data.Map { return h.opts }

// Pillar returns the run's pillar.
func (h *HighState) Pillar() *data.Map { return h.pillar }

// Runner returns a runner for this run's chunks.
func (h *HighState) Runner() *Runner {
	env := h.cfg.Env.Clone()
	env.Pillar = h.pillar
	return &Runner{Env: env, Files: h.cfg.Files, Test: h.cfg.Test, Failhard: data.Truthy(mustGet(h.opts, "failhard"))}
}

func (h *HighState) fileEnvs(ctx context.Context) []string {
	if !h.envsOK {
		h.envsOK = true
		if h.cfg.Files != nil {
			h.envs, _ = h.cfg.Files.Envs(ctx)
		}
	}
	return h.envs
}

func (h *HighState) hasEnv(ctx context.Context, env string) bool {
	for _, e := range h.fileEnvs(ctx) {
		if e == env || e == "__env__" {
			return true
		}
	}
	return false
}

// availFilter is fnmatch.filter(self.avail[env], pat); the listing is
// fetched only for glob patterns (for a plain name the result does not
// depend on it except through exists).
func (h *HighState) availFilter(ctx context.Context, env, pat string) []string {
	list, ok := h.avail[env]
	if !ok {
		if h.cfg.Files != nil {
			list, _ = h.cfg.Files.ListStates(ctx, env)
		}
		h.avail[env] = list
	}
	var out []string
	for _, s := range list {
		if fnmatch(s, pat) {
			out = append(out, s)
		}
	}
	return out
}

func (h *HighState) getEnvs(ctx context.Context) []string {
	envs := []string{"base"}
	if fr, ok := mustGet(h.opts, "file_roots").(*data.Map); ok {
		for _, k := range fr.Keys() {
			if ks := str(k); !containsStr(envs, ks) {
				envs = append(envs, ks)
			}
		}
	}
	var order []string
	for _, e := range sliceOf(mustGet(h.opts, "env_order")) {
		if es := str(e); !containsStr(order, es) {
			order = append(order, es)
		}
	}
	client := h.fileEnvs(ctx)
	if len(order) > 0 && len(client) > 0 {
		var out []string
		for _, e := range order {
			if containsStr(client, e) {
				out = append(out, e)
			}
		}
		return out
	}
	if len(order) > 0 {
		return order
	}
	for _, e := range client {
		if !containsStr(envs, e) {
			envs = append(envs, e)
		}
	}
	return envs
}

// renderError is a render failure of a top file.
type renderError struct{ msg string }

func (e *renderError) Error() string { return e.msg }

// render runs a file through the renderer pipeline with Salt's SLS
// context.
func (h *HighState) render(ctx context.Context, local, rel, saltenv, sls string) (any, error) {
	src, err := os.ReadFile(local)
	if err != nil {
		return nil, fmt.Errorf("state: read %s: %w", rel, err)
	}
	vars := render.SLSContext(local, sls)
	vars["grains"] = h.cfg.Env.Grains
	vars["pillar"] = h.pillar
	vars["opts"] = h.opts
	vars["saltenv"] = saltenv
	jenv := "jinja_env"
	if sls != "" {
		vars["sls"] = sls
		jenv = "jinja_sls_env"
	}
	je, _ := mustGet(h.opts, jenv).(*data.Map)
	if je == nil {
		je = data.NewMap()
	} else {
		je = je.Copy()
	}
	if data.Truthy(mustGet(h.opts, "jinja_trim_blocks")) && !je.Has("trim_blocks") {
		je.Set("trim_blocks", true)
	}
	if data.Truthy(mustGet(h.opts, "jinja_lstrip_blocks")) && !je.Has("lstrip_blocks") {
		je.Set("lstrip_blocks", true)
	}
	rf := h.cfg.Render
	if rf == nil {
		rf = render.Render
	}
	senv := h.cfg.Env.Clone()
	senv.Pillar = h.pillar
	salt, has := render.HostFuncs(senv)
	return rf(ctx, src, render.Options{
		Pipeline: str(mustGet(h.opts, "renderer")),
		Vars:     vars,
		Salt:     salt,
		SaltHas:  has,
		Files:    h.cfg.Files,
		Saltenv:  saltenv,
		JinjaEnv: je,
	})
}

// getTops is BaseHighState.get_tops: env → rendered top files.
func (h *HighState) getTops(ctx context.Context) (*data.Map, error) {
	tops := data.NewMap()
	strategy := str(mustGet(h.opts, "top_file_merging_strategy"))
	if strategy == "same" && h.cfg.Saltenv == "" && !data.Truthy(mustGet(h.opts, "default_top")) {
		return nil, &renderError{"top_file_merging_strategy set to 'same', but no default_top configuration option was set"}
	}
	topURL := str(mustGet(h.opts, "state_top"))
	add := func(env string, v any) {
		tops.Set(env, append(listOf(mustGet(tops, env)), v))
	}
	renderTop := func(env string) error {
		local := ""
		if h.cfg.Files != nil {
			var err error
			local, err = h.cfg.Files.CacheFile(ctx, topURL, env)
			if err != nil {
				return fmt.Errorf("state: fetch top file: %w", err)
			}
		}
		if local == "" {
			add(env, data.NewMap())
			return nil
		}
		v, err := h.render(ctx, local, strings.TrimPrefix(topURL, "salt://"), env, "")
		if err != nil {
			return &renderError{err.Error()}
		}
		if v == nil {
			v = data.NewMap()
		}
		add(env, v)
		return nil
	}
	if h.cfg.Saltenv != "" {
		if err := renderTop(h.cfg.Saltenv); err != nil {
			return nil, err
		}
	} else {
		envs := h.getEnvs(ctx)
		if sts := mustGet(h.opts, "state_top_saltenv"); data.Truthy(sts) {
			envs = []string{str(sts)}
		}
		for _, env := range envs {
			if err := renderTop(env); err != nil {
				return nil, err
			}
		}
	}
	// includes in top files
	include := data.NewMap()
	tops.Range(func(env, ctops any) bool {
		for _, ct := range listOf(ctops) {
			cm, ok := ct.(*data.Map)
			if !ok || !cm.Has("include") {
				continue
			}
			include.Set(env, append(listOf(mustGet(include, env)), sliceOf(mustGet(cm, "include"))...))
			cm.Delete("include")
		}
		return true
	})
	done := map[string]bool{}
	for include.Len() > 0 {
		next := data.NewMap()
		include.Range(func(ek, states any) bool {
			env := str(ek)
			for _, m := range listOf(states) {
				for _, sls := range h.availFilter(ctx, env, str(m)) {
					if done[env+":"+sls] {
						continue
					}
					done[env+":"+sls] = true
					f, ok, err := h.cfg.Files.GetState(ctx, sls, env)
					if err != nil || !ok {
						continue
					}
					v, rerr := h.render(ctx, f.Local, f.Rel, env, "")
					if rerr != nil {
						continue
					}
					add(env, v)
				}
			}
			return true
		})
		include = next
	}
	return tops, nil
}

func targetsOf(v any) (*data.Map, error) {
	m, ok := v.(*data.Map)
	if !ok {
		return nil, &renderError{"Unable to render top file. No targets found."}
	}
	return m, nil
}

func topSection(top *data.Map, env string) *data.Map {
	v, ok := top.Get(env)
	if !ok {
		m := data.NewMap()
		top.Set(env, m)
		return m
	}
	return v.(*data.Map)
}

// mergeTops is BaseHighState.merge_tops.
func (h *HighState) mergeTops(tops *data.Map) (*data.Map, error) {
	top := data.NewMap()
	switch str(mustGet(h.opts, "top_file_merging_strategy")) {
	case "same":
		for _, ek := range tops.Keys() {
			cenv := str(ek)
			ctops := listOf(mustGet(tops, ek))
			if allEmpty(ctops) {
				def := str(mustGet(h.opts, "default_top"))
				fallback := listOf(mustGet(tops, def))
				if allEmpty(fallback) {
					continue
				}
				for _, ct := range fallback {
					cm, _ := ct.(*data.Map)
					for _, sk := range cm.Keys() {
						if str(sk) != cenv {
							continue
						}
						t, err := targetsOf(mustGet(cm, sk))
						if err != nil {
							return nil, err
						}
						sec := topSection(top, cenv)
						t.Range(func(tgt, v any) bool { sec.Set(tgt, v); return true })
						break
					}
				}
				continue
			}
			for _, ct := range ctops {
				cm, _ := ct.(*data.Map)
				for _, sk := range cm.Keys() {
					if s := str(sk); s == "include" || s != cenv {
						continue
					}
					t, err := targetsOf(mustGet(cm, sk))
					if err != nil {
						return nil, err
					}
					sec := topSection(top, cenv)
					t.Range(func(tgt, v any) bool { sec.Set(tgt, v); return true })
				}
			}
		}
	case "merge_all":
		readTgt := func(v any) (any, []any) {
			var mt any
			var states []any
			for _, it := range listOf(v) {
				if _, ok := it.(*data.Map); ok {
					mt = it
				}
				if _, ok := it.(string); ok {
					states = append(states, it)
				}
			}
			return mt, states
		}
		for _, ek := range tops.Keys() {
			for _, ct := range listOf(mustGet(tops, ek)) {
				cm, _ := ct.(*data.Map)
				for _, sk := range cm.Keys() {
					if str(sk) == "include" {
						continue
					}
					t, err := targetsOf(mustGet(cm, sk))
					if err != nil {
						return nil, err
					}
					sec := topSection(top, str(sk))
					t.Range(func(tgt, v any) bool {
						if !sec.Has(tgt) {
							sec.Set(tgt, v)
							return true
						}
						m1, s1 := readTgt(mustGet(sec, tgt))
						m2, s2 := readTgt(v)
						var merged []any
						mt := m2
						if mt == nil {
							mt = m1
						}
						if mt != nil {
							merged = append(merged, mt)
						}
						merged = append(merged, s1...)
						for _, x := range s2 {
							if !containsAny(merged, x) {
								merged = append(merged, x)
							}
						}
						sec.Set(tgt, merged)
						return true
					})
				}
			}
		}
	default:
		rest := tops.Copy()
		base := listOf(mustGet(rest, "base"))
		rest.Delete("base")
		for _, ct := range base {
			cm, _ := ct.(*data.Map)
			for _, sk := range cm.Keys() {
				if str(sk) == "include" {
					continue
				}
				t, err := targetsOf(mustGet(cm, sk))
				if err != nil {
					return nil, err
				}
				sec := topSection(top, str(sk))
				t.Range(func(tgt, v any) bool { sec.Set(tgt, v); return true })
			}
		}
		for _, ek := range rest.Keys() {
			cenv := str(ek)
			for _, ct := range listOf(mustGet(rest, ek)) {
				cm, _ := ct.(*data.Map)
				for _, sk := range cm.Keys() {
					s := str(sk)
					if s == "include" || s != cenv || top.Has(s) {
						continue
					}
					t, err := targetsOf(mustGet(cm, sk))
					if err != nil {
						return nil, err
					}
					sec := topSection(top, s)
					t.Range(func(tgt, v any) bool { sec.Set(tgt, v); return true })
				}
			}
		}
	}
	return top, nil
}

func allEmpty(l []any) bool {
	for _, x := range l {
		if m, ok := x.(*data.Map); !ok || m.Len() > 0 {
			return false
		}
	}
	return true
}

// Top returns the merged top data (state.show_top's input); a top file
// that fails to render counts as empty, as in Salt's get_top.
func (h *HighState) Top(ctx context.Context) (*data.Map, error) {
	tops, err := h.getTops(ctx)
	if err != nil {
		var re *renderError
		if isRenderError(err, &re) {
			h.cfg.Env.Logger().Error("Unable to render top file: " + re.msg)
			return data.NewMap(), nil
		}
		return nil, err
	}
	return h.mergeTops(tops)
}

func isRenderError(err error, re **renderError) bool {
	r, ok := err.(*renderError)
	if ok {
		*re = r
	}
	return ok
}

// verifyTops is BaseHighState.verify_tops.
func verifyTops(tops *data.Map) []string {
	var errs []string
	tops.Range(func(ek, matches any) bool {
		env := str(ek)
		if env == "include" {
			return true
		}
		if _, ok := ek.(string); !ok {
			errs = append(errs, fmt.Sprintf("Environment %s in top file is not formed as a string", data.Str(ek)))
		}
		if env == "" {
			errs = append(errs, "Empty saltenv statement in top file")
		}
		mm, ok := matches.(*data.Map)
		if !ok {
			errs = append(errs, fmt.Sprintf("The top file matches for saltenv %s are not formatted as a dict", env))
			return true
		}
		mm.Range(func(_, slsmods any) bool {
			l, ok := slsmods.([]any)
			if !ok {
				errs = append(errs, "Malformed topfile (state declarations not formed as a list)")
				return true
			}
			for _, s := range l {
				switch x := s.(type) {
				case *data.Map:
					x.Range(func(_, v any) bool {
						if !data.Truthy(v) {
							errs = append(errs, fmt.Sprintf("Improperly formatted top file matcher in saltenv %s: %s file", data.Repr(x), data.Str(v)))
						}
						return true
					})
				case string:
					if x == "" {
						errs = append(errs, fmt.Sprintf("Environment %s contains an empty sls index", env))
					}
				}
			}
			return true
		})
		return true
	})
	return errs
}

// TopMatches is BaseHighState.top_matches: env → the sls names this
// minion gets, targeted through the minion's own matchers, plus the
// master_tops data.
func (h *HighState) TopMatches(ctx context.Context, top *data.Map) *data.Map {
	matches := data.NewMap()
	ng, _ := mustGet(h.opts, "nodegroups").(*data.Map)
	mi := &match.Minion{ID: h.cfg.Env.ID, Grains: h.cfg.Env.Grains, Pillar: h.pillar, Nodegroups: ng}
	top.Range(func(ek, body any) bool {
		env := str(ek)
		if h.cfg.Saltenv != "" && env != h.cfg.Saltenv {
			return true
		}
		bm, ok := body.(*data.Map)
		if !ok {
			return true
		}
		bm.Range(func(tgt, d any) bool {
			items := sliceOf(d)
			matcher := "compound"
			for _, it := range items {
				if m, ok := it.(*data.Map); ok {
					if v, ok := m.Get("match"); ok {
						matcher = str(v)
					}
				}
			}
			ok, _ := match.Match(mi, tgt, matcher, "")
			if !ok {
				return true
			}
			if !matches.Has(env) {
				matches.Set(env, []any{})
			}
			for _, it := range items {
				switch x := it.(type) {
				case string:
					matches.Set(env, append(listOf(mustGet(matches, env)), x))
				case *data.Map:
					if x.Len() == 0 {
						continue
					}
					k := x.Keys()[x.Len()-1]
					ek := str(k)
					if !h.hasEnv(ctx, ek) {
						continue
					}
					matches.Set(ek, append(listOf(mustGet(matches, ek)), mustGet(x, k)))
				}
			}
			return true
		})
		return true
	})
	var ext *data.Map
	if h.cfg.Files != nil && !h.cfg.Env.Local && str(mustGet(h.opts, "file_client")) != "local" {
		ext, _ = h.cfg.Files.MasterTops(ctx, h.cfg.Env.Grains)
	}
	ext.Range(func(ek, v any) bool {
		first, second := listOf(mustGet(matches, ek)), sliceOf(v)
		if data.Truthy(mustGet(h.opts, "master_tops_first")) {
			first, second = second, first
		}
		out := append([]any{}, first...)
		for _, x := range second {
			if !containsAny(first, x) {
				out = append(out, x)
			}
		}
		matches.Set(ek, out)
		return true
	})
	return matches
}

// ShowTop is state.show_top: the matched sls per env, or the errors.
func (h *HighState) ShowTop(ctx context.Context) (any, error) {
	top, err := h.Top(ctx)
	if err != nil {
		var re *renderError
		if isRenderError(err, &re) {
			return []any{re.msg}, nil
		}
		return nil, err
	}
	if errs := verifyTops(top); len(errs) > 0 {
		return data.List(errs), nil
	}
	return h.TopMatches(ctx, top), nil
}

var relInclude = regexp.MustCompile(`^(\.+)(.*)$`)

// renderState is BaseHighState.render_state. other is what the sls
// rendered to when that is a non-empty list or string instead of a dict
// (Salt returns it as the state, and render_highstate's merge then fails).
func (h *HighState) renderState(ctx context.Context, sls, saltenv string, mods map[string]bool, matches *data.Map) (state *data.Map, other any, errs []string, err error) {
	var f fileclient.StateFile
	ok := false
	if h.cfg.Files != nil {
		f, ok, err = h.cfg.Files.GetState(ctx, sls, saltenv)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("state: fetch sls %s: %w", sls, err)
		}
	}
	if !ok {
		errs = append(errs, fmt.Sprintf("Specified SLS %s in saltenv %s is not available on the salt master or through a configured fileserver", sls, saltenv))
	} else {
		v, err := h.render(ctx, f.Local, f.Rel, saltenv, sls)
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, nil, ctx.Err()
			}
			errs = append(errs, fmt.Sprintf("Rendering SLS '%s:%s' failed: %s", saltenv, sls, err.Error()))
		} else if v != nil {
			if m, isMap := v.(*data.Map); isMap {
				state = m
			} else if s, isStr := v.(string); !isStr || strings.TrimSpace(s) != "" {
				errs = append(errs, fmt.Sprintf("SLS %s does not render to a dictionary", sls))
				switch x := v.(type) {
				case []any:
					if len(x) > 0 {
						other = x
					}
				case string:
					other = x
				}
			}
		}
		mods[saltenv+":"+sls] = true
	}
	if state == nil || state.Len() == 0 {
		return data.NewMap(), other, errs, nil
	}
	var include []any
	if inc, has := state.Get("include"); has {
		if l, isList := inc.([]any); isList {
			include = l
			state.Delete("include")
		} else {
			errs = append(errs, fmt.Sprintf("Include Declaration in SLS %s is not formed as a list", sls))
		}
	}
	h.handleExtend(state, sls, saltenv, &errs)
	h.handleExclude(state, sls, &errs)
	h.handleStateDecls(state, sls, saltenv, &errs)
	for _, inc := range include {
		var pairs [][2]string
		switch x := inc.(type) {
		case *data.Map:
			if x.Len() == 0 {
				continue
			}
			k := x.Keys()[x.Len()-1]
			for _, s := range sliceOf(mustGet(x, k)) {
				pairs = append(pairs, [2]string{str(k), str(s)})
			}
		default:
			pairs = append(pairs, [2]string{saltenv, str(x)})
		}
		for _, p := range pairs {
			envKey, incSls := p[0], p[1]
			if !h.hasEnv(ctx, envKey) {
				msg := fmt.Sprintf("Nonexistent saltenv '%s' found in include of '%s' within SLS '%s:%s'", envKey, incSls, saltenv, sls)
				h.cfg.Env.Logger().Error(msg)
				errs = append(errs, msg)
				continue
			}
			if strings.HasPrefix(incSls, ".") {
				m := relInclude.FindStringSubmatch(incSls)
				levels := len(m[1])
				comps := strings.Split(sls, ".")
				if strings.HasSuffix(f.Rel, "/init.sls") {
					comps = append(comps, "init")
				}
				if levels > len(comps) {
					errs = append(errs, fmt.Sprintf("Attempted relative include of '%s' within SLS '%s:%s' goes beyond top level package ", incSls, saltenv, sls))
					continue
				}
				incSls = strings.Join(append(append([]string{}, comps[:len(comps)-levels]...), m[2]), ".")
			}
			var resolved []string
			if matches.Has(envKey) || len(h.availFilter(ctx, envKey, incSls)) > 0 {
				resolved = []string{envKey}
			}
			if len(resolved) == 1 || containsStr(resolved, saltenv) {
				targets := []string{incSls}
				if hasGlob(incSls) {
					if t := h.availFilter(ctx, saltenv, incSls); len(t) > 0 {
						targets = t
					}
				}
				for _, target := range targets {
					rEnv := resolved[0]
					if mods[rEnv+":"+target] {
						continue
					}
					nstate, _, nerrs, err := h.renderState(ctx, target, rEnv, mods, matches)
					if err != nil {
						return nil, nil, nil, err
					}
					if nstate != nil && nstate.Len() > 0 {
						nstate.Range(func(k, v any) bool {
							if strings.HasPrefix(str(k), "__") {
								return true
							}
							if b, ok := v.(*data.Map); ok {
								b.Set("__sls_included_from__", append(listOf(mustGet(b, "__sls_included_from__")), sls))
							}
							return true
						})
						mergeIncluded(state, nstate, &errs)
						nstate.Range(func(k, v any) bool { state.Set(k, v); return true })
					}
					errs = append(errs, nerrs...)
				}
			} else {
				msg := fmt.Sprintf("Unknown include: Specified SLS %s: %s is not available on the salt master in saltenv(s): %s ", envKey, incSls, envKey)
				h.cfg.Env.Logger().Error(msg)
				errs = append(errs, msg)
			}
		}
	}
	h.handleIorder(state)
	return state, nil, errs, nil
}

func hasGlob(s string) bool { return strings.ContainsAny(s, "*?[") }

func (h *HighState) handleIorder(state *data.Map) {
	if !data.Truthy(mustGet(h.opts, "state_auto_order")) {
		return
	}
	state.Range(func(_, v any) bool {
		body, ok := v.(*data.Map)
		if !ok {
			return true
		}
		body.Range(func(dk, dv any) bool {
			sdec, ok := dk.(string)
			if !ok || strings.HasPrefix(sdec, "_") {
				return true
			}
			l, ok := dv.([]any)
			if !ok {
				return true
			}
			for _, a := range l {
				if m, ok := a.(*data.Map); ok && m.Len() > 0 && firstKey(m) == "order" {
					return true
				}
			}
			body.Set(sdec, append(l, data.M("order", h.iorder)))
			h.iorder++
			return true
		})
		return true
	})
}

func (h *HighState) handleStateDecls(state *data.Map, sls, saltenv string, errs *[]string) {
	for _, k := range state.Keys() {
		name := str(k)
		v := mustGet(state, k)
		body, ok := v.(*data.Map)
		if !ok {
			if name == "__extend__" || name == "__exclude__" {
				continue
			}
			if s, isStr := v.(string); isStr && strings.Contains(s, ".") {
				comps := strings.Split(s, ".")
				state.Set(k, data.M("__sls__", sls, "__env__", saltenv, comps[0], []any{comps[1]}))
				continue
			}
			*errs = append(*errs, fmt.Sprintf("ID %s in SLS %s is not a dictionary", name, sls))
			continue
		}
		skeys := map[string]bool{}
		for _, bk := range body.Keys() {
			key := str(bk)
			if strings.HasPrefix(key, "_") {
				continue
			}
			l, isList := mustGet(body, bk).([]any)
			if !isList {
				continue
			}
			if strings.Contains(key, ".") {
				comps := strings.Split(key, ".")
				if skeys[comps[0]] {
					*errs = append(*errs, fmt.Sprintf("ID '%s' in SLS '%s' contains multiple state declarations of the same type", name, sls))
					continue
				}
				body.Delete(bk)
				body.Set(comps[0], append(append([]any{}, l...), comps[1]))
				skeys[comps[0]] = true
				continue
			}
			skeys[key] = true
		}
		if !body.Has("__sls__") {
			body.Set("__sls__", sls)
		}
		if !body.Has("__env__") {
			body.Set("__env__", saltenv)
		}
	}
}

func (h *HighState) handleExtend(state *data.Map, sls, saltenv string, errs *[]string) {
	ev, ok := state.Get("extend")
	if !ok {
		return
	}
	state.Delete("extend")
	ext, ok := ev.(*data.Map)
	if !ok {
		*errs = append(*errs, fmt.Sprintf("Extension value in SLS '%s' is not a dictionary", sls))
		return
	}
	for _, k := range ext.Keys() {
		b, ok := mustGet(ext, k).(*data.Map)
		if !ok {
			*errs = append(*errs, fmt.Sprintf("Extension name '%s' in SLS '%s' is not a dictionary", str(k), sls))
			continue
		}
		if !b.Has("__sls__") {
			b.Set("__sls__", sls)
		}
		if !b.Has("__env__") {
			b.Set("__env__", saltenv)
		}
		for _, bk := range b.Keys() {
			key := str(bk)
			if strings.HasPrefix(key, "_") {
				continue
			}
			l, isList := mustGet(b, bk).([]any)
			if !isList {
				continue
			}
			if strings.Contains(key, ".") {
				comps := strings.Split(key, ".")
				b.Delete(bk)
				b.Set(comps[0], append(append([]any{}, l...), comps[1]))
			}
		}
	}
	state.Set("__extend__", append(listOf(mustGet(state, "__extend__")), ext))
}

func (h *HighState) handleExclude(state *data.Map, sls string, errs *[]string) {
	ev, ok := state.Get("exclude")
	if !ok {
		return
	}
	state.Delete("exclude")
	l, ok := ev.([]any)
	if !ok {
		*errs = append(*errs, fmt.Sprintf("Exclude Declaration in SLS %s is not formed as a list", sls))
		l = sliceOf(ev)
	}
	state.Set("__exclude__", append(listOf(mustGet(state, "__exclude__")), l...))
}

// mergeIncluded is BaseHighState.merge_included_states.
func mergeIncluded(high, state *data.Map, errs *[]string) {
	for _, k := range []string{"__extend__", "__exclude__"} {
		if v, ok := state.Get(k); ok {
			high.Set(k, append(listOf(mustGet(high, k)), listOf(v)...))
			state.Delete(k)
		}
	}
	state.Range(func(k, v any) bool {
		if old, ok := high.Get(k); ok && !data.Equal(old, v) {
			ob, _ := old.(*data.Map)
			nb, _ := v.(*data.Map)
			*errs = append(*errs, fmt.Sprintf("Detected conflicting IDs, SLS IDs need to be globally unique.\n    The conflicting ID is '%s' and is found in SLS '%s:%s' and SLS '%s:%s'", data.Str(k), data.Str(mustGet(ob, "__env__")), data.Str(mustGet(ob, "__sls__")), data.Str(mustGet(nb, "__env__")), data.Str(mustGet(nb, "__sls__"))))
		}
		high.Set(k, v)
		return true
	})
}

// RenderHighstate is BaseHighState.render_highstate: render the matched
// sls of every env into one high data.
func (h *HighState) RenderHighstate(ctx context.Context, matches *data.Map) (*data.Map, []string, error) {
	high := h.building
	var all []string
	mods := map[string]bool{}
	for _, ek := range matches.Keys() {
		env := str(ek)
		for _, m := range listOf(mustGet(matches, ek)) {
			slsMatch := str(m)
			var files []string
			if hasGlob(slsMatch) {
				if h.hasEnv(ctx, env) {
					files = h.availFilter(ctx, env, slsMatch)
				} else {
					all = append(all, fmt.Sprintf("No matching salt environment for environment '%s' found", env))
				}
			}
			if len(files) == 0 {
				files = []string{slsMatch}
			}
			for _, sls := range files {
				if mods[env+":"+sls] {
					continue
				}
				state, other, errs, err := h.renderState(ctx, sls, env, mods, matches)
				if err != nil {
					return nil, nil, err
				}
				if state != nil && state.Len() > 0 {
					mergeIncluded(high, state, &errs)
				}
				if other != nil {
					// merge_included_states: highstate.update(<a list
					// or str>) raises ValueError
					errs = append(errs, "Error when rendering state with contents: "+data.Str(other))
				}
				for i, e := range errs {
					if strings.Contains(e, "is not available") && strings.Contains(e, fmt.Sprintf("SLS %s in saltenv", slsMatch)) {
						errs[i] = fmt.Sprintf("No matching sls found for '%s' in env '%s'", slsMatch, env)
					}
				}
				all = append(all, errs...)
			}
		}
	}
	if ev, ok := high.Get("__extend__"); ok {
		var out []any
		for _, e := range listOf(ev) {
			em, _ := e.(*data.Map)
			em.Range(func(k, v any) bool {
				item := data.M(k, v)
				if !containsAny(out, item) {
					out = append(out, item)
				}
				return true
			})
		}
		high.Set("__extend__", out)
	}
	return high, all, nil
}

// CompileHigh runs the compile steps of State.call_high without running:
// extend, verify, requisite_in, exclude, then the ordered low chunks.
func CompileHigh(high *data.Map) ([]*data.Map, []string) {
	errs := reconcileExtend(high, false)
	errs = append(errs, verifyHigh(high)...)
	if len(errs) > 0 {
		return nil, errs
	}
	errs = append(errs, requisiteIn(high)...)
	applyExclude(high)
	if len(errs) > 0 {
		return nil, errs
	}
	return compileHighData(high), nil
}

// CompileLow is BaseHighState.compile_low_chunks' tail (show_lowstate):
// like CompileHigh, but the verify and requisite errors are gathered
// together.
func CompileLow(high *data.Map) ([]*data.Map, []string) {
	errs := reconcileExtend(high, false)
	errs = append(errs, verifyHigh(high)...)
	errs = append(errs, requisiteIn(high)...)
	applyExclude(high)
	if len(errs) > 0 {
		return nil, errs
	}
	return compileHighData(high), nil
}

// CallHigh is State.call_high: compile high data and run it. The result
// is the results map, or the compile errors as a list of strings.
func (h *HighState) CallHigh(ctx context.Context, high *data.Map) (any, error) {
	chunks, errs := CompileHigh(high)
	if len(errs) > 0 {
		return data.List(errs), nil
	}
	return h.Runner().CallChunks(ctx, chunks)
}

// Matches returns the top-file matches of this minion, or the errors.
func (h *HighState) Matches(ctx context.Context) (*data.Map, []string, error) {
	tops, err := h.getTops(ctx)
	var top *data.Map
	if err != nil {
		var re *renderError
		if !isRenderError(err, &re) {
			return nil, nil, err
		}
		h.cfg.Env.Logger().Error("Unable to render top file: " + re.msg)
		top = data.NewMap()
	} else {
		top, err = h.mergeTops(tops)
		if err != nil {
			return nil, []string{"Unable to render top file: " + err.Error()}, nil
		}
	}
	errs := verifyTops(top)
	return h.TopMatches(ctx, top), errs, nil
}

// CallHighstate is BaseHighState.call_highstate: top file, render, run.
func (h *HighState) CallHighstate(ctx context.Context, exclude []any) (any, error) {
	noStates := func(comment string) *data.Map {
		return data.M(NoStatesTag, data.M("result", false, "comment", comment, "name", "No States", "changes", data.NewMap(), "__run_num__", int64(0)))
	}
	tops, err := h.getTops(ctx)
	var top *data.Map
	if err != nil {
		var re *renderError
		if !isRenderError(err, &re) {
			return nil, err
		}
		h.cfg.Env.Logger().Error("Unable to render top file: " + re.msg)
		top = data.NewMap()
	} else if top, err = h.mergeTops(tops); err != nil {
		return noStates("Unable to render top file: " + err.Error()), nil
	}
	errs := verifyTops(top)
	matches := h.TopMatches(ctx, top)
	if matches.Len() == 0 {
		return noStates("No Top file or master_tops data matches found. Please see master log for details."), nil
	}
	high, rerrs, err := h.RenderHighstate(ctx, matches)
	if err != nil {
		return nil, err
	}
	if len(exclude) > 0 {
		high.Set("__exclude__", append(listOf(mustGet(high, "__exclude__")), exclude...))
	}
	errs = append(errs, rerrs...)
	if len(errs) > 0 {
		return data.List(errs), nil
	}
	if high.Len() == 0 {
		return noStates("No states found for this minion"), nil
	}
	return h.CallHigh(ctx, high)
}

// VerifyHigh is State.verify_high (show_sls, show_low_sls).
func VerifyHigh(high *data.Map) []string { return verifyHigh(high) }

// CompileHighData is State.compile_high_data: the ordered low chunks.
func CompileHighData(high *data.Map) []*data.Map { return compileHighData(high) }

// CompileHighstate is BaseHighState.compile_highstate (show_highstate):
// the rendered high data of the top-file matches, or the errors.
func (h *HighState) CompileHighstate(ctx context.Context) (*data.Map, []string, error) {
	matches, errs, err := h.Matches(ctx)
	if err != nil {
		return nil, nil, err
	}
	high, rerrs, err := h.RenderHighstate(ctx, matches)
	if err != nil {
		return nil, nil, err
	}
	errs = append(errs, rerrs...)
	return high, errs, nil
}
