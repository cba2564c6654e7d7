// Package pkg is Salt's pkg state module (salt/states/pkg.py) on Debian:
// installed, latest, removed, purged and uptodate over modules/pkg, with
// Salt's comments and changes.
package pkg

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	pkgmod "github.com/saltgo/saltgo/modules/pkg"
	"github.com/saltgo/saltgo/state"
)

func init() {
	installedP := []host.Param{host.Req("name"), host.Opt("version", nil), host.Opt("refresh", nil), host.Opt("fromrepo", nil),
		host.Opt("skip_verify", false), host.Opt("skip_suggestions", false), host.Opt("pkgs", nil), host.Opt("sources", nil),
		host.Opt("allow_updates", false), host.Opt("pkg_verify", false), host.Opt("normalize", true), host.Opt("ignore_epoch", nil),
		host.Opt("reinstall", false), host.Opt("update_holds", false)}
	latestP := []host.Param{host.Req("name"), host.Opt("refresh", nil), host.Opt("fromrepo", nil), host.Opt("skip_verify", false),
		host.Opt("pkgs", nil), host.Opt("watch_flags", true)}
	removeP := []host.Param{host.Req("name"), host.Opt("version", nil), host.Opt("pkgs", nil), host.Opt("normalize", true), host.Opt("ignore_epoch", nil)}
	host.Register(&host.Module{Kind: host.State, Name: "pkg", Doc: "Installation of packages using OS package managers such as apt.", Funcs: []*host.Func{
		{Name: "installed", Params: installedP, VarKwargs: true, Fn: installed, Doc: "Ensure that the package is installed, and that it is the correct version (if specified)."},
		{Name: "latest", Params: latestP, VarKwargs: true, Fn: latest, Doc: "Ensure that the named package is installed and the latest available package."},
		{Name: "removed", Params: removeP, VarKwargs: true, Fn: uninstall("remove"), Doc: "Verify that a package is not installed, calling pkg.remove if necessary."},
		{Name: "purged", Params: removeP, VarKwargs: true, Fn: uninstall("purge"), Doc: "Verify that a package is not installed, calling pkg.purge if necessary."},
		{Name: "mod_watch", Params: []host.Param{host.Req("name")}, VarKwargs: true, Fn: modWatch,
			Doc: "Install/reinstall a package based on a watch requisite (installed, latest, removed, purged)."},
		{Name: "held", Params: []host.Param{host.Req("name"), host.Opt("version", nil), host.Opt("pkgs", nil), host.Opt("replace", false)}, VarKwargs: true, Fn: held,
			Doc: "Set package in 'hold' state, meaning it will not be changed."},
		{Name: "unheld", Params: []host.Param{host.Req("name"), host.Opt("version", nil), host.Opt("pkgs", nil), host.Opt("all", false)}, VarKwargs: true, Fn: unheld,
			Doc: "Unset package from 'hold' state, to allow operations with the package."},
		{Name: "uptodate", Params: []host.Param{host.Req("name"), host.Opt("refresh", false), host.Opt("pkgs", nil)}, VarKwargs: true, Fn: uptodate,
			Doc: "Verify that the system is completely up to date."},
	}})
}

func ret(name any, changes *data.Map, result any, comment string) *data.Map {
	if changes == nil {
		changes = data.NewMap()
	}
	return data.M("name", name, "changes", changes, "result", result, "comment", comment)
}

// errComment is the comment of a failed pkg.* call: Salt's
// strerror_without_changes for an error with info, else prefix + error.
func errComment(err error, prefix string) (string, *data.Map) {
	var ie *pkgmod.InfoError
	if errors.As(err, &ie) {
		return ie.WithoutChanges(), ie.Changes
	}
	return prefix + err.Error(), data.NewMap()
}

// desiredOf packs name/version/pkgs as Salt's installed does: a lone name
// becomes pkgs=[name] or [{name: version}].
func desiredOf(c *host.Call) ([]pkgmod.Target, error) {
	pkgs := c.Get("pkgs")
	if pkgs == nil {
		if v := c.Get("version"); v != nil && data.Str(v) != "" {
			return []pkgmod.Target{{Name: c.Str("name"), Version: data.Str(v)}}, nil
		}
		return []pkgmod.Target{{Name: c.Str("name")}}, nil
	}
	return pkgmod.ParseTargets(nil, pkgs, "")
}

