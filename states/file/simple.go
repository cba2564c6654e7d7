package file

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	filemod "github.com/saltgo/saltgo/modules/file"
)

func absent(_ context.Context, _ *host.Call, r *run) error {
	name := r.name
	switch {
	case name == "":
		return r.fail("Must provide name to file.absent")
	case !filepath.IsAbs(name):
		return r.fail(fmt.Sprintf("Specified file %s is not an absolute path", name))
	case name == "/":
		return r.fail(`Refusing to make "/" absent`)
	}
	kind := ""
	switch {
	case isFile(name) || isLink(name):
		kind = "file"
	case isDir(name):
		kind = "directory"
	default:
		r.res.Comment = fmt.Sprintf("File %s is not present", name)
		return nil
	}
	if r.test() {
		r.res.Result = nil
		r.res.Changes.Set("removed", name)
		if kind == "file" {
			r.res.Comment = fmt.Sprintf("File %s is set for removal", name)
		} else {
			r.res.Comment = fmt.Sprintf("Directory %s is set for removal", name)
		}
		return nil
	}
	if err := filemod.Remove(name); err != nil {
		if kind == "directory" {
			return r.fail(fmt.Sprintf("Failed to remove directory %s", name))
		}
		return r.fail(err.Error())
	}
	if kind == "file" {
		r.res.Comment = fmt.Sprintf("Removed file %s", name)
	} else {
		r.res.Comment = fmt.Sprintf("Removed directory %s", name)
	}
	r.res.Changes.Set("removed", name)
	return nil
}

func existsState(_ context.Context, _ *host.Call, r *run) error {
	if r.name == "" {
		return r.fail("Must provide name to file.exists")
	}
	if !exists(r.name) {
		return r.fail(fmt.Sprintf("Specified path %s does not exist", r.name))
	}
	r.res.Comment = fmt.Sprintf("Path %s exists", r.name)
	return nil
}

func missingState(_ context.Context, _ *host.Call, r *run) error {
	if r.name == "" {
		return r.fail("Must provide name to file.missing")
	}
	if exists(r.name) {
		return r.fail(fmt.Sprintf("Specified path %s exists", r.name))
	}
	r.res.Comment = fmt.Sprintf("Path %s is missing", r.name)
	return nil
}

// checkDirMeta is Salt's _check_dir_meta.
func checkDirMeta(name string, usr, grp any, mode string, follow bool) *data.Map {
	ch := data.NewMap()
	st, err := filemod.Stats(name, "", follow)
	if err != nil {
		ch.Set("directory", "new")
		return ch
	}
	u, _ := st.Get("user")
	uid, _ := st.Get("uid")
	if usr != nil && !data.Equal(usr, u) && !data.Equal(usr, uid) {
		ch.Set("user", usr)
	}
	g, _ := st.Get("group")
	gid, _ := st.Get("gid")
	if grp != nil && !data.Equal(grp, g) && !data.Equal(grp, gid) {
		ch.Set("group", grp)
	}
	smode, _ := st.String("mode")
	if typ, _ := st.String("type"); mode != "" && mode != smode && (follow || typ != "link") {
		ch.Set("mode", mode)
	}
	return ch
}

// walkEntry is one directory of a walk: its path, subdirectories, files.
type walkEntry struct {
	root  string
	dirs  []string
	files []string
}

// walk is os.walk (top-down, sorted, not following links).
func walk(top string, maxDepth int) []walkEntry {
	var out []walkEntry
	var rec func(dir string, depth int)
	rec = func(dir string, depth int) {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		e := walkEntry{root: dir}
		for _, d := range ents {
			if d.IsDir() {
				e.dirs = append(e.dirs, d.Name())
			} else {
				e.files = append(e.files, d.Name())
			}
		}
		out = append(out, e)
		if maxDepth >= 0 && depth >= maxDepth {
			return
		}
		for _, d := range e.dirs {
			rec(filepath.Join(dir, d), depth+1)
		}
	}
	rec(top, 0)
	return out
}

// recurseSet is Salt's _get_recurse_set.
func recurseSet(v any) (map[string]bool, error) {
	set := map[string]bool{}
	if v == nil {
		return set, nil
	}
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf(`"recurse" must be formed as a list of strings`)
	}
	for _, x := range l {
		s, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf(`"recurse" must be formed as a list of strings`)
		}
		switch s {
		case "user", "group", "mode", "ignore_files", "ignore_dirs", "silent":
			set[s] = true
		default:
			return nil, fmt.Errorf("Types for \"recurse\" limited to %s.", `"user", "group", "mode", "ignore_files", "ignore_dirs", "silent"`)
		}
	}
	if set["ignore_files"] && set["ignore_dirs"] {
		return nil, errors.New(`Must not specify "recurse" options "ignore_files" and "ignore_dirs" at the same time.`)
	}
	return set, nil
}

