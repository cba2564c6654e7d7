package file

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	filemod "github.com/saltgo/saltgo/modules/file"
)

const testNote = "\nNote: No changes made, actual changes may\nbe different due to other states."

// lookupPath is pillar.get / grains.get with a delimiter.
func lookupPath(m *data.Map, key, delim string) (any, bool) {
	if m == nil {
		return nil, false
	}
	return data.Traverse(m, key, delim)
}

// contentsArg resolves contents / contents_pillar / contents_grains into
// the text file.managed writes (nil when none is given).
func (r *run) contentsArg() (*string, string) {
	c := r.c
	delim := c.Str("contents_delimiter")
	if delim == "" {
		delim = ":"
	}
	var use any
	given := false
	resolve := func(kind string, m *data.Map, v any) (any, string) {
		if l, ok := v.([]any); ok {
			var parts []string
			for _, k := range l {
				x, ok := lookupPath(m, data.Str(k), delim)
				if !ok {
					return nil, fmt.Sprintf("%s %s does not exist", kind, data.Str(k))
				}
				parts = append(parts, data.Str(x))
			}
			return strings.Join(parts, "\n"), ""
		}
		x, ok := lookupPath(m, data.Str(v), delim)
		if !ok {
			return nil, fmt.Sprintf("%s %s does not exist", kind, data.Str(v))
		}
		return x, ""
	}
	switch {
	case c.Get("contents_pillar") != nil:
		v, msg := resolve("Pillar", c.Env.Pillar, c.Get("contents_pillar"))
		if msg != "" {
			return nil, msg
		}
		use, given = v, true
	case c.Get("contents_grains") != nil:
		v, msg := resolve("Grain", c.Env.Grains, c.Get("contents_grains"))
		if msg != "" {
			return nil, msg
		}
		use, given = v, true
	case c.Get("contents") != nil:
		use, given = c.Get("contents"), true
	}
	if !given {
		return nil, ""
	}
	if !c.Bool("allow_empty") && !data.Truthy(use) {
		id := "'contents'"
		if v := c.Get("contents_pillar"); data.Truthy(v) {
			id = "contents_pillar " + data.Str(v)
		} else if v := c.Get("contents_grains"); data.Truthy(v) {
			id = "contents_grains " + data.Str(v)
		}
		return nil, id + " value would result in empty contents. Set allow_empty to True to allow the managed file to be empty."
	}
	var parts []string
	switch v := use.(type) {
	case []any:
		for _, x := range v {
			switch x.(type) {
			case *data.Map, []any:
				return nil, "Contents specified by contents/contents_pillar/contents_grains is not a string or list of strings, and is not binary data. SLS is likely malformed."
			}
			parts = append(parts, data.Str(x))
		}
	case *data.Map:
		return nil, "Contents specified by contents/contents_pillar/contents_grains is not a string or list of strings, and is not binary data. SLS is likely malformed."
	case nil:
		parts = []string{"None"}
	default:
		parts = []string{data.Str(v)}
	}
	var b strings.Builder
	for _, part := range parts {
		for _, l := range filemod.SplitLines(part) {
			b.WriteString(strings.TrimRight(strings.TrimRight(l, "\n"), "\r") + "\n")
		}
	}
	s := b.String()
	if !c.Bool("contents_newline") {
		s = strings.TrimRight(strings.TrimRight(s, "\n"), "\r")
	}
	return &s, ""
}

