// Package fileserver is Salt's file server with its roots backend
// (salt/fileserver/__init__.py Fileserver over salt/fileserver/roots.py):
// the answers a master gives to the file-server requests of its minions
// (_file_list, _file_hash, _serve_file ...), computed from file_roots.
//
// A masterless minion (file_client: local) asks it directly, as Salt's
// FSClient asks FSChan; the test master serves it on its request channel.
// It keeps no caches (the master's 20 s file-list cache is not imitated:
// listings are always fresh).
package fileserver

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/minion/match"
)

// DefaultBufferSize is the master's file_buffer_size: the largest chunk a
// _serve_file reply carries.
const DefaultBufferSize = 1048576

// Roots is a file server over file_roots.
type Roots struct {
	// Roots maps a saltenv to its directories, in search order; the key
	// "__env__" serves every saltenv not listed ("__env__" in a directory
	// is replaced by the saltenv asked for).
	Roots map[string][]string
	// IgnoreRegex and IgnoreGlob hide paths (file_ignore_regex,
	// file_ignore_glob; the regexes use Go's syntax).
	IgnoreRegex []*regexp.Regexp
	IgnoreGlob  []string
	// FollowSymlinks is fileserver_followsymlinks (Salt's default: true);
	// IgnoreSymlinks is fileserver_ignoresymlinks (default false).
	FollowSymlinks bool
	IgnoreSymlinks bool
	// HashType is the hash_type option ("" means sha256).
	HashType string
	// BufferSize is file_buffer_size (0 means DefaultBufferSize).
	BufferSize int
}

// FromOpts builds a Roots from a Salt options map (file_roots,
// file_ignore_regex, file_ignore_glob, fileserver_followsymlinks,
// fileserver_ignoresymlinks, hash_type, file_buffer_size).
func FromOpts(opts *data.Map) (*Roots, error) {
	r := &Roots{Roots: map[string][]string{}, FollowSymlinks: true, HashType: "sha256", BufferSize: DefaultBufferSize}
	if opts == nil {
		return r, nil
	}
	if v, ok := opts.Get("file_roots"); ok && v != nil {
		m, ok := v.(*data.Map)
		if !ok {
			return nil, fmt.Errorf("file_roots: want a mapping of saltenv to directories, got %s", data.TypeStr(v))
		}
		for _, k := range m.Keys() {
			dv, _ := m.Get(k)
			env := data.Str(k)
			switch d := dv.(type) {
			case []any:
				for _, e := range d {
					s, ok := data.AsString(e)
					if !ok {
						return nil, fmt.Errorf("file_roots %s: directory %s is not a string", env, data.Repr(e))
					}
					r.Roots[env] = append(r.Roots[env], s)
				}
			case string:
				r.Roots[env] = []string{d}
			default:
				r.Roots[env] = nil // Salt's _normalize_roots: a non-list is []
			}
		}
	}
	for _, s := range strList(opts, "file_ignore_regex") {
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, fmt.Errorf("file_ignore_regex %q: %w", s, err)
		}
		r.IgnoreRegex = append(r.IgnoreRegex, re)
	}
	r.IgnoreGlob = strList(opts, "file_ignore_glob")
	if v, ok := opts.Get("fileserver_followsymlinks"); ok && v != nil {
		r.FollowSymlinks = data.Truthy(v)
	}
	if v, ok := opts.Get("fileserver_ignoresymlinks"); ok {
		r.IgnoreSymlinks = data.Truthy(v)
	}
	if s, ok := opts.String("hash_type"); ok && s != "" {
		r.HashType = s
	}
	if n, ok := data.AsInt(mapGet(opts, "file_buffer_size")); ok && n > 0 {
		r.BufferSize = int(n)
	}
	return r, nil
}

func mapGet(m *data.Map, k string) any { v, _ := m.Get(k); return v }

func strList(opts *data.Map, key string) []string {
	v, _ := opts.Get(key)
	var out []string
	switch l := v.(type) {
	case []any:
		for _, e := range l {
			if s, ok := data.AsString(e); ok {
				out = append(out, s)
			}
		}
	case string:
		out = []string{l}
	}
	return out
}

// Request answers one file-server load as the master's AESFuncs do (the
// load's "cmd" picks the function; an unknown cmd gets {}). It implements
// host.MasterRequester, so a file client can use it as its channel the way
// Salt's FSClient uses FSChan; _master_opts and _master_tops answer {} as
// FSChan's do.
func (r *Roots) Request(ctx context.Context, load *data.Map) (any, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return r.Serve(load), nil
}

