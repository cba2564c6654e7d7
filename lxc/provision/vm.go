package provision

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/saltgo/saltgo/atomicfile"
	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/lxc/liblxc"
	"github.com/saltgo/saltgo/revert"

	"go.yaml.in/yaml/v3"

	"github.com/saltgo/saltgo/data"
)

// VMEnv is the compute-node context of the VM steps: everything they need
// beyond the VM's Settings. The steps act from the compute node through
// liblxc (attach), so they do not depend on the VM's network.
type VMEnv struct {
	Client *liblxc.Client
	// ComputeNode is the compute node's minion id (written to /etc/hosts).
	ComputeNode string
	// RootKeys are the controller's root public keys, authorized for root.
	RootKeys []string
	// MinionBinary is the host path of the saltgo binary installed in the
	// VM as /usr/local/bin/saltgo ("" installs no binary).
	MinionBinary string
	// MasterPKIDir, when set, is the master's pki directory: the VM's
	// minion key is pre-accepted as <MasterPKIDir>/minions/<vm>.
	MasterPKIDir string
	// BootstrapCommand, when set, is run once in the VM by
	// InitialHighstate after the first highstate succeeded (e.g. to start
	// the VM's minion daemon where no init system does); in a VM without
	// a saltgo minion it is run alone, as makina-states ran boot-salt.sh
	// --initial-highstate.
	BootstrapCommand string
	// ServiceWait is how long minion_services waits for a started
	// minion service to run (0: DefaultServiceWait).
	ServiceWait time.Duration
}

// Paths inside the VM written by the VM steps. VMGrainsFile,
// VMMinionConfig and VMMinionPKIDir are those of a salt-mode VM;
// MinionLayout gives them for any mode.
const (
	VMGrainsFile      = "/etc/salt/grains"
	VMMinionConfig    = "/etc/salt/minion.d/saltgo-lxc.conf"
	VMMinionPKIDir    = "/etc/salt/pki/minion"
	VMMinionBinary    = "/usr/local/bin/saltgo"
	VMHighstateMarker = "/etc/makina-states/initial_highstate"
	hostsBegin        = "# saltgo lxc begin (managed, do not edit)"
	hostsEnd          = "# saltgo lxc end"
)

// VMMinion is where a VM's saltgo minion lives: its stack (Salt or
// MasterSalt, from Settings.Mode), config file, pki directory and the
// saltgo command that is its salt-call.
type VMMinion struct {
	Flavour config.Flavour
	// ConfFile is the minion config written by initial_setup, in the
	// stack's minion.d (read by default_include).
	ConfFile string
	// PKIDir holds minion.pem and minion.pub.
	PKIDir string
	// GrainsFile is the minion's grains file (<config dir>/grains), set
	// by the grains step.
	GrainsFile string
	// Call is the saltgo command of the stack's salt-call: "call" or
	// "mastersalt-call".
	Call string
}

// MinionLayout returns the layout of the VM's minion for its mode.
func MinionLayout(s *Settings) VMMinion {
	f := config.FlavourForMode(s.Mode)
	call := "call"
	if f.Name != config.Salt.Name {
		call = f.Name + "-call"
	}
	return VMMinion{
		Flavour:    f,
		ConfFile:   path.Join(f.ConfigDir, "minion.d", "saltgo-lxc.conf"),
		PKIDir:     path.Join(f.ConfigDir, "pki", "minion"),
		GrainsFile: path.Join(f.ConfigDir, "grains"),
		Call:       call,
	}
}

// DefaultVMSteps are the VM steps of the seed document, in order, then
// minion_services (the VM's minions as services of its init).
var DefaultVMSteps = []string{"spawn", "hostsfile", "sshkeys", "grains", "initial_setup", "initial_highstate", "minion_services"}

// ProvisionVM runs steps (DefaultVMSteps when empty) for one VM and stops
// at the first failed step, like mc_cloud_vm.provision.
func ProvisionVM(ctx context.Context, env *VMEnv, s *Settings, steps []string) ([]*StepResult, error) {
	if len(steps) == 0 {
		steps = DefaultVMSteps
	}
	var out []*StepResult
	for _, st := range steps {
		var r *StepResult
		var err error
		switch st {
		case "spawn":
			r, err = Spawn(ctx, env.Client, s)
		case "hostsfile":
			r, err = Hostsfile(ctx, env, s)
		case "sshkeys":
			r, err = SSHKeys(ctx, env, s)
		case "grains":
			r, err = Grains(ctx, env, s)
		case "initial_setup":
			r, err = InitialSetup(ctx, env, s)
		case "initial_highstate":
			r, err = InitialHighstate(ctx, env, s)
		case "minion_services":
			r, err = MinionServices(ctx, env, s)
		default:
			err = fmt.Errorf("lxc: unknown vm step %q (want one of %s)", st, strings.Join(DefaultVMSteps, ", "))
			r = &StepResult{Name: st, Comment: err.Error(), Changes: data.NewMap()}
		}
		r.Name = s.Name + ":" + st
		out = append(out, r)
		if err != nil {
			return out, fmt.Errorf("vm %s step %s: %w", s.Name, st, err)
		}
	}
	return out, nil
}

