package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient"
	"github.com/saltgo/saltgo/fileserver"
)

// Sum is a source's checksum (Salt's source_sum dict).
type Sum struct {
	HashType string
	Hsum     string
}

// hashTypeByLen maps a hex digest length to its hash type.
var hashTypeByLen = map[int]string{32: "md5", 40: "sha1", 56: "sha224", 64: "sha256", 96: "sha384", 128: "sha512"}

var hexRe = regexp.MustCompile(`(?i)\b[0-9a-f]{32,128}\b`)

// scheme returns a source's url scheme ("" for a local path).
func scheme(src string) string {
	u, err := url.Parse(src)
	if err != nil || len(u.Scheme) <= 1 {
		return ""
	}
	return strings.ToLower(u.Scheme)
}

// IsRemote reports whether src is fetched over http(s) or ftp.
func IsRemote(src string) bool {
	switch scheme(src) {
	case "http", "https", "ftp":
		return true
	}
	return false
}

// Source is what a file state needs to fetch sources: the file client
// and where the minion keeps its cache.
type Source struct {
	Files    fileclient.Client
	Saltenv  string
	Cachedir string
	// HTTP fetches http(s) sources (http.DefaultClient when nil).
	HTTP *http.Client
}

// SourceList is Salt's file.source_list: of a source or a list of
// sources (each a string or a one-entry {source: hash} map), the first
// that exists, with its hash.
func (s *Source) SourceList(ctx context.Context, source, sourceHash any) (string, string, error) {
	hashStr := func(v any) string {
		if v == nil {
			return ""
		}
		return data.Str(v)
	}
	list, ok := source.([]any)
	if !ok {
		if source == nil {
			return "", hashStr(sourceHash), nil
		}
		return data.Str(source), hashStr(sourceHash), nil
	}
	for _, item := range list {
		src, h := "", hashStr(sourceHash)
		if m, ok := item.(*data.Map); ok {
			if m.Len() == 0 {
				continue
			}
			k := m.Keys()[0]
			v, _ := m.Get(k)
			src, h = data.Str(k), hashStr(v)
		} else {
			src = data.Str(item)
		}
		switch scheme(src) {
		case "salt":
			sum, err := s.Files.HashFile(ctx, src, s.Saltenv)
			if err != nil {
				return "", "", err
			}
			if !sum.IsZero() {
				return src, h, nil
			}
			// A directory of the file server counts too (file.recurse).
			p, senv := fileclient.SplitEnv(src)
			if senv == "" {
				senv = s.Saltenv
			}
			p = strings.Trim(strings.TrimPrefix(p, "salt://"), "/")
			dirs, err := s.Files.DirList(ctx, senv, p)
			if err != nil {
				return "", "", err
			}
			for _, d := range dirs {
				if strings.TrimSuffix(d, "/") == p {
					return src, h, nil
				}
			}
		case "file", "":
			p := strings.TrimPrefix(src, "file://")
			if _, err := os.Stat(p); err == nil {
				return src, h, nil
			}
		default:
			if IsRemote(src) {
				return src, h, nil
			}
		}
	}
	return "", "", errors.New("none of the specified sources were found")
}

// SourceSum is Salt's file.get_source_sum: a source_hash given as
// "<type>=<hex>", a bare hex digest, or the url/path of a hash file.
func (s *Source) SourceSum(ctx context.Context, name, source, sourceHash string) (Sum, error) {
	if i := strings.IndexAny(sourceHash, "=:"); i > 0 && !strings.Contains(sourceHash, "://") && !strings.HasPrefix(sourceHash, "/") {
		ht, h := strings.ToLower(sourceHash[:i]), strings.TrimSpace(sourceHash[i+1:])
		if _, err := fileserver.NewHash(ht); err != nil {
			return Sum{}, fmt.Errorf("Invalid hash type '%s'", ht)
		}
		return Sum{HashType: ht, Hsum: strings.ToLower(h)}, nil
	}
	if ht, ok := hashTypeByLen[len(sourceHash)]; ok && hexRe.MatchString(sourceHash) {
		return Sum{HashType: ht, Hsum: strings.ToLower(sourceHash)}, nil
	}
	if strings.Contains(sourceHash, "://") || strings.HasPrefix(sourceHash, "/") {
		p, err := s.Cache(ctx, sourceHash)
		if err != nil {
			return Sum{}, err
		}
		if p == "" {
			return Sum{}, fmt.Errorf("Source hash file %s not found", sourceHash)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return Sum{}, fmt.Errorf("read %s: %w", p, err)
		}
		base := filepath.Base(source)
		var first string
		for _, line := range strings.Split(string(b), "\n") {
			h := hexRe.FindString(line)
			if h == "" {
				continue
			}
			if first == "" {
				first = h
			}
			if strings.Contains(line, base) {
				first = h
				break
			}
		}
		if ht, ok := hashTypeByLen[len(first)]; ok {
			return Sum{HashType: ht, Hsum: strings.ToLower(first)}, nil
		}
		return Sum{}, fmt.Errorf("Source hash file %s contains an invalid hash format, it must be in the format <hash type>=<hash>", sourceHash)
	}
	return Sum{}, fmt.Errorf("Invalid source_hash format: %s", sourceHash)
}