func directory(_ context.Context, c *host.Call, r *run) error {
	name := r.name
	if name == "" {
		return r.fail("Must provide name to file.directory")
	}
	if strings.HasSuffix(name, "/") && name != "/" {
		name = name[:len(name)-1]
		r.name = name
	}
	clean := c.Bool("clean")
	maxDepth := -1
	if v := c.Get("max_depth"); v != nil {
		if clean {
			return r.fail("Cannot specify both max_depth and clean")
		}
		n, _ := data.AsInt(v)
		maxDepth = int(n)
	}
	usr, grp := r.owner(), c.Get("group")
	dirModeArg := c.Get("dir_mode")
	if m, ok := c.Kwargs().Get("mode"); ok && !data.Truthy(dirModeArg) {
		dirModeArg = m
	}
	fileModeArg := c.Get("file_mode")
	if !data.Truthy(fileModeArg) {
		fileModeArg = dirModeArg
	}
	dirMode, fileMode := filemod.NormalizeMode(dirModeArg), filemod.NormalizeMode(fileModeArg)
	if msg := r.checkUser(usr, grp); msg != "" {
		return r.fail(msg)
	}
	if !filepath.IsAbs(name) {
		return r.fail(fmt.Sprintf("Specified file %s is not an absolute path", name))
	}
	force := c.Bool("force")
	if isFile(name) || (!c.Bool("allow_symlink") && isLink(name)) || (force && isLink(name)) {
		switch {
		case c.Get("backupname") != nil:
			bk := c.Str("backupname")
			if lexists(bk) {
				if !force {
					return r.fail(fmt.Sprintf("File exists where the backup target %s should go", bk))
				}
				if r.test() {
					r.res.Changes.Set("forced", fmt.Sprintf("Existing file at backup path %s would be removed", bk))
				} else if err := filemod.Remove(bk); err != nil {
					return r.fail(err.Error())
				}
			}
			if r.test() {
				r.res.Changes.Set("backup", fmt.Sprintf("%s would be renamed to %s", name, bk))
				r.res.Changes.Set(name, data.M("directory", "new"))
				r.res.Comment = fmt.Sprintf("%s would be backed up and replaced with a new directory", name)
				r.res.Result = nil
				return nil
			}
			if err := os.Rename(name, bk); err != nil {
				return r.fail(err.Error())
			}
		case force:
			what := "File"
			if !isFile(name) {
				what = "Symlink"
			}
			if r.test() {
				r.res.Changes.Set("forced", what+" would be forcibly replaced")
			} else {
				if err := filemod.Remove(name); err != nil {
					return r.fail(err.Error())
				}
				r.res.Changes.Set("forced", what+" was forcibly replaced")
			}
		default:
			if isFile(name) {
				return r.fail(fmt.Sprintf("Specified location %s exists and is a file", name))
			}
			return r.fail(fmt.Sprintf("Specified location %s exists and is a symlink", name))
		}
	}
	follow := c.Bool("follow_symlinks")
	childrenOnly := c.Bool("children_only")
	rset, rerr := recurseSet(c.Get("recurse"))
	excludePat := c.Str("exclude_pat")

	// _check_directory
	tchanges := data.NewMap()
	var walkL []walkEntry
	if (len(rset) > 0 || clean) && isDir(name) {
		walkL = walk(name, maxDepth)
	}
	tresult, tcomment := any(true), ""
	if rerr != nil {
		tresult, tcomment = false, rerr.Error()
	} else {
		if len(rset) > 0 {
			ru, rg, rdm, rfm := usr, grp, dirMode, fileMode
			if !rset["user"] {
				ru = nil
			}
			if !rset["group"] {
				rg = nil
			}
			if !rset["mode"] {
				rdm, rfm = "", ""
			}
			for _, e := range walkL {
				if !rset["ignore_files"] {
					for _, f := range e.files {
						p := filepath.Join(e.root, f)
						ch := checkDirMeta(p, ru, rg, rfm, follow)
						if ch.Len() > 0 {
							tchanges.Set(p, ch)
						}
					}
				}
				if !rset["ignore_dirs"] {
					for _, d := range e.dirs {
						p := filepath.Join(e.root, d)
						if ch := checkDirMeta(p, ru, rg, rdm, follow); ch.Len() > 0 {
							tchanges.Set(p, ch)
						}
					}
				}
			}
		}
		if !childrenOnly {
			if ch := checkDirMeta(name, usr, grp, dirMode, follow); ch.Len() > 0 {
				tchanges.Set(name, ch)
			}
		}
		if clean {
			for _, e := range walkL {
				for _, n := range append(append([]string{}, e.files...), e.dirs...) {
					p := filepath.Join(e.root, n)
					if rel, _ := filepath.Rel(name, p); includeExclude(rel, "", excludePat) {
						tchanges.Set(p, data.M("removed", "Removed due to clean"))
					}
				}
			}
		}
		if !isDir(name) {
			tchanges.Set(name, data.M("directory", "new"))
		}
		if tchanges.Len() > 0 {
			var b strings.Builder
			b.WriteString("The following files will be changed:\n")
			tchanges.Range(func(k, v any) bool {
				v.(*data.Map).Range(func(kk, vv any) bool {
					fmt.Fprintf(&b, "%s: %s - %s\n", data.Str(k), data.Str(kk), data.Str(vv))
					return true
				})
				return true
			})
			tresult, tcomment = nil, b.String()
		} else {
			tcomment = fmt.Sprintf("The directory %s is in the correct state", name)
		}
	}
	tchanges.Range(func(k, v any) bool { r.res.Changes.Set(k, v); return true })
	if r.test() || r.res.Changes.Len() == 0 {
		r.res.Result, r.res.Comment = tresult, tcomment
		return nil
	}
	if !isDir(name) {
		if !isDir(filepath.Dir(name)) {
			if !c.Bool("makedirs") {
				return r.fail(fmt.Sprintf("No directory to create %s in", name))
			}
			if _, err := filemod.Makedirs(name, usr, grp, dirMode); err != nil {
				return r.fail(err.Error())
			}
		}
		if err := filemod.Mkdir(name, usr, grp, dirMode); err != nil || !isDir(name) {
			return r.fail(fmt.Sprintf("Failed to create directory %s", name))
		}
		r.res.Changes.Set(name, data.M("directory", "new"))
		return nil
	}
	var errs []string
	perms := func(p, mode string) {
		pr, err := filemod.CheckPerms(p, r.res.Changes, usr, grp, mode, follow, false)
		if err != nil {
			var nf *filemod.PathNotFoundError
			if !errors.As(err, &nf) {
				errs = append(errs, err.Error())
			}
			return
		}
		if len(pr.Errors) > 0 {
			r.res.Result = false
			r.res.Comment = strings.Join(pr.Errors, "; ")
		}
	}
	if !childrenOnly {
		perms(name, dirMode)
	}
	if len(rset) > 0 {
		if rset["silent"] {
			r.res.Changes = data.M("recursion", "Changes silenced")
		}
		su, sg, sdm, sfm := usr, grp, dirMode, fileMode
		if !rset["user"] {
			su = nil
		}
		if !rset["group"] {
			sg = nil
		}
		if !rset["mode"] {
			sdm, sfm = "", ""
		}
		for _, e := range walkL {
			for _, f := range e.files {
				if !rset["ignore_files"] {
					p := filepath.Join(e.root, f)
					pr, err := filemod.CheckPerms(p, data.NewMap(), su, sg, sfm, follow, false)
					if err == nil && len(pr.Errors) > 0 {
						errs = append(errs, pr.Errors...)
					}
					if err == nil && pr.Changes.Len() > 0 && !rset["silent"] {
						r.res.Changes.Set(p, pr.Changes)
					}
				}
			}
			for _, d := range e.dirs {
				if !rset["ignore_dirs"] {
					p := filepath.Join(e.root, d)
					pr, err := filemod.CheckPerms(p, data.NewMap(), su, sg, sdm, follow, false)
					if err == nil && len(pr.Errors) > 0 {
						errs = append(errs, pr.Errors...)
					}
					if err == nil && pr.Changes.Len() > 0 && !rset["silent"] {
						r.res.Changes.Set(p, pr.Changes)
					}
				}
			}
		}
	}
	if clean {
		if removed := cleanDir(name, nil, excludePat, false); len(removed) > 0 {
			r.res.Changes.Set("removed", data.List(removed))
			r.res.Comment = fmt.Sprintf("Files cleaned from directory %s", name)
		}
	}
	if r.res.Comment == "" {
		if childrenOnly {
			r.res.Comment = fmt.Sprintf("Directory %s/* updated", name)
		} else if r.res.Changes.Len() > 0 {
			r.res.Comment = fmt.Sprintf("Directory %s updated", name)
		}
	}
	if r.res.Changes.Len() == 0 && data.Truthy(r.res.Result) {
		orig := r.res.Comment
		r.res.Comment = fmt.Sprintf("Directory %s is in the correct state", name)
		if orig != "" {
			r.res.Comment += "\n" + orig
		}
	}
	if len(errs) > 0 {
		r.res.Result = false
		r.res.Comment += "\n\nThe following errors were encountered:\n"
		for _, e := range errs {
			r.res.Comment += "\n- " + e
		}
	}
	return nil
}