// Serve answers one file-server load (see Request).
func (r *Roots) Serve(load *data.Map) any {
	if load == nil {
		return data.NewMap()
	}
	cmd, _ := load.String("cmd")
	switch cmd {
	case "_file_list":
		return r.list(load, "files")
	case "_file_list_emptydirs":
		return r.list(load, "empty_dirs")
	case "_dir_list":
		return r.list(load, "dirs")
	case "_symlink_list":
		return r.symlinkList(load)
	case "_file_envs":
		return data.List(r.Envs())
	case "_file_find":
		p, _ := data.AsString(mapGet(load, "path"))
		if p == "" {
			return notFound()
		}
		return r.FindFile(p, envOf(load, "base")).Map()
	case "_file_hash":
		h, _ := r.fileHashAndStat(load)
		return h
	case "_file_hash_and_stat":
		h, st := r.fileHashAndStat(load)
		return []any{h, st}
	case "_serve_file":
		return r.serveFile(load)
	}
	return data.NewMap()
}

func notFound() *data.Map { return data.M("path", "", "rel", "") }

// envOf is the load's saltenv as a string (Salt str()s a non-string one).
func envOf(load *data.Map, def string) string {
	v, ok := load.Get("saltenv")
	if !ok {
		return def
	}
	if s, ok := data.AsString(v); ok {
		return s
	}
	return data.Str(v)
}