// Cache fetches a source into the cache and returns its local path ("" if
// it does not exist): salt:// and local paths through the file client,
// http(s) into <cachedir>/extrn_files/<saltenv>/<host>/<path>.
func (s *Source) Cache(ctx context.Context, src string) (string, error) {
	switch sc := scheme(src); {
	case sc == "http" || sc == "https":
		return s.fetchHTTP(ctx, src)
	case sc == "file" || sc == "":
		p := strings.TrimPrefix(src, "file://")
		if _, err := os.Stat(p); err != nil {
			return "", nil
		}
		return p, nil
	case sc == "salt":
		if s.Files == nil {
			return "", errors.New("no file client to fetch " + src)
		}
		return s.Files.CacheFile(ctx, src, s.Saltenv)
	default:
		return "", fmt.Errorf("unsupported source scheme %q: %s", sc, src)
	}
}

func (s *Source) fetchHTTP(ctx context.Context, src string) (string, error) {
	u, err := url.Parse(src)
	if err != nil {
		return "", fmt.Errorf("Invalid URL %s: %w", src, err)
	}
	if s.Cachedir == "" {
		return "", errors.New("no cachedir to fetch " + src)
	}
	dst := filepath.Join(s.Cachedir, "extrn_files", s.Saltenv, u.Host, filepath.FromSlash(strings.TrimPrefix(u.Path, "/")))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return "", fmt.Errorf("Error: %w", err)
	}
	cl := s.HTTP
	if cl == nil {
		cl = http.DefaultClient
	}
	resp, err := cl.Do(req)
	if err != nil {
		return "", fmt.Errorf("Error: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return "", fmt.Errorf("Error: HTTP %d: '%s'", resp.StatusCode, src)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return "", fmt.Errorf("cache %s: %w", src, err)
	}
	if err := CommitFile(dst, resp.Body, "", ""); err != nil {
		return "", err
	}
	return dst, nil
}

// Managed are the arguments of one file.managed run after the state's own
// checks: what get_managed, check_file_meta and manage_file need.
type Managed struct {
	Name        string
	Source      string // one source, after SourceList ("" for none)
	SourceHash  string
	User, Group any
	Mode        string // normalized, "" for none
	Template    string
	Makedirs    bool
	DirMode     string
	Backup      string
	ShowChanges bool
	// Contents is the content to write when given (contents,
	// contents_pillar, contents_grains, after templating).
	Contents   *string
	SkipVerify bool
	Follow     bool
	Test       bool
	// Render renders a template source's bytes (template: jinja).
	Render func(ctx context.Context, src []byte) ([]byte, error)
	Src    *Source
}

// Content is the new content get_managed produced: a cached or local
// file (Path) or rendered bytes (Data), with its sum.
type Content struct {
	Path string
	Data []byte
	Sum  Sum
	// Rendered is true when Data holds a template's output.
	Rendered bool
}

func (c *Content) open() (io.ReadCloser, error) {
	if c.Rendered {
		return io.NopCloser(bytes.NewReader(c.Data)), nil
	}
	return os.Open(c.Path)
}

func (c *Content) bytes() ([]byte, error) {
	if c.Rendered {
		return c.Data, nil
	}
	return os.ReadFile(c.Path)
}

