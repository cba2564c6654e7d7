package fileclient

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/saltgo/saltgo/atomicfile"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileserver"
	"github.com/saltgo/saltgo/host"
)

// transportTries is how many times a _serve_file reply without data/dest
// is retried (RemoteClient.get_file's transport_tries).
const transportTries = 3

// ErrTampered is wrapped by the error of a download whose bytes do not
// hash to the file server's _file_hash: the file is not installed.
var ErrTampered = errors.New("downloaded file does not match the file server's hash")

// FileClient is the file client (Salt's RemoteClient, or FSClient when
// local). It is safe for concurrent use as long as two calls do not write
// the same destination.
type FileClient struct {
	ch       host.MasterRequester
	opts     *data.Map
	local    bool
	cachedir string
	hashType string
	id       string
	// insecureTLS skips the certificate check of https:// downloads
	// (Salt's verify_ssl=False).
	insecureTLS bool
	// answers, when set, keeps the file server's _file_hash and _file_find
	// answers for the life of the client (ForRun).
	answers *answers
}

// answers are the file server's answers about salt:// paths, kept for one
// state run: Salt asks again on every access (a highstate of 200 states
// asks ~230 times), saltgo once per path and run.
type answers struct {
	mu   sync.Mutex
	hash map[string]Hash
	stat map[string][]any
}

// ForRun returns a copy of c that asks the file server about each salt://
// path once (its hash and its stat) and reuses the answers for the rest
// of the copy's life: a state run, during which a file changed on the
// master is seen as it was at the first question. Local paths are hashed
// on every call.
func (c *FileClient) ForRun() *FileClient {
	cp := *c
	cp.answers = &answers{hash: map[string]Hash{}, stat: map[string][]any{}}
	return &cp
}

func answerKey(p, saltenv string) string { return saltenv + "\x00" + p }

// WithVerifySSL returns a copy of c whose https:// downloads check the
// server's certificate (true, the default) or not (Salt's verify_ssl).
func (c *FileClient) WithVerifySSL(verify bool) *FileClient {
	cp := *c
	cp.insecureTLS = !verify
	return &cp
}

func newClient(ch host.MasterRequester, opts *data.Map) *FileClient {
	if opts == nil {
		opts = data.NewMap()
	}
	fc := &FileClient{ch: ch, opts: opts, cachedir: "/var/cache/salt/minion", hashType: "sha256"}
	if s, ok := opts.String("cachedir"); ok && s != "" {
		fc.cachedir = s
	}
	if s, ok := opts.String("hash_type"); ok && s != "" {
		fc.hashType = s
	}
	fc.id, _ = opts.String("id")
	return fc
}

// Local reports whether this is the file_client: local client.
func (c *FileClient) Local() bool { return c.local }

// Cachedir is the minion's cachedir the client caches under.
func (c *FileClient) Cachedir() string { return c.cachedir }

func (c *FileClient) send(ctx context.Context, load *data.Map) (any, error) {
	v, err := c.ch.Request(ctx, load)
	if err != nil {
		cmd, _ := load.String("cmd")
		return nil, fmt.Errorf("fileclient: %s: %w", cmd, err)
	}
	return v, nil
}

// cachedirFor is Client.get_cachedir.
func (c *FileClient) cachedirFor(cachedir string) string {
	if cachedir == "" {
		return c.cachedir
	}
	if !filepath.IsAbs(cachedir) {
		return filepath.Join(c.cachedir, cachedir)
	}
	return cachedir
}

// CachePath returns where path of saltenv is (or would be) cached:
// <cachedir>/files/<saltenv>/<path>.
func (c *FileClient) CachePath(saltenv, p string) string {
	return c.cacheLoc("", saltenv, p)
}

func (c *FileClient) cacheLoc(cachedir, saltenv, p string) string {
	return filepath.Join(c.cachedirFor(cachedir), "files", saltenv, strings.TrimLeft(p, "|/"))
}

