package mccloudlxc

import (
	"path/filepath"

	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
)

// rootedOpt re-roots a default system path the runner writes under the
// master's root_dir, as Salt does for its own path options
// (config.UnderRoot): the cron directory (/etc/cron.d) and the
// controller's image directory (images_root, /var/lib/lxc). A path the
// operator set explicitly (mc_cloud_lxc.cron_dir, images_source,
// alloc_root) is used as written, like Salt's file_roots and pillar_roots.
// With root_dir / (the default) nothing changes.
func rootedOpt(opts *data.Map, p string) string {
	if p == "" {
		return ""
	}
	return config.UnderRoot(optString(opts, "root_dir", "/"), p)
}

// confDir is the master's configuration directory (where its config file
// is, where salt-cloud -c reads cloud.providers.d and cloud.profiles.d),
// "" when unknown.
func confDir(opts *data.Map) string {
	if f := optString(opts, "conf_file", ""); f != "" {
		return filepath.Dir(f)
	}
	return ""
}
