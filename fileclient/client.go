// Package fileclient is the minion's client of the Salt file server: it
// fetches salt:// files into the minion's file cache
// (<cachedir>/files/<saltenv>/<path>, checked by hash on every use, as
// salt.fileclient.RemoteClient does) over the master's request channel, or
// reads them straight from file_roots when file_client is local.
package fileclient

import (
	"context"
	"errors"

	"github.com/saltgo/saltgo/data"
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

// New returns the file client for env: the master's file server over
// env.Services.Master, or file_roots when file_client is local (or there
// is no master).
//
// Skeleton: the implementation lands with issue 12's file client work.
func New(env *host.Env) (Client, error) {
	return nil, errors.New("fileclient: not implemented")
}