func managed(ctx context.Context, c *host.Call, r *run) error {
	name := r.name
	if name == "" {
		return r.fail("Destination file name is required")
	}
	mode := c.Get("mode")
	keepMode := false
	if s, ok := mode.(string); ok && strings.ToLower(s) == "keep" {
		keepMode, mode = true, nil
	}
	nmode := filemod.NormalizeMode(mode)
	source := c.Get("source")
	if l, ok := source.([]any); ok && len(l) == 0 {
		source = nil
	}
	count := 0
	for _, k := range []string{"contents", "contents_pillar", "contents_grains"} {
		if c.Get(k) != nil {
			count++
		}
	}
	switch {
	case data.Truthy(source) && count > 0:
		return r.fail("'source' cannot be used in combination with 'contents', 'contents_pillar', or 'contents_grains'")
	case keepMode && count > 0:
		return r.fail("Mode preservation cannot be used in combination with 'contents', 'contents_pillar', or 'contents_grains'")
	case count > 1:
		return r.fail("Only one of 'contents', 'contents_pillar', and 'contents_grains' is permitted")
	}
	replace := c.Bool("replace")
	if !data.Truthy(source) && count == 0 && replace {
		replace = false
	}
	if _, ok := c.Kwargs().Get("file_mode"); ok {
		r.res.Warnings = append(r.res.Warnings, "The 'file_mode' argument will be ignored.  Please use 'mode' instead to set file permissions.")
	}
	template := c.Str("template")
	contents, msg := r.contentsArg()
	if msg != "" {
		return r.fail(msg)
	}
	ctxMap, msg := mergeContext(c.Get("defaults"), c.Get("context"))
	if contents != nil && template != "" {
		if template != "jinja" {
			return r.fail(fmt.Sprintf("Specified template format %s is not supported", template))
		}
		out, err := r.renderer("", ctxMap)(ctx, []byte(*contents))
		if err != nil {
			// Salt does not catch this render error: the state fails
			// with the exception.
			return host.Errorf("%v", err)
		}
		s := string(out)
		contents = &s
	}
	usr, grp := r.owner(), c.Get("group")
	if !c.Bool("create") && !isFile(name) {
		r.res.Comment = fmt.Sprintf("File %s is not present and is not set for creation", name)
		return nil
	}
	if msg := r.checkUser(usr, grp); msg != "" {
		return r.fail(msg)
	}
	if !filepath.IsAbs(name) {
		return r.fail(fmt.Sprintf("Specified file %s is not an absolute path", name))
	}
	if isDir(name) {
		return r.fail(fmt.Sprintf("Specified target %s is a directory", name))
	}
	if msg != "" {
		return r.fail(msg)
	}
	src, err := r.source()
	if err != nil && data.Truthy(source) {
		return r.fail(fmt.Sprintf("Unable to manage file: %v", err))
	}
	m := &filemod.Managed{
		Name: name, User: usr, Group: grp, Mode: nmode, Template: template,
		Makedirs: c.Bool("makedirs"), DirMode: filemod.NormalizeMode(c.Get("dir_mode")), Backup: c.Str("backup"),
		ShowChanges: c.Bool("show_changes"), Contents: contents, SkipVerify: c.Bool("skip_verify"),
		Follow: c.Bool("follow_symlinks"), Test: r.test(), Src: src,
	}
	srcURL, srcHash := "", ""
	if data.Truthy(source) {
		srcURL, srcHash, err = src.SourceList(ctx, source, c.Get("source_hash"))
		if err != nil {
			return r.fail(fmt.Sprintf("Unable to manage file: %v", err))
		}
	}
	m.Source, m.SourceHash = srcURL, srcHash
	m.Render = r.renderer(srcURL, ctxMap)
	// A remote source whose source_hash matches the file: nothing to fetch.
	if contents == nil && template == "" && srcURL != "" && !m.SkipVerify && exists(name) && replace &&
		srcHash != "" && filemod.IsRemote(srcURL) {
		if sum, err := src.SourceSum(ctx, name, srcURL, srcHash); err == nil {
			if h, err := filemod.GetHash(name, sum.HashType); err == nil && h == sum.Hsum {
				replace = false
			}
		}
	}
	if !replace && exists(name) {
		pr, err := filemod.CheckPerms(name, r.res.Changes, usr, grp, nmode, m.Follow, r.test())
		if err != nil {
			return r.fail(err.Error())
		}
		if len(pr.Errors) > 0 {
			r.res.Result = false
			r.res.Comment = strings.Join(pr.Errors, "; ")
		}
		switch {
		case r.test():
			if r.res.Changes.Len() > 0 {
				r.res.Result = nil
			}
			if nmode != "" && nmode != pr.LMode {
				r.res.Comment = fmt.Sprintf("File %s will be updated with permissions %s from its current state of %s", name, nmode, pr.LMode)
			} else {
				r.res.Comment = fmt.Sprintf("File %s not updated", name)
			}
		case r.res.Changes.Len() == 0 && data.Truthy(r.res.Result):
			r.res.Comment = fmt.Sprintf("File %s exists with proper permissions. No changes made.", name)
		}
		return nil
	}
	if r.test() {
		var content *filemod.Content
		if contents == nil {
			cont, comment, err := m.GetManaged(ctx)
			if err != nil {
				return r.fail(fmt.Sprintf("Unable to manage file: %v", err))
			}
			if comment != "" {
				return r.fail(comment)
			}
			content = cont
		}
		ch, err := m.CheckFileMeta(ctx, content)
		if err != nil {
			return r.fail(fmt.Sprintf("Unable to manage file: %v", err))
		}
		r.res.Changes = ch
		if ch.Len() > 0 {
			r.res.Result = nil
			r.res.Comment = fmt.Sprintf("The file %s is set to be changed", name) + testNote
			if _, ok := ch.Get("diff"); ok && !m.ShowChanges {
				ch.Set("diff", "<show_changes=False>")
			}
		} else {
			r.res.Result = true
			r.res.Comment = fmt.Sprintf("The file %s is in the correct state", name)
		}
		return nil
	}
	content, comment, err := m.GetManaged(ctx)
	if err != nil {
		r.res.Changes = data.NewMap()
		return r.fail(fmt.Sprintf("Unable to manage file: %v", err))
	}
	if cc := c.Get("check_cmd"); data.Truthy(cc) {
		if done, err := r.checkCmd(ctx, m, content, data.Str(cc)); done || err != nil {
			return err
		}
	}
	if comment != "" && contents == nil {
		return r.fail(comment)
	}
	if err := m.ManageFile(ctx, r.res, content); err != nil {
		r.res.Changes = data.NewMap()
		return r.fail(fmt.Sprintf("Unable to manage file: %v", err))
	}
	return nil
}