// mkCacheDir creates the parent of a cache path with mode 0700 (Salt's
// _cache_loc under umask 077), removing a regular file in the way.
func mkCacheDir(dest string) error {
	dir := filepath.Dir(dest)
	if st, err := os.Stat(dir); err == nil && st.Mode().IsRegular() {
		if err := os.Remove(dir); err != nil {
			return fmt.Errorf("fileclient: %w", err)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("fileclient: %w", err)
	}
	return nil
}

// SplitEnv splits a salt:// url's ?saltenv= (salt.utils.url.parse); other
// urls come back unchanged with "".
func SplitEnv(url string) (p, saltenv string) {
	if !strings.HasPrefix(url, "salt://") {
		return url, ""
	}
	res := strings.TrimPrefix(url, "salt://")
	if i := strings.Index(res, "?env="); i >= 0 {
		return res[:i], ""
	}
	if i := strings.Index(res, "?saltenv="); i >= 0 {
		return res[:i], res[i+len("?saltenv="):]
	}
	return res, ""
}

// SaltURL is salt.utils.url.create.
func SaltURL(p, saltenv string) string {
	if saltenv != "" {
		return "salt://" + p + "?saltenv=" + saltenv
	}
	return "salt://" + p
}

// checkProto is Client._check_proto: the path of a salt:// url.
func checkProto(url string) (string, error) {
	if !strings.HasPrefix(url, "salt://") {
		return "", fmt.Errorf("Unsupported path: %s", url)
	}
	p, _ := SplitEnv(url)
	return p, nil
}

// HashFile returns the file server's hash of a salt:// url (zero when the
// file is missing), or the local hash (minion hash_type) of a local path
// (zero when it is not a file).
func (c *FileClient) HashFile(ctx context.Context, url, saltenv string) (Hash, error) {
	p, err := checkProto(url)
	if err != nil {
		st, serr := os.Stat(url)
		if serr != nil || st.IsDir() {
			return Hash{}, nil
		}
		sum, herr := fileserver.HashFile(url, c.hashType)
		if herr != nil {
			return Hash{}, fmt.Errorf("fileclient: %w", herr)
		}
		return Hash{Type: c.hashType, Sum: sum}, nil
	}
	if _, senv := SplitEnv(url); senv != "" {
		saltenv = senv
	}
	if a := c.answers; a != nil {
		a.mu.Lock()
		h, ok := a.hash[answerKey(p, saltenv)]
		a.mu.Unlock()
		if ok {
			return h, nil
		}
	}
	v, err := c.send(ctx, data.M("path", p, "saltenv", saltenv, "cmd", "_file_hash"))
	if err != nil {
		return Hash{}, err
	}
	h, err := ParseHash(v)
	if err != nil {
		return Hash{}, fmt.Errorf("fileclient: _file_hash of %s: %w", url, err)
	}
	if a := c.answers; a != nil {
		a.mu.Lock()
		a.hash[answerKey(p, saltenv)] = h
		a.mu.Unlock()
	}
	return h, nil
}

// statFile is the _file_find half of hash_and_stat_file: the master's
// os.stat list (nil when it has none).
func (c *FileClient) statFile(ctx context.Context, p, saltenv string) ([]any, error) {
	if a := c.answers; a != nil {
		a.mu.Lock()
		l, ok := a.stat[answerKey(p, saltenv)]
		a.mu.Unlock()
		if ok {
			return l, nil
		}
	}
	v, err := c.send(ctx, data.M("path", p, "saltenv", saltenv, "cmd", "_file_find"))
	if err != nil {
		return nil, err
	}
	var l []any
	if m, ok := v.(*data.Map); ok { // else Salt: fnd.get raises AttributeError -> None
		st, _ := m.Get("stat")
		l, _ = st.([]any)
	}
	if a := c.answers; a != nil {
		a.mu.Lock()
		a.stat[answerKey(p, saltenv)] = l
		a.mu.Unlock()
	}
	return l, nil
}

// StatFile returns the file server's stat list of a salt:// url
// ([mode, ino, dev, nlink, uid, gid, size, atime, mtime, ctime]) or of a
// local path; nil when unknown.
func (c *FileClient) StatFile(ctx context.Context, url, saltenv string) ([]any, error) {
	p, err := checkProto(url)
	if err != nil {
		st, serr := os.Stat(url)
		if serr != nil {
			return nil, nil
		}
		return fileserver.StatList(st), nil
	}
	if _, senv := SplitEnv(url); senv != "" {
		saltenv = senv
	}
	return c.statFile(ctx, p, saltenv)
}

// CacheFile fetches a url into the cache (salt:// into
// <cachedir>/files/<saltenv>/, http(s):// into extrn_files) and returns
// its path; a file:// url or local path is returned as is. It returns ""
// when a salt:// file does not exist.
func (c *FileClient) CacheFile(ctx context.Context, url, saltenv string) (string, error) {
	return c.GetURL(ctx, url, "", true, saltenv)
}

// CacheFileIn is CacheFile with Salt's cachedir argument (relative to the
// minion's cachedir unless absolute).
func (c *FileClient) CacheFileIn(ctx context.Context, url, saltenv, cachedir string) (string, error) {
	return c.getURL(ctx, url, "", true, saltenv, cachedir)
}

// GetFile is RemoteClient.get_file: it fetches a salt:// url to dest (the
// cache when dest is ""; a directory dest, or one ending in "/", gets the
// file's base name) and returns the local path, or "" when the file does
// not exist (or dest's directory is missing and makedirs is false). The
// local copy is reused when its hash (minion hash_type) equals the file
// server's. gzip (1-9, 0 for none) compresses each chunk on the wire. The
// download is written to a temporary file that replaces dest only once
// every chunk arrived and the content hashes to the file server's hash.
func (c *FileClient) GetFile(ctx context.Context, url, dest string, makedirs bool, saltenv string, gzip int) (string, error) {
	return c.getFile(ctx, url, dest, makedirs, saltenv, gzip, "")
}

func (c *FileClient) getFile(ctx context.Context, url, dest string, makedirs bool, saltenv string, gzip int, cachedir string) (string, error) {
	if _, senv := SplitEnv(url); senv != "" {
		saltenv = senv
	}
	rel, err := checkProto(url)
	if err != nil {
		return "", fmt.Errorf("fileclient: %w", err)
	}
	server, err := c.HashFile(ctx, SaltURL(rel, ""), saltenv)
	if err != nil {
		return "", err
	}
	serverStat, err := c.statFile(ctx, rel, saltenv)
	if err != nil {
		return "", err
	}
	if server.IsZero() {
		return "", nil
	}
	if dest != "" {
		if st, err := os.Stat(dest); (err == nil && st.IsDir()) || strings.HasSuffix(dest, "/") {
			dest = filepath.Join(dest, path.Base(rel))
		}
	}
	check := dest
	if check == "" {
		check = c.cacheLoc(cachedir, saltenv, rel)
		if err := mkCacheDir(check); err != nil {
			return "", err
		}
	}
	if st, err := os.Stat(check); err == nil && st.Mode().IsRegular() {
		local, err := c.HashFile(ctx, check, saltenv)
		if err != nil {
			return "", err
		}
		if local == server {
			return check, nil
		}
	}
	if dest != "" {
		if ok, err := destDir(dest, makedirs); !ok {
			return "", err
		}
	}
	return c.download(ctx, rel, saltenv, dest, cachedir, gzip, server, maxDownload(serverStat))
}

// download runs the _serve_file loop into a temporary file and installs
// it at dest (or the cache path of the served rel path).
func (c *FileClient) download(ctx context.Context, rel, saltenv, dest, cachedir string, gzip int, server Hash, limit int64) (string, error) {
	load := data.M("path", rel, "saltenv", saltenv, "cmd", "_serve_file")
	if gzip != 0 {
		load.Set("gzip", int64(gzip))
	}
	h, err := fileserver.NewHash(server.Type)
	if err != nil {
		return "", fmt.Errorf("fileclient: salt://%s: %w", rel, err)
	}
	var (
		tmp     *os.File
		written int64
		tries   int
	)
	defer func() {
		if tmp != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	open := func(target string) error {
		if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
			return fmt.Errorf("fileclient: %w", err)
		}
		f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".part-*")
		if err != nil {
			return fmt.Errorf("fileclient: %w", err)
		}
		tmp = f
		return nil
	}
	for {
		load.Set("loc", written)
		v, err := c.send(ctx, load)
		if err != nil {
			return "", err
		}
		ch, perr := ParseChunk(v)
		if perr != nil {
			tries++
			if tries > transportTries {
				return "", fmt.Errorf("fileclient: salt://%s (saltenv %s): data transport is broken, retry attempts exhausted: %w", rel, saltenv, perr)
			}
			continue
		}
		if dest == "" && tmp == nil && ch.Dest != "" {
			dest = c.cacheLoc(cachedir, saltenv, ch.Dest)
			if err := mkCacheDir(dest); err != nil {
				return "", err
			}
			if st, err := os.Stat(dest); err == nil && st.IsDir() {
				if err := os.RemoveAll(dest); err != nil {
					return "", fmt.Errorf("fileclient: %w", err)
				}
			}
		}
		if dest == "" {
			return "", nil // missing on the master after all
		}
		if tmp == nil {
			if err := open(dest); err != nil {
				return "", err
			}
		}
		if len(ch.Data) == 0 {
			break
		}
		b := ch.Data
		if ch.Gzip {
			if b, err = gunzip(ch.Data); err != nil {
				return "", fmt.Errorf("fileclient: salt://%s: chunk at %d: %w", rel, written, err)
			}
		}
		if _, err := tmp.Write(b); err != nil {
			return "", fmt.Errorf("fileclient: write %s: %w", tmp.Name(), err)
		}
		h.Write(b)
		written += int64(len(b))
		if limit > 0 && written > limit {
			return "", fmt.Errorf("fileclient: salt://%s (saltenv %s): the master sent more than %d bytes for a file it said has %d; refused",
				rel, saltenv, limit, limit-downloadSlack)
		}
		if err := ctx.Err(); err != nil {
			return "", err
		}
	}
	if got := fmt.Sprintf("%x", h.Sum(nil)); got != server.Sum {
		return "", fmt.Errorf("fileclient: salt://%s (saltenv %s): %w (%s %s, announced %s); not installed",
			rel, saltenv, ErrTampered, server.Type, got, server.Sum)
	}
	if err := c.install(tmp, dest); err != nil {
		return "", err
	}
	tmp = nil
	return dest, nil
}