// fulfills is _fulfills_version_string: one installed version meets every
// comma-separated condition (default ==, matched with fnmatch-like "*").
func fulfills(installed []string, conds string, allowUpdates bool) bool {
	parts := strings.Split(strings.TrimSpace(conds), ",")
	for _, iv := range installed {
		all := true
		for _, p := range parts {
			oper, ver := pkgmod.SplitComparison(p)
			if allowUpdates && len(parts) == 1 && oper == "==" {
				oper = ">="
			}
			if !compare(iv, oper, ver) {
				all = false
			}
		}
		if all {
			return true
		}
	}
	return false
}

func compare(have, oper, want string) bool {
	if oper == "==" && strings.HasSuffix(want, "*") && strings.HasPrefix(have, strings.TrimSuffix(want, "*")) {
		return true
	}
	// _check_ignore_epoch: an exact spec without an epoch ignores the
	// installed version's epoch
	if !strings.ContainsAny(oper, "<>") && !strings.Contains(want, ":") {
		if i := strings.IndexByte(have, ':'); i >= 0 {
			have = have[i+1:]
		}
	}
	return pkgmod.Compare(have, oper, want)
}

func desiredPkg(t pkgmod.Target) string {
	if t.Version == "" || strings.HasPrefix(t.Version, "<") || strings.HasPrefix(t.Version, ">") || strings.HasPrefix(t.Version, "=") {
		return t.Name + t.Version
	}
	return t.Name + "=" + t.Version
}

func holdArg(c *host.Call) (hold, given bool) {
	v, ok := c.Kwargs().Get("hold")
	return data.Truthy(v), ok
}

// installableVersions is _get_installable_versions: what each target
// would become.
func installableVersions(ctx context.Context, env *host.Env, targets []pkgmod.Target, current map[string]string) (*data.Map, error) {
	var latest, explicit []string
	for _, t := range targets {
		if t.Version == "" {
			latest = append(latest, t.Name)
		} else {
			explicit = append(explicit, desiredPkg(t)) // as Salt: "a=1.0", "a>=1.0"
		}
	}
	versions := map[string]string{}
	if len(latest) > 0 {
		lv, err := pkgmod.LatestVersion(ctx, env, latest, true, false)
		if err != nil {
			return nil, err
		}
		versions = lv
	}
	if len(explicit) > 0 {
		rp, err := pkgmod.ListRepoPkgs(ctx, env, explicit)
		if err != nil {
			return nil, err
		}
		for n, l := range rp {
			if len(l) > 0 {
				versions[n] = l[0]
			}
		}
	}
	ch := data.NewMap()
	for _, t := range targets {
		nv := versions[t.Name]
		if nv == "" {
			nv = "installed"
		}
		ch.Set(t.Name, data.M("new", nv, "old", current[t.Name]))
	}
	return ch, nil
}