// readOpt reads a file in the VM, "" when it does not exist.
func readOpt(ctx context.Context, c *liblxc.Client, name, path string) (string, error) {
	b, err := c.ReadFile(ctx, name, path)
	if errors.Is(err, liblxc.ErrNoFile) {
		return "", nil
	}
	return string(b), err
}

// ensureFile writes content when it differs and records the change.
func ensureFile(ctx context.Context, c *liblxc.Client, name, path, content string, mode os.FileMode, res *StepResult) error {
	cur, err := readOpt(ctx, c, name, path)
	if err != nil {
		return err
	}
	if cur == content {
		return nil
	}
	if err := c.WriteFile(ctx, name, path, []byte(content), mode); err != nil {
		return err
	}
	res.Changes.Set(path, "updated")
	return nil
}

func comment(res *StepResult, changed, same string) {
	if res.Changed() {
		res.Comment = changed
	} else {
		res.Comment = same
	}
}

// Hostsfile keeps a managed block in the VM's /etc/hosts: the VM's IP with
// its names (Domains, else Name) and the compute node's name on the
// gateway address.
func Hostsfile(ctx context.Context, env *VMEnv, s *Settings) (*StepResult, error) {
	res := newResult(s.Name)
	names := s.Domains
	if len(names) == 0 {
		names = []string{s.Name}
	}
	var block []string
	if s.IP != "" {
		ip, _, _ := strings.Cut(s.IP, "/")
		block = append(block, ip+" "+strings.Join(names, " "))
	} else {
		block = append(block, "127.0.1.1 "+strings.Join(names, " "))
	}
	if s.Gateway != "" && s.Gateway != "auto" && env.ComputeNode != "" {
		block = append(block, s.Gateway+" "+env.ComputeNode)
	}
	cur, err := readOpt(ctx, env.Client, s.Name, "/etc/hosts")
	if err != nil {
		return res.fail(err)
	}
	want := replaceBlock(cur, block)
	if err := ensureFile(ctx, env.Client, s.Name, "/etc/hosts", want, 0o644, res); err != nil {
		return res.fail(err)
	}
	comment(res, "/etc/hosts updated", "/etc/hosts already up to date")
	return res, nil
}

// replaceBlock puts lines between the hosts file's managed markers.
func replaceBlock(text string, lines []string) string {
	return managedBlock(text, hostsBegin, hostsEnd, lines)
}

// managedBlock puts lines between the begin and end marker lines of text,
// replacing a previous block or appending one (the hosts file's and the
// inittab's managed blocks).
func managedBlock(text, begin, end string, lines []string) string {
	blk := begin + "\n" + strings.Join(lines, "\n") + "\n" + end + "\n"
	if i := strings.Index(text, begin); i >= 0 {
		if j := strings.Index(text[i:], end); j >= 0 {
			stop := i + j + len(end)
			if stop < len(text) && text[stop] == '\n' {
				stop++
			}
			return text[:i] + blk + text[stop:]
		}
	}
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	return text + blk
}

// SSHKeys authorizes the controller's root keys for root in the VM.
func SSHKeys(ctx context.Context, env *VMEnv, s *Settings) (*StepResult, error) {
	res := newResult(s.Name)
	if len(env.RootKeys) == 0 {
		res.Comment = "no controller root key configured"
		return res, nil
	}
	const path = "/root/.ssh/authorized_keys"
	cur, err := readOpt(ctx, env.Client, s.Name, path)
	if err != nil {
		return res.fail(err)
	}
	have := map[string]bool{}
	for _, l := range strings.Split(cur, "\n") {
		have[strings.TrimSpace(l)] = true
	}
	want := cur
	var added []any
	for _, k := range env.RootKeys {
		k = strings.TrimSpace(k)
		if k == "" || have[k] {
			continue
		}
		if strings.ContainsAny(k, "\n\r") || !strings.HasPrefix(k, "ssh-") && !strings.HasPrefix(k, "ecdsa-") {
			return res.fail(fmt.Errorf("lxc: %q is not an ssh public key", k))
		}
		if want != "" && !strings.HasSuffix(want, "\n") {
			want += "\n"
		}
		want += k + "\n"
		have[k] = true
		added = append(added, k)
	}
	if len(added) > 0 {
		if _, err := env.Client.Run(ctx, s.Name, []string{"/bin/sh", "-c", "mkdir -p /root/.ssh && chmod 700 /root/.ssh"}, nil, nil); err != nil {
			return res.fail(err)
		}
		if err := env.Client.WriteFile(ctx, s.Name, path, []byte(want), 0o600); err != nil {
			return res.fail(err)
		}
		res.Changes.Set("authorized", added)
	}
	comment(res, "controller keys authorized for root", "controller keys already authorized")
	return res, nil
}