// downloadSlack is how much more than the size _file_find reported a
// download may grow (the file may change on the master meanwhile) before
// it is refused as an endless stream.
var downloadSlack int64 = 64 << 20

// maxDownload is the download limit for a _file_find stat list (0: none).
func maxDownload(st []any) int64 {
	if len(st) < 7 {
		return 0
	}
	size, ok := data.AsInt(st[6])
	if !ok || size < 0 {
		return 0
	}
	return size + downloadSlack
}

// install makes the temporary file the destination: an existing
// destination keeps its mode (Salt's atomic_open copies it).
func (c *FileClient) install(tmp *os.File, dest string) error {
	mode := fs.FileMode(0o600)
	if !strings.HasPrefix(dest, c.cachedir+string(filepath.Separator)) {
		mode = 0o644
	}
	if st, err := os.Stat(dest); err == nil && st.Mode().IsRegular() {
		mode = st.Mode().Perm()
	}
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("fileclient: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("fileclient: %w", err)
	}
	name := tmp.Name()
	if err := tmp.Close(); err != nil {
		os.Remove(name)
		return fmt.Errorf("fileclient: %w", err)
	}
	if err := atomicfile.Rename(name, dest); err != nil {
		os.Remove(name)
		return fmt.Errorf("fileclient: install %s: %w", dest, err)
	}
	return nil
}