func installed(ctx context.Context, c *host.Call) (any, error) {
	name := c.Get("name")
	if l, ok := c.Get("pkgs").([]any); ok && len(l) == 0 {
		return ret(name, nil, true, "No packages to install provided"), nil
	}
	if c.Get("sources") != nil {
		return ret(name, nil, false, "saltgo: pkg.installed with sources (local .deb files) is not supported"), nil
	}
	desired, err := desiredOf(c)
	if err != nil || len(desired) == 0 {
		return ret(name, nil, false, "Invalidly formatted 'pkgs' parameter. See minion log."), nil
	}
	test := state.IsTest(c)
	refresh := modInit(c)
	cur, err := pkgmod.ListPkgs(ctx, c.Env, false, false)
	if err != nil {
		return ret(name, nil, false, err.Error()), nil
	}
	// "latest" resolves to the candidate version
	var wantsLatest []string
	for _, d := range desired {
		if d.Version == "latest" {
			wantsLatest = append(wantsLatest, d.Name)
		}
	}
	if len(wantsLatest) > 0 {
		lv, err := pkgmod.LatestVersion(ctx, c.Env, wantsLatest, refresh, false)
		if err != nil {
			return ret(name, nil, false, err.Error()), nil
		}
		refresh = false
		for i, d := range desired {
			if d.Version != "latest" {
				continue
			}
			v := lv[d.Name]
			if v == "" {
				if vs := cur.Vers[d.Name]; len(vs) > 0 {
					v = vs[len(vs)-1]
				}
			}
			desired[i].Version = v
		}
	}
	var targets []pkgmod.Target
	versionSpec := false
	for _, d := range desired {
		cver := cur.Vers[d.Name]
		if len(cver) == 0 {
			targets = append(targets, d)
			continue
		}
		if d.Version == "" {
			continue
		}
		versionSpec = true
		if !fulfills(cver, d.Version, c.Bool("allow_updates")) {
			targets = append(targets, d)
		}
	}
	hold, holdGiven := holdArg(c)
	names := make([]string, len(desired))
	for i, d := range desired {
		names[i] = d.Name
	}
	if len(targets) == 0 {
		msg := "All specified packages are already installed"
		if versionSpec {
			msg += " and are at the desired version"
		}
		r := ret(name, nil, true, msg)
		if holdGiven {
			hr, err := pkgmod.Hold(ctx, c.Env, names, hold, test)
			if err != nil {
				return ret(name, nil, false, err.Error()), nil
			}
			changes := mustGet(r, "changes").(*data.Map)
			mod, notMod, failed := splitHold(hr)
			for _, group := range [][]*data.Map{mod, notMod, failed} {
				for _, m := range group {
					r.Set("comment", data.Str(mustGet(r, "comment"))+".\n"+data.Str(mustGet(m, "comment")))
					r.Set("result", mustGet(m, "result"))
				}
			}
			for _, m := range mod {
				changes.Set(mustGet(m, "name"), mustGet(m, "changes"))
			}
		}
		return r, nil
	}
	current := map[string]string{}
	if test {
		changes, err := installableVersions(ctx, c.Env, targets, current)
		if err != nil {
			return ret(name, nil, false, err.Error()), nil
		}
		tn := make([]string, len(targets))
		for i, t := range targets {
			tn[i] = t.Name
		}
		return ret(name, changes, nil, "The following packages would be installed/updated: "+strings.Join(tn, ", ")), nil
	}
	kw := data.NewMap()
	for _, k := range []string{"fromrepo", "skip_verify"} {
		if v := c.Get(k); v != nil {
			kw.Set(k, v)
		}
	}
	changes, err := pkgmod.Install(ctx, c.Env, targets, refresh, kw)
	if err != nil {
		cm, ch := errComment(err, "An error was encountered while installing package(s): ")
		return ret(name, ch, false, cm), nil
	}
	var comment []string
	var modHold, notModHold, failedHold []*data.Map
	if holdGiven {
		hr, err := pkgmod.Hold(ctx, c.Env, names, hold, false)
		if err != nil {
			return ret(name, changes, false, err.Error()), nil
		}
		modHold, notModHold, failedHold = splitHold(hr)
	}
	nw, err := pkgmod.ListPkgs(ctx, c.Env, false, false)
	if err != nil {
		return ret(name, changes, false, err.Error()), nil
	}
	isTarget := map[string]bool{}
	for _, t := range targets {
		isTarget[t.Name] = true
	}
	var modified, notModified, failed []string
	for _, d := range desired {
		cver := nw.Vers[d.Name]
		ok := len(cver) > 0 && (d.Version == "" || fulfills(cver, d.Version, false))
		switch {
		case ok && isTarget[d.Name]:
			modified = append(modified, desiredPkg(d))
		case ok:
			notModified = append(notModified, desiredPkg(d))
		case isTarget[d.Name]:
			failed = append(failed, desiredPkg(d))
		}
	}
	if len(modified) > 0 {
		summary := strings.Join(modified, ", ")
		if len(summary) < 20 {
			comment = append(comment, "The following packages were installed/updated: "+summary)
		} else {
			s, v := "", "was"
			if len(modified) > 1 {
				s, v = "s", "were"
			}
			comment = append(comment, fmt.Sprintf("%d targeted package%s %s installed/updated.", len(modified), s, v))
		}
	}
	for _, m := range modHold {
		n := data.Str(mustGet(m, "name"))
		comment = append(comment, data.Str(mustGet(m, "comment")))
		hch := mustGet(m, "changes").(*data.Map)
		if v, ok := changes.Get(n); ok {
			cm := v.(*data.Map)
			for _, k := range []string{"new", "old"} {
				s := data.Str(mustGet(cm, k))
				if s != "" {
					s += "\n"
				}
				cm.Set(k, s+data.Str(mustGet(hch, k)))
			}
		} else {
			changes.Set(n, data.M("new", data.Str(mustGet(hch, "new"))))
		}
	}
	if len(notModified) > 0 {
		summary := strings.Join(notModified, ", ")
		if len(notModified) <= 20 {
			comment = append(comment, "The following packages were already installed: "+summary)
		} else {
			s, v := "", "was"
			if len(notModified) > 1 {
				s, v = "s", "were"
			}
			comment = append(comment, fmt.Sprintf("%d targeted package%s %s already installed", len(notModified), s, v))
		}
	}
	for _, m := range notModHold {
		comment = append(comment, data.Str(mustGet(m, "comment")))
	}
	result := any(true)
	if len(failed) > 0 {
		comment = append([]string{"The following packages failed to install/update: " + strings.Join(failed, ", ")}, comment...)
		result = false
	}
	for _, m := range failedHold {
		comment = append(comment, data.Str(mustGet(m, "comment")))
		result = false
	}
	return ret(name, changes, result, strings.Join(comment, "\n")), nil
}

