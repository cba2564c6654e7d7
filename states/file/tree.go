package file

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient"
	"github.com/saltgo/saltgo/host"
	filemod "github.com/saltgo/saltgo/modules/file"
	"github.com/saltgo/saltgo/output"
	"github.com/saltgo/saltgo/saltyaml"
)

// recurse is Salt's file.recurse: the files under a salt:// directory are
// managed below name (file.managed with makedirs, template, user, group,
// file_mode), the directories holding them through file.directory
// (dir_mode; empty ones too with include_empty), and clean removes what
// the source does not have. Results are merged as Salt's merge_ret does.
func recurse(ctx context.Context, c *host.Call, r *run) error {
	name := r.name
	if _, ok := c.Kwargs().Get("mode"); ok {
		return r.fail("'mode' is not allowed in 'file.recurse'. Please use 'file_mode' and 'dir_mode'.")
	}
	usr, grp := r.owner(), c.Get("group")
	dirMode := filemod.NormalizeMode(c.Get("dir_mode"))
	fileMode := filemod.NormalizeMode(c.Get("file_mode"))
	if msg := r.checkUser(usr, grp); msg != "" {
		return r.fail(msg)
	}
	if !filepath.IsAbs(name) {
		return r.fail(fmt.Sprintf("Specified file %s is not an absolute path", name))
	}
	var sources []any
	for _, s := range textList(c.Get("source")) {
		s = strings.TrimRight(s, "/")
		if !strings.HasPrefix(s, "salt://") {
			return r.fail(fmt.Sprintf("Invalid source '%s' (must be a salt:// URI)", s))
		}
		sources = append(sources, s)
	}
	src, err := r.source()
	if err != nil {
		return r.fail(err.Error())
	}
	source, _, err := src.SourceList(ctx, sources, "")
	if err != nil {
		return r.fail(fmt.Sprintf("Recurse failed: %v", err))
	}
	p, senv := fileclient.SplitEnv(source)
	if senv == "" {
		senv = r.ch.Saltenv
	}
	srcpath := strings.TrimPrefix(p, "salt://")
	dirs, err := src.Files.DirList(ctx, senv, srcpath+"/")
	if err != nil {
		return r.fail(fmt.Sprintf("Recurse failed: %v", err))
	}
	found := false
	for _, d := range dirs {
		if strings.TrimSuffix(d, "/") == srcpath {
			found = true
		}
	}
	if !found {
		return r.fail(fmt.Sprintf("The directory '%s' does not exist on the salt fileserver in saltenv '%s'", srcpath, senv))
	}
	if !isDir(name) {
		if exists(name) {
			return r.fail(fmt.Sprintf("The path %s exists and is not a directory", name))
		}
		if !r.test() {
			if err := filemod.Mkdir(name, usr, grp, dirMode); err != nil {
				return r.fail(err.Error())
			}
		}
	}
	ctxMap, msg := mergeContext(c.Get("defaults"), c.Get("context"))
	if msg != "" {
		return r.fail(msg)
	}
	comments := data.NewMap() // path -> []string, in insertion order
	addComment := func(path string, cm ...string) {
		prev, _ := comments.Get(path)
		l, _ := prev.([]string)
		comments.Set(path, append(l, cm...))
	}
	merge := func(path string, sub *filemod.Result) {
		if sub.Result == false || r.res.Result == true {
			r.res.Result = sub.Result
		}
		if sub.Result != true && sub.Comment != "" {
			addComment(path, sub.Comment)
		}
		if sub.Changes.Len() > 0 {
			r.res.Changes.Set(path, sub.Changes)
		}
	}
	include, exclude := c.Str("include_pat"), c.Str("exclude_pat")
	maxdepth := -1
	if v := c.Get("maxdepth"); v != nil {
		n, _ := data.AsInt(v)
		maxdepth = int(n)
	}
	validRel := func(rel string) bool {
		if rel == "." || strings.HasPrefix(rel, "../") || rel == ".." {
			return false
		}
		return maxdepth < 0 || strings.Count(rel, "/") <= maxdepth
	}
	files, err := src.Files.FileList(ctx, senv, srcpath+"/")
	if err != nil {
		return r.fail(fmt.Sprintf("Recurse failed: %v", err))
	}
	type mfile struct{ dest, url string }
	var mfiles []mfile
	mdirs := map[string]bool{}
	var keep []string
	type mlink struct{ rel, target string }
	var mlinks []mlink
	if c.Bool("keep_symlinks") {
		links, err := src.Files.SymlinkList(ctx, senv, srcpath+"/")
		if err != nil {
			return r.fail(fmt.Sprintf("Recurse failed: %v", err))
		}
		for _, l := range fileclient.SortedLinks(links) {
			rel := strings.TrimPrefix(l, srcpath+"/")
			if !strings.HasPrefix(l, srcpath+"/") || !validRel(rel) || !includeExclude(rel, include, exclude) {
				continue
			}
			kept := files[:0:0]
			for _, f := range files {
				if !strings.HasPrefix(f, l+"/") {
					kept = append(kept, f)
				}
			}
			files = kept
			mlinks = append(mlinks, mlink{rel, links[l]})
			keep = append(keep, filepath.Join(name, filepath.FromSlash(rel)))
		}
	}
	for _, f := range files {
		rel := strings.TrimPrefix(f, srcpath+"/")
		if strings.TrimSpace(f) == "" || !strings.HasPrefix(f, srcpath+"/") || !validRel(rel) || !includeExclude(rel, include, exclude) {
			continue
		}
		dest := filepath.Join(name, filepath.FromSlash(rel))
		keep = append(keep, dest)
		mdirs[filepath.Dir(dest)] = true
		mfiles = append(mfiles, mfile{dest, fileclient.SaltURL(f, senv)})
	}
	if c.Bool("include_empty") {
		for _, d := range dirs {
			d = strings.TrimSuffix(d, "/")
			rel := strings.TrimPrefix(d, srcpath+"/")
			if !strings.HasPrefix(d, srcpath+"/") || !validRel(rel) || !includeExclude(rel, include, exclude) {
				continue
			}
			dest := filepath.Join(name, filepath.FromSlash(rel))
			mdirs[dest] = true
			keep = append(keep, dest)
		}
	}
	clean := c.Bool("clean")
	var dirList []string
	for d := range mdirs {
		dirList = append(dirList, d)
	}
	sort.Slice(dirList, func(i, j int) bool { return shallowerFirst(dirList[i], dirList[j]) })
	for _, l := range mlinks {
		dest := filepath.Join(name, filepath.FromSlash(l.rel))
		merge(dest, r.subState(ctx, "file.symlink", "name", dest, "target", l.target, "makedirs", true,
			"force", c.Get("force_symlinks"), "user", usr, "group", grp, "mode", c.Get("sym_mode")))
	}
	for _, d := range dirList {
		if clean && exists(d) && !isDir(d) {
			sub := filemod.NewResult()
			if r.test() {
				sub.Result, sub.Comment = nil, fmt.Sprintf("Replacing %s with a directory", d)
				merge(d, sub)
				continue
			}
			_ = filemod.Remove(d)
			sub.Changes.Set("diff", "Replaced file with a directory")
			merge(d, sub)
		}
		merge(d, r.subState(ctx, "file.directory", "name", d, "user", usr, "group", grp, "recurse", []any{},
			"dir_mode", nilIf(dirMode), "makedirs", true))
	}
	sort.Slice(mfiles, func(i, j int) bool { return shallowerFirst(mfiles[i].dest, mfiles[j].dest) })
	for _, mf := range mfiles {
		if clean && isDir(mf.dest) && c.Bool("replace") {
			sub := filemod.NewResult()
			if r.test() {
				sub.Result, sub.Comment = nil, fmt.Sprintf("Replacing directory %s with a file", mf.dest)
				merge(mf.dest, sub)
				continue
			}
			_ = filemod.Remove(mf.dest)
			sub.Changes.Set("diff", "Replaced directory with a new file")
			merge(mf.dest, sub)
		}
		kv := []any{"name", mf.dest, "source", mf.url, "keep_source", c.Get("keep_source"), "user", usr, "group", grp,
			"mode", nilIf(fileMode), "template", c.Get("template"), "makedirs", true, "replace", c.Get("replace"),
			"context", ctxMap, "backup", c.Get("backup")}
		merge(mf.dest, r.subState(ctx, "file.managed", kv...))
	}
	if clean {
		if removed := cleanDir(name, keep, exclude, r.test()); len(removed) > 0 {
			if r.test() {
				if r.res.Result == true {
					r.res.Result = nil
				}
				addComment("removed", removed...)
			} else {
				r.res.Changes.Set("removed", data.List(removed))
			}
		}
	}
	var parts []string
	comments.Range(func(k, v any) bool {
		parts = append(parts, fmt.Sprintf("\n#### %s ####\n%s", data.Str(k), strings.Join(v.([]string), "\n")))
		return true
	})
	r.res.Comment = strings.TrimSpace(strings.Join(parts, "\n"))
	if r.res.Comment == "" {
		r.res.Comment = fmt.Sprintf("Recursively updated %s", name)
	}
	if r.res.Changes.Len() == 0 && data.Truthy(r.res.Result) {
		r.res.Comment = fmt.Sprintf("The directory %s is in the correct state", name)
	}
	return nil
}

