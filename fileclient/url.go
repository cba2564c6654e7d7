package fileclient

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/saltgo/saltgo/minion/match"
)

// maxFilenameLength is salt.fileclient's MAX_FILENAME_LENGTH.
const maxFilenameLength = 255

// scheme is urlparse(url).scheme as Salt uses it ("" for a local path).
func scheme(url string) string {
	i := strings.Index(url, ":")
	if i <= 0 {
		return ""
	}
	s := url[:i]
	for j, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || j > 0 && (r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return ""
		}
	}
	return strings.ToLower(s)
}

// GetURL is Client.get_url with a destination: salt:// urls go through
// GetFile, file:// urls and local paths (which must be absolute) are
// returned as they are, http(s):// urls are downloaded to dest (or the
// extrn_files cache when dest is ""). A directory dest gets the url's last
// path element (or index.html). It returns "" when a salt:// file is
// missing or dest's directory is missing and makedirs is false.
func (c *FileClient) GetURL(ctx context.Context, url, dest string, makedirs bool, saltenv string) (string, error) {
	return c.getURL(ctx, url, dest, makedirs, saltenv, "")
}

func (c *FileClient) getURL(ctx context.Context, url, dest string, makedirs bool, saltenv, cachedir string) (string, error) {
	u, perr := neturl.Parse(url)
	if dest != "" {
		if st, err := os.Stat(dest); (err == nil && st.IsDir()) || strings.HasSuffix(dest, "/") {
			name := "index.html"
			if perr == nil && (u.RawQuery != "" || len(u.Path) > 1 && !strings.HasSuffix(u.Path, "/")) {
				name = url[strings.LastIndex(url, "/")+1:]
			}
			dest = filepath.Join(dest, name)
		}
	}
	switch sch := scheme(url); sch {
	case "", "file":
		p, err := localPath(url)
		if err != nil {
			return "", err
		}
		return p, nil
	case "salt":
		return c.getFile(ctx, url, dest, makedirs, saltenv, 0, cachedir)
	case "http", "https":
		if dest != "" {
			if ok, err := destDir(dest, makedirs); !ok {
				return "", err
			}
		} else {
			dest = c.extrnPath(url, saltenv, cachedir)
			if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
				return "", fmt.Errorf("fileclient: %w", err)
			}
		}
		if err := c.httpGet(ctx, url, dest); err != nil {
			return "", err
		}
		return dest, nil
	default:
		return "", fmt.Errorf("fileclient: unsupported url scheme %q in %s (saltgo fetches salt://, file://, http:// and https://)", sch, url)
	}
}

// localPath is get_url's file:// and plain-path case: the path, which must
// be absolute.
func localPath(url string) (string, error) {
	p := url
	if scheme(url) == "file" {
		u, err := neturl.Parse(url)
		if err != nil {
			return "", fmt.Errorf("fileclient: %s: %w", url, err)
		}
		// os.path.join(netloc, path): an absolute path drops the host.
		p = u.Path
		if !strings.HasPrefix(p, "/") && u.Host != "" {
			p = u.Host + "/" + p
		}
		p = strings.TrimRight(p, "/")
	}
	if !filepath.IsAbs(p) {
		return "", fmt.Errorf("Path '%s' is not absolute", p)
	}
	return p, nil
}

// ReadURL is get_url with dest None: the content of the url (salt://
// through the cache, file:// and local paths read from disk, http(s)://
// without caching). ok is false when a salt:// file is missing.
func (c *FileClient) ReadURL(ctx context.Context, url, saltenv string) (b []byte, ok bool, err error) {
	switch sch := scheme(url); sch {
	case "", "file":
		p, err := localPath(url)
		if err != nil {
			return nil, false, err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, false, fmt.Errorf("fileclient: %w", err)
		}
		return b, true, nil
	case "salt":
		p, err := c.getFile(ctx, url, "", false, saltenv, 0, "")
		if err != nil || p == "" {
			return nil, false, err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, false, fmt.Errorf("fileclient: %w", err)
		}
		return b, true, nil
	case "http", "https":
		resp, err := c.httpDo(ctx, url)
		if err != nil {
			return nil, false, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, false, fmt.Errorf("fileclient: reading %s: %w", url, err)
		}
		return b, true, nil
	default:
		return nil, false, fmt.Errorf("fileclient: unsupported url scheme %q in %s", sch, url)
	}
}