// modInit stands for Salt's pkg.mod_init, which the engine calls before
// the first pkg.installed or pkg.latest of a run and which writes the
// refresh tag; it returns check_refresh(refresh): whether this state
// refreshes the package database.
func modInit(c *host.Call) bool {
	first := true
	if ch := state.Of(c); ch != nil && ch.Running != nil {
		ch.Running.Range(func(k, _ any) bool {
			tag := data.Str(k)
			if strings.HasPrefix(tag, "pkg_|-") && (strings.HasSuffix(tag, "_|-installed") || strings.HasSuffix(tag, "_|-latest")) {
				first = false
			}
			return first
		})
	}
	if first {
		pkgmod.WriteRtag(c.Env)
	}
	return pkgmod.CheckRefresh(c.Env, c.Get("refresh"))
}

func mustGet(m *data.Map, k string) any {
	v, _ := m.Get(k)
	return v
}

// splitHold sorts pkg.hold/unhold results as installed does: changed,
// unchanged and failed.
func splitHold(hr *data.Map) (mod, notMod, failed []*data.Map) {
	hr.Range(func(_, v any) bool {
		m := v.(*data.Map)
		switch {
		case mustGet(m, "changes").(*data.Map).Len() > 0:
			mod = append(mod, m)
		case mustGet(m, "result") == true:
			notMod = append(notMod, m)
		default:
			failed = append(failed, m)
		}
		return true
	})
	return mod, notMod, failed
}

