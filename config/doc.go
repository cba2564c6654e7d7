// Package config loads Salt-compatible minion and master configuration.
//
// Load follows salt.config (Salt 3007): Salt's defaults for each role, the
// main file (CONFIG_DIR/minion or CONFIG_DIR/master; a missing file means
// defaults), the default_include files (minion.d/*.conf) merged in sorted
// order, the include key, then Salt's post-processing: id resolution
// (minion_id file, else a generated id), append_domain, root_dir prefixing
// of path options, file_roots/pillar_roots normalisation and algorithm
// checks. YAML is read with Salt's YAML 1.1 rules (yes/no/on/off are
// booleans, "010" is 10, timestamps stay strings).
//
// The result keeps every option in Config.Raw (unknown keys included, for
// config.get) and a typed view in Config.Opts. Errors carry the file, line
// and key (*Error).
//
// Two install flavours exist: Salt (/etc/salt, ports 4505/4506) and
// MasterSalt (/etc/mastersalt, ports 4605/4606), picked from argv[0] with
// FlavourFromArgv0.
package config