// VMGrains are the grains the grains step sets in a VM (makina-states'
// cloud and nodetypes registry keys).
var VMGrains = map[string]any{
	"makina-states.cloud.is.vm":            true,
	"makina-states.cloud.is.lxcvm":         true,
	"makina-states.nodetypes.lxccontainer": true,
}

// Grains merges VMGrains into the grains file of the VM's minion
// (MinionLayout: /etc/mastersalt/grains in mastersalt mode), where its
// highstate sees them.
func Grains(ctx context.Context, env *VMEnv, s *Settings) (*StepResult, error) {
	res := newResult(s.Name)
	if err := mergeGrains(ctx, env.Client, s.Name, MinionLayout(s).GrainsFile, VMGrains, res); err != nil {
		return res.fail(err)
	}
	comment(res, "grains set: is.vm, is.lxcvm, nodetype lxccontainer", "grains already set")
	return res, nil
}

func mergeGrains(ctx context.Context, c *liblxc.Client, name, file string, set map[string]any, res *StepResult) error {
	cur, err := readOpt(ctx, c, name, file)
	if err != nil {
		return err
	}
	m := map[string]any{}
	if strings.TrimSpace(cur) != "" {
		if err := yaml.Unmarshal([]byte(cur), &m); err != nil {
			return fmt.Errorf("lxc: %s in %s is not a YAML mapping: %w", file, name, err)
		}
	}
	changed := false
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if m[k] != set[k] {
			m[k] = set[k]
			res.Changes.Set(k, set[k])
			changed = true
		}
	}
	if !changed {
		return nil
	}
	b, err := yaml.Marshal(m)
	if err != nil {
		return err
	}
	return c.WriteFile(ctx, name, file, b, 0o644)
}

// InitialSetup sets the password of s.Users (default root, sysadmin and
// ubuntu, as makina-states did) in the VM's /etc/shadow (SHA-512 crypt;
// users that do not exist are listed in the comment) and bootstraps a
// saltgo minion of the VM's mode (MinionLayout): the binary (when
// env.MinionBinary is set), a config pointing at s.Master/s.MasterPort,
// and a key pair generated once whose public half is pre-accepted on the
// master (env.MasterPKIDir).
func InitialSetup(ctx context.Context, env *VMEnv, s *Settings) (*StepResult, error) {
	res := newResult(s.Name)
	var notes []string
	if s.Password != "" {
		n, err := setPasswords(ctx, env.Client, s, res)
		if err != nil {
			return res.fail(err)
		}
		notes = append(notes, n...)
	} else {
		notes = append(notes, "no password set")
	}
	if err := bootstrapMinion(ctx, env, s, res); err != nil {
		return res.fail(err)
	}
	if res.Changed() {
		res.Comment = "initial setup done"
	} else {
		res.Comment = "initial setup already done"
	}
	if len(notes) > 0 {
		res.Comment += " (" + strings.Join(notes, "; ") + ")"
	}
	return res, nil
}