func latest(ctx context.Context, c *host.Call) (any, error) {
	name := c.Get("name")
	if v, _ := c.Kwargs().Get("sources"); v != nil {
		return ret(name, nil, false, `The "sources" parameter is not supported.`), nil
	}
	var want []string
	switch p := c.Get("pkgs").(type) {
	case nil:
		want = []string{c.Str("name")}
	case []any:
		if len(p) == 0 {
			return ret(name, nil, true, "No packages to install provided"), nil
		}
		ts, err := pkgmod.ParseTargets(nil, p, "")
		if err != nil {
			return ret(name, nil, false, `Invalidly formatted "pkgs" parameter. See minion log.`), nil
		}
		for _, t := range ts {
			want = append(want, t.Name)
		}
	default:
		return ret(name, nil, false, `Invalidly formatted "pkgs" parameter. See minion log.`), nil
	}
	avail, err := pkgmod.LatestVersion(ctx, c.Env, want, modInit(c), false)
	if err != nil {
		return ret(name, nil, false, "An error was encountered while checking the newest available version of package(s): "+err.Error()), nil
	}
	cur, err := pkgmod.ListPkgs(ctx, c.Env, false, false)
	if err != nil {
		return ret(name, nil, false, err.Error()), nil
	}
	targets := map[string]string{}
	var problems []string
	for _, p := range want {
		if avail[p] == "" {
			if cur.Get(p) == "" {
				problems = append(problems, fmt.Sprintf("No information found for '%s'.", p))
			}
			continue
		}
		targets[p] = avail[p]
	}
	if len(problems) > 0 {
		return ret(name, nil, false, strings.Join(problems, " ")), nil
	}
	if len(targets) == 0 {
		sorted := append([]string{}, want...)
		sort.Strings(sorted)
		switch {
		case len(want) > 10:
			return ret(name, nil, true, fmt.Sprintf("All %d packages are up-to-date.", len(want))), nil
		case len(want) > 1:
			return ret(name, nil, true, fmt.Sprintf("All packages are up-to-date (%s).", strings.Join(sorted, ", "))), nil
		}
		return ret(name, nil, true, fmt.Sprintf("Package %s is already up-to-date", want[0])), nil
	}
	tnames := make([]string, 0, len(targets))
	for n := range targets {
		tnames = append(tnames, n)
	}
	sort.Strings(tnames)
	var upToDate []string
	if c.Get("pkgs") != nil {
		for _, p := range want {
			if _, ok := targets[p]; !ok {
				upToDate = append(upToDate, p)
			}
		}
		sort.Strings(upToDate)
	}
	if state.IsTest(c) {
		comments := []string{"The following packages would be installed/upgraded: " + strings.Join(tnames, ", ")}
		if len(upToDate) > 0 {
			if len(upToDate) <= 10 {
				parts := make([]string, len(upToDate))
				for i, u := range upToDate {
					parts[i] = fmt.Sprintf("%s (%s)", u, cur.Get(u))
				}
				comments = append(comments, "The following packages are already up-to-date: "+strings.Join(parts, ", "))
			} else {
				comments = append(comments, fmt.Sprintf("%d packages are already up-to-date", len(upToDate)))
			}
		}
		ch := data.NewMap()
		for _, p := range want {
			if v, ok := targets[p]; ok {
				ch.Set(p, data.M("new", v, "old", cur.Get(p)))
			}
		}
		return ret(name, ch, nil, strings.Join(comments, "\n")), nil
	}
	var ts []pkgmod.Target
	for _, p := range want {
		if _, ok := targets[p]; ok {
			ts = append(ts, pkgmod.Target{Name: p})
		}
	}
	kw := data.NewMap()
	for _, k := range []string{"fromrepo", "skip_verify"} {
		if v := c.Get(k); v != nil {
			kw.Set(k, v)
		}
	}
	changes, err := pkgmod.Install(ctx, c.Env, ts, false, kw)
	if err != nil {
		return ret(name, nil, false, "An error was encountered while installing package(s): "+err.Error()), nil
	}
	if changes.Len() == 0 {
		var comment string
		switch {
		case len(targets) > 10:
			comment = fmt.Sprintf("%d targeted packages failed to update. See debug log for details.", len(targets))
		case len(targets) > 1:
			comment = fmt.Sprintf("The following targeted packages failed to update. See debug log for details: (%s).", strings.Join(tnames, ", "))
		default:
			comment = fmt.Sprintf("Package %s failed to update.", tnames[0])
		}
		if len(upToDate) > 0 {
			if len(upToDate) <= 10 {
				comment += " The following packages were already up-to-date: " + strings.Join(upToDate, ", ")
			} else {
				comment += fmt.Sprintf("%d packages were already up-to-date", len(upToDate))
			}
		}
		return ret(name, changes, false, comment), nil
	}
	var failed, ok []string
	for _, n := range tnames {
		v, has := changes.Get(n)
		good := has
		if has {
			nv := data.Str(mustGet(v.(*data.Map), "new"))
			good = false
			for _, s := range strings.Split(nv, ",") {
				if s == targets[n] {
					good = true
				}
			}
		}
		if good {
			ok = append(ok, n)
		} else {
			failed = append(failed, n)
		}
	}
	var comments []string
	if len(failed) > 0 {
		comments = append(comments, "The following packages failed to update: "+strings.Join(failed, ", "))
	}
	if len(ok) > 0 {
		comments = append(comments, "The following packages were successfully installed/upgraded: "+strings.Join(ok, ", "))
	}
	if len(upToDate) > 0 {
		if len(upToDate) <= 10 {
			comments = append(comments, "The following packages were already up-to-date: "+strings.Join(upToDate, ", "))
		} else {
			comments = append(comments, fmt.Sprintf("%d packages were already up-to-date ", len(upToDate)))
		}
	}
	return ret(name, changes, len(failed) == 0, strings.Join(comments, " ")), nil
}