func (c *FileClient) list(ctx context.Context, cmd, saltenv, prefix string) ([]string, error) {
	v, err := c.send(ctx, data.M("saltenv", saltenv, "prefix", prefix, "cmd", cmd))
	if err != nil {
		return nil, err
	}
	l, err := ParseStrings(v)
	if err != nil {
		return nil, fmt.Errorf("fileclient: %s: %w", cmd, err)
	}
	return l, nil
}

// FileList lists the files of saltenv whose path starts with prefix.
func (c *FileClient) FileList(ctx context.Context, saltenv, prefix string) ([]string, error) {
	return c.list(ctx, "_file_list", saltenv, prefix)
}

// DirList lists the directories of saltenv whose path starts with prefix.
func (c *FileClient) DirList(ctx context.Context, saltenv, prefix string) ([]string, error) {
	return c.list(ctx, "_dir_list", saltenv, prefix)
}

// EmptyDirs lists the empty directories of saltenv under prefix.
func (c *FileClient) EmptyDirs(ctx context.Context, saltenv, prefix string) ([]string, error) {
	return c.list(ctx, "_file_list_emptydirs", saltenv, prefix)
}

// SymlinkList maps the symlinks of saltenv under prefix to their targets.
func (c *FileClient) SymlinkList(ctx context.Context, saltenv, prefix string) (map[string]string, error) {
	v, err := c.send(ctx, data.M("saltenv", saltenv, "prefix", prefix, "cmd", "_symlink_list"))
	if err != nil {
		return nil, err
	}
	m, err := ParseSymlinks(v)
	if err != nil {
		return nil, fmt.Errorf("fileclient: _symlink_list: %w", err)
	}
	return m, nil
}

// Envs lists the file server's saltenvs.
func (c *FileClient) Envs(ctx context.Context) ([]string, error) {
	v, err := c.send(ctx, data.M("cmd", "_file_envs"))
	if err != nil {
		return nil, err
	}
	l, err := ParseStrings(v)
	if err != nil {
		return nil, fmt.Errorf("fileclient: _file_envs: %w", err)
	}
	return l, nil
}