// checkCmd is file.managed's check_cmd: the new file is first made as a
// temporary copy, and check_cmd runs on it; a failing command stops the
// state (Salt's mod_run_check_cmd). done is true when the state's result
// is final.
func (r *run) checkCmd(ctx context.Context, m *filemod.Managed, content *filemod.Content, cmd string) (bool, error) {
	tmp, err := os.CreateTemp(r.c.Str("tmp_dir"), "*"+r.c.Str("tmp_ext"))
	if err != nil {
		return true, r.fail(fmt.Sprintf("Unable to check_cmd file: %v", err))
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	if isFile(m.Name) {
		if err := filemod.CopyFile(m.Name, tmp.Name()); err != nil {
			return true, r.fail(fmt.Sprintf("Unable to copy file %s to %s: %v", m.Name, tmp.Name(), err))
		}
	}
	tm := *m
	tm.Name = tmp.Name()
	sub := filemod.NewResult()
	cc := *content
	if err := tm.ManageFile(ctx, sub, &cc); err != nil {
		r.res.Changes = data.NewMap()
		return true, r.fail(fmt.Sprintf("Unable to check_cmd file: %v", err))
	}
	if sub.Changes.Len() == 0 {
		return false, nil
	}
	f, _, err := host.Lookup(host.State, "file.mod_run_check_cmd")
	if err != nil {
		return true, r.fail(err.Error())
	}
	call, err := host.Bind(f, []any{cmd, tmp.Name()}, nil)
	if err != nil {
		return true, r.fail(err.Error())
	}
	call.Env, call.Fun = r.c.Env, "file.mod_run_check_cmd"
	out, err := host.Invoke(ctx, call)
	if err != nil {
		return true, r.fail(fmt.Sprintf("Unable to check_cmd file: %v", err))
	}
	if m, ok := out.(*data.Map); ok {
		r.res.Changes = data.NewMap()
		r.res.Result, _ = m.Get("result")
		r.res.Comment, _ = m.String("comment")
		r.skipWatch = true
		return true, nil
	}
	return false, nil
}
