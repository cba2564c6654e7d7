package config

import (
	"path/filepath"
	"strings"
)

// Role is the kind of daemon a configuration file configures.
type Role int

const (
	// Minion is the role of salt-minion / salt-call (the "minion" file).
	Minion Role = iota
	// Master is the role of salt-master / salt-run / salt (the "master" file).
	Master
)

// String returns "minion" or "master".
func (r Role) String() string {
	if r == Master {
		return "master"
	}
	return "minion"
}

// Flavour holds the install-wide paths and ports of one Salt stack. saltgo
// knows two: Salt (the standard layout) and MasterSalt (makina-states'
// second stack, living side by side with the first one).
type Flavour struct {
	// Name is "salt" or "mastersalt"; it is also the prefix of the CLI
	// names (salt-call, mastersalt-call) and of the pid files.
	Name string
	// ConfigDir is the default configuration directory (-c), /etc/salt.
	ConfigDir string
	// CacheDir holds the minion/ and master/ cache dirs, /var/cache/salt.
	CacheDir string
	// SockDir holds the minion/ and master/ socket dirs, /var/run/salt.
	SockDir string
	// LogDir holds the minion and master log files, /var/log/salt.
	LogDir string
	// PidfileDir holds <name>-minion.pid and <name>-master.pid, /var/run.
	PidfileDir string
	// FileRoots and PillarRoots are the default roots of the base saltenv.
	FileRoots   []string
	PillarRoots []string
	// PublishPort is the master's publish port (minion subscribes to it).
	PublishPort int
	// RetPort is the master's request port, also the minion's master_port.
	RetPort int
}

// Salt is the standard Salt layout (salt.syspaths on Linux).
var Salt = Flavour{
	Name:        "salt",
	ConfigDir:   "/etc/salt",
	CacheDir:    "/var/cache/salt",
	SockDir:     "/var/run/salt",
	LogDir:      "/var/log/salt",
	PidfileDir:  "/var/run",
	FileRoots:   []string{"/srv/salt", "/srv/spm/salt"},
	PillarRoots: []string{"/srv/pillar", "/srv/spm/pillar"},
	PublishPort: 4505,
	RetPort:     4506,
}

// MasterSalt is makina-states' second Salt stack: config in /etc/mastersalt,
// ports 4605/4606, states in /srv/mastersalt, pillar in /srv/mastersalt-pillar.
var MasterSalt = Flavour{
	Name:        "mastersalt",
	ConfigDir:   "/etc/mastersalt",
	CacheDir:    "/var/cache/mastersalt",
	SockDir:     "/var/run/mastersalt",
	LogDir:      "/var/log/mastersalt",
	PidfileDir:  "/var/run",
	FileRoots:   []string{"/srv/mastersalt"},
	PillarRoots: []string{"/srv/mastersalt-pillar"},
	PublishPort: 4605,
	RetPort:     4606,
}

// FlavourFromArgv0 picks the flavour from the program name: a basename that
// starts with "mastersalt" (mastersalt-call, mastersalt-run, mastersalt)
// selects MasterSalt, anything else Salt.
func FlavourFromArgv0(argv0 string) Flavour {
	if strings.HasPrefix(filepath.Base(argv0), "mastersalt") {
		return MasterSalt
	}
	return Salt
}

// FlavourForMode is the stack of a makina-states VM mode (the mode key of
// get_settings_for_vm): a mode containing "mastersalt" is MasterSalt (the
// VM's minion is a mastersalt minion of the controller's mastersalt
// master), anything else ("salt", "") Salt.
func FlavourForMode(mode string) Flavour {
	if strings.Contains(mode, "mastersalt") {
		return MasterSalt
	}
	return Salt
}

// ConfFile returns the default configuration file of role, e.g.
// /etc/salt/minion.
func (f Flavour) ConfFile(r Role) string { return filepath.Join(f.ConfigDir, r.String()) }