func setPasswords(ctx context.Context, c *liblxc.Client, s *Settings, res *StepResult) ([]string, error) {
	users := s.Users
	if len(users) == 0 {
		users = []string{"root", "sysadmin", "ubuntu"}
	}
	if strings.ContainsAny(s.Password, "\n") {
		return nil, fmt.Errorf("lxc: password contains a newline")
	}
	cur, err := c.ReadFile(ctx, s.Name, "/etc/shadow")
	if err != nil {
		return nil, err
	}
	lines := strings.Split(string(cur), "\n")
	found := map[string]bool{}
	var set []any
	for i, l := range lines {
		f := strings.Split(l, ":")
		if len(f) < 2 {
			continue
		}
		want := false
		for _, u := range users {
			want = want || f[0] == u
		}
		if !want {
			continue
		}
		found[f[0]] = true
		if p := strings.Split(f[1], "$"); len(p) == 4 && p[1] == "6" && SHA512Crypt(s.Password, p[2]) == f[1] {
			continue
		}
		f[1] = SHA512Crypt(s.Password, newSalt())
		if len(f) > 2 {
			f[2] = fmt.Sprint(time.Now().Unix() / 86400)
		}
		lines[i] = strings.Join(f, ":")
		set = append(set, f[0])
	}
	// Users in /etc/passwd without a shadow entry (busybox) get one.
	passwd, err := c.ReadFile(ctx, s.Name, "/etc/passwd")
	if err != nil {
		return nil, err
	}
	inPasswd := map[string]bool{}
	for _, l := range strings.Split(string(passwd), "\n") {
		if u, _, ok := strings.Cut(l, ":"); ok {
			inPasswd[u] = true
		}
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	var missing []string
	for _, u := range users {
		if found[u] {
			continue
		}
		if !inPasswd[u] {
			missing = append(missing, u)
			continue
		}
		lines = append(lines, fmt.Sprintf("%s:%s:%d:0:99999:7:::", u, SHA512Crypt(s.Password, newSalt()), time.Now().Unix()/86400))
		set = append(set, u)
	}
	if len(set) > 0 {
		if err := c.WriteFile(ctx, s.Name, "/etc/shadow", []byte(strings.Join(lines, "\n")+"\n"), 0); err != nil {
			return nil, err
		}
		res.Changes.Set("password", set)
	}
	if len(missing) > 0 {
		return []string{"no such users: " + strings.Join(missing, ", ")}, nil
	}
	return nil, nil
}

// MinionConfig returns the minion config written into the VM.
func MinionConfig(s *Settings) string {
	var b strings.Builder
	b.WriteString("# managed by saltgo (lxc initial_setup)\n")
	fmt.Fprintf(&b, "id: %s\n", s.Name)
	if s.Master != "" {
		fmt.Fprintf(&b, "master: %s\n", s.Master)
	}
	if s.MasterPort != 0 {
		fmt.Fprintf(&b, "master_port: %d\n", s.MasterPort)
	}
	return b.String()
}

// bootstrapMinion installs the minion binary and config and, once, a key
// pair pre-accepted on the master. A key pair it generated is removed from
// the VM again when a later step fails (writing its public half, accepting
// it on the master): the next run starts over instead of keeping a key the
// master does not know.
func bootstrapMinion(ctx context.Context, env *VMEnv, s *Settings, res *StepResult) error {
	c := env.Client
	r := revert.New()
	defer func() { _ = r.Fail() }()
	undoCtx := context.WithoutCancel(ctx)
	remove := func(path string) func() error {
		return func() error {
			out, err := c.Run(undoCtx, s.Name, []string{"rm", "-f", path}, nil, nil)
			if err == nil && out.Status != 0 {
				err = fmt.Errorf("rm %s: exit %d: %s", path, out.Status, strings.TrimSpace(string(out.Stderr)))
			}
			return err
		}
	}
	if env.MinionBinary != "" {
		if err := installBinary(ctx, env, s, res); err != nil {
			return err
		}
	}
	lay := MinionLayout(s)
	if err := ensureFile(ctx, c, s.Name, lay.ConfFile, MinionConfig(s), 0o644, res); err != nil {
		return err
	}
	pubPath, pemPath := lay.PKIDir+"/minion.pub", lay.PKIDir+"/minion.pem"
	pub, err := readOpt(ctx, c, s.Name, pubPath)
	if err != nil {
		return err
	}
	if pub == "" {
		priv, pubPEM, err := newMinionKey()
		if err != nil {
			return err
		}
		if err := c.WriteFile(ctx, s.Name, pemPath, priv, 0o400); err != nil {
			return err
		}
		r.Add("remove "+pemPath, remove(pemPath))
		if err := c.WriteFile(ctx, s.Name, pubPath, pubPEM, 0o644); err != nil {
			return err
		}
		r.Add("remove "+pubPath, remove(pubPath))
		pub = string(pubPEM)
		res.Changes.Set("minion_key", "generated")
		r.Add("forget the generated key", func() error { res.Changes.Delete("minion_key"); return nil })
	}
	if env.MasterPKIDir != "" {
		k := filepath.Join(env.MasterPKIDir, "minions", s.Name)
		if cur, err := os.ReadFile(k); err != nil || !bytes.Equal(cur, []byte(pub)) {
			if err := os.MkdirAll(filepath.Dir(k), 0o700); err != nil {
				return err
			}
			if err := atomicfile.Write(k, []byte(pub), 0o644); err != nil {
				return err
			}
			res.Changes.Set("accepted_key", k)
		}
	}
	r.Success()
	return nil
}

func newMinionKey() (priv, pub []byte, err error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, fmt.Errorf("lxc: generate minion key: %w", err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	priv = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	pub = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	return priv, pub, nil
}
