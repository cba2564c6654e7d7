// Package file is Salt's file execution module (salt/modules/file.py) and
// the one home of the file logic the file states (package states/file)
// share with it: modes and owners, stats, check_perms, diffs as Python's
// difflib writes them, atomic commits, get_managed/manage_file, replace,
// blockreplace, line, append.
package file

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient"
	"github.com/saltgo/saltgo/host"
)

func f(name, doc string, params []host.Param, fn func(ctx context.Context, c *host.Call) (any, error)) *host.Func {
	return &host.Func{Name: name, Doc: "\n    " + doc + "\n    ", Params: params, VarKwargs: true, Fn: fn}
}

func init() {
	req, opt := host.Req, host.Opt
	p := func(ps ...host.Param) []host.Param { return ps }
	host.Register(&host.Module{Kind: host.Exec, Name: "file", Doc: "Manage information about regular files, directories, and special files on the minion.", Funcs: []*host.Func{
		f("file_exists", "Check if a file exists.", p(req("path")), func(_ context.Context, c *host.Call) (any, error) {
			st, err := os.Stat(c.Str("path"))
			return err == nil && st.Mode().IsRegular(), nil
		}),
		f("directory_exists", "Check if a directory exists.", p(req("path")), func(_ context.Context, c *host.Call) (any, error) {
			st, err := os.Stat(c.Str("path"))
			return err == nil && st.IsDir(), nil
		}),
		f("mkdir", "Ensure that a directory is available.", p(req("dir_path"), opt("user", nil), opt("group", nil), opt("mode", nil)), func(_ context.Context, c *host.Call) (any, error) {
			if err := Mkdir(c.Str("dir_path"), c.Get("user"), c.Get("group"), NormalizeMode(c.Get("mode"))); err != nil {
				return nil, host.Errorf("%v", err)
			}
			return true, nil
		}),
		{Name: "makedirs", PyName: "makedirs_", Doc: "\n    Ensure that the directory containing this path is available.\n    ", Params: p(req("path"), opt("user", nil), opt("group", nil), opt("mode", nil)), Fn: func(_ context.Context, c *host.Call) (any, error) {
			msg, err := Makedirs(c.Str("path"), c.Get("user"), c.Get("group"), NormalizeMode(c.Get("mode")))
			if err != nil {
				return nil, host.Errorf("%v", err)
			}
			if msg != "" {
				return msg, nil
			}
			return nil, nil
		}},
		f("touch", "Create a file if it doesn't exist or update its atime and mtime.", p(req("name"), opt("atime", nil), opt("mtime", nil)), func(_ context.Context, c *host.Call) (any, error) {
			if err := Touch(c.Str("name"), TimeArg(c.Get("atime")), TimeArg(c.Get("mtime"))); err != nil {
				return nil, host.Errorf("%v", err)
			}
			return true, nil
		}),
		f("remove", "Remove the named file or directory (recursively).", p(req("path")), func(_ context.Context, c *host.Call) (any, error) {
			path := c.Str("path")
			if !filepath.IsAbs(path) {
				return nil, host.Invalidf("File path must be absolute: %s", path)
			}
			if _, err := os.Lstat(path); err != nil {
				return false, nil
			}
			if err := Remove(path); err != nil {
				return nil, host.Errorf("%v", err)
			}
			return true, nil
		}),
		f("copy", "Copy a file or directory from src to dst.", p(req("src"), req("dst"), opt("recurse", false), opt("remove_existing", false)), fileCopy),
		f("rename", "Rename a file or directory.", p(req("src"), req("dst")), func(_ context.Context, c *host.Call) (any, error) {
			src, dst := c.Str("src"), c.Str("dst")
			if !filepath.IsAbs(src) {
				return nil, host.Invalidf("File path must be absolute.")
			}
			if err := os.Rename(src, dst); err != nil {
				return nil, host.Errorf("Could not rename '%s' to '%s'", src, dst)
			}
			return true, nil
		}),
		f("symlink", "Create a symbolic link to a file.", p(req("src"), req("path"), opt("force", false), opt("atomic", false), opt("follow_symlinks", true)), func(_ context.Context, c *host.Call) (any, error) {
			src, path := c.Str("src"), c.Str("path")
			if !filepath.IsAbs(path) {
				return nil, host.Invalidf("Link path must be absolute: %s", path)
			}
			if cur, err := os.Readlink(path); err == nil && cur == src {
				return true, nil
			}
			if _, err := os.Lstat(path); err == nil {
				if !c.Bool("force") {
					return nil, host.Errorf("Existing path is not a symlink: %s", path)
				}
				_ = os.Remove(path)
			}
			if err := os.Symlink(src, path); err != nil {
				return nil, host.Errorf("Could not create '%s'", path)
			}
			return true, nil
		}),
		f("is_link", "Check if the path is a symbolic link.", p(req("path")), func(_ context.Context, c *host.Call) (any, error) {
			st, err := os.Lstat(c.Str("path"))
			return err == nil && st.Mode()&os.ModeSymlink != 0, nil
		}),
		f("readlink", "Return the path that a symlink points to.", p(req("path"), opt("canonicalize", false)), func(_ context.Context, c *host.Call) (any, error) {
			path := c.Str("path")
			if !filepath.IsAbs(path) {
				return nil, host.Errorf("Path to link must be absolute.")
			}
			if c.Bool("canonicalize") {
				p, err := filepath.EvalSymlinks(path)
				if err != nil {
					return filepath.Clean(path), nil
				}
				return p, nil
			}
			t, err := os.Readlink(path)
			if err != nil {
				return nil, host.Errorf("A valid link was not specified.")
			}
			return t, nil
		}),
		f("get_hash", "Get the hash sum of a file.", p(req("path"), opt("form", "sha256"), opt("chunk_size", 65536)), func(_ context.Context, c *host.Call) (any, error) {
			h, err := GetHash(c.Str("path"), c.Str("form"))
			if err != nil {
				return nil, host.Errorf("%v", err)
			}
			return h, nil
		}),
		f("get_sum", "Return the checksum for the given file.", p(req("path"), opt("form", "sha256")), func(_ context.Context, c *host.Call) (any, error) {
			if _, err := os.Stat(c.Str("path")); err != nil {
				return "File not found", nil
			}
			h, err := GetHash(c.Str("path"), c.Str("form"))
			if err != nil {
				return "Hash " + c.Str("form") + " not supported", nil
			}
			return h, nil
		}),
		f("check_hash", "Check if a file matches the given hash string.", p(req("path"), req("file_hash")), func(_ context.Context, c *host.Call) (any, error) {
			fh := c.Str("file_hash")
			form, sum := "", fh
			if i := strings.IndexAny(fh, "=:"); i > 0 {
				form, sum = fh[:i], fh[i+1:]
			} else if t, ok := hashTypeByLen[len(fh)]; ok {
				form = t
			} else {
				return nil, host.Errorf("Hash %s is not in a supported format", fh)
			}
			h, err := GetHash(c.Str("path"), form)
			if err != nil {
				return false, nil
			}
			return strings.EqualFold(h, sum), nil
		}),
		f("stats", "Return a dict containing the stats for a given file.", p(req("path"), opt("hash_type", nil), opt("follow_symlinks", true)), func(_ context.Context, c *host.Call) (any, error) {
			m, err := Stats(c.Str("path"), c.Str("hash_type"), c.Bool("follow_symlinks"))
			if err != nil {
				return nil, host.Errorf("%v", err)
			}
			return m, nil
		}),
		f("get_mode", "Return the mode of a file.", p(req("path"), opt("follow_symlinks", true)), statField("mode")),
		f("get_user", "Return the user that owns a given file.", p(req("path"), opt("follow_symlinks", true)), statField("user")),
		f("get_group", "Return the group that owns a given file.", p(req("path"), opt("follow_symlinks", true)), statField("group")),
		f("get_uid", "Return the id of the user that owns a given file.", p(req("path"), opt("follow_symlinks", true)), statField("uid")),
		f("get_gid", "Return the id of the group that owns a given file.", p(req("path"), opt("follow_symlinks", true)), statField("gid")),
		f("set_mode", "Set the mode of a file.", p(req("path"), req("mode")), func(_ context.Context, c *host.Call) (any, error) {
			if err := SetMode(c.Str("path"), c.Str("mode")); err != nil {
				return nil, host.Errorf("%v", err)
			}
			return NormalizeMode(c.Get("mode")), nil
		}),
		f("chown", "Chown a file, pass the file the desired user and group.", p(req("path"), req("user"), req("group")), func(_ context.Context, c *host.Call) (any, error) {
			if err := Chown(c.Str("path"), c.Get("user"), c.Get("group"), false); err != nil {
				return err.Error(), nil
			}
			return nil, nil
		}),
		f("chgrp", "Change the group of a file.", p(req("path"), req("group")), func(_ context.Context, c *host.Call) (any, error) {
			if err := Chown(c.Str("path"), nil, c.Get("group"), false); err != nil {
				return err.Error(), nil
			}
			return nil, nil
		}),
		f("user_to_uid", "Convert user name to a uid.", p(req("user")), func(_ context.Context, c *host.Call) (any, error) { return UserToUID(c.Get("user")), nil }),
		f("group_to_gid", "Convert the group to the gid on this system.", p(req("group")), func(_ context.Context, c *host.Call) (any, error) { return GroupToGID(c.Get("group")), nil }),
		f("uid_to_user", "Convert a uid to a user name.", p(req("uid")), func(_ context.Context, c *host.Call) (any, error) {
			n, ok := data.AsInt(c.Get("uid"))
			if !ok {
				return c.Get("uid"), nil
			}
			return UIDToUser(n), nil
		}),
		f("gid_to_group", "Convert the group id to the group name on this system.", p(req("gid")), func(_ context.Context, c *host.Call) (any, error) {
			n, ok := data.AsInt(c.Get("gid"))
			if !ok {
				return c.Get("gid"), nil
			}
			return GIDToGroup(n), nil
		}),
		f("read", "Return the content of the file.", p(req("path"), opt("binary", false)), func(_ context.Context, c *host.Call) (any, error) {
			b, err := os.ReadFile(c.Str("path"))
			if err != nil {
				return nil, host.Errorf("%v", err)
			}
			return string(b), nil
		}),
		{Name: "write", Doc: "\n    Write text to a file, overwriting any existing contents.\n    ", Params: p(req("path")), VarArgs: true, VarKwargs: true, Fn: lineWriter(WriteLines)},
		{Name: "append", Doc: "\n    Append text to the end of a file.\n    ", Params: p(req("path")), VarArgs: true, VarKwargs: true, Fn: lineWriter(AppendLines)},
		{Name: "prepend", Doc: "\n    Prepend text to the beginning of a file.\n    ", Params: p(req("path")), VarArgs: true, VarKwargs: true, Fn: lineWriter(PrependLines)},
		f("replace", "Replace occurrences of a pattern in a file.", p(req("path"), req("pattern"), req("repl"), opt("count", 0), opt("flags", 8),
			opt("bufsize", 1), opt("append_if_not_found", false), opt("prepend_if_not_found", false), opt("not_found_content", nil),
			opt("backup", ".bak"), opt("dry_run", false), opt("search_only", false), opt("show_changes", true),
			opt("ignore_if_missing", false), opt("preserve_inode", true), opt("backslash_literal", false)), func(_ context.Context, c *host.Call) (any, error) {
			n, _ := data.AsInt(c.Get("count"))
			o := ReplaceOpts{Count: int(n), Flags: c.Get("flags"), AppendIfNotFound: c.Bool("append_if_not_found"),
				PrependIfNotFound: c.Bool("prepend_if_not_found"), DryRun: c.Bool("dry_run"), SearchOnly: c.Bool("search_only"),
				ShowChanges: c.Bool("show_changes"), IgnoreIfMissing: c.Bool("ignore_if_missing"), BackslashLiteral: c.Bool("backslash_literal")}
			if b, ok := c.Get("backup").(bool); !ok || b {
				o.Backup = c.Str("backup")
			}
			if v := c.Get("not_found_content"); v != nil {
				s := data.Str(v)
				o.NotFoundContent = &s
			}
			out, err := Replace(c.Str("path"), c.Str("pattern"), c.Str("repl"), o)
			if err != nil {
				return nil, execErr(err)
			}
			return out, nil
		}),
		f("search", "Search for occurrences of a pattern in a file.", p(req("path"), req("pattern"), opt("flags", 8), opt("bufsize", 1), opt("ignore_if_missing", false), opt("multiline", false)), func(_ context.Context, c *host.Call) (any, error) {
			out, err := Replace(c.Str("path"), c.Str("pattern"), "", ReplaceOpts{Flags: c.Get("flags"), SearchOnly: true, IgnoreIfMissing: c.Bool("ignore_if_missing")})
			if err != nil {
				return nil, execErr(err)
			}
			return out, nil
		}),
		f("contains", "Return True if the file at path contains text.", p(req("path"), req("text")), func(_ context.Context, c *host.Call) (any, error) {
			b, err := os.ReadFile(c.Str("path"))
			if err != nil {
				return false, nil
			}
			return strings.Contains(string(b), c.Str("text")), nil
		}),
		f("blockreplace", "Replace content of a text block in a file, delimited by line markers.", p(req("path"), opt("marker_start", "#-- start managed zone --"),
			opt("marker_end", "#-- end managed zone --"), opt("content", ""), opt("append_if_not_found", false), opt("prepend_if_not_found", false),
			opt("backup", ".bak"), opt("dry_run", false), opt("show_changes", true), opt("append_newline", false),
			opt("insert_before_match", nil), opt("insert_after_match", nil)), func(_ context.Context, c *host.Call) (any, error) {
			o := BlockOpts{MarkerStart: c.Str("marker_start"), MarkerEnd: c.Str("marker_end"), Content: c.Str("content"),
				AppendIfNotFound: c.Bool("append_if_not_found"), PrependIfNotFound: c.Bool("prepend_if_not_found"),
				InsertBeforeMatch: c.Str("insert_before_match"), InsertAfterMatch: c.Str("insert_after_match"),
				DryRun: c.Bool("dry_run"), ShowChanges: c.Bool("show_changes")}
			if b, ok := c.Get("backup").(bool); !ok || b {
				o.Backup = c.Str("backup")
			}
			if v := c.Get("append_newline"); v != nil {
				b := data.Truthy(v)
				o.AppendNewline = &b
			}
			out, err := BlockReplace(c.Str("path"), o)
			if err != nil {
				return nil, execErr(err)
			}
			return out, nil
		}),
		f("line", "Line-focused editing of a file.", p(req("path"), opt("content", nil), opt("match", nil), opt("mode", nil), opt("location", nil),
			opt("before", nil), opt("after", nil), opt("show_changes", true), opt("backup", false), opt("quiet", false), opt("indent", true)), func(_ context.Context, c *host.Call) (any, error) {
			o := LineOpts{Match: c.Str("match"), Mode: c.Str("mode"), Location: c.Str("location"), Before: c.Str("before"),
				After: c.Str("after"), ShowChanges: c.Bool("show_changes"), Backup: c.Bool("backup"), Quiet: c.Bool("quiet"),
				Indent: c.Bool("indent")}
			if v := c.Get("content"); v != nil {
				s := data.Str(v)
				o.Content = &s
			}
			out, err := Line(c.Str("path"), o)
			if err != nil {
				return nil, host.Errorf("%v", err)
			}
			return out, nil
		}),
		f("diskusage", "Recursively calculate disk usage of path and return it in bytes.", p(req("path")), diskusage),
		f("find", "Approximate the Unix find(1) command (name, type, maxdepth).", p(req("path")), fileFind),
		f("source_list", "Return the first source that exists and its hash.", p(req("source"), req("source_hash"), req("saltenv")), func(ctx context.Context, c *host.Call) (any, error) {
			fc, err := fileclient.New(c.Env)
			if err != nil {
				return nil, host.Errorf("%v", err)
			}
			s := &Source{Files: fc, Saltenv: c.Str("saltenv")}
			src, h, err := s.SourceList(ctx, c.Get("source"), c.Get("source_hash"))
			if err != nil {
				return nil, host.Errorf("%v", err)
			}
			return []any{src, h}, nil
		}),
	}})
}