func uninstall(action string) func(context.Context, *host.Call) (any, error) {
	return func(ctx context.Context, c *host.Call) (any, error) {
		name := c.Get("name")
		var params []pkgmod.Target
		if c.Get("pkgs") != nil {
			ts, err := pkgmod.ParseTargets(nil, c.Get("pkgs"), "")
			if err != nil || len(ts) == 0 {
				return ret(name, nil, false, "Invalidly formatted pkgs parameter. See minion log."), nil
			}
			params = ts
		} else {
			params = []pkgmod.Target{{Name: c.Str("name"), Version: c.Str("version")}}
		}
		cur, err := pkgmod.ListPkgs(ctx, c.Env, false, false)
		if err != nil {
			cm, ch := errComment(err, fmt.Sprintf("An error was encountered while %sing package(s): ", strings.TrimSuffix(action, "e")))
			return ret(name, ch, false, cm), nil
		}
		var targets []string
		versionSpec := false
		for _, p := range params {
			cver := cur.Vers[p.Name]
			if len(cver) == 0 {
				continue
			}
			if p.Version == "" {
				targets = append(targets, p.Name)
				continue
			}
			versionSpec = true
			if fulfills(cver, p.Version, false) {
				targets = append(targets, p.Name)
			}
		}
		if len(targets) == 0 && action == "remove" {
			msg := "All specified packages are already absent"
			if versionSpec {
				msg = "All specified packages (matching specified versions) are already absent"
			}
			return ret(name, nil, true, msg), nil
		}
		if action == "purge" {
			rem, err := pkgmod.ListPkgs(ctx, c.Env, true, false)
			if err != nil {
				return ret(name, nil, false, "An error was encountered while purging package(s): "+err.Error()), nil
			}
			for _, p := range params {
				if _, ok := rem.Vers[p.Name]; ok {
					targets = append(targets, p.Name)
				}
			}
		}
		sort.Strings(targets)
		if len(targets) == 0 {
			msg := "None of the targeted packages are installed"
			if action == "purge" {
				msg += " or partially installed"
			}
			return ret(name, nil, true, msg), nil
		}
		if state.IsTest(c) {
			ch := data.NewMap()
			for _, t := range targets {
				ch.Set(t, data.M("new", action+"d", "old", ""))
			}
			return ret(name, ch, nil, fmt.Sprintf("The following packages will be %sd: %s.", action, strings.Join(targets, ", "))), nil
		}
		names := make([]string, len(params))
		for i, p := range params {
			names[i] = p.Name
		}
		changes, err := pkgmod.Uninstall(ctx, c.Env, action, targets)
		if err != nil {
			verb := map[string]string{"remove": "removing", "purge": "purging"}[action]
			cm, ch := errComment(err, fmt.Sprintf("An error was encountered while %s package(s): ", verb))
			return ret(name, ch, false, cm), nil
		}
		nw, err := pkgmod.ListPkgs(ctx, c.Env, false, false)
		if err != nil {
			return ret(name, changes, false, err.Error()), nil
		}
		var failed []string
		for _, n := range names {
			if _, ok := nw.Vers[n]; ok {
				failed = append(failed, n)
			}
		}
		if action == "purge" {
			rem, err := pkgmod.ListPkgs(ctx, c.Env, true, false)
			if err != nil {
				return ret(name, changes, false, err.Error()), nil
			}
			for _, n := range names {
				if _, ok := rem.Vers[n]; ok {
					failed = append(failed, n)
				}
			}
		}
		sort.Strings(failed)
		if len(failed) > 0 {
			return ret(name, changes, false, fmt.Sprintf("The following packages failed to %s: %s.", action, strings.Join(failed, ", "))), nil
		}
		isTarget := map[string]bool{}
		for _, t := range targets {
			isTarget[t] = true
		}
		var notInstalled []string
		for _, n := range names {
			if !isTarget[n] {
				notInstalled = append(notInstalled, n)
			}
		}
		sort.Strings(notInstalled)
		if len(notInstalled) > 0 {
			return ret(name, changes, true, fmt.Sprintf("The following packages were not installed: %s The following packages were %sd: %s.",
				strings.Join(notInstalled, ", "), action, strings.Join(targets, ", "))), nil
		}
		return ret(name, changes, true, fmt.Sprintf("All targeted packages were %sd.", action)), nil
	}
}

