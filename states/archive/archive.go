// Package archive is Salt's archive state module (salt/states/archive.py):
// extracted, which unpacks a tar (plain, gzip, bzip2, xz) or zip archive
// from salt://, file:// or a local path into a directory, through
// modules/archive (unpacked beside the target, then moved in).
package archive

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient"
	"github.com/saltgo/saltgo/host"
	archmod "github.com/saltgo/saltgo/modules/archive"
	filemod "github.com/saltgo/saltgo/modules/file"
	"github.com/saltgo/saltgo/state"
)

func init() {
	host.Register(&host.Module{Kind: host.State, Name: "archive", Doc: "Extract an archive", Funcs: []*host.Func{
		{Name: "extracted", Params: []host.Param{host.Req("name"), host.Req("source"), host.Opt("source_hash", nil),
			host.Opt("source_hash_name", nil), host.Opt("source_hash_update", false), host.Opt("skip_files_list_verify", false),
			host.Opt("skip_verify", false), host.Opt("password", nil), host.Opt("options", nil), host.Opt("list_options", nil),
			host.Opt("force", false), host.Opt("overwrite", false), host.Opt("clean", false), host.Opt("clean_parent", false),
			host.Opt("user", nil), host.Opt("group", nil), host.Opt("if_missing", nil), host.Opt("trim_output", false),
			host.Opt("use_cmd_unzip", nil), host.Opt("extract_perms", true), host.Opt("enforce_toplevel", true),
			host.Opt("enforce_ownership_on", nil), host.Opt("archive_format", nil), host.Opt("use_etag", false),
			host.Opt("signature", nil), host.Opt("source_hash_sig", nil), host.Opt("signed_by_any", nil),
			host.Opt("signed_by_all", nil), host.Opt("keyring", nil), host.Opt("gnupghome", nil)},
			VarKwargs: true, Fn: extracted, Doc: "Ensure that an archive is extracted to a specific directory."},
	}})
}

type run struct {
	c       *host.Call
	ch      *state.Chunk
	name    string
	changes *data.Map
	ret     *data.Map
}

func (r *run) done(result any, comment string) (any, error) {
	r.ret.Set("result", result)
	r.ret.Set("comment", comment)
	return r.ret, nil
}

func (r *run) cachedir() string {
	if v, ok := r.c.Env.Opt("cachedir"); ok && v != nil {
		return data.Str(v)
	}
	return "/var/cache/salt/minion"
}

func (r *run) hashType() string {
	if v, ok := r.c.Env.Opt("hash_type"); ok && v != nil {
		return data.Str(v)
	}
	return "sha256"
}

func isAbs(v any) bool { return v == nil || filepath.IsAbs(data.Str(v)) }

var stripRe = regexp.MustCompile(`--strip(?:-components)?(?:\s+|=)["']?(\d+)["']?`)