// GetManaged is Salt's file.get_managed: the source's sum, and for a
// template or a remote source the fetched (and rendered) content. A
// non-empty comment is a failure Salt reports as the state's comment; an
// error is reported as "Unable to manage file: <err>".
func (m *Managed) GetManaged(ctx context.Context) (*Content, string, error) {
	c := &Content{}
	if m.Source == "" {
		return c, "", nil
	}
	sc := scheme(m.Source)
	local := sc == "" || sc == "file"
	if local {
		c.Path = strings.TrimPrefix(m.Source, "file://")
		if _, err := os.Stat(c.Path); err != nil {
			return nil, fmt.Sprintf("Local file source %s does not exist", c.Path), nil
		}
	}
	switch {
	case sc == "salt":
		h, err := m.Src.Files.HashFile(ctx, m.Source, m.Src.Saltenv)
		if err != nil {
			return nil, "", err
		}
		if h.IsZero() {
			return nil, fmt.Sprintf("Source file %s not found in saltenv '%s'", m.Source, m.Src.Saltenv), nil
		}
		c.Sum = Sum{HashType: h.Type, Hsum: h.Sum}
	case m.SourceHash == "" && local:
		h, err := GetHash(c.Path, "sha256")
		if err != nil {
			return nil, "", err
		}
		c.Sum = Sum{HashType: "sha256", Hsum: h}
	case !m.SkipVerify:
		if m.SourceHash == "" {
			return nil, fmt.Sprintf("Unable to verify upstream hash of source file %s, please set source_hash or set skip_verify to True", m.Source), nil
		}
		sum, err := m.Src.SourceSum(ctx, m.Name, m.Source, m.SourceHash)
		if err != nil {
			return nil, err.Error(), nil
		}
		c.Sum = sum
	}
	if m.Template == "" && !IsRemote(m.Source) {
		return c, "", nil
	}
	if c.Path == "" {
		p, err := m.Src.Cache(ctx, m.Source)
		if err != nil {
			return nil, fmt.Sprintf("Failed to cache %s: %v", m.Source, err), nil
		}
		if p == "" {
			return nil, fmt.Sprintf("Source file '%s' not found", m.Source), nil
		}
		c.Path = p
	}
	if c.Path == m.Name {
		return nil, "", errors.New("Source file cannot be the same as destination")
	}
	if m.Template != "" {
		if m.Template != "jinja" {
			return nil, fmt.Sprintf("Specified template format %s is not supported", m.Template), nil
		}
		src, err := os.ReadFile(c.Path)
		if err != nil {
			return nil, "", fmt.Errorf("read %s: %w", c.Path, err)
		}
		out, err := m.Render(ctx, src)
		if err != nil {
			return nil, "", err
		}
		h, _ := HashBytes(out, "sha256")
		c.Data, c.Rendered, c.Sum = out, true, Sum{HashType: "sha256", Hsum: h}
	}
	return c, "", nil
}

// CheckFileMeta is Salt's file.check_file_meta: the changes file.managed
// would make (test mode).
func (m *Managed) CheckFileMeta(ctx context.Context, c *Content) (*data.Map, error) {
	changes := data.NewMap()
	ht := "sha256"
	if c != nil && c.Sum.HashType != "" {
		ht = c.Sum.HashType
	}
	lstats, err := Stats(m.Name, ht, m.Follow)
	if err != nil {
		changes.Set("newfile", m.Name)
		return changes, nil
	}
	if c != nil && c.Sum.Hsum != "" {
		if sum, _ := lstats.String("sum"); sum != c.Sum.Hsum {
			if c.Path == "" && !c.Rendered && m.Source != "" {
				p, err := m.Src.Cache(ctx, m.Source)
				if err != nil {
					return nil, err
				}
				c.Path = p
			}
			if c.Path != "" || c.Rendered {
				nb, err := c.bytes()
				if err != nil {
					changes.Set("diff", err.Error())
				} else if ob, err := os.ReadFile(m.Name); err != nil {
					changes.Set("diff", err.Error())
				} else {
					changes.Set("diff", DiffContent(ob, nb, true))
				}
			} else {
				changes.Set("sum", "Checksum differs")
			}
		}
	}
	if m.Contents != nil {
		ob, err := os.ReadFile(m.Name)
		if err == nil {
			if d := DiffContent(ob, []byte(*m.Contents), true); d != "" {
				changes.Set("diff", d)
			}
		}
	}
	usr, _ := lstats.Get("user")
	uidv, _ := lstats.Get("uid")
	uid, _ := data.AsInt(uidv)
	if m.User != nil && !ownerMatches(m.User, usr, uid) {
		changes.Set("user", m.User)
	}
	grp, _ := lstats.Get("group")
	gidv, _ := lstats.Get("gid")
	gid, _ := data.AsInt(gidv)
	if m.Group != nil && !ownerMatches(m.Group, grp, gid) {
		changes.Set("group", m.Group)
	}
	if smode, _ := lstats.String("mode"); m.Mode != "" && m.Mode != smode {
		changes.Set("mode", m.Mode)
	}
	return changes, nil
}

