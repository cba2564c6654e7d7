// Package archive is the part of Salt's archive execution module
// (salt/modules/archive.py) that archive.extracted needs: list (what an
// archive holds, as Salt's archive.list) and is_encrypted, plus Extract,
// which unpacks a tar (plain, gzip, bzip2, xz) or zip archive into a
// staging directory beside its destination and moves it in only once every
// entry was written, so a corrupt archive leaves nothing half-extracted.
// Entries that would land outside the destination (absolute paths, ".."
// components, writes through a symlink) are refused.
package archive

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient"
	"github.com/saltgo/saltgo/host"
)

func init() {
	host.Register(&host.Module{Kind: host.Exec, Name: "archive", Doc: "A module to wrap (non-Windows) archive calls", Funcs: []*host.Func{
		{Name: "list", Params: []host.Param{host.Req("name"), host.Opt("archive_format", nil), host.Opt("options", nil),
			host.Opt("strip_components", nil), host.Opt("clean", false), host.Opt("verbose", false), host.Opt("saltenv", "base"),
			host.Opt("source_hash", nil), host.Opt("use_etag", false)},
			Fn: list, Doc: "List the files and directories in a tar, zip or rar archive."},
		{Name: "is_encrypted", Params: []host.Param{host.Req("name"), host.Opt("clean", false), host.Opt("saltenv", "base"),
			host.Opt("source_hash", nil), host.Opt("use_etag", false)},
			Fn: isEncrypted, Doc: "Returns True if the zip archive is password-protected, False if not."},
	}})
}

// GuessFormat is salt.utils.files.guess_archive_type: tar, zip or rar from
// a file name's extension, "" when it has none of them.
func GuessFormat(name string) string {
	name = strings.ToLower(name)
	for _, e := range []string{"tar", "tar.gz", "tgz", "tar.bz2", "tbz2", "tbz", "tar.xz", "txz", "tar.lzma", "tlz"} {
		if strings.HasSuffix(name, "."+e) {
			return "tar"
		}
	}
	for _, e := range []string{"zip", "rar"} {
		if strings.HasSuffix(name, "."+e) {
			return e
		}
	}
	return ""
}

// Kind is the type of an archive entry.
type Kind int

// The entry kinds.
const (
	File Kind = iota
	Dir
	Symlink
	Hardlink
)

// Entry is one member of an archive, its name as Python's tarfile or
// zipfile reports it (tar directories without their trailing slash, zip
// directories with it).
type Entry struct {
	Name     string
	Kind     Kind
	Mode     os.FileMode // permission bits (0 for a zip entry without Unix mode)
	Linkname string
	UID, GID int
	Uname    string
	Gname    string
	ModTime  time.Time
	hasMode  bool
}

// each calls fn for every entry of the archive at p, in archive order,
// with a reader of its content (regular files; a symlink's target for zip).
func each(ctx context.Context, p, format string, fn func(e *Entry, r io.Reader) error) error {
	switch format {
	case "zip":
		return eachZip(p, fn)
	case "tar":
		return eachTar(ctx, p, fn)
	}
	return fmt.Errorf("Unsupported archive format '%s'", format)
}

// magic sniffs the compression of a tar file.
func magic(f *os.File) (string, error) {
	b := make([]byte, 6)
	n, err := io.ReadFull(f, b)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read %s: %w", f.Name(), err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("seek %s: %w", f.Name(), err)
	}
	b = b[:n]
	switch {
	case bytes.HasPrefix(b, []byte{0x1f, 0x8b}):
		return "gz", nil
	case bytes.HasPrefix(b, []byte("BZh")):
		return "bz2", nil
	case bytes.HasPrefix(b, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		return "xz", nil
	}
	return "", nil
}

// ErrRead is wrapped by errors reading an archive that is not a valid
// archive of its format (corrupt, truncated, another format).
var ErrRead = errors.New("archive read error")