func uptodate(ctx context.Context, c *host.Call) (any, error) {
	name := c.Get("name")
	refresh, isBool := c.Get("refresh").(bool)
	if !isBool {
		return ret(name, nil, false, "refresh must be either True or False"), nil
	}
	ups, err := pkgmod.ListUpgrades(ctx, c.Env, refresh, true)
	if err != nil {
		return ret(name, nil, false, err.Error()), nil
	}
	cur, err := pkgmod.ListPkgs(ctx, c.Env, false, false)
	if err != nil {
		return ret(name, nil, false, err.Error()), nil
	}
	var only map[string]bool
	if l, ok := c.Get("pkgs").([]any); ok {
		only = map[string]bool{}
		for _, e := range l {
			only[data.Str(e)] = true
		}
	}
	expected := data.NewMap()
	ups.Range(func(k, v any) bool {
		if only == nil || only[data.Str(k)] {
			expected.Set(k, data.M("new", v, "old", cur.Get(data.Str(k))))
		}
		return true
	})
	if expected.Len() == 0 {
		return ret(name, nil, true, "System is already up-to-date"), nil
	}
	if state.IsTest(c) {
		return ret(name, expected, nil, "System update will be performed"), nil
	}
	changes, err := pkgmod.Upgrade(ctx, c.Env, refresh, false, c.Kwargs())
	if err != nil {
		cm, ch := errComment(err, "An error was encountered while updating packages: ")
		return ret(name, ch, false, cm), nil
	}
	if only != nil {
		var missing []string
		for _, k := range expected.Keys() {
			if _, ok := changes.Get(k); !ok {
				missing = append(missing, data.Str(k))
			}
		}
		if len(missing) > 0 {
			return ret(name, changes, false, "The following package(s) failed to update: "+strings.Join(missing, ", ")), nil
		}
	}
	return ret(name, changes, true, "Upgrade ran successfully"), nil
}

// modWatch is pkg.mod_watch: a watch runs installed, latest, removed or
// purged again; other functions do not work with watch.
func modWatch(ctx context.Context, c *host.Call) (any, error) {
	sfun := ""
	if v, ok := c.Kwargs().Get("sfun"); ok {
		sfun = data.Str(v)
	}
	switch sfun {
	case "installed", "latest", "removed", "purged":
	default:
		return data.M("name", c.Get("name"), "changes", data.NewMap(), "comment", fmt.Sprintf("pkg.%s does not work with the watch requisite", sfun), "result", false), nil
	}
	target, _, err := host.Lookup(host.State, "pkg."+sfun)
	if err != nil {
		return nil, fmt.Errorf("pkg.mod_watch: %w", err)
	}
	kw := c.Kwargs().Copy()
	kw.Delete("sfun")
	call, err := host.Bind(target, []any{c.Get("name")}, kw)
	if err != nil {
		return nil, err
	}
	call.Env, call.Fun, call.Pub = c.Env, "pkg."+sfun, c.Pub
	return host.Invoke(ctx, call)
}

// holdTargets is held's and unheld's pkgs argument (name, with its
// version, packed into a list when pkgs is not given): each entry a name
// and its version ("" none).
func holdTargets(c *host.Call) [][2]string {
	pkgs, ok := c.Get("pkgs").([]any)
	if !ok {
		name := data.Str(c.Get("name"))
		if v := c.Get("version"); v != nil {
			return [][2]string{{name, data.Str(v)}}
		}
		return [][2]string{{name, ""}}
	}
	var out [][2]string
	for _, p := range pkgs {
		if m, ok := p.(*data.Map); ok && m.Len() > 0 {
			k := m.Keys()[0]
			v, _ := m.Get(k)
			ver := ""
			if v != nil {
				ver = data.Str(v)
			}
			out = append(out, [2]string{data.Str(k), ver})
			continue
		}
		out = append(out, [2]string{data.Str(p), ""})
	}
	return out
}

func withVersion(name, ver string) string {
	if ver == "" {
		return name
	}
	return fmt.Sprintf("%s (version = %s)", name, ver)
}