// Result is a state's outcome before the state adds its name.
type Result struct {
	Changes  *data.Map
	Result   any
	Comment  string
	Warnings []any
}

// NewResult is a passing result with no changes.
func NewResult() *Result { return &Result{Changes: data.NewMap(), Result: true} }

// Fail sets result False with a comment (Salt's _error).
func (r *Result) Fail(msg string) *Result {
	r.Result, r.Comment = false, msg
	return r
}

// applyPerms runs CheckPerms for manage_file and folds it into r.
func (m *Managed) applyPerms(r *Result, mode string) error {
	res, err := CheckPerms(m.Name, r.Changes, m.User, m.Group, mode, m.Follow, m.Test)
	if err != nil {
		return err
	}
	if len(res.Errors) > 0 {
		r.Result = false
		parts := res.Errors
		if r.Comment != "" {
			parts = append([]string{r.Comment}, parts...)
		}
		r.Comment = strings.Join(parts, "; ")
	}
	if m.Test && r.Changes.Len() > 0 {
		r.Result = nil
	}
	return nil
}

// ManageFile is Salt's file.manage_file: put the content in place
// (atomically), set owner and mode, and say what changed.
func (m *Managed) ManageFile(ctx context.Context, r *Result, c *Content) error {
	if c == nil {
		c = &Content{}
	}
	name := m.Name
	checkWeb := m.Source != "" && scheme(m.Source) != "salt" && !m.SkipVerify
	fetch := func() (string, error) {
		if c.Path != "" || c.Rendered {
			return "", nil
		}
		p, err := m.Src.Cache(ctx, m.Source)
		if err != nil {
			return "", err
		}
		if p == "" {
			return fmt.Sprintf("Source file '%s' not found", m.Source), nil
		}
		c.Path = p
		if c.Sum.HashType == "" {
			c.Sum.HashType = "sha256"
		}
		if c.Sum.Hsum == "" {
			c.Sum.Hsum, _ = GetHash(p, c.Sum.HashType)
		}
		return "", nil
	}
	verify := func(target string) bool {
		if !checkWeb || c.Rendered || c.Sum.Hsum == "" {
			return true
		}
		dl, _ := GetHash(c.Path, c.Sum.HashType)
		if dl != c.Sum.Hsum {
			r.Result = false
			r.Comment = fmt.Sprintf("Specified %s checksum for %s (%s) does not match actual checksum (%s)", c.Sum.HashType, target, c.Sum.Hsum, dl)
			return false
		}
		return true
	}
	li, lerr := os.Lstat(name)
	exists := lerr == nil && (li.Mode().IsRegular() || li.Mode()&os.ModeSymlink != 0)
	if exists {
		real := name
		if li.Mode()&os.ModeSymlink != 0 && m.Follow {
			if p, err := filepath.EvalSymlinks(name); err == nil {
				real = p
			}
		}
		if li.Mode()&os.ModeSymlink != 0 && !m.Follow && m.Source != "" {
			// follow_symlinks: False replaces the link with the file.
			if msg, err := fetch(); err != nil {
				return err
			} else if msg != "" {
				r.Fail(msg)
				return nil
			}
			if !verify(name) {
				return nil
			}
			if err := commit(m, name, c); err != nil {
				return err
			}
			r.Changes.Set("diff", "Replace symbolic link with regular file")
		} else if m.Source != "" {
			if msg, err := fetchIfDiffers(m, c, real, fetch); err != nil {
				return err
			} else if msg != "" {
				r.Fail(msg)
				return nil
			} else if c.Path != "" || c.Rendered {
				nb, err := c.bytes()
				if err != nil {
					return err
				}
				ob, _ := os.ReadFile(real)
				if !bytes.Equal(ob, nb) {
					if checkWeb && !c.Rendered && c.Sum.Hsum != "" {
						dl, _ := GetHash(c.Path, c.Sum.HashType)
						if dl != c.Sum.Hsum {
							r.Result = false
							r.Comment = fmt.Sprintf("Specified %s checksum for %s (%s) does not match actual checksum (%s). If the 'source_hash' value refers to a remote file with multiple possible matches, then it may be necessary to set 'source_hash_name'.", c.Sum.HashType, m.Source, c.Sum.Hsum, dl)
							return nil
						}
					}
					if d := DiffContent(ob, nb, m.ShowChanges); d != "" {
						r.Changes.Set("diff", d)
					}
					if err := commit(m, real, c); err != nil {
						return err
					}
				}
			}
		}
		if m.Contents != nil {
			ob, _ := os.ReadFile(real)
			nb := []byte(*m.Contents)
			if !bytes.Equal(ob, nb) {
				r.Changes.Set("diff", DiffContent(ob, nb, m.ShowChanges))
				if err := CommitFile(real, bytes.NewReader(nb), m.Backup, m.Src.Cachedir); err != nil {
					r.Fail(fmt.Sprintf("Failed to commit change: %v", err))
					return nil
				}
			}
		}
		if err := m.applyPerms(r, m.Mode); err != nil {
			return err
		}
		if r.Changes.Len() > 0 {
			r.Comment = fmt.Sprintf("File %s updated", name)
		} else if data.Truthy(r.Result) {
			r.Comment = fmt.Sprintf("File %s is in the correct state", name)
		}
		return nil
	}
	dir := filepath.Dir(name)
	makeDirs := func() (bool, error) {
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			return true, nil
		}
		if !m.Makedirs {
			r.Changes.Delete("diff")
			r.Fail("Parent directory not present")
			return false, nil
		}
		dm := m.DirMode
		if dm == "" && m.Mode != "" {
			dm = DirModeFromMode(m.Mode)
		}
		_, err := Makedirs(name, m.User, m.Group, NormalizeMode(nilIfEmpty(dm)))
		return err == nil, err
	}
	if m.Source != "" {
		if msg, err := fetch(); err != nil {
			return err
		} else if msg != "" {
			r.Fail(msg)
			return nil
		}
		if !verify(name) {
			return nil
		}
		r.Changes.Set("diff", "New file")
		if ok, err := makeDirs(); !ok {
			return err
		}
	} else {
		if ok, err := makeDirs(); !ok {
			return err
		}
		if !m.Test {
			if m.Contents == nil {
				if err := createEmpty(name, m.Mode != ""); err != nil {
					r.Fail(fmt.Sprintf("Empty file %s not created", name))
					return nil
				}
				r.Changes.Set("new", fmt.Sprintf("file %s created", name))
				r.Comment = "Empty file"
			} else {
				r.Changes.Set("diff", "New file")
			}
		}
	}
	switch {
	case m.Contents != nil:
		// Salt touches the file first (umask 077 when a mode follows) and
		// the content keeps that mode; the new file gets it before it
		// appears, so that a killed run leaves no empty file.
		perm := 0o666 &^ Umask()
		if m.Mode != "" {
			perm = 0o600
		}
		if err := CommitFileMode(name, strings.NewReader(*m.Contents), m.Backup, m.Src.Cachedir, perm); err != nil {
			return err
		}
	case c.Path != "" || c.Rendered:
		if err := commit(m, name, c); err != nil {
			return err
		}
	}
	mode := m.Mode
	if mode == "" {
		mode = NormalizeMode(fmt.Sprintf("%o", 0o666&^Umask()))
	}
	if err := m.applyPerms(r, mode); err != nil {
		return err
	}
	if r.Comment == "" {
		r.Comment = "File " + name + " updated"
	}
	if m.Test {
		r.Comment = "File " + name + " not updated"
	} else if r.Changes.Len() == 0 && data.Truthy(r.Result) {
		r.Comment = "File " + name + " is in the correct state"
	}
	return nil
}

// fetchIfDiffers fetches the source when the existing file's hash is not
// the source's (Salt compares the master's hash first, and downloads
// nothing when they match).
func fetchIfDiffers(m *Managed, c *Content, real string, fetch func() (string, error)) (string, error) {
	if c.Rendered || c.Path != "" {
		return "", nil
	}
	ht := c.Sum.HashType
	if ht == "" {
		ht = "sha256"
	}
	cur, _ := GetHash(real, ht)
	if c.Sum.Hsum != "" && cur == c.Sum.Hsum {
		return "", nil
	}
	return fetch()
}

func commit(m *Managed, dst string, c *Content) error {
	rd, err := c.open()
	if err != nil {
		return fmt.Errorf("Failed to commit change: %w", err)
	}
	defer rd.Close()
	if err := CommitFile(dst, rd, m.Backup, m.Src.Cachedir); err != nil {
		return fmt.Errorf("Failed to commit change: %w", err)
	}
	return nil
}

// createEmpty creates an empty file (umask 077 when a mode will follow,
// as Salt's set_umask).
func createEmpty(name string, private bool) error {
	perm := os.FileMode(0o666)
	if private {
		perm = 0o600
	}
	f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	return f.Close()
}
