package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"

	filemod "github.com/saltgo/saltgo/modules/file"
)

// ErrUnsafe is wrapped by Extract's error for an entry that would be
// written outside the destination.
var ErrUnsafe = errors.New("archive entry outside the destination")

// Options shape an extraction.
type Options struct {
	// TarOptions, when not empty, are options of the tar command (Salt's
	// archive.extracted options), which then extracts.
	TarOptions string
	// BeforeMove runs once the archive was unpacked into the staging
	// directory and before anything moves into the destination (Salt's
	// clean and clean_parent); stage is the staging directory's base name
	// (inside the destination when that existed: keep it).
	BeforeMove func(stage string) error
}

// Extracted is what Extract did.
type Extracted struct {
	// Names are the entries as Salt reports them: tarfile.getnames()
	// (archive order, directories without a trailing slash), zipfile's
	// namelist(), or tar -v's output lines when TarOptions were given.
	Names []string
	// CreatedDest is true when the destination did not exist before.
	CreatedDest bool
}

// Extract unpacks the archive at p into dest. It first unpacks everything
// into a staging directory (dest's sibling when dest does not exist yet,
// else a hidden directory inside dest, so that moving in is a rename on
// one file system) and moves the entries in only once the whole archive
// was read: a corrupt or truncated archive, or an entry outside dest,
// leaves dest as it was.
func Extract(ctx context.Context, p, format, dest string, o Options) (*Extracted, error) {
	dest = filepath.Clean(dest)
	res := &Extracted{}
	st, err := os.Lstat(dest)
	var stage string
	switch {
	case errors.Is(err, fs.ErrNotExist):
		parent := filepath.Dir(dest)
		if err := os.MkdirAll(parent, 0o777&^filemod.Umask()); err != nil {
			return nil, fmt.Errorf("create %s: %w", parent, err)
		}
		stage, err = os.MkdirTemp(parent, "."+filepath.Base(dest)+".saltgo-extract-")
		if err != nil {
			return nil, fmt.Errorf("staging directory for %s: %w", dest, err)
		}
		res.CreatedDest = true
	case err != nil:
		return nil, fmt.Errorf("stat %s: %w", dest, err)
	case !st.IsDir():
		return nil, fmt.Errorf("%s exists and is not a directory", dest)
	default:
		stage, err = os.MkdirTemp(dest, ".saltgo-extract-")
		if err != nil {
			return nil, fmt.Errorf("staging directory in %s: %w", dest, err)
		}
	}
	defer os.RemoveAll(stage)
	switch {
	case o.TarOptions != "":
		res.Names, err = extractTarCmd(ctx, p, stage, o.TarOptions)
	case format == "zip":
		res.Names, err = extractZip(ctx, p, stage)
	default:
		res.Names, err = extractTar(ctx, p, stage)
	}
	if err != nil {
		return nil, err
	}
	if o.BeforeMove != nil {
		if err := o.BeforeMove(filepath.Base(stage)); err != nil {
			return nil, err
		}
	}
	if res.CreatedDest {
		if err := os.Chmod(stage, 0o777&^filemod.Umask()); err != nil {
			return nil, fmt.Errorf("chmod %s: %w", stage, err)
		}
		if err := os.Rename(stage, dest); err != nil {
			return nil, fmt.Errorf("move %s into place: %w", dest, err)
		}
		return res, nil
	}
	if err := merge(stage, dest); err != nil {
		return nil, err
	}
	return res, nil
}

// merge moves every entry of src into dst: a path dst lacks is renamed in
// whole, a directory both have is merged, anything else replaces dst's.
func merge(src, dst string) error {
	ents, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("read %s: %w", src, err)
	}
	for _, e := range ents {
		s, d := filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())
		dt, err := os.Lstat(d)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return fmt.Errorf("stat %s: %w", d, err)
		case dt.IsDir() && e.IsDir():
			if err := merge(s, d); err != nil {
				return err
			}
			// The archive's directory attributes win, as tarfile's.
			if si, err := os.Lstat(s); err == nil {
				_ = os.Chmod(d, si.Mode()&(os.ModePerm|os.ModeSetuid|os.ModeSetgid|os.ModeSticky))
			}
			continue
		case dt.IsDir():
			if err := os.RemoveAll(d); err != nil {
				return fmt.Errorf("replace %s: %w", d, err)
			}
		}
		if err := os.Rename(s, d); err != nil {
			return fmt.Errorf("move %s into place: %w", d, err)
		}
	}
	return nil
}