func extracted(ctx context.Context, c *host.Call) (any, error) {
	ch := state.Of(c)
	if ch == nil {
		ch = &state.Chunk{Saltenv: "base"}
	}
	if ch.Saltenv == "" {
		ch.Saltenv = "base"
	}
	name := c.Str("name")
	r := &run{c: c, ch: ch, name: name, changes: data.NewMap()}
	r.ret = data.M("name", name, "changes", r.changes, "result", false, "comment", "")
	skipVerify := c.Bool("skip_verify")
	if c.Bool("skip_files_list_verify") && skipVerify {
		return r.done(false, `Only one of "skip_files_list_verify" and "skip_verify" can be set to True`)
	}
	kw := c.Kwargs()
	keep := true
	if v, ok := kw.Get("keep_source"); ok {
		keep = data.Truthy(v)
		if kw.Has("keep") {
			r.warn("Both 'keep_source' and 'keep' were used. Since these both do the same thing, 'keep' was ignored.")
		}
	} else if v, ok := kw.Get("keep"); ok {
		keep = data.Truthy(v)
	}
	if !filepath.IsAbs(name) {
		return r.done(false, fmt.Sprintf("%s is not an absolute path", name))
	}
	name = strings.TrimRight(name, "/")
	if st, err := os.Stat(name); err == nil && st.Mode().IsRegular() {
		return r.done(false, fmt.Sprintf("%s exists and is not a directory", name))
	}
	name += "/"
	ifMissing, ownOn := c.Get("if_missing"), c.Get("enforce_ownership_on")
	if !isAbs(ifMissing) {
		return r.done(false, "Value for 'if_missing' is not an absolute path")
	}
	if !isAbs(ownOn) {
		return r.done(false, "Value for 'enforce_ownership_on' is not an absolute path")
	} else if ownOn != nil {
		rel, err := filepath.Rel(name, data.Str(ownOn))
		if err != nil || strings.HasPrefix(rel, "../") {
			return r.done(false, fmt.Sprintf("Value for 'enforce_ownership_on' must be within %s", name))
		}
	}
	ifMissingPath := ""
	if ifMissing != nil {
		ifMissingPath = data.Str(ifMissing)
		if _, err := os.Stat(ifMissingPath); err == nil {
			return r.done(true, fmt.Sprintf("Path %s exists", ifMissingPath))
		}
	}
	usr, grp := c.Get("user"), c.Get("group")
	uid, gid := -1, -1
	if data.Truthy(usr) {
		v, ok := filemod.UserToUID(usr).(int64)
		if !ok {
			return r.done(false, fmt.Sprintf("User %s does not exist", data.Str(usr)))
		}
		uid = int(v)
	}
	if data.Truthy(grp) {
		v, ok := filemod.GroupToGID(grp).(int64)
		if !ok {
			return r.done(false, fmt.Sprintf("Group %s does not exist", data.Str(grp)))
		}
		gid = int(v)
	}
	sourceHash := c.Get("source_hash")
	if c.Bool("source_hash_update") && !data.Truthy(sourceHash) {
		r.warn("The 'source_hash_update' argument is ignored when 'source_hash' is not also specified.")
	}
	if data.Truthy(c.Get("signature")) || data.Truthy(c.Get("source_hash_sig")) {
		return r.done(false, "Cannot verify signatures because the gpg module was not loaded")
	}
	src := &filemod.Source{Saltenv: ch.Saltenv, Cachedir: r.cachedir(), Files: ch.Files}
	if src.Files == nil {
		if strings.HasPrefix(firstSource(c.Get("source")), "salt://") || isList(c.Get("source")) {
			fc, err := fileclient.New(c.Env)
			if err != nil {
				return r.done(false, err.Error())
			}
			src.Files, ch.Files = fc, fc
		}
	}
	sourceMatch, _, err := src.SourceList(ctx, c.Get("source"), sourceHash)
	if err != nil {
		return r.done(false, err.Error())
	}
	if sourceMatch == "" {
		return r.done(false, fmt.Sprintf(`Invalid source "%s"`, data.Str(c.Get("source"))))
	}
	local := !strings.Contains(sourceMatch, "://") || strings.HasPrefix(sourceMatch, "file://")
	basename := strings.TrimRight(strings.TrimPrefix(strings.TrimPrefix(sourceMatch, "file://"), "salt://"), "/")
	if local {
		p := strings.TrimPrefix(sourceMatch, "file://")
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		sourceMatch = p
		if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
			return r.done(false, fmt.Sprintf("Source file '%s' does not exist", p))
		}
	}
	format := strings.ToLower(data.Str(c.Get("archive_format")))
	if !data.Truthy(c.Get("archive_format")) {
		format = archmod.GuessFormat(basename)
		if format == "" {
			return r.done(false, "Could not guess archive_format from the value of the 'source' argument. Please set this archive_format to one of the following: tar, rar, zip")
		}
	}
	if format != "tar" && format != "zip" && format != "rar" {
		return r.done(false, fmt.Sprintf("Invalid archive_format '%s'. Either set it to a supported value (tar, rar, zip) or remove this argument and the archive format will be guessed based on file extension.", format))
	}
	options := ""
	if v := c.Get("options"); v != nil {
		options = data.Str(v)
	}
	strip := 0
	if options != "" && format == "tar" {
		if m := stripRe.FindStringSubmatch(options); m != nil {
			strip, _ = strconv.Atoi(m[1])
		}
	}
	password := c.Get("password")
	if format == "zip" {
		if options != "" {
			if v := c.Get("use_cmd_unzip"); v != nil && !data.Truthy(v) {
				return r.done(false, "'use_cmd_unzip' cannot be set to False if CLI options are being specified (via the 'options' argument). Either remove 'use_cmd_unzip', or set it to True.")
			}
			return r.done(false, "archive.cmd_unzip function not available, unzip might not be installed on minion")
		}
		if data.Truthy(password) {
			return r.done(false, "Password-protected zip archives are not supported by saltgo")
		}
	} else if data.Truthy(password) {
		return r.done(false, "The 'password' argument is only supported for zip archives")
	}
	if format == "rar" {
		return r.done(false, "archive.unrar function not available, rar/unrar might not be installed on minion")
	}
	trim := 0
	trimText := "False"
	if tv := c.Get("trim_output"); data.Truthy(tv) {
		switch v := tv.(type) {
		case bool:
			trim = 100
		default:
			n, ok := data.AsInt(v)
			if !ok {
				n2, err := strconv.Atoi(strings.TrimSpace(data.Str(v)))
				if err != nil {
					return r.done(false, "Invalid value for trim_output, must be True/False or an integer")
				}
				n = int64(n2)
			}
			trim = int(n)
		}
		trimText = strconv.Itoa(trim)
	}
	var sum filemod.Sum
	if data.Truthy(sourceHash) {
		sum, err = src.SourceSum(ctx, name, sourceMatch, data.Str(sourceHash))
		if err != nil {
			return r.done(false, err.Error())
		}
	}
	cached := sourceMatch
	if !local {
		if ch.Test {
			r.ret.Set("result", nil)
			r.ret.Set("comment", fmt.Sprintf("Archive %s would be cached (if necessary) and checked to discover if extraction is needed", sourceMatch))
			return r.ret, nil
		}
		res, path := r.cache(ctx, src, sourceMatch, sum, skipVerify)
		if res != nil {
			return res, nil
		}
		cached = path
	}
	if format == "zip" {
		if enc, err := archmod.Encrypted(cached); err == nil && enc {
			return r.done(false, fmt.Sprintf("Archive %s is password-protected, but no password was specified. Please set the 'password' argument.", sourceMatch))
		}
	}
	contents, err := archmod.List(ctx, cached, format, strip)
	if err != nil {
		msg := archmod.ListError(sourceMatch, format, err).Error()
		msg += fmt.Sprintf(" Additional info follows:\n\narchive location:\n    %s", cached)
		var errs []string
		if ifMissing == nil || ifMissingPath == "" {
			errs = append(errs, "'if_missing' must be set")
		}
		if ownOn == nil && (data.Truthy(usr) || data.Truthy(grp)) {
			errs = append(errs, "Ownership cannot be managed without setting 'enforce_ownership_on'.")
		}
		if len(errs) > 0 {
			msg += "\n\n"
			if format == "tar" {
				msg += "If the source archive is a tar archive compressed using a compression type not natively supported by the tar command, then setting the 'list_options' argument may allow the contents to be listed. Otherwise, if Salt is unable to determine the files/directories in the archive, the following workaround(s) would need to be used for this state to proceed"
			} else {
				msg += "The following workarounds must be used for this state to proceed"
			}
			msg += fmt.Sprintf(" (assuming the source file is a valid %s archive):\n", format)
			for _, e := range errs {
				msg += "\n- " + e
			}
		}
		return r.done(false, msg)
	}
	if contents.Unsafe != "" {
		return r.done(false, fmt.Sprintf("Archive %s holds an entry that would be extracted outside %s (%s): refused, nothing extracted", sourceMatch, name, contents.Unsafe))
	}
	if c.Bool("enforce_toplevel") && (len(contents.TopLevelDirs) > 1 || len(contents.TopLevelFiles) > 0) {
		return r.done(false, fmt.Sprintf("Archive does not have a single top-level directory. To allow this archive to be extracted, set 'enforce_toplevel' to False. To avoid a '%s-bomb' it may also be advisable to set a top-level directory by adding it to the 'name' value (for example, setting 'name' to %s instead of %s).", format, filepath.Join(name, "some_dir"), name))
	}
	clean, cleanParent := c.Bool("clean"), c.Bool("clean_parent")
	if clean && cleanParent {
		return r.done(false, "Only one of 'clean' and 'clean_parent' can be set to True")
	}
	needed := c.Bool("overwrite")
	missing := false
	ifMissingExists := false
	if ifMissingPath != "" {
		_, err := os.Stat(ifMissingPath)
		ifMissingExists = err == nil
	}
	if !ifMissingExists {
		var incorrect []string
		check := func(paths []string, ok func(fs.FileMode) bool) error {
			for _, p := range paths {
				st, err := os.Lstat(strings.TrimRight(name+p, "/"))
				switch {
				case err == nil:
					if !ok(st.Mode()) {
						incorrect = append(incorrect, p)
					}
				case errors.Is(err, fs.ErrNotExist):
					needed, missing = true, true
				case isNotDir(err):
				default:
					return err
				}
			}
			return nil
		}
		for _, k := range []struct {
			paths []string
			ok    func(fs.FileMode) bool
		}{
			{contents.Dirs, fs.FileMode.IsDir},
			{contents.Files, func(m fs.FileMode) bool { return m&fs.ModeSymlink == 0 && !m.IsDir() }},
			{contents.Links, func(m fs.FileMode) bool { return m&fs.ModeSymlink != 0 }},
		} {
			if err := check(k.paths, k.ok); err != nil {
				return r.done(false, err.Error())
			}
		}
		if len(incorrect) > 0 {
			var b strings.Builder
			b.WriteString("\n\n")
			for i, p := range incorrect {
				if i > 0 {
					b.WriteString("\n")
				}
				b.WriteString("- " + p)
			}
			paths := b.String()
			msg := fmt.Sprintf("The below paths (relative to %s) exist, but are the incorrect type (file instead of directory, symlink instead of file, etc.).", name)
			switch {
			case ch.Test && clean:
				r.ret.Set("result", nil)
				r.ret.Set("comment", msg+" Since the 'clean' option is enabled, the destination paths would be cleared and the archive would be extracted."+paths)
				return r.ret, nil
			case ch.Test && cleanParent:
				r.ret.Set("result", nil)
				r.ret.Set("comment", msg+" Since the 'clean_parent' option is enabled, the destination parent directory would be removed first and then re-created and the archive would be extracted")
				return r.ret, nil
			}
			if !clean {
				if !c.Bool("force") {
					return r.done(false, msg+" To proceed with extraction, set 'force' to True. Note that this will remove these paths before extracting."+paths)
				}
				var removed []any
				for _, p := range incorrect {
					full := filepath.Join(name, p)
					if err := os.RemoveAll(strings.TrimRight(full, "/")); err != nil {
						return r.done(false, "One or more paths existed by were the incorrect type (i.e. file instead of directory or vice-versa), but could not be removed. The following errors were observed:\n\n- "+err.Error())
					}
					removed = append(removed, full)
					needed = true
				}
				r.changes.Set("removed", removed)
			}
		}
	}
	var ext *archmod.Extracted
	if needed {
		if local && data.Truthy(sourceHash) && !skipVerify {
			h, err := filemod.GetHash(sourceMatch, sum.HashType)
			if err != nil || h != sum.Hsum {
				return r.done(false, fmt.Sprintf("%s does not match the desired source_hash %s", sourceMatch, sum.Hsum))
			}
		}
		if ch.Test {
			comment := fmt.Sprintf("Archive %s would be extracted to %s", sourceMatch, name)
			if clean {
				comment += ", after cleaning destination path(s)"
			}
			if missing {
				comment += ", due to absence of one or more files/dirs"
			}
			r.ret.Set("result", nil)
			r.ret.Set("comment", comment)
			return r.ret, nil
		}
		opt := archmod.Options{}
		if format == "tar" {
			opt.TarOptions = options
		}
		dest := strings.TrimRight(name, "/")
		var removed []any
		if clean || cleanParent {
			opt.BeforeMove = func(stage string) error {
				if cleanParent {
					ents, err := os.ReadDir(dest)
					if errors.Is(err, fs.ErrNotExist) {
						return nil
					}
					if err != nil {
						return fmt.Errorf("Unable to remove the directory %s. The following errors were observed:\n\n- %w", name, err)
					}
					for _, e := range ents {
						if e.Name() == stage {
							continue
						}
						if err := os.RemoveAll(filepath.Join(dest, e.Name())); err != nil {
							return fmt.Errorf("Unable to remove the directory %s. The following errors were observed:\n\n- %w", name, err)
						}
					}
					r.changes.Set("removed", fmt.Sprintf("Directory %s was removed prior to the extraction", name))
					return nil
				}
				for _, p := range append(append([]string{}, contents.TopLevelDirs...), contents.TopLevelFiles...) {
					full := filepath.Join(name, p)
					if p == stage {
						continue
					}
					if err := os.RemoveAll(strings.TrimRight(full, "/")); err != nil {
						return fmt.Errorf("One or more paths could not be cleaned. The following errors were observed:\n\n- %w", err)
					}
					removed = append(removed, full)
				}
				if len(removed) > 0 {
					r.changes.Set("removed", removed)
				}
				return nil
			}
		}
		ext, err = archmod.Extract(ctx, cached, format, dest, opt)
		var te *archmod.TarError
		switch {
		case errors.As(err, &te):
			r.ret.Set("changes", data.M("pid", te.Pid, "retcode", te.Retcode, "stdout", te.Stdout, "stderr", te.Stderr))
			return r.done(false, "")
		case errors.Is(err, archmod.ErrRead) && format == "tar":
			return r.done(false, "Failed to read from tar archive using Python's native tar file support. If archive is compressed using something other than gzip or bzip2, the 'options' argument may be required to pass the correct options to the tar command in order to extract the archive.")
		case errors.Is(err, archmod.ErrRead):
			return r.done(false, fmt.Sprintf("Exception encountered unpacking zipfile: %v", err))
		case err != nil:
			return r.done(false, err.Error())
		}
		if ext.CreatedDest && uid != -1 {
			_ = os.Lchown(dest, uid, -1)
		}
	}
	var enforceMissing, enforceFailed []string
	if uid != -1 || gid != -1 {
		var eDirs, eFiles []string
		switch {
		case ownOn != nil:
			p := data.Str(ownOn)
			if st, err := os.Stat(p); err == nil && st.IsDir() {
				eDirs = []string{p}
			} else {
				eFiles = []string{p}
			}
		default:
			eDirs = contents.TopLevelDirs
			eFiles = append(append([]string{}, contents.TopLevelFiles...), contents.TopLevelLinks...)
		}
		for _, d := range eDirs {
			full := filepath.Join(name, d)
			if st, err := os.Stat(full); err != nil || !st.IsDir() {
				if !ch.Test {
					enforceMissing = append(enforceMissing, full)
				}
				continue
			}
			changed, err := chownTree(full, uid, gid, ch.Test)
			if changed {
				r.changes.Set("updated ownership", true)
			}
			if err != nil {
				enforceFailed = append(enforceFailed, full)
			}
		}
		for _, f := range eFiles {
			full := filepath.Join(name, f)
			changed, err := chownOne(full, uid, gid, ch.Test)
			if errors.Is(err, fs.ErrNotExist) {
				if !ch.Test {
					enforceMissing = append(enforceMissing, full)
					enforceFailed = append(enforceFailed, full)
				}
				continue
			}
			if changed {
				r.changes.Set("updated ownership", true)
			}
			if err != nil {
				enforceFailed = append(enforceFailed, f)
			}
		}
	}
	if needed {
		names := ext.Names
		if format == "zip" && trim > 0 && len(names) > trim {
			names = append(names[:trim:trim], fmt.Sprintf("List trimmed after %d files.", trim))
		} else if trim > 0 && len(names) > trim {
			names = names[:trim]
		}
		if len(names) > 0 {
			if ext.CreatedDest {
				r.changes.Set("directories_created", []any{name})
			}
			files := make([]any, len(names))
			for i, n := range names {
				files[i] = n
			}
			r.changes.Set("extracted_files", files)
			comment := fmt.Sprintf("%s extracted to %s", sourceMatch, name)
			if missing {
				comment += ", due to absence of one or more files/dirs"
			}
			comment += fmt.Sprintf(". Output was trimmed to %s number of lines", trimText)
			r.ret.Set("comment", comment)
			r.ret.Set("result", true)
		} else {
			r.ret.Set("result", false)
			r.ret.Set("comment", fmt.Sprintf("No files were extracted from %s", sourceMatch))
		}
	} else {
		r.ret.Set("result", true)
		if ifMissingExists {
			r.ret.Set("comment", fmt.Sprintf("%s exists", ifMissingPath))
		} else {
			r.ret.Set("comment", "All files in archive are already present")
		}
		if ch.Test {
			if v, _ := r.changes.Get("updated ownership"); v == true {
				r.ret.Set("result", nil)
				r.ret.Set("comment", r.comment()+". Ownership would be updated on one or more files/directories.")
			}
		}
	}
	if len(enforceMissing) > 0 {
		if ifMissingPath == "" {
			r.ret.Set("result", false)
		}
		s := r.comment() + "\n\nWhile trying to enforce user/group ownership, the following paths were missing:\n"
		for _, p := range enforceMissing {
			s += "\n- " + p
		}
		r.ret.Set("comment", s)
	}
	if !local && !keep {
		// file.not_cached: the cached copy goes.
		if err := os.Remove(cached); err != nil && !errors.Is(err, fs.ErrNotExist) {
			r.warn(fmt.Sprintf("Failed to remove cached file %s: %v", cached, err))
		}
	}
	if len(enforceFailed) > 0 {
		r.ret.Set("result", false)
		s := r.comment() + "\n\nWhile trying to enforce user/group ownership, Salt was unable to change ownership on the following paths:\n"
		for _, p := range enforceFailed {
			s += "\n- " + p
		}
		r.ret.Set("comment", s)
	}
	return r.ret, nil
}