func touch(_ context.Context, c *host.Call, r *run) error {
	name := r.name
	r.res.Result = nil
	if name == "" {
		return r.fail("Must provide name to file.touch")
	}
	if !filepath.IsAbs(name) {
		return r.fail(fmt.Sprintf("Specified file %s is not an absolute path", name))
	}
	atime, mtime := filemod.TimeArg(c.Get("atime")), filemod.TimeArg(c.Get("mtime"))
	if r.test() {
		r.res.Changes = data.M("new", name)
		if !exists(name) {
			r.res.Comment = fmt.Sprintf("File %s is set to be created", name)
			return nil
		}
		st, _ := filemod.Stats(name, "", false)
		at, _ := st.Get("atime")
		mt, _ := st.Get("mtime")
		if (atime != nil && data.Str(c.Get("atime")) != data.Str(at)) || (mtime != nil && data.Str(c.Get("mtime")) != data.Str(mt)) {
			r.res.Comment = fmt.Sprintf("Times set to be updated on file %s", name)
			r.res.Changes = data.M("touched", name)
		} else {
			r.res.Result = true
			r.res.Comment = fmt.Sprintf("File %s exists and has the correct times", name)
		}
		return nil
	}
	if c.Bool("makedirs") {
		if _, err := filemod.Makedirs(name, nil, nil, ""); err != nil {
			return r.fail(err.Error())
		}
	}
	if !isDir(filepath.Dir(name)) {
		return r.fail(fmt.Sprintf("Directory not present to touch file %s", name))
	}
	extant := exists(name)
	if err := filemod.Touch(name, atime, mtime); err != nil {
		return r.fail(err.Error())
	}
	r.res.Result = true
	if !extant {
		r.res.Comment = fmt.Sprintf("Created empty file %s", name)
		r.res.Changes.Set("new", name)
	} else {
		kind := "file"
		if isDir(name) {
			kind = "directory"
		}
		r.res.Comment = fmt.Sprintf("Updated times on %s %s", kind, name)
		r.res.Changes.Set("touched", name)
	}
	return nil
}