func eachTar(ctx context.Context, p string, fn func(e *Entry, r io.Reader) error) (err error) {
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("open %s: %w", p, err)
	}
	defer f.Close()
	comp, err := magic(f)
	if err != nil {
		return err
	}
	var r io.Reader = bufio.NewReader(f)
	switch comp {
	case "gz":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return fmt.Errorf("%w: gzip: %w", ErrRead, err)
		}
		defer zr.Close()
		r = zr
	case "bz2":
		r = bzip2.NewReader(r)
	case "xz":
		// Go has no xz decoder in its standard library: XZ Utils decodes.
		if _, err := exec.LookPath("xz"); err != nil {
			return fmt.Errorf("%w: %s is XZ-compressed and the xz command (apt-get install xz-utils) is missing", ErrRead, p)
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		cmd := exec.CommandContext(ctx, "xz", "--decompress", "--stdout")
		cmd.Stdin = f
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			return fmt.Errorf("xz: %w", err)
		}
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("xz: %w", err)
		}
		defer func() {
			_, _ = io.Copy(io.Discard, out)
			if werr := cmd.Wait(); werr != nil && err == nil {
				err = fmt.Errorf("%w: xz: %v: %s", ErrRead, werr, strings.TrimSpace(stderr.String()))
			}
		}()
		r = out
	}
	tr := tar.NewReader(r)
	n := 0
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			if n == 0 {
				return fmt.Errorf("%w: %s: empty tar archive", ErrRead, p)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrRead, p, err)
		}
		n++
		e := &Entry{Name: h.Name, Mode: os.FileMode(h.Mode) & os.ModePerm, hasMode: true, Linkname: h.Linkname,
			UID: h.Uid, GID: h.Gid, Uname: h.Uname, Gname: h.Gname, ModTime: h.ModTime}
		if h.Mode&0o4000 != 0 {
			e.Mode |= os.ModeSetuid
		}
		if h.Mode&0o2000 != 0 {
			e.Mode |= os.ModeSetgid
		}
		if h.Mode&0o1000 != 0 {
			e.Mode |= os.ModeSticky
		}
		switch h.Typeflag {
		case tar.TypeDir:
			e.Kind = Dir
			e.Name = strings.TrimRight(e.Name, "/")
		case tar.TypeSymlink:
			e.Kind = Symlink
		case tar.TypeLink:
			e.Kind = Hardlink
		case tar.TypeReg, tar.TypeGNUSparse:
			if strings.HasSuffix(e.Name, "/") {
				e.Kind = Dir
				e.Name = strings.TrimRight(e.Name, "/")
			}
		default:
			// Devices, fifos: listed as files, not extracted.
			e.Kind = -1
		}
		if err := fn(e, tr); err != nil {
			return err
		}
	}
}

func eachZip(p string, fn func(e *Entry, r io.Reader) error) error {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return fmt.Errorf("%w: %s is not a ZIP file: %w", ErrRead, p, err)
	}
	defer zr.Close()
	for _, zf := range zr.File {
		mode := os.FileMode(zf.ExternalAttrs >> 16)
		e := &Entry{Name: zf.Name, ModTime: zf.Modified}
		unixMode := zf.CreatorVersion>>8 == 3 && zf.ExternalAttrs>>16 != 0
		const sIFMT, sIFLNK, sIFDIR = 0o170000, 0o120000, 0o040000
		switch {
		case unixMode && uint32(mode)&sIFMT == sIFLNK:
			e.Kind = Symlink
		case unixMode && uint32(mode)&sIFMT == sIFDIR, strings.HasSuffix(zf.Name, "/"):
			e.Kind = Dir
		default:
			e.Kind = File
		}
		if unixMode {
			e.Mode, e.hasMode = mode&os.ModePerm, true
		}
		if e.Kind == Dir && !strings.HasSuffix(zf.Name, "/") {
			// Listed as a directory by its mode; created as one.
			e.hasMode = true
		}
		var r io.Reader = strings.NewReader("")
		if e.Kind != Dir {
			rc, err := zf.Open()
			if err != nil {
				return fmt.Errorf("%w: %s: %s: %w", ErrRead, p, zf.Name, err)
			}
			if e.Kind == Symlink {
				b, err := io.ReadAll(io.LimitReader(rc, 4096))
				rc.Close()
				if err != nil {
					return fmt.Errorf("%w: %s: %s: %w", ErrRead, p, zf.Name, err)
				}
				e.Linkname = string(b)
			} else {
				r = rc
				err := fn(e, r)
				rc.Close()
				if err != nil {
					return err
				}
				continue
			}
		}
		if err := fn(e, r); err != nil {
			return err
		}
	}
	return nil
}

