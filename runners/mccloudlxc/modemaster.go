package mccloudlxc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/saltgo/saltgo/client"
	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/transport/crypt"
)

// Master options naming the controller's master of each mode (read when
// the runner runs on the other one: a salt-mode VM provisioned by
// mastersalt-run is pinged through, and its key accepted on, the salt
// master).
const (
	// OptSaltMasterConfig is the salt master's config file (default
	// /etc/salt/master).
	OptSaltMasterConfig = "mc_cloud_lxc.salt_master_config"
	// OptMastersaltMasterConfig is the mastersalt master's config file
	// (default /etc/mastersalt/master).
	OptMastersaltMasterConfig = "mc_cloud_lxc.mastersalt_master_config"
)

// modeMaster is the controller's master of one mode: its options (pki_dir,
// ret_port), where they come from, and a Node driving minions through it.
type modeMaster struct {
	flavour config.Flavour
	// file is the master config read ("" for the runner's own master).
	file string
	opts *data.Map
	node Node
}

// pkiDir is the master's pki_dir.
func (m *modeMaster) pkiDir() string {
	dir := m.flavour.ConfigDir
	if dir == "" {
		dir = config.Salt.ConfigDir
	}
	return optString(m.opts, "pki_dir", filepath.Join(dir, "pki", "master"))
}

// what names the master in messages.
func (m *modeMaster) what() string {
	if m.flavour.Name == "" {
		return "the master"
	}
	if m.file == "" {
		return "the " + m.flavour.Name + " master"
	}
	return "the " + m.flavour.Name + " master (" + m.file + ")"
}

// masters caches the other mode's master of a run.
type masters struct {
	mu     sync.Mutex
	other  map[string]*modeMaster
	errs   map[string]error
	closer []func()
}

func (ms *masters) close() {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	for _, c := range ms.closer {
		c()
	}
	ms.closer = nil
}

// ownMaster is the master the runner runs on.
func (ctl *Controller) ownMaster() *modeMaster {
	return &modeMaster{flavour: ctl.Flavour, opts: ctl.Opts, node: ctl.Node}
}

// otherMasterConfig is the config file of the master of flavour f (the
// option, else the flavour's default).
func (ctl *Controller) otherMasterConfig(f config.Flavour) string {
	opt, def := OptSaltMasterConfig, config.Salt.ConfFile(config.Master)
	if f.Name == config.MasterSalt.Name {
		opt, def = OptMastersaltMasterConfig, config.MasterSalt.ConfFile(config.Master)
	}
	return optString(ctl.Opts, opt, def)
}

// masterFor returns the controller's master of mode: the runner's own
// when the mode's stack is the runner's (or the runner's flavour is
// unknown), else the one OptSaltMasterConfig/OptMastersaltMasterConfig
// names; a missing or unreadable config is an error naming the file.
// A controller with one master (the option unset and no file at the
// default path) serves every mode with the runner's own: the VMs'
// master_port defaults to its ret_port then (modePorts).
func (ctl *Controller) masterFor(mode string) (*modeMaster, error) {
	f := config.FlavourForMode(mode)
	if ctl.Flavour.Name == "" || f.Name == ctl.Flavour.Name || ctl.singleMaster(f) {
		return ctl.ownMaster(), nil
	}
	ctl.masters.mu.Lock()
	defer ctl.masters.mu.Unlock()
	if m, ok := ctl.masters.other[f.Name]; ok {
		return m, nil
	}
	if err, ok := ctl.masters.errs[f.Name]; ok {
		return nil, err
	}
	m, err := ctl.openMaster(f)
	if ctl.masters.other == nil {
		ctl.masters.other, ctl.masters.errs = map[string]*modeMaster{}, map[string]error{}
	}
	if err != nil {
		ctl.masters.errs[f.Name] = err
		return nil, err
	}
	ctl.masters.other[f.Name] = m
	return m, nil
}