// defaultOwner is Salt's symlink/copy default: the minion's user and that
// user's primary group.
func (r *run) defaultOwner(usr, grp any) (any, any) {
	if usr == nil {
		if v, ok := r.opt("user"); ok && data.Truthy(v) {
			usr = v
		} else {
			usr = currentUser()
		}
	}
	if grp == nil {
		grp = usr
		if uid, ok := filemod.UserToUID(usr).(int64); ok {
			if g, err := primaryGroup(uid); err == nil {
				grp = g
			}
		}
	}
	return usr, grp
}

func symlink(_ context.Context, c *host.Call, r *run) error {
	name, target := r.name, c.Str("target")
	if name == "" {
		return r.fail("Must provide name to file.symlink")
	}
	usr, grp := r.defaultOwner(r.owner(), c.Get("group"))
	var pre []string
	if filemod.UserToUID(usr) == "" {
		pre = append(pre, fmt.Sprintf("User %s does not exist", data.Str(usr)))
	}
	if filemod.GroupToGID(grp) == "" {
		pre = append(pre, fmt.Sprintf("Group %s does not exist", data.Str(grp)))
	}
	if !filepath.IsAbs(name) {
		pre = append(pre, fmt.Sprintf("Specified file %s is not an absolute path", name))
	}
	if len(pre) > 0 {
		msg := strings.Join(pre, ". ")
		if len(pre) > 1 {
			msg += "."
		}
		return r.fail(msg)
	}
	force := c.Bool("force")
	// _symlink_check
	var tresult any
	var tcomment string
	tchanges := data.NewMap()
	switch {
	case !exists(name) && !isLink(name):
		tchanges.Set("new", name)
		tresult, tcomment = nil, fmt.Sprintf("Symlink %s to %s is set for creation", name, target)
	case isLink(name):
		cur, _ := os.Readlink(name)
		if cur != target {
			tchanges.Set("change", name)
			tresult, tcomment = nil, fmt.Sprintf("Link %s target is set to be changed to %s", name, target)
		} else {
			tresult, tcomment = true, fmt.Sprintf("The symlink %s is present", name)
			if cu, cg := linkOwner(name); !(data.Str(cu) == data.Str(usr) && data.Str(cg) == data.Str(grp)) {
				tresult = nil
				tchanges.Set("ownership", fmt.Sprintf("%s:%s", data.Str(cu), data.Str(cg)))
				tcomment += fmt.Sprintf(", but the ownership of the symlink would be changed from %s:%s to %s:%s", data.Str(cu), data.Str(cg), data.Str(usr), data.Str(grp))
			}
		}
	case force:
		tresult, tcomment = nil, fmt.Sprintf("The file or directory %s is set for removal to make way for a new symlink targeting %s", name, target)
	default:
		tresult, tcomment = false, fmt.Sprintf("File or directory exists where the symlink %s should be. Did you mean to use force?", name)
	}
	dir := filepath.Dir(name)
	if !isDir(dir) {
		if c.Bool("makedirs") {
			if r.test() {
				tcomment += fmt.Sprintf("\n%s will be created", dir)
			} else if _, err := filemod.Makedirs(name, usr, grp, filemod.NormalizeMode(c.Get("mode"))); err != nil {
				return r.fail(err.Error())
			}
		} else {
			if !r.test() {
				return r.fail(fmt.Sprintf("Directory %s for symlink is not present", dir))
			}
			tcomment += fmt.Sprintf("\nDirectory %s for symlink is not present", dir)
		}
	}
	if r.test() {
		r.res.Result, r.res.Comment, r.res.Changes = tresult, tcomment, tchanges
		return nil
	}
	if isLink(name) {
		cur, _ := os.Readlink(name)
		if filepath.Clean(cur) != filepath.Clean(target) {
			if err := filemod.Remove(name); err != nil {
				return r.fail(err.Error())
			}
		} else {
			if cu, cg := linkOwner(name); data.Str(cu) == data.Str(usr) && data.Str(cg) == data.Str(grp) {
				r.res.Comment = fmt.Sprintf("Symlink %s is present and owned by %s:%s", name, data.Str(usr), data.Str(grp))
			} else if filemod.Chown(name, usr, grp, true) == nil {
				r.res.Comment = fmt.Sprintf("Set ownership of symlink %s to %s:%s", name, data.Str(usr), data.Str(grp))
				r.res.Changes.Set("ownership", fmt.Sprintf("%s:%s", data.Str(usr), data.Str(grp)))
			} else {
				r.res.Result = false
				r.res.Comment += fmt.Sprintf("Failed to set ownership of symlink %s to %s:%s", name, data.Str(usr), data.Str(grp))
			}
			return nil
		}
	} else if lexists(name) {
		if bk := c.Get("backupname"); bk != nil {
			b := data.Str(bk)
			if !filepath.IsAbs(b) {
				if b != filepath.Base(b) {
					return r.fail(fmt.Sprintf("Backupname must be an absolute path or a file name: %s", b))
				}
				b = filepath.Join(filepath.Dir(filepath.Clean(name)), b)
			}
			if lexists(b) {
				if !force {
					return r.fail(fmt.Sprintf("Symlink & backup dest exists and Force not set. %s -> %s - backup: %s", name, target, b))
				}
				_ = filemod.Remove(b)
			}
			if err := os.Rename(name, b); err != nil {
				r.res.Changes = data.NewMap()
				return r.fail(fmt.Sprintf("Unable to rename %s to backup %s -> : %v", name, b, err))
			}
		} else if !force {
			kind := "File system entry"
			if isFile(name) {
				kind = "File"
			} else if isDir(name) {
				kind = "Directory"
			}
			return r.fail(fmt.Sprintf("%s exists where the symlink %s should be", kind, name))
		} else if err := filemod.Remove(name); err != nil {
			return r.fail(err.Error())
		}
	}
	if err := os.Symlink(target, name); err != nil {
		r.res.Result = false
		r.res.Comment = fmt.Sprintf("Unable to create new symlink %s -> %s: %v", name, target, err)
		return nil
	}
	r.res.Comment = fmt.Sprintf("Created new symlink %s -> %s", name, target)
	r.res.Changes.Set("new", name)
	if cu, cg := linkOwner(name); !(data.Str(cu) == data.Str(usr) && data.Str(cg) == data.Str(grp)) {
		if filemod.Chown(name, usr, grp, true) != nil {
			r.res.Result = false
			r.res.Comment += fmt.Sprintf(", but was unable to set ownership to %s:%s", data.Str(usr), data.Str(grp))
		}
	}
	return nil
}