// owner is tarfile's chown as root: the entry's user and group names when
// they exist here, else its numeric ids.
func owner(e *Entry) (int, int) {
	uid, gid := e.UID, e.GID
	if e.Uname != "" {
		if v, ok := filemod.UserToUID(e.Uname).(int64); ok {
			uid = int(v)
		}
	}
	if e.Gname != "" {
		if v, ok := filemod.GroupToGID(e.Gname).(int64); ok {
			gid = int(v)
		}
	}
	return uid, gid
}

func extractTar(ctx context.Context, p, stage string) ([]string, error) {
	root, err := os.OpenRoot(stage)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", stage, err)
	}
	defer root.Close()
	asRoot := os.Geteuid() == 0
	dirMode := 0o777 &^ filemod.Umask()
	var names []string
	var dirs []*Entry
	err = eachTar(ctx, p, func(e *Entry, r io.Reader) error {
		names = append(names, e.Name)
		if !local(e.Name) || (e.Kind == Hardlink && !local(e.Linkname)) {
			return fmt.Errorf("%w: %s", ErrUnsafe, e.Name)
		}
		name := path.Clean(e.Name)
		if name == "." {
			if e.Kind == Dir {
				return nil
			}
			return fmt.Errorf("%w: %q", ErrUnsafe, e.Name)
		}
		if dir := path.Dir(name); dir != "." {
			if err := root.MkdirAll(dir, dirMode); err != nil {
				return fmt.Errorf("%w: %s: %w", ErrUnsafe, e.Name, err)
			}
		}
		switch e.Kind {
		case Dir:
			if err := root.MkdirAll(name, 0o700); err != nil {
				return fmt.Errorf("%w: %s: %w", ErrUnsafe, e.Name, err)
			}
			dirs = append(dirs, e)
			return nil
		case Symlink:
			_ = root.Remove(name)
			if err := root.Symlink(e.Linkname, name); err != nil {
				return fmt.Errorf("symlink %s: %w", e.Name, err)
			}
			if asRoot {
				uid, gid := owner(e)
				_ = root.Lchown(name, uid, gid)
			}
			return nil
		case Hardlink:
			_ = root.Remove(name)
			if err := root.Link(path.Clean(e.Linkname), name); err != nil {
				return fmt.Errorf("%w: link %s: %w", ErrUnsafe, e.Name, err)
			}
			return nil
		case File:
			_ = root.Remove(name)
			f, err := root.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
			if err != nil {
				return fmt.Errorf("%w: %s: %w", ErrUnsafe, e.Name, err)
			}
			if _, err := io.Copy(f, r); err != nil {
				f.Close()
				return fmt.Errorf("%w: %s: %w", ErrRead, e.Name, err)
			}
			if err := f.Close(); err != nil {
				return fmt.Errorf("write %s: %w", e.Name, err)
			}
			return attrs(root, name, e, asRoot)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Directories last and deepest first, as tarfile.extractall.
	sort.Slice(dirs, func(i, j int) bool { return dirs[i].Name > dirs[j].Name })
	for _, d := range dirs {
		if err := attrs(root, path.Clean(d.Name), d, asRoot); err != nil {
			return nil, err
		}
	}
	return names, nil
}

func attrs(root *os.Root, name string, e *Entry, asRoot bool) error {
	if asRoot {
		uid, gid := owner(e)
		if err := root.Lchown(name, uid, gid); err != nil {
			return fmt.Errorf("chown %s: %w", e.Name, err)
		}
	}
	if err := root.Chmod(name, e.Mode); err != nil {
		return fmt.Errorf("chmod %s: %w", e.Name, err)
	}
	if !e.ModTime.IsZero() {
		if err := root.Chtimes(name, e.ModTime, e.ModTime); err != nil {
			return fmt.Errorf("set times of %s: %w", e.Name, err)
		}
	}
	return nil
}

func extractZip(ctx context.Context, p, stage string) ([]string, error) {
	root, err := os.OpenRoot(stage)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", stage, err)
	}
	defer root.Close()
	umask := filemod.Umask()
	var names []string
	err = eachZip(p, func(e *Entry, r io.Reader) error {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("extracting %s: %w", p, err)
		}
		names = append(names, e.Name)
		if !local(e.Name) {
			return fmt.Errorf("%w: %s", ErrUnsafe, e.Name)
		}
		name := path.Clean(e.Name)
		if name == "." {
			return nil
		}
		if dir := path.Dir(name); dir != "." {
			if err := root.MkdirAll(dir, 0o777&^umask); err != nil {
				return fmt.Errorf("%w: %s: %w", ErrUnsafe, e.Name, err)
			}
		}
		mode := e.Mode
		switch e.Kind {
		case Symlink:
			_ = root.Remove(name)
			if err := root.Symlink(e.Linkname, name); err != nil {
				return fmt.Errorf("symlink %s: %w", e.Name, err)
			}
			return nil
		case Dir:
			if err := root.MkdirAll(name, 0o700); err != nil {
				return fmt.Errorf("%w: %s: %w", ErrUnsafe, e.Name, err)
			}
			if mode == 0 {
				mode = 0o777 &^ umask
			}
		default:
			_ = root.Remove(name)
			f, err := root.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
			if err != nil {
				return fmt.Errorf("%w: %s: %w", ErrUnsafe, e.Name, err)
			}
			if _, err := io.Copy(f, r); err != nil {
				f.Close()
				return fmt.Errorf("%w: %s: %w", ErrRead, e.Name, err)
			}
			if err := f.Close(); err != nil {
				return fmt.Errorf("write %s: %w", e.Name, err)
			}
			if mode == 0 {
				mode = 0o666 &^ umask
			}
		}
		if err := root.Chmod(name, mode); err != nil {
			return fmt.Errorf("chmod %s: %w", e.Name, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return names, nil
}

// TarError is the tar command's failure (Salt puts its cmd.run_all
// result in the state's changes).
type TarError struct {
	Pid      int
	Retcode  int
	Stdout   string
	Stderr   string
	argvText string
}

func (e *TarError) Error() string {
	return fmt.Sprintf("%s exited %d: %s", e.argvText, e.Retcode, strings.TrimSpace(e.Stderr))
}

// TarArgv is how Salt's archive.extracted builds the tar command from
// options: "v" and "--verbose" dropped, the first word's letters (less x
// and f) after "xv", the rest as given, then -f.
func TarArgv(options, p string) ([]string, error) {
	words, err := splitShell(options)
	if err != nil {
		return nil, err
	}
	short := "xv"
	var long []string
	i := 0
	for _, w := range words {
		if w == "v" || w == "-v" || w == "--verbose" {
			continue
		}
		if strings.HasPrefix(w, "-") || i > 0 {
			long = append(long, w)
		} else {
			short += strings.NewReplacer("x", "", "f", "").Replace(w)
		}
		i++
	}
	return append(append([]string{"tar", short}, long...), "-f", p), nil
}

func extractTarCmd(ctx context.Context, p, stage, options string) ([]string, error) {
	argv, err := TarArgv(options, p)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = stage
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return nil, &TarError{Pid: ee.Pid(), Retcode: ee.ExitCode(), Stdout: strings.TrimRight(stdout.String(), "\n"),
			Stderr: strings.TrimRight(stderr.String(), "\n"), argvText: strings.Join(argv, " ")}
	}
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", strings.Join(argv, " "), err)
	}
	var names []string
	for _, l := range strings.Split(strings.TrimRight(stdout.String(), "\n"), "\n") {
		if l != "" {
			names = append(names, l)
		}
	}
	return names, nil
}

// splitShell is shlex.split for the simple quoting of tar options.
func splitShell(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	in := false
	var q rune
	for _, r := range s {
		switch {
		case q != 0:
			if r == q {
				q = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			q, in = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if q != 0 {
		return nil, errors.New("No closing quotation")
	}
	if in {
		out = append(out, cur.String())
	}
	return out, nil
}