// shallowerFirst orders recurse's directories and files: Salt walks Python
// sets there (hash order, different in each minion process: the recorded
// goldens show both orders), so any order is one Salt can give; saltgo's is
// fixed, a directory's entries before those of its subdirectories, then by
// name, which is the order of the recorded test=True comment.
func shallowerFirst(a, b string) bool {
	da, db := strings.Count(a, string(filepath.Separator)), strings.Count(b, string(filepath.Separator))
	if da != db {
		return da < db
	}
	return a < b
}

func nilIf(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// subState runs another function of this state module with the same
// chunk (file.recurse calls file.managed and file.directory as Salt's
// does), returning its result.
func (r *run) subState(ctx context.Context, fun string, kv ...any) *filemod.Result {
	res := filemod.NewResult()
	f, _, err := host.Lookup(host.State, fun)
	if err != nil {
		return res.Fail(err.Error())
	}
	call, err := host.Bind(f, nil, data.M(kv...))
	if err != nil {
		return res.Fail(err.Error())
	}
	call.Env, call.Fun = r.c.Env, fun
	out, err := host.Invoke(ctx, call)
	if err != nil {
		return res.Fail(err.Error())
	}
	m, _ := out.(*data.Map)
	if m == nil {
		return res.Fail(fmt.Sprintf("%s returned %s", fun, data.Repr(out)))
	}
	res.Result, _ = m.Get("result")
	res.Comment, _ = m.String("comment")
	if ch, ok := m.Get("changes"); ok {
		if chm, ok := ch.(*data.Map); ok {
			res.Changes = chm
		}
	}
	return res
}

// mergeRecurse is salt.utils.dictupdate.merge_recurse: b over a.
func mergeRecurse(a, b *data.Map) *data.Map {
	out := a.Copy()
	b.Range(func(k, v any) bool {
		if bm, ok := v.(*data.Map); ok {
			if am, ok := out.Get(k); ok {
				if amm, ok := am.(*data.Map); ok {
					out.Set(k, mergeRecurse(amm, bm))
					return true
				}
			}
		}
		out.Set(k, v)
		return true
	})
	return out
}

func serialize(ctx context.Context, c *host.Call, r *run) error {
	name := r.name
	if name == "" {
		return r.fail("Must provide name to file.serialize")
	}
	if !c.Bool("create") && !isFile(name) {
		r.res.Comment = fmt.Sprintf("File %s is not present and is not set for creation", name)
		return nil
	}
	formatter, _ := c.Kwargs().Get("formatter")
	if c.Get("serializer") != nil && formatter != nil {
		return r.fail("Only one of serializer and formatter are allowed")
	}
	ser := "yaml"
	if v := c.Get("serializer"); v != nil {
		ser = strings.ToLower(data.Str(v))
	} else if formatter != nil {
		ser = strings.ToLower(data.Str(formatter))
	}
	dataset := c.Get("dataset")
	if data.Truthy(dataset) && data.Truthy(c.Get("dataset_pillar")) {
		return r.fail("Only one of 'dataset' and 'dataset_pillar' is permitted")
	}
	if dp := c.Get("dataset_pillar"); data.Truthy(dp) {
		dataset, _ = lookupPath(c.Env.Pillar, data.Str(dp), ":")
	}
	if dataset == nil {
		return r.fail("Neither 'dataset' nor 'dataset_pillar' was defined")
	}
	if ser != "yaml" && ser != "json" {
		r.res.Result = false
		r.res.Comment = fmt.Sprintf("The %s serializer could not be found. It either does not exist or its prerequisites are not installed.", ser)
		return nil
	}
	if c.Bool("merge_if_exists") && isFile(name) {
		b, err := os.ReadFile(name)
		if err != nil {
			return r.fail(err.Error())
		}
		existing, err := saltyaml.Load(b) // JSON is YAML
		if err != nil {
			return r.fail(fmt.Sprintf("Failed to deserialize existing data: %v", err))
		}
		em, ok1 := existing.(*data.Map)
		dm, ok2 := dataset.(*data.Map)
		if ok1 && ok2 {
			merged := mergeRecurse(em, dm)
			if data.Equal(em, merged) {
				r.res.Comment = fmt.Sprintf("The file %s is in the correct state", name)
				return nil
			}
			dataset = merged
		}
	}
	var contents string
	if ser == "json" {
		// json.dumps(indent=2, sort_keys=True), ensure_ascii unless an
		// encoding is given; what it cannot encode raises, as in Salt.
		var err error
		contents, err = output.DumpJSON(dataset, output.JSONOptions{Indent: 2, SortKeys: true, EnsureASCII: c.Get("encoding") == nil})
		if err != nil {
			return fmt.Errorf("serialize %s as json: %w", name, err)
		}
	} else {
		contents = output.YAML(unordered(dataset), output.Options{})
		contents = strings.TrimSuffix(contents, "\n")
	}
	contents += "\n"
	src, _ := r.source()
	m := &filemod.Managed{
		Name: name, User: r.owner(), Group: c.Get("group"), Mode: filemod.NormalizeMode(c.Get("mode")),
		Makedirs: c.Bool("makedirs"), Backup: c.Str("backup"), ShowChanges: c.Bool("show_changes"),
		Contents: &contents, Follow: true, Test: r.test(), Src: src,
	}
	if r.test() {
		ch, err := m.CheckFileMeta(ctx, nil)
		if err != nil {
			return r.fail(err.Error())
		}
		r.res.Changes = ch
		if ch.Len() > 0 {
			r.res.Result = nil
			r.res.Comment = fmt.Sprintf("Dataset will be serialized and stored into %s", name)
			if !m.ShowChanges {
				ch.Set("diff", "<show_changes=False>")
			}
		} else {
			r.res.Comment = fmt.Sprintf("The file %s is in the correct state", name)
		}
		return nil
	}
	if err := m.ManageFile(ctx, r.res, nil); err != nil {
		r.res.Changes = data.NewMap()
		return r.fail(fmt.Sprintf("Unable to manage file: %v", err))
	}
	return nil
}

// unordered clears the OrderedDict mark so that YAML sorts keys as
// yaml.dump does for a dict.
func unordered(v any) any {
	switch x := v.(type) {
	case *data.Map:
		out := data.NewMap()
		x.Range(func(k, vv any) bool { out.Set(k, unordered(vv)); return true })
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = unordered(e)
		}
		return out
	}
	return v
}