// singleMaster tells whether the controller has no master of flavour f
// besides the runner's: its config option is unset and nothing is at the
// default path.
func (ctl *Controller) singleMaster(f config.Flavour) bool {
	opt := OptSaltMasterConfig
	if f.Name == config.MasterSalt.Name {
		opt = OptMastersaltMasterConfig
	}
	if optString(ctl.Opts, opt, "") != "" {
		return false
	}
	_, err := os.Lstat(ctl.otherMasterConfig(f))
	return errors.Is(err, os.ErrNotExist)
}

func (ctl *Controller) openMaster(f config.Flavour) (*modeMaster, error) {
	file := ctl.otherMasterConfig(f)
	opt := OptSaltMasterConfig
	if f.Name == config.MasterSalt.Name {
		opt = OptMastersaltMasterConfig
	}
	fh, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("the %s master config %s is not readable (set %s on the %s master): %w", f.Name, file, opt, ctl.ownMaster().flavour.Name, err)
	}
	fh.Close()
	cfg, err := config.Load(context.Background(), config.Options{Flavour: f, Role: config.Master, ConfFile: file})
	if err != nil {
		return nil, fmt.Errorf("the %s master config %s: %w", f.Name, file, err)
	}
	m := &modeMaster{flavour: f, file: file, opts: cfg.Raw}
	if ctl.otherNode != nil {
		m.node = ctl.otherNode(m.opts)
		return m, nil
	}
	cl, err := client.NewFromOpts(cfg.Raw)
	if err != nil {
		return nil, fmt.Errorf("the %s master config %s: %w", f.Name, file, err)
	}
	cl.Log = ctl.log
	ctl.masters.closer = append(ctl.masters.closer, func() { _ = cl.Close() })
	m.node = &ClientNode{C: cl}
	return m, nil
}

// RejectedKeyError is a VM minion key the master of its mode refuses.
type RejectedKeyError struct {
	VM, Dir, Master string
}

func (e *RejectedKeyError) Error() string {
	return fmt.Sprintf("%s rejected the key of %s (it is in %s): delete it there (salt-key -d %s) and provision again", e.Master, e.VM, e.Dir, e.VM)
}

// rejected tells whether vm's key is in the master's minions_rejected or
// minions_denied.
func (m *modeMaster) rejected(vm string) error {
	for _, d := range []string{crypt.MinionsRejectedDir, crypt.MinionsDeniedDir} {
		p := filepath.Join(m.pkiDir(), d, vm)
		if _, err := os.Stat(p); err == nil {
			return &RejectedKeyError{VM: vm, Dir: p, Master: m.what()}
		}
	}
	return nil
}

// modePorts are the ret_port of the controller's masters by stack, for
// settings.Options.ModeMasterPorts: the runner's own, and the other one
// when its config is readable.
func (ctl *Controller) modePorts() map[string]int {
	out := map[string]int{}
	if ctl.Flavour.Name == "" {
		return out
	}
	if n, ok := optInt(ctl.Opts, "ret_port"); ok {
		out[ctl.Flavour.Name] = int(n)
	}
	other := config.MasterSalt
	if ctl.Flavour.Name == other.Name {
		other = config.Salt
	}
	file := ctl.otherMasterConfig(other)
	if _, err := os.Stat(file); err != nil {
		return out
	}
	cfg, err := config.Load(context.Background(), config.Options{Flavour: other, Role: config.Master, ConfFile: file})
	if err != nil {
		return out
	}
	if n, ok := optInt(cfg.Raw, "ret_port"); ok {
		out[other.Name] = int(n)
	}
	return out
}

// keyMasters are the masters that may hold a VM's key: the runner's own
// and the other mode's when its config exists.
func (ctl *Controller) keyMasters() []*modeMaster {
	out := []*modeMaster{ctl.ownMaster()}
	if ctl.Flavour.Name == "" {
		return out
	}
	other := config.Salt
	if ctl.Flavour.Name == config.Salt.Name {
		other = config.MasterSalt
	}
	if _, err := os.Stat(ctl.otherMasterConfig(other)); errors.Is(err, os.ErrNotExist) {
		return out
	}
	if m, err := ctl.masterFor(other.Name); err == nil && m.file != "" {
		out = append(out, m)
	}
	return out
}