// linkOwner returns the user and group owning a link itself.
func linkOwner(p string) (any, any) {
	st, err := filemod.Stats(p, "", false)
	if err != nil {
		return nil, nil
	}
	u, _ := st.Get("user")
	g, _ := st.Get("group")
	return u, g
}

func copyState(_ context.Context, c *host.Call, r *run) error {
	name, source := r.name, expandUser(c.Str("source"))
	r.res.Comment = fmt.Sprintf(`Copied "%s" to "%s"`, source, name)
	if name == "" {
		return r.fail("Must provide name to file.copy")
	}
	if !filepath.IsAbs(name) {
		return r.fail(fmt.Sprintf("Specified file %s is not an absolute path", name))
	}
	if !exists(source) {
		return r.fail(fmt.Sprintf(`Source file "%s" is not present`, source))
	}
	var usr, grp any
	var mode string
	preserve := c.Bool("preserve")
	if preserve {
		st, _ := filemod.Stats(source, "", true)
		usr, _ = st.Get("user")
		grp, _ = st.Get("group")
		mode, _ = st.String("mode")
	} else {
		usr, grp = r.defaultOwner(r.owner(), c.Get("group"))
		if msg := r.checkUser(usr, grp); msg != "" {
			return r.fail(msg)
		}
		mode = filemod.NormalizeMode(c.Get("mode"))
		if mode == "" {
			st, _ := filemod.Stats(source, "", true)
			mode, _ = st.String("mode")
		}
	}
	if isDir(name) && c.Bool("subdir") {
		name = filepath.Join(name, filepath.Base(source))
	}
	changed := true
	force := c.Bool("force")
	if lexists(source) && lexists(name) {
		if force && isFile(name) {
			h1, _ := filemod.GetHash(name, "sha256")
			h2, _ := filemod.GetHash(source, "sha256")
			if h1 == h2 {
				r.res.Comment += " - files are identical but force flag is set"
			}
		}
		if !force {
			changed = false
		} else if !r.test() {
			if err := filemod.Remove(name); err != nil {
				return r.fail(fmt.Sprintf(`Failed to delete "%s" in preparation for forced move`, name))
			}
		}
	}
	if r.test() {
		if changed {
			r.res.Comment = fmt.Sprintf(`File "%s" is set to be copied to "%s"`, source, name)
			r.res.Result = nil
		} else {
			r.res.Comment = fmt.Sprintf(`The target file "%s" exists and will not be overwritten`, name)
		}
		return nil
	}
	if !changed {
		r.res.Comment = fmt.Sprintf(`The target file "%s" exists and will not be overwritten`, name)
		return nil
	}
	dname := filepath.Dir(name)
	if !isDir(dname) {
		if !c.Bool("makedirs") {
			return r.fail(fmt.Sprintf("The target directory %s is not present", dname))
		}
		dm := filemod.NormalizeMode(c.Get("dir_mode"))
		if dm == "" && mode != "" {
			dm = filemod.NormalizeMode(filemod.DirModeFromMode(mode))
		}
		if _, err := filemod.Makedirs(name, usr, grp, dm); err != nil {
			return r.fail(err.Error())
		}
	}
	var err error
	if isDir(source) {
		err = filemod.CopyTree(source, name)
		if err == nil {
			_ = filepath.Walk(name, func(p string, _ os.FileInfo, _ error) error {
				if p != name {
					_ = filemod.Chown(p, usr, grp, true)
				}
				return nil
			})
		}
	} else {
		err = filemod.CopyFile(source, name)
	}
	if err != nil {
		return r.fail(fmt.Sprintf(`Failed to copy "%s" to "%s"`, source, name))
	}
	r.res.Changes = data.M(name, source)
	if !preserve {
		pr, err := filemod.CheckPerms(name, r.res.Changes, usr, grp, mode, false, false)
		if err == nil && len(pr.Errors) > 0 {
			r.res.Result = false
			r.res.Comment = strings.Join(pr.Errors, "; ")
		}
	} else {
		_ = filemod.Chown(name, usr, grp, false)
		_ = filemod.SetMode(name, mode)
	}
	return nil
}