// execErr turns an error of the shared logic into Salt's exception kind.
func execErr(err error) error {
	var inv *InvalidError
	if errors.As(err, &inv) {
		return host.Invalidf("%s", inv.Msg)
	}
	return host.Errorf("%v", err)
}

func statField(key string) func(context.Context, *host.Call) (any, error) {
	return func(_ context.Context, c *host.Call) (any, error) {
		m, err := Stats(c.Str("path"), "", c.Bool("follow_symlinks"))
		if err != nil {
			return nil, host.Errorf("%v", err)
		}
		v, _ := m.Get(key)
		return v, nil
	}
}

func lineWriter(w func(string, []string) (string, error)) func(context.Context, *host.Call) (any, error) {
	return func(_ context.Context, c *host.Call) (any, error) {
		var lines []string
		for _, a := range c.Args() {
			lines = append(lines, data.Str(a))
		}
		if v, ok := c.Kwargs().Get("args"); ok {
			lines = nil
			if l, ok := v.([]any); ok {
				for _, a := range l {
					lines = append(lines, data.Str(a))
				}
			} else {
				lines = []string{data.Str(v)}
			}
		}
		out, err := w(c.Str("path"), lines)
		if err != nil {
			return nil, host.Errorf("%v", err)
		}
		return out, nil
	}
}