func (c *FileClient) httpDo(ctx context.Context, url string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("fileclient: %w", err)
	}
	hc := http.DefaultClient
	if c.insecureTLS {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the caller asked: verify_ssl=False
		hc = &http.Client{Transport: tr}
	}
	resp, err := hc.Do(req)
	if err != nil {
		// salt.utils.http.query's error, in get_url's MinionError text.
		return nil, fmt.Errorf("Error: %w reading %s", err, req.URL.Path)
	}
	if resp.StatusCode >= 400 {
		resp.Body.Close()
		return nil, fmt.Errorf("Error: HTTP %d: %s reading %s", resp.StatusCode, http.StatusText(resp.StatusCode), req.URL.Path)
	}
	return resp, nil
}

// httpGet downloads url to dest through dest + ".part" renamed at the end
// (as Salt does), so dest is never torn.
func (c *FileClient) httpGet(ctx context.Context, url, dest string) error {
	resp, err := c.httpDo(ctx, url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	f, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".part-*")
	if err != nil {
		return fmt.Errorf("fileclient: %w", err)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		os.Remove(f.Name())
		return fmt.Errorf("fileclient: reading %s: %w", url, err)
	}
	return c.install(f, dest)
}

// extrnPath is Client._extrn_path: <cachedir>/extrn_files/<saltenv>/<host>/<path>[-<query>].
func (c *FileClient) extrnPath(url, saltenv, cachedir string) string {
	u, err := neturl.Parse(url)
	if err != nil {
		return "Invalid path"
	}
	netloc := u.Host
	if u.Port() != "" {
		netloc = strings.ReplaceAll(netloc, ":", "")
	}
	fileName := u.EscapedPath()
	if p, err := neturl.PathUnescape(fileName); err == nil {
		fileName = p
	}
	if u.RawQuery != "" {
		fileName = fileName + "-" + u.RawQuery
	}
	root := filepath.Join(c.cachedirFor(cachedir), "extrn_files", saltenv, netloc)
	full := filepath.Clean(root + "/" + fileName)
	if full != root && !strings.HasPrefix(full, root+"/") {
		return "Invalid path"
	}
	if len(fileName) > maxFilenameLength {
		s := sha256.Sum256([]byte(fileName))
		fileName = hex.EncodeToString(s[:])
	}
	return filepath.Join(root, fileName)
}

// CacheDest is Client.cache_dest: where a url is (or would be) cached.
func (c *FileClient) CacheDest(url, saltenv string) string {
	switch scheme(url) {
	case "":
		return url
	case "salt":
		p, senv := SplitEnv(url)
		if senv != "" {
			saltenv = senv
		}
		return c.cacheLoc("", saltenv, p)
	}
	return c.extrnPath(url, saltenv, "")
}

// IsCached is Client.is_cached: the cached path of a url, or "".
func (c *FileClient) IsCached(url, saltenv string) string {
	p := url
	if strings.HasPrefix(url, "salt://") {
		var senv string
		p, senv = SplitEnv(url)
		if senv != "" {
			saltenv = senv
		}
	}
	escaped := strings.HasPrefix(p, "|")
	rel := strings.TrimLeft(p, "|/")
	local := filepath.Join(c.cachedir, "localfiles", rel)
	files := filepath.Join(c.cachedir, "files", saltenv, rel)
	if _, err := os.Stat(files); err == nil {
		if escaped {
			return "|" + files
		}
		return files
	}
	if _, err := os.Stat(local); err == nil {
		if escaped {
			return "|" + local
		}
		return local
	}
	if ex := c.extrnPath(p, saltenv, ""); ex != "" {
		if _, err := os.Stat(ex); err == nil {
			return ex
		}
	}
	return ""
}

