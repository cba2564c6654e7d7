// Package fileclient is the minion's client of the Salt file server: it
// fetches salt:// files into the minion's file cache
// (<cachedir>/files/<saltenv>/<path>, checked by hash on every use, as
// salt.fileclient.RemoteClient does) over the master's request channel, or
// reads them straight from file_roots when file_client is local.
//
// Both flavours are one FileClient over a channel, as in Salt: Remote's
// channel is the master's request channel (host.MasterRequester), Local's
// is package fileserver answering from file_roots in-process (Salt's
// FSClient over FSChan). Local therefore also copies salt:// files into the
// cache, as FSClient does, and CacheFile returns the cache copy.
package fileclient

import (
	"context"
	"fmt"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileserver"
	"github.com/saltgo/saltgo/host"
)

// Hash is a file's checksum as the file server reports it; the zero Hash
// means the file does not exist.
type Hash struct {
	Type string // "sha256" (the hash_type option)
	Sum  string // hex digest
}

// IsZero reports whether h is the "file not found" hash.
func (h Hash) IsZero() bool { return h.Sum == "" }

// Map is the hash as Salt returns it: {"hsum": ..., "hash_type": ...}, or
// an empty map for the zero Hash.
func (h Hash) Map() *data.Map {
	if h.IsZero() {
		return data.NewMap()
	}
	return data.M("hsum", h.Sum, "hash_type", h.Type)
}

// StateFile is an SLS file found for an sls name.
type StateFile struct {
	// Rel is the path inside the file root: "a/b.sls" or "a/b/init.sls".
	Rel string
	// Local is the cached (or, for file_client local, the original) path.
	Local string
}

// Client is the file client a state run, the renderers and the cp module
// use. Paths are file-server paths ("a/b.sls"); urls are "salt://a/b.sls"
// (with an optional ?saltenv=), "file:///abs" or a local absolute path.
// Every method takes the saltenv explicitly; a url's ?saltenv= wins.
type Client interface {
	// CacheFile fetches url into the cache and returns its local path; it
	// returns "" and a nil error when the file does not exist.
	CacheFile(ctx context.Context, url, saltenv string) (string, error)
	// GetState finds the sls ("a.b": a/b.sls, then a/b/init.sls) and
	// caches it; ok is false when neither exists.
	GetState(ctx context.Context, sls, saltenv string) (f StateFile, ok bool, err error)
	// HashFile returns the master's hash of a file (zero when missing).
	HashFile(ctx context.Context, url, saltenv string) (Hash, error)
	// FileList, DirList and EmptyDirs list paths under prefix (a plain
	// string prefix, as the master's), sorted.
	FileList(ctx context.Context, saltenv, prefix string) ([]string, error)
	DirList(ctx context.Context, saltenv, prefix string) ([]string, error)
	EmptyDirs(ctx context.Context, saltenv, prefix string) ([]string, error)
	// SymlinkList maps link paths to their targets as written.
	SymlinkList(ctx context.Context, saltenv, prefix string) (map[string]string, error)
	// Envs lists the saltenvs the file server knows.
	Envs(ctx context.Context) ([]string, error)
	// ListStates lists the sls names of a saltenv.
	ListStates(ctx context.Context, saltenv string) ([]string, error)
	// MasterOpts returns the master's _master_opts (nil for file_client
	// local: the minion's own options count).
	MasterOpts(ctx context.Context) (*data.Map, error)
	// MasterTops returns the master_tops data for these grains ({} when
	// none are configured; nil for file_client local).
	MasterTops(ctx context.Context, grains *data.Map) (*data.Map, error)
	// CachePath returns where path of saltenv is (or would be) cached.
	CachePath(saltenv, path string) string
}

var _ Client = (*FileClient)(nil)

// New returns the file client for env: the master's file server over
// env.Services.Master, or file_roots when file_client is local, env.Local
// is set or there is no master. It returns a *FileClient (Open gives it
// with its full type).
func New(env *host.Env) (Client, error) {
	fc, err := Open(env)
	if err != nil {
		return nil, err
	}
	return fc, nil
}

// Open is New with the concrete type, for callers that need more than the
// Client interface (the cp module: get_file with a destination, get_dir,
// get_url, is_cached ...).
func Open(env *host.Env) (*FileClient, error) {
	if env == nil {
		return nil, fmt.Errorf("fileclient: no environment")
	}
	fcOpt, _ := env.Opt("file_client")
	if env.Local || data.Str(fcOpt) == "local" || env.Services.Master == nil {
		return NewLocal(env.Opts)
	}
	return NewRemote(env.Services.Master, env.Opts), nil
}

// NewLocal returns the file_client: local client over opts' file_roots.
func NewLocal(opts *data.Map) (*FileClient, error) {
	roots, err := fileserver.FromOpts(opts)
	if err != nil {
		return nil, fmt.Errorf("fileclient: %w", err)
	}
	if v, ok := opts.Get("file_buffer_size"); !ok || v == nil {
		roots.BufferSize = 262144 // the minion's default, as FSChan uses
	}
	fc := newClient(roots, opts)
	fc.local = true
	return fc, nil
}

// NewRemote returns the client of the master's file server over ch.
func NewRemote(ch host.MasterRequester, opts *data.Map) *FileClient {
	return newClient(ch, opts)
}