func fileCopy(_ context.Context, c *host.Call) (any, error) {
	src, dst := c.Str("src"), c.Str("dst")
	if !filepath.IsAbs(src) {
		return nil, host.Invalidf("File path must be absolute.")
	}
	st, err := os.Stat(src)
	if err != nil {
		return nil, host.Errorf("No such file or directory '%s'", src)
	}
	if st.IsDir() {
		if !c.Bool("recurse") {
			return nil, host.Errorf("Cannot copy a directory without recurse")
		}
		if c.Bool("remove_existing") {
			_ = os.RemoveAll(dst)
		}
		if err := CopyTree(src, dst); err != nil {
			return nil, host.Errorf("Could not copy '%s' to '%s'", src, dst)
		}
		return true, nil
	}
	if dt, err := os.Stat(dst); err == nil && dt.IsDir() {
		dst = filepath.Join(dst, filepath.Base(src))
	}
	if err := CopyFile(src, dst); err != nil {
		return nil, host.Errorf("Could not copy '%s' to '%s'", src, dst)
	}
	return true, nil
}

// fileFind is a basic file.find: name/iname (glob), regex, type (f, d, l)
// and maxdepth/mindepth.
func fileFind(_ context.Context, c *host.Call) (any, error) {
	root := c.Str("path")
	kw := c.Kwargs()
	get := func(k string) string {
		v, ok := kw.Get(k)
		if !ok {
			return ""
		}
		return data.Str(v)
	}
	name, iname, typ, rx := get("name"), get("iname"), get("type"), get("regex")
	maxd, mind := -1, 0
	if v, ok := kw.Get("maxdepth"); ok {
		n, _ := data.AsInt(v)
		maxd = int(n)
	}
	if v, ok := kw.Get("mindepth"); ok {
		n, _ := data.AsInt(v)
		mind = int(n)
	}
	var re *regexp.Regexp
	if rx != "" {
		var err error
		if re, err = regexp.Compile(rx); err != nil {
			return nil, host.Errorf("%v", err)
		}
	}
	out := []any{}
	_ = filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		depth := 0
		if rel != "." {
			depth = strings.Count(rel, "/") + 1
		}
		if maxd >= 0 && depth > maxd {
			if info.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if depth < mind {
			return nil
		}
		base := filepath.Base(p)
		if name != "" {
			if ok, _ := filepath.Match(name, base); !ok {
				return nil
			}
		}
		if iname != "" {
			if ok, _ := filepath.Match(strings.ToLower(iname), strings.ToLower(base)); !ok {
				return nil
			}
		}
		if re != nil && !re.MatchString(p) {
			return nil
		}
		if typ != "" {
			t := "f"
			if info.IsDir() {
				t = "d"
			} else if info.Mode()&os.ModeSymlink != 0 {
				t = "l"
			}
			if !strings.Contains(typ, t) {
				return nil
			}
		}
		out = append(out, p)
		return nil
	})
	return out, nil
}

// diskusage is Salt's file.diskusage: the size of a file, or the sizes of
// the files below a directory (each inode once).
func diskusage(_ context.Context, c *host.Call) (any, error) {
	path := c.Str("path")
	if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() {
		return st.Size(), nil
	}
	var total int64
	seen := map[[2]uint64]bool{}
	_ = filepath.Walk(path, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil
		}
		if id, ok := inode(st); ok {
			if seen[id] {
				return nil
			}
			seen[id] = true
		}
		total += st.Size()
		return nil
	})
	return total, nil
}