// ListStates lists the sls names of saltenv (Client.list_states).
func (c *FileClient) ListStates(ctx context.Context, saltenv string) ([]string, error) {
	files, err := c.FileList(ctx, saltenv, "")
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, p := range files {
		switch {
		case strings.HasSuffix(p, "/init.sls"):
			set[strings.ReplaceAll(p, "/", ".")[:len(p)-9]] = true
		case strings.HasSuffix(p, ".sls"):
			set[strings.ReplaceAll(p, "/", ".")[:len(p)-4]] = true
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, nil
}

// GetState caches the sls ("a.b": salt://a/b.sls, then a/b/init.sls).
func (c *FileClient) GetState(ctx context.Context, sls, saltenv string) (StateFile, bool, error) {
	p := strings.ReplaceAll(sls, ".", "/")
	for _, rel := range []string{p + ".sls", p + "/init.sls"} {
		dest, err := c.CacheFile(ctx, SaltURL(rel, ""), saltenv)
		if err != nil {
			return StateFile{}, false, err
		}
		if dest != "" {
			return StateFile{Rel: rel, Local: dest}, true, nil
		}
	}
	return StateFile{}, false, nil
}

// MasterOpts returns the master's _master_opts (nil when local).
func (c *FileClient) MasterOpts(ctx context.Context) (*data.Map, error) {
	if c.local {
		return nil, nil
	}
	v, err := c.send(ctx, data.M("cmd", "_master_opts"))
	if err != nil {
		return nil, err
	}
	m, ok := v.(*data.Map)
	if !ok {
		return nil, fmt.Errorf("fileclient: _master_opts: want a map, got %s", data.TypeStr(v))
	}
	return m, nil
}

// MasterTops returns the master_tops data ({} when none; nil when local).
// The load carries id and the minion's opts with these grains, as
// RemoteClient.master_tops sends them.
func (c *FileClient) MasterTops(ctx context.Context, grains *data.Map) (*data.Map, error) {
	if c.local {
		return nil, nil
	}
	opts := c.opts.Copy()
	if grains != nil {
		opts.Set("grains", grains)
	}
	v, err := c.send(ctx, data.M("cmd", "_master_tops", "id", c.id, "opts", opts))
	if err != nil {
		return nil, err
	}
	m, ok := v.(*data.Map)
	if !ok {
		return nil, fmt.Errorf("fileclient: _master_tops: want a map, got %s", data.TypeStr(v))
	}
	return m, nil
}

// HashFileReply is hash_file as cp.hash_file returns it: for a salt://
// url the file server's reply as it came ({"hash_type", "hsum"}, or ""
// when missing), for a local path {"hsum", "hash_type"} with the minion's
// hash_type ([{}, None] when it is not a file, as Salt returns it).
func (c *FileClient) HashFileReply(ctx context.Context, url, saltenv string) (any, error) {
	p, err := checkProto(url)
	if err != nil {
		h, err := c.HashFile(ctx, url, saltenv)
		if err != nil {
			return nil, err
		}
		if h.IsZero() {
			// RemoteClient.__hash_and_stat_file returns the tuple ({}, None)
			// for a local path that is not a file, and hash_file passes it on.
			return []any{data.NewMap(), nil}, nil
		}
		return h.Map(), nil
	}
	if _, senv := SplitEnv(url); senv != "" {
		saltenv = senv
	}
	v, err := c.send(ctx, data.M("path", p, "saltenv", saltenv, "cmd", "_file_hash"))
	if err != nil {
		return nil, err
	}
	if _, err := ParseHash(v); err != nil {
		return nil, fmt.Errorf("fileclient: _file_hash of %s: %w", url, err)
	}
	return v, nil
}

// CacheLocalFile is Client.cache_local_file: copies a local file into
// <cachedir>/localfiles/<path> and returns the copy's path.
func (c *FileClient) CacheLocalFile(p string) (string, error) {
	dest := filepath.Join(c.cachedir, "localfiles", strings.TrimLeft(p, "/"))
	b, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("fileclient: %w", err)
	}
	if err := atomicfile.WriteMkdir(dest, b, 0o644, 0o755); err != nil {
		return "", fmt.Errorf("fileclient: %w", err)
	}
	return dest, nil
}

// ExtrnPath is where an http(s) url is cached (Client._extrn_path).
func (c *FileClient) ExtrnPath(url, saltenv string) string { return c.extrnPath(url, saltenv, "") }

// destDir makes sure dest's directory exists, creating it with makedirs;
// false (and no error) means it is missing and makedirs is off, where
// Salt's get_file and get_url return "".
func destDir(dest string, makedirs bool) (bool, error) {
	dir := filepath.Dir(dest)
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		return true, nil
	}
	if !makedirs {
		return false, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, fmt.Errorf("fileclient: %w", err)
	}
	return true, nil
}