func (r *run) warn(msg string) {
	w, _ := r.ret.Get("warnings")
	l, _ := w.([]any)
	r.ret.Set("warnings", append(l, msg))
}

func isNotDir(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "not a directory")
}

func firstSource(v any) string {
	if l, ok := v.([]any); ok && len(l) > 0 {
		return data.Str(l[0])
	}
	return data.Str(v)
}

func isList(v any) bool { _, ok := v.([]any); return ok }

// cache is Salt's file.cached for a salt:// (or http) source: it fetches
// the archive into the minion's cache and checks it against the source
// hash. A failing check returns file.cached's own return, as Salt's
// archive.extracted does.
func (r *run) cache(ctx context.Context, src *filemod.Source, url string, sum filemod.Sum, skipVerify bool) (*data.Map, string) {
	fail := func(changes *data.Map, comment string) (*data.Map, string) {
		return data.M("name", url, "changes", changes, "result", false, "comment", comment), ""
	}
	ht := sum.HashType
	if ht == "" {
		ht = r.hashType()
	}
	var pre any
	if strings.HasPrefix(url, "salt://") {
		p, senv := fileclient.SplitEnv(url)
		if senv == "" {
			senv = r.ch.Saltenv
		}
		if h, err := filemod.GetHash(src.Files.CachePath(senv, strings.TrimPrefix(p, "salt://")), ht); err == nil {
			pre = h
		}
	}
	local, err := src.Cache(ctx, url)
	if err != nil || local == "" {
		return fail(data.NewMap(), fmt.Sprintf("Failed to cache %s, check minion log for more information", url))
	}
	post, err := filemod.GetHash(local, ht)
	if err != nil {
		return fail(data.NewMap(), err.Error())
	}
	changes := data.NewMap()
	if pre != any(post) {
		changes.Set("hash", data.M("old", pre, "new", post))
	}
	if !skipVerify && sum.Hsum != "" && post != sum.Hsum {
		return fail(changes, fmt.Sprintf("File is cached to %s, but the hash (%s) does not match the specified hash (%s)", local, post, sum.Hsum))
	}
	return nil, local
}

// chownOne sets a path's owner (not following a symlink); changed is
// true when it differed (in test mode nothing changes).
func chownOne(p string, uid, gid int, test bool) (bool, error) {
	st, err := os.Lstat(p)
	if err != nil {
		return false, err
	}
	cu, cg := statIDs(st)
	if (uid == -1 || uid == cu) && (gid == -1 || gid == cg) {
		return false, nil
	}
	if test {
		return true, nil
	}
	if err := os.Lchown(p, uid, gid); err != nil {
		return false, fmt.Errorf("chown %s: %w", p, err)
	}
	return true, nil
}

// chownTree is file.directory with recurse [user, group] on a directory.
func chownTree(dir string, uid, gid int, test bool) (bool, error) {
	changed := false
	err := filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		ch, err := chownOne(p, uid, gid, test)
		changed = changed || ch
		return err
	})
	if err != nil {
		return changed, fmt.Errorf("chown %s: %w", dir, err)
	}
	return changed, nil
}

func (r *run) comment() string {
	v, _ := r.ret.Get("comment")
	return data.Str(v)
}
