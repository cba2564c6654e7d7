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

// recurse is Salt's file.recurse for salt:// directories: every file under
// the source is managed below name (with template, user, group,
// file_mode), directories are made (dir_mode; empty ones with
// include_empty), and clean removes what the source does not have.
func recurse(ctx context.Context, c *host.Call, r *run) error {
	name := r.name
	if !filepath.IsAbs(name) {
		return r.fail(fmt.Sprintf("Specified file %s is not an absolute path", name))
	}
	source := c.Str("source")
	if !strings.HasPrefix(source, "salt://") {
		return r.fail(fmt.Sprintf("Invalid source '%s' (must be a salt:// URI)", source))
	}
	usr, grp := r.owner(), c.Get("group")
	if msg := r.checkUser(usr, grp); msg != "" {
		return r.fail(msg)
	}
	if isFile(name) {
		return r.fail(fmt.Sprintf("The path %s exists and is not a directory", name))
	}
	src, err := r.source()
	if err != nil {
		return r.fail(err.Error())
	}
	p, senv := fileclient.SplitEnv(source)
	saltenv := r.ch.Saltenv
	if senv != "" {
		saltenv = senv
	}
	prefix := strings.Trim(strings.TrimPrefix(p, "salt://"), "/")
	files, err := src.Files.FileList(ctx, saltenv, prefix+"/")
	if err != nil {
		return r.fail(err.Error())
	}
	if len(files) == 0 {
		return r.fail("Recurse failed: none of the specified sources were found")
	}
	dirMode := filemod.NormalizeMode(c.Get("dir_mode"))
	fileMode := filemod.NormalizeMode(c.Get("file_mode"))
	ctxMap, msg := mergeContext(c.Get("defaults"), c.Get("context"))
	if msg != "" {
		return r.fail(msg)
	}
	keep := map[string]bool{name: true}
	var comments []string
	changed := false
	addDir := func(dir string) {
		keep[dir] = true
		if isDir(dir) {
			return
		}
		if r.test() {
			r.res.Changes.Set(dir, data.M("directory", "new"))
			changed = true
			return
		}
		if err := filemod.Mkdir(dir, usr, grp, dirMode); err != nil {
			r.res.Result = false
			comments = append(comments, err.Error())
			return
		}
		r.res.Changes.Set(dir, data.M("directory", "new"))
		changed = true
	}
	addDir(name)
	for _, f := range files {
		rel := strings.TrimPrefix(f, prefix+"/")
		if excluded(rel, c.Str("exclude_pat")) {
			continue
		}
		if inc := c.Str("include_pat"); inc != "" && !matchInclude(rel, inc) {
			continue
		}
		dest := filepath.Join(name, filepath.FromSlash(rel))
		for d := filepath.Dir(dest); d != name && strings.HasPrefix(d, name); d = filepath.Dir(d) {
			keep[d] = true
		}
		var dirs []string
		for d := filepath.Dir(dest); d != name && strings.HasPrefix(d, name); d = filepath.Dir(d) {
			dirs = append([]string{d}, dirs...)
		}
		for _, d := range dirs {
			addDir(d)
		}
		keep[dest] = true
		url := fileclient.SaltURL(f, saltenv)
		m := &filemod.Managed{
			Name: dest, Source: url, User: usr, Group: grp, Mode: fileMode, Template: c.Str("template"),
			Makedirs: true, DirMode: dirMode, Backup: c.Str("backup"), ShowChanges: true, Follow: true,
			Test: r.test(), Src: src, Render: r.renderer(url, ctxMap),
		}
		sub := filemod.NewResult()
		cont, comment, err := m.GetManaged(ctx)
		switch {
		case err != nil:
			sub.Fail(fmt.Sprintf("Unable to manage file: %v", err))
		case comment != "":
			sub.Fail(comment)
		case r.test():
			ch, err := m.CheckFileMeta(ctx, cont)
			if err != nil {
				sub.Fail(err.Error())
			} else {
				sub.Changes = ch
			}
		default:
			if !c.Bool("replace") && exists(dest) {
				break
			}
			if err := m.ManageFile(ctx, sub, cont); err != nil {
				sub.Fail(fmt.Sprintf("Unable to manage file: %v", err))
			}
		}
		if sub.Result == false {
			r.res.Result = false
			comments = append(comments, sub.Comment)
		}
		if sub.Changes.Len() > 0 {
			r.res.Changes.Set(dest, sub.Changes)
			changed = true
		}
	}
	if c.Bool("include_empty") {
		empty, err := src.Files.EmptyDirs(ctx, saltenv, prefix+"/")
		if err == nil {
			for _, d := range empty {
				rel := strings.TrimPrefix(strings.TrimSuffix(d, "/"), prefix+"/")
				if rel == prefix || rel == "" {
					continue
				}
				addDir(filepath.Join(name, filepath.FromSlash(rel)))
			}
		}
	}
	if c.Bool("clean") {
		var removed []string
		_ = filepath.Walk(name, func(p string, info os.FileInfo, err error) error {
			if err != nil || keep[p] {
				return nil
			}
			rel, _ := filepath.Rel(name, p)
			if excluded(rel, c.Str("exclude_pat")) {
				if info != nil && info.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			removed = append(removed, p)
			if info != nil && info.IsDir() {
				return filepath.SkipDir
			}
			return nil
		})
		sort.Strings(removed)
		if len(removed) > 0 {
			var list []any
			for _, p := range removed {
				if !r.test() {
					_ = filemod.Remove(p)
				}
				list = append(list, p)
			}
			r.res.Changes.Set("removed", list)
			changed = true
		}
	}
	switch {
	case len(comments) > 0:
		r.res.Comment = strings.Join(comments, "\n")
	case r.test() && changed:
		r.res.Result = nil
		r.res.Comment = fmt.Sprintf("Recursively updated %s", name)
	case changed:
		r.res.Comment = fmt.Sprintf("Recursively updated %s", name)
	default:
		r.res.Comment = fmt.Sprintf("The directory %s is in the correct state", name)
	}
	return nil
}

func matchInclude(rel, pat string) bool {
	if _, ok := strings.CutPrefix(pat, "E@"); ok {
		return excluded(rel, pat) // excluded matches the regex
	}
	ok, _ := filepath.Match(pat, filepath.Base(rel))
	return ok
}

// sortedCopy returns v with every map's keys sorted (json sort_keys).
func sortedCopy(v any) any {
	switch x := v.(type) {
	case *data.Map:
		out := data.NewMap()
		for _, k := range x.SortedKeys() {
			vv, _ := x.Get(k)
			out.Set(k, sortedCopy(vv))
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = sortedCopy(e)
		}
		return out
	}
	return v
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
		two := 2
		contents = output.JSON(sortedCopy(dataset), output.Options{Indent: &two})
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