// CacheFiles caches each url (CacheFile) and returns the paths ("" for a
// missing file).
func (c *FileClient) CacheFiles(ctx context.Context, urls []string, saltenv string) ([]string, error) {
	out := make([]string, 0, len(urls))
	for _, u := range urls {
		p, err := c.CacheFile(ctx, u, saltenv)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// CacheMaster caches every file of saltenv.
func (c *FileClient) CacheMaster(ctx context.Context, saltenv string) ([]string, error) {
	files, err := c.FileList(ctx, saltenv, "")
	if err != nil {
		return nil, err
	}
	urls := make([]string, len(files))
	for i, f := range files {
		urls[i] = SaltURL(f, "")
	}
	return c.CacheFiles(ctx, urls, saltenv)
}

// CacheDir is Client.cache_dir: caches the files under a salt:// directory
// (include/exclude patterns as salt.utils.stringutils.check_include_exclude:
// a "E@" prefix is a regex, else a glob) and, with includeEmpty, creates
// its empty directories in the cache.
func (c *FileClient) CacheDir(ctx context.Context, url, saltenv string, includeEmpty bool, includePat, excludePat string) ([]string, error) {
	p, err := checkProto(url)
	if err != nil {
		return nil, fmt.Errorf("fileclient: %w", err)
	}
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	files, err := c.FileList(ctx, saltenv, "")
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, f := range files {
		if strings.TrimSpace(f) == "" || !strings.HasPrefix(f, p) {
			continue
		}
		ok, err := CheckIncludeExclude(f, includePat, excludePat)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		dest, err := c.CacheFile(ctx, SaltURL(f, ""), saltenv)
		if err != nil {
			return nil, err
		}
		if dest != "" {
			out = append(out, dest)
		}
	}
	if includeEmpty {
		dirs, err := c.EmptyDirs(ctx, saltenv, "")
		if err != nil {
			return nil, err
		}
		base := filepath.Join(c.cachedir, "files", saltenv)
		for _, d := range dirs {
			if !strings.HasPrefix(d, p) {
				continue
			}
			md := base + "/" + d
			if err := os.MkdirAll(md, 0o755); err != nil {
				return nil, fmt.Errorf("fileclient: %w", err)
			}
			out = append(out, md)
		}
	}
	return out, nil
}

// CheckIncludeExclude is salt.utils.stringutils.check_include_exclude:
// whether p passes include and is not caught by exclude ("" for none);
// a pattern is "E@regex", searched anywhere in p, or an fnmatch glob. A
// regex that does not compile is an error, as Python's re.error.
func CheckIncludeExclude(p, include, exclude string) (bool, error) {
	matches := func(pat string) (bool, error) {
		if re, ok := strings.CutPrefix(pat, "E@"); ok {
			rx, err := regexp.Compile(re)
			if err != nil {
				return false, fmt.Errorf("fileclient: pattern %q: %w", pat, err)
			}
			return rx.MatchString(p), nil
		}
		return match.FnmatchString(p, pat), nil
	}
	if include == "" && exclude == "" {
		return true, nil
	}
	if include != "" && exclude == "" {
		return matches(include)
	}
	if include == "" {
		m, err := matches(exclude)
		return !m, err
	}
	in, err := matches(include)
	if err != nil {
		return false, err
	}
	ex, err := matches(exclude)
	return in && !ex, err
}

// GetDir is Client.get_dir: copies a salt:// directory to dest (its last
// path element included), empty directories too; returns the sorted list
// of the files and directories made.
func (c *FileClient) GetDir(ctx context.Context, url, dest, saltenv string, gzip int) ([]string, error) {
	p, err := checkProto(url)
	if err != nil {
		return nil, fmt.Errorf("fileclient: %w", err)
	}
	if _, senv := SplitEnv(url); senv != "" {
		saltenv = senv
	}
	p = strings.TrimRight(p, "/")
	prefix := ""
	if i := strings.LastIndex(p, "/"); i >= 0 {
		prefix = p[:i]
	}
	out := []string{}
	files, err := c.FileList(ctx, saltenv, p)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if len(f) <= len(p) || f[len(p)] != '/' {
			continue
		}
		rel := strings.TrimLeft(f[len(prefix):], "/")
		got, err := c.GetFile(ctx, SaltURL(f, ""), dest+"/"+rel, true, saltenv, gzip)
		if err != nil {
			return nil, err
		}
		out = append(out, got)
	}
	dirs, err := c.EmptyDirs(ctx, saltenv, p)
	if err != nil {
		return nil, err
	}
	for _, d := range dirs {
		if len(d) <= len(p) || d[len(p)] != '/' {
			continue
		}
		md := dest + "/" + strings.TrimLeft(d[len(prefix):], "/")
		if err := os.MkdirAll(md, 0o755); err != nil {
			return nil, fmt.Errorf("fileclient: %w", err)
		}
		out = append(out, md)
	}
	sort.Strings(out)
	return out, nil
}

// FileLocalList is Client.file_local_list: every file under the cache of
// saltenv and under localfiles, sorted.
func (c *FileClient) FileLocalList(saltenv string) []string {
	set := map[string]bool{}
	for _, dir := range []string{filepath.Join(c.cachedir, "files", saltenv), filepath.Join(c.cachedir, "localfiles")} {
		walkFollow(dir, map[string]bool{}, func(p string) { set[p] = true })
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func walkFollow(dir string, seen map[string]bool, fn func(string)) {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil || seen[real] {
		return
	}
	seen[real] = true
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		st, err := os.Stat(p)
		if err == nil && st.IsDir() {
			walkFollow(p, seen, fn)
			continue
		}
		fn(p)
	}
}
