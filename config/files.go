package config

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"

	"github.com/saltgo/saltgo/data"
)

// ReadWithIncludes reads one configuration file the way Salt reads
// salt-cloud's cloud, cloud.providers and cloud.profiles files
// (load_config, then include_config of default_include and of include):
// the file (missing reads as empty), then the files matched by its
// default_include (defInclude unless the file sets one, e.g.
// "cloud.providers.d/*.conf", relative to the file's directory) merged
// with each other in sorted order, then those of its include key; each
// included top-level key replaces the file's. files lists what was read.
func ReadWithIncludes(path, defInclude string, log *slog.Logger) (m *data.Map, files []string, err error) {
	if log == nil {
		log = slog.Default()
	}
	l := &loader{log: log, getenv: os.Getenv, cfg: &Config{Origin: map[string]Position{}}}
	m = data.NewMap()
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if m, err = l.parse(b, path); err != nil {
			return nil, nil, err
		}
	case errors.Is(err, fs.ErrNotExist):
	default:
		if st, serr := os.Stat(path); serr != nil || !st.IsDir() {
			return nil, nil, &Error{File: path, Err: err}
		}
	}
	var def any = defInclude
	if v, ok := m.Get("default_include"); ok {
		def = v
	}
	include, _ := m.Get("include")
	for _, inc := range []struct {
		v       any
		verbose bool
	}{{def, false}, {include, true}} {
		sub, _, err := l.includeConfig(inc.v, path, inc.verbose, 0)
		if err != nil {
			return nil, nil, err
		}
		sub.Range(func(k, v any) bool { m.Set(k, v); return true })
	}
	return m, l.cfg.Files, nil
}