func resultOf(r *data.Map, name string) (*data.Map, bool) {
	v, _ := r.Get(name)
	m, _ := v.(*data.Map)
	if m == nil {
		return nil, false
	}
	ok, _ := m.Get("result")
	return m, ok == true
}

// held is pkg.held: apt has no versioned locks, so the held packages
// (dpkg selections "hold") are the locks.
func held(ctx context.Context, c *host.Call) (any, error) {
	name := c.Get("name")
	replace := data.Truthy(c.Get("replace"))
	if l, ok := c.Get("pkgs").([]any); ok && len(l) == 0 && !replace {
		return ret(name, nil, true, "No packages to be held provided"), nil
	}
	locks, err := pkgmod.Held(ctx, c.Env)
	if err != nil {
		return ret(name, nil, false, err.Error()), nil
	}
	res := ret(name, nil, true, "")
	changes := data.NewMap()
	var comments []string
	heldNow := map[string]bool{}
	for _, t := range holdTargets(c) {
		heldNow[t[0]] = true
		if slices.Contains(locks, t[0]) {
			continue
		}
		if state.IsTest(c) {
			comments = append(comments, "The following package would be held: "+withVersion(t[0], t[1]))
			continue
		}
		hr, err := pkgmod.Hold(ctx, c.Env, []string{t[0]}, true, false)
		if err != nil {
			return ret(name, changes, false, err.Error()), nil
		}
		if _, ok := resultOf(hr, t[0]); ok {
			comments = append(comments, fmt.Sprintf("Package %s is now being held", t[0]))
		} else {
			res.Set("result", false)
			comments = append(comments, fmt.Sprintf("Package %s was not held", t[0]))
		}
		hr.Range(func(k, v any) bool { changes.Set(k, v); return true })
	}
	if replace {
		for _, l := range locks {
			if heldNow[l] {
				continue
			}
			if state.IsTest(c) {
				comments = append(comments, "The following package would be unheld: "+l)
				continue
			}
			if err := unholdInto(ctx, c, l, res, changes, &comments); err != nil {
				return ret(name, changes, false, err.Error()), nil
			}
		}
	}
	return finishHold(res, changes, comments), nil
}

func unholdInto(ctx context.Context, c *host.Call, name string, res, changes *data.Map, comments *[]string) error {
	ur, err := pkgmod.Hold(ctx, c.Env, []string{name}, false, false)
	if err != nil {
		return err
	}
	m, ok := resultOf(ur, name)
	if !ok {
		res.Set("result", false)
	}
	if m != nil {
		if cm, _ := m.String("comment"); cm != "" {
			*comments = append(*comments, cm)
		}
	}
	ur.Range(func(k, v any) bool { changes.Set(k, v); return true })
	return nil
}

func finishHold(res, changes *data.Map, comments []string) *data.Map {
	res.Set("changes", changes)
	res.Set("comment", strings.Join(comments, "\n"))
	if changes.Len() == 0 && len(comments) == 0 {
		res.Set("comment", "No changes made")
	}
	return res
}

// unheld is pkg.unheld.
func unheld(ctx context.Context, c *host.Call) (any, error) {
	name := c.Get("name")
	all := data.Truthy(c.Get("all"))
	if l, ok := c.Get("pkgs").([]any); ok && len(l) == 0 && !all {
		return ret(name, nil, true, "No packages to be unheld provided"), nil
	}
	locks, err := pkgmod.Held(ctx, c.Env)
	if err != nil {
		return ret(name, nil, false, err.Error()), nil
	}
	want := map[string]string{}
	for _, t := range holdTargets(c) {
		want[t[0]] = t[1]
	}
	res := ret(name, nil, true, "")
	changes := data.NewMap()
	var comments []string
	for _, l := range locks {
		ver, named := want[l]
		if !all && !named {
			continue
		}
		if state.IsTest(c) {
			s := "The following package would be unheld: " + l
			if ver != "" {
				s += " (version = None)" // Salt prints apt's absent lock version
			}
			comments = append(comments, s)
			continue
		}
		if err := unholdInto(ctx, c, l, res, changes, &comments); err != nil {
			return ret(name, changes, false, err.Error()), nil
		}
	}
	return finishHold(res, changes, comments), nil
}