// Listing is archive.list's verbose return.
type Listing struct {
	Dirs, Files, Links                         []string
	TopLevelDirs, TopLevelFiles, TopLevelLinks []string
	// Unsafe is the first entry that would be written outside the
	// destination (an absolute name, a ".." component, a hard link to
	// such a name); "" when none.
	Unsafe string
}

// Map is the listing as Salt's ordered dict.
func (l *Listing) Map() *data.Map {
	return data.M("dirs", strsAny(l.Dirs), "files", strsAny(l.Files), "links", strsAny(l.Links),
		"top_level_dirs", strsAny(l.TopLevelDirs), "top_level_files", strsAny(l.TopLevelFiles), "top_level_links", strsAny(l.TopLevelLinks))
}

func strsAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// List reads the archive at p as Salt's archive.list(verbose=True) does,
// with strip_components applied when > 0.
func List(ctx context.Context, p, format string, strip int) (*Listing, error) {
	var dirs, files, links []string
	dirSet := map[string]bool{}
	unsafe := ""
	err := each(ctx, p, format, func(e *Entry, _ io.Reader) error {
		if unsafe == "" && (!local(e.Name) || (e.Kind == Hardlink && !local(e.Linkname))) {
			unsafe = e.Name
		}
		switch {
		case e.Kind == Symlink:
			links = append(links, e.Name)
		case e.Kind == Dir && format == "tar":
			dirs = append(dirs, e.Name+"/")
		case e.Kind == Dir:
			if !dirSet[e.Name] {
				dirSet[e.Name] = true
				dirs = append(dirs, e.Name)
			}
		default:
			files = append(files, e.Name)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if format == "zip" {
		// zipfile lists no directory entry for a file's parents: Salt adds
		// each file's dirname.
		var kept []string
		parents := map[string]bool{}
		for _, f := range files {
			if i := strings.LastIndex(f, "/"); i >= 0 {
				d := f[:i+1]
				parents[d] = true
				if !dirSet[d] {
					dirSet[d] = true
					dirs = append(dirs, d)
				}
			}
		}
		for _, f := range files {
			if !parents[f] {
				kept = append(kept, f)
			}
		}
		files = kept
	}
	if strip > 0 {
		for _, item := range []*[]string{&dirs, &files, &links} {
			var out []string
			for _, x := range *item {
				parts := strings.SplitN(x, "/", strip+1)
				if len(parts) > strip && parts[strip] != "" {
					out = append(out, parts[strip])
				}
			}
			*item = out
		}
	}
	sort.Strings(dirs)
	sort.Strings(files)
	sort.Strings(links)
	l := &Listing{Dirs: nonNil(dirs), Files: nonNil(files), Links: nonNil(links), TopLevelDirs: []string{}, TopLevelFiles: []string{}, TopLevelLinks: []string{}, Unsafe: unsafe}
	for _, d := range l.Dirs {
		if strings.Count(d, "/") == 1 {
			l.TopLevelDirs = append(l.TopLevelDirs, d)
		}
	}
	if cp := commonPrefix(l.Dirs); strings.Contains(cp, "/") {
		cp = strings.SplitN(cp, "/", 2)[0] + "/"
		if !contains(l.TopLevelDirs, cp) {
			l.TopLevelDirs = append(l.TopLevelDirs, cp)
		}
	}
	for _, f := range l.Files {
		if !strings.Contains(f, "/") {
			l.TopLevelFiles = append(l.TopLevelFiles, f)
		}
	}
	for _, f := range l.Links {
		if !strings.Contains(f, "/") {
			l.TopLevelLinks = append(l.TopLevelLinks, f)
		}
	}
	return l, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// commonPrefix is os.path.commonprefix (character-wise).
func commonPrefix(s []string) string {
	if len(s) == 0 {
		return ""
	}
	p := s[0]
	for _, x := range s[1:] {
		i := 0
		for i < len(p) && i < len(x) && p[i] == x[i] {
			i++
		}
		p = p[:i]
	}
	return p
}

// local reports whether an entry name stays below the directory it is
// extracted in.
func local(name string) bool {
	if name == "" || strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`) {
		return false
	}
	for _, c := range strings.Split(name, "/") {
		if c == ".." {
			return false
		}
	}
	return path.Clean(name) != ".."
}

// cache returns the local path of an archive named by a salt:// url, a
// file:// url or a local path (cp.cache_file).
func cache(ctx context.Context, c *host.Call, name, saltenv string) (string, error) {
	switch {
	case strings.HasPrefix(name, "salt://"):
		fc, err := fileclient.New(c.Env)
		if err != nil {
			return "", fmt.Errorf("file client: %w", err)
		}
		p, err := fc.CacheFile(ctx, name, saltenv)
		if err != nil {
			return "", host.Errorf("Failed to cache %s", name)
		}
		return p, nil
	default:
		p := strings.TrimPrefix(name, "file://")
		if _, err := os.Stat(p); err != nil {
			return "", host.Errorf("Failed to cache %s", name)
		}
		return p, nil
	}
}

func list(ctx context.Context, c *host.Call) (any, error) {
	name, saltenv := c.Str("name"), c.Str("saltenv")
	cached, err := cache(ctx, c, name, saltenv)
	if err != nil {
		return nil, err
	}
	strip := 0
	if data.Truthy(c.Get("strip_components")) {
		n, ok := data.AsInt(c.Get("strip_components"))
		if !ok || n <= 0 {
			return nil, host.Errorf("'strip_components' must be a positive integer")
		}
		strip = int(n)
	}
	format := data.Str(c.Get("archive_format"))
	if !data.Truthy(c.Get("archive_format")) {
		format = GuessFormat(strings.TrimPrefix(strings.TrimPrefix(name, "salt://"), "file://"))
		if format == "" {
			return nil, host.Errorf("Unable to guess archive format, please pass an 'archive_format' argument.")
		}
	}
	if format != "tar" && format != "zip" {
		return nil, host.Errorf("Unsupported archive format '%s'", format)
	}
	l, err := List(ctx, cached, format, strip)
	if err != nil {
		return nil, ListError(name, format, err)
	}
	if c.Bool("clean") && cached != strings.TrimPrefix(name, "file://") {
		_ = os.Remove(cached)
	}
	if c.Bool("verbose") {
		return l.Map(), nil
	}
	all := append(append(append([]string{}, l.Dirs...), l.Files...), l.Links...)
	sort.Strings(all)
	return strsAny(all), nil
}

// ListError is the CommandExecutionError archive.list raises when it
// cannot read an archive.
func ListError(name, format string, err error) error {
	if format == "zip" {
		return host.Errorf("%s is not a ZIP file", name)
	}
	if errors.Is(err, ErrRead) {
		return host.Errorf("Unable to list contents of %s. If this is an XZ-compressed tar archive, install XZ Utils to enable listing its contents. If it is compressed using something other than XZ, it may be necessary to specify CLI options to decompress the archive. See the documentation for details.", name)
	}
	return host.Errorf("Failed to list contents of %s: %v", name, err)
}

func isEncrypted(ctx context.Context, c *host.Call) (any, error) {
	name := c.Str("name")
	cached, err := cache(ctx, c, name, c.Str("saltenv"))
	if err != nil {
		return nil, err
	}
	enc, err := Encrypted(cached)
	if err != nil {
		return nil, host.Errorf("%s is not a ZIP file", name)
	}
	return enc, nil
}

// Encrypted reports whether a zip archive has a password-protected entry.
func Encrypted(p string) (bool, error) {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return false, fmt.Errorf("open %s: %w", p, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Flags&0x1 != 0 {
			return true, nil
		}
	}
	return false, nil
}