// Envs returns the saltenvs, sorted (roots.envs).
func (r *Roots) Envs() []string {
	out := make([]string, 0, len(r.Roots))
	for k := range r.Roots {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// dirs returns the directories of saltenv (with __env__ substituted) and
// whether the saltenv is served.
func (r *Roots) dirs(saltenv string) ([]string, bool) {
	if d, ok := r.Roots[saltenv]; ok {
		return d, true
	}
	d, ok := r.Roots["__env__"]
	if !ok {
		return nil, false
	}
	out := make([]string, len(d))
	for i, s := range d {
		out[i] = strings.ReplaceAll(s, "__env__", saltenv)
	}
	return out, true
}

// Found is the result of FindFile (roots.find_file's fnd).
type Found struct {
	Path string // absolute path on disk ("" when not found)
	Rel  string // the path inside the root
	Stat []any  // os.stat as a list of 10 ints, nil when unknown
}

// Map is the _file_find reply.
func (f Found) Map() *data.Map {
	if f.Path == "" {
		return notFound()
	}
	m := data.M("path", f.Path, "rel", f.Rel)
	if f.Stat != nil {
		m.Set("stat", f.Stat)
	}
	m.Set("back", "roots")
	return m
}

// FindFile finds a file-server path (Fileserver.find_file + roots.find_file):
// a ?saltenv=/&index= query is honoured, absolute paths and paths with
// "../" are not found, and the file must stay inside its root.
func (r *Roots) FindFile(p, saltenv string) Found {
	var index = -1
	if strings.HasPrefix(p, "|") {
		p = p[1:] // salt.utils.url.unescape
	} else if i := strings.IndexByte(p, '?'); i >= 0 {
		q := p[i+1:]
		p = p[:i]
		for _, comp := range strings.Split(q, "&") {
			k, v, ok := strings.Cut(comp, "=")
			if !ok {
				continue
			}
			switch k {
			case "saltenv":
				saltenv = v
			case "index":
				n := 0
				if _, err := fmt.Sscanf(v, "%d", &n); err != nil || fmt.Sprint(n) != strings.TrimSpace(v) {
					return Found{}
				}
				index = n
			}
		}
	}
	if p == "" || filepath.IsAbs(p) || strings.Contains(p, "../") {
		return Found{}
	}
	clean := path.Clean(p)
	if filepath.IsAbs(clean) {
		return Found{}
	}
	roots, ok := r.dirs(saltenv)
	if !ok {
		return Found{}
	}
	if index >= 0 {
		if index >= len(roots) {
			return Found{}
		}
		roots = roots[index : index+1]
	}
	for _, root := range roots {
		full := filepath.Join(root, clean)
		if index < 0 && !r.underRoot(root, full) {
			continue
		}
		st, err := os.Stat(full)
		if err != nil || !st.Mode().IsRegular() || r.ignored(full) {
			continue
		}
		return Found{Path: full, Rel: clean, Stat: StatList(st)}
	}
	return Found{}
}

// underRoot is salt.utils.verify.clean_path(root, full, subdir=True,
// realpath=not followsymlinks).
func (r *Roots) underRoot(root, full string) bool {
	if !r.FollowSymlinks {
		rr, err1 := filepath.EvalSymlinks(root)
		rf, err2 := filepath.EvalSymlinks(full)
		if err1 != nil || err2 != nil {
			return false
		}
		root, full = rr, rf
	}
	root, full = filepath.Clean(root), filepath.Clean(full)
	return full == root || strings.HasPrefix(full, root+string(filepath.Separator))
}

func (r *Roots) ignored(p string) bool {
	for _, re := range r.IgnoreRegex {
		if re.MatchString(p) {
			return true
		}
	}
	for _, g := range r.IgnoreGlob {
		if match.FnmatchString(p, g) {
			return true
		}
	}
	return false
}

// StatList is Python's list(os.stat(p)): [mode, ino, dev, nlink, uid,
// gid, size, atime, mtime, ctime].
func StatList(st fs.FileInfo) []any {
	s, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return []any{int64(pyMode(st.Mode())), int64(0), int64(0), int64(1), int64(0), int64(0), st.Size(), st.ModTime().Unix(), st.ModTime().Unix(), st.ModTime().Unix()}
	}
	return []any{int64(s.Mode), int64(s.Ino), int64(s.Dev), int64(s.Nlink), int64(s.Uid), int64(s.Gid), s.Size,
		s.Atim.Sec, s.Mtim.Sec, s.Ctim.Sec}
}

func pyMode(m fs.FileMode) uint32 {
	v := uint32(m.Perm())
	if m.IsRegular() {
		v |= syscall.S_IFREG
	}
	return v
}

// NewHash returns a hash.Hash for a Salt hash_type name ("" is sha256),
// as salt.utils.hashutils.get_hash takes it from hashlib; the one home of
// hash_type names, for the file server, the file client and the file
// module.
func NewHash(hashType string) (hash.Hash, error) {
	switch hashType {
	case "sha256", "":
		return sha256.New(), nil
	case "md5":
		return md5.New(), nil
	case "sha1":
		return sha1.New(), nil
	case "sha224":
		return sha256.New224(), nil
	case "sha384":
		return sha512.New384(), nil
	case "sha512":
		return sha512.New(), nil
	}
	return nil, fmt.Errorf("Invalid hash type: %s", hashType)
}

// HashFile returns the hex digest of a file's content (salt.utils.hashutils
// get_hash).
func HashFile(p, hashType string) (string, error) {
	h, err := NewHash(hashType)
	if err != nil {
		return "", err
	}
	f, err := os.Open(p)
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", p, err)
	}
	defer f.Close()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// fileHashAndStat is Fileserver.__file_hash_and_stat: ("", nil) when the
// file is missing, else ({"hash_type", "hsum"}, stat).
func (r *Roots) fileHashAndStat(load *data.Map) (any, any) {
	p, ok := data.AsString(mapGet(load, "path"))
	if !ok || !load.Has("saltenv") {
		return "", nil
	}
	fnd := r.FindFile(p, envOf(load, "base"))
	if fnd.Path == "" {
		return "", nil
	}
	ht := r.HashType
	if ht == "" {
		ht = "sha256"
	}
	sum, err := HashFile(fnd.Path, ht)
	if err != nil {
		return data.NewMap(), fnd.Stat // roots.file_hash: {} when it cannot read
	}
	var st any
	if fnd.Stat != nil {
		st = fnd.Stat
	}
	return data.M("hash_type", ht, "hsum", sum), st
}

// serveFile is Fileserver.serve_file + roots.serve_file.
func (r *Roots) serveFile(load *data.Map) *data.Map {
	ret := data.M("data", "", "dest", "")
	p, ok := data.AsString(mapGet(load, "path"))
	if !ok || !load.Has("loc") || !load.Has("saltenv") {
		return ret
	}
	loc, ok := data.AsInt(mapGet(load, "loc"))
	if !ok || loc < 0 {
		return ret
	}
	fnd := r.FindFile(p, envOf(load, "base"))
	if fnd.Path == "" {
		return ret
	}
	ret.Set("dest", fnd.Rel)
	f, err := os.Open(fnd.Path)
	if err != nil {
		return data.M("data", "", "dest", "")
	}
	defer f.Close()
	size := r.BufferSize
	if size <= 0 {
		size = DefaultBufferSize
	}
	buf := make([]byte, size)
	n, err := f.ReadAt(buf, loc)
	if err != nil && !errors.Is(err, io.EOF) {
		return data.M("data", "", "dest", "")
	}
	chunk := buf[:n]
	level, _ := data.AsInt(mapGet(load, "gzip"))
	if level != 0 && len(chunk) > 0 {
		z, err := Gzip(chunk, int(level))
		if err == nil {
			chunk = z
			ret.Set("gzip", mapGet(load, "gzip"))
		}
	}
	ret.Set("data", chunk)
	return ret
}

// Gzip compresses one chunk as salt.utils.gzip_util.compress does (a
// whole gzip stream; Python's mtime and name are not reproduced).
func Gzip(b []byte, level int) ([]byte, error) {
	if level < gzip.HuffmanOnly || level > gzip.BestCompression {
		level = gzip.DefaultCompression
	}
	var out bytes.Buffer
	w, err := gzip.NewWriterLevel(&out, level)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// lists is roots._file_lists for one saltenv.
type lists struct {
	files, dirs, emptyDirs []string
	links                  map[string]string
}

func (r *Roots) fileLists(saltenv string) (*lists, bool) {
	roots, ok := r.dirs(saltenv)
	if !ok {
		return nil, false
	}
	files, dirs, empty := map[string]bool{}, map[string]bool{}, map[string]bool{}
	links := map[string]string{}
	add := func(root, abs string, tgt map[string]bool) {
		li, err := os.Lstat(abs)
		if err != nil {
			return
		}
		isLink := li.Mode()&fs.ModeSymlink != 0
		if isLink && r.IgnoreSymlinks {
			return
		}
		rel, err := filepath.Rel(root, abs)
		if err != nil || r.ignored(rel) {
			return
		}
		tgt[rel] = true
		if st, err := os.Stat(abs); err == nil && st.IsDir() {
			if ents, err := os.ReadDir(abs); err == nil && len(ents) == 0 {
				empty[rel] = true
			}
		}
		if isLink {
			dest, err := os.Readlink(abs)
			if err != nil {
				return
			}
			var joined string
			if strings.HasPrefix(dest, "..") {
				joined = filepath.Join(abs, dest)
			} else if filepath.IsAbs(dest) {
				joined = dest
			} else {
				joined = filepath.Join(filepath.Dir(abs), dest)
			}
			real, err1 := filepath.EvalSymlinks(joined)
			if err1 != nil {
				real = filepath.Clean(joined)
			}
			rroot, err2 := filepath.EvalSymlinks(root)
			if err2 != nil {
				rroot = filepath.Clean(root)
			}
			relDest, err := filepath.Rel(rroot, real)
			if (err == nil && !strings.HasPrefix(relDest, "..")) || !r.FollowSymlinks {
				links[rel] = dest
			}
		}
	}
	for _, root := range roots {
		r.walk(root, root, map[string]bool{}, func(dir string, subdirs, fileNames []string) {
			for _, d := range subdirs {
				add(root, filepath.Join(dir, d), dirs)
			}
			for _, f := range fileNames {
				add(root, filepath.Join(dir, f), files)
			}
		})
	}
	return &lists{files: sortedKeys(files), dirs: sortedKeys(dirs), emptyDirs: sortedKeys(empty), links: links}, true
}

// walk is os.walk(top, followlinks=FollowSymlinks): fn gets each directory
// with its subdirectories (symlinks to directories included) and files.
func (r *Roots) walk(root, dir string, seen map[string]bool, fn func(dir string, subdirs, files []string)) {
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		if seen[real] {
			return // a symlink loop
		}
		seen[real] = true
		defer delete(seen, real)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	var subdirs, files []string
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		isDir := e.IsDir()
		if e.Type()&fs.ModeSymlink != 0 {
			if st, err := os.Stat(p); err == nil && st.IsDir() {
				isDir = true
			}
		}
		if isDir {
			subdirs = append(subdirs, e.Name())
		} else {
			files = append(files, e.Name())
		}
	}
	fn(dir, subdirs, files)
	for _, d := range subdirs {
		p := filepath.Join(dir, d)
		if li, err := os.Lstat(p); err == nil && li.Mode()&fs.ModeSymlink != 0 && !r.FollowSymlinks {
			continue
		}
		r.walk(root, p, seen, fn)
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func prefixOf(load *data.Map) string {
	p, _ := data.AsString(mapGet(load, "prefix"))
	return strings.Trim(p, "/")
}

func (r *Roots) list(load *data.Map, form string) []any {
	if !load.Has("saltenv") {
		return []any{}
	}
	l, ok := r.fileLists(envOf(load, "base"))
	if !ok {
		return []any{}
	}
	var src []string
	switch form {
	case "files":
		src = l.files
	case "dirs":
		src = l.dirs
	default:
		src = l.emptyDirs
	}
	prefix := prefixOf(load)
	out := []any{}
	for _, s := range src {
		if strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	return out
}

func (r *Roots) symlinkList(load *data.Map) *data.Map {
	out := data.NewMap()
	if !load.Has("saltenv") {
		return out
	}
	l, ok := r.fileLists(envOf(load, "base"))
	if !ok {
		return out
	}
	prefix := prefixOf(load)
	keys := make([]string, 0, len(l.links))
	for k := range l.links {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		out.Set(k, l.links[k])
	}
	return out
}
