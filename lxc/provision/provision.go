package provision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/saltgo/saltgo/atomicfile"
	"github.com/saltgo/saltgo/lxc/liblxc"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/revert"
)

// StepResult is a state-like result: Result, Comment and Changes (empty
// when the step found nothing to do).
type StepResult struct {
	Name    string
	Result  bool
	Comment string
	Changes *data.Map
}

// Map returns the Salt form {name, result, comment, changes}.
func (r *StepResult) Map() *data.Map {
	ch := r.Changes
	if ch == nil {
		ch = data.NewMap()
	}
	return data.M("name", r.Name, "result", r.Result, "comment", r.Comment, "changes", ch)
}

// Changed reports whether the step changed anything.
func (r *StepResult) Changed() bool { return r.Changes.Len() > 0 }

func newResult(name string) *StepResult {
	return &StepResult{Name: name, Result: true, Changes: data.NewMap()}
}

func (r *StepResult) fail(err error) (*StepResult, error) {
	r.Result = false
	r.Comment = err.Error()
	return r, err
}

// Metadata is what saltgo records about a container it made, in
// <lxcpath>/<name>/saltgo.json, to recognise it on later runs.
type Metadata struct {
	ProfileType string    `json:"profile_type"`
	Origin      string    `json:"origin,omitempty"`
	Template    string    `json:"template,omitempty"`
	Created     time.Time `json:"created"`
}

// MetadataFile is the name of the metadata file in a container directory.
const MetadataFile = "saltgo.json"

func readMetadata(lxcpath, name string) (*Metadata, error) {
	b, err := os.ReadFile(filepath.Join(lxcpath, name, MetadataFile))
	if err != nil {
		return nil, err
	}
	var m Metadata
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("lxc: %s/%s: %w", name, MetadataFile, err)
	}
	return &m, nil
}

func source(p *liblxc.Plan) string {
	if p.Clone {
		return "clone of " + p.Origin
	}
	return "template " + p.Template
}

// Spawn creates (or clones), configures and starts the container described
// by s: the node-side half of makina-states' spawn step
// (mc_lxc_fork.init), then the forwarding of the VM's reverse ports
// (Settings.SSHPort/SNMPPort, see spawnWithPorts). A container saltgo
// already made from the same origin/template is only started if needed
// ("no changes" when running and forwarded).
// Errors are clear and leave nothing behind: every step that changed the
// node is undone in reverse order (Reverter) when a later step fails.
//
// All the steps run in one helper child (one process start instead of one
// per liblxc call).
func Spawn(ctx context.Context, c *liblxc.Client, s *Settings) (*StepResult, error) {
	if s == nil {
		return newResult("").fail(errors.New("lxc: spawn: no settings"))
	}
	return spawnWithPorts(ctx, c, s, func() (*StepResult, error) { return spawnContainer(ctx, c, s) })
}

// spawnContainer is Spawn without the reverse ports.
func spawnContainer(ctx context.Context, c *liblxc.Client, s *Settings) (*StepResult, error) {
	if c.Serve != nil {
		return spawnSteps(ctx, c, s)
	}
	body, err := json.Marshal(s)
	if err != nil {
		return newResult(s.Name).fail(fmt.Errorf("lxc: spawn: encode settings: %w", err))
	}
	var w stepWire
	if err := c.Do(ctx, &liblxc.Request{Op: SpawnOp, Name: s.Name, Body: body}, &w); err != nil {
		return newResult(s.Name).fail(err)
	}
	return fromStepWire(&w)
}

// SpawnOp is the helper's compound operation that runs Spawn's steps.
const SpawnOp = "spawn"

// ServeSpawn is the helper side of Spawn (a helper.Compound registered as
// SpawnOp by cmd/saltgo-lxc-helper): it runs the steps with c, which
// answers their requests inside the helper, and returns the step result
// and its error in their wire form.
func ServeSpawn(ctx context.Context, c *liblxc.Client, body json.RawMessage) (any, error) {
	var s Settings
	if err := json.Unmarshal(body, &s); err != nil {
		return nil, fmt.Errorf("lxc: spawn: bad settings: %w", err)
	}
	return toStepWire(spawnSteps(ctx, c, &s)), nil
}

// spawnSteps is Spawn's body; c serves its requests in the helper itself.
func spawnSteps(ctx context.Context, c *liblxc.Client, s *Settings) (*StepResult, error) {
	res := newResult(s.Name)
	plan, err := BuildPlan(s)
	if err != nil {
		return res.fail(err)
	}
	cfg, err := BuildConfig(s, c.Path())
	if err != nil {
		return res.fail(err)
	}
	exists, err := c.Exists(ctx, s.Name)
	if err != nil {
		return res.fail(err)
	}
	if exists {
		return spawnExisting(ctx, c, s, plan, cfg, res)
	}
	if ok, err := c.BridgeExists(ctx, cfgValue(cfg, "lxc.net.0.link")); err != nil {
		return res.fail(err)
	} else if !ok {
		return res.fail(fmt.Errorf("lxc: bridge %q does not exist on this node: run the install_lxc step (it creates the bridge) or set bridge", cfgValue(cfg, "lxc.net.0.link")))
	}
	if plan.Backend == "lvm" {
		if err := CheckVG(ctx, s.Name, plan.VG); err != nil {
			return res.fail(err)
		}
	}
	if s.IP != "" {
		used, err := c.UsedIPs(ctx)
		if err != nil {
			return res.fail(err)
		}
		ip, _, _ := strings.Cut(s.IP, "/")
		if other, ok := used[ip]; ok && other != s.Name {
			return res.fail(fmt.Errorf("lxc: ip %s is already used by running container %q on this node", ip, other))
		}
		if gw := s.Gateway; gw == ip {
			return res.fail(fmt.Errorf("lxc: ip %s is the gateway (bridge) address", ip))
		}
	}

	r := revert.New()
	defer func() { _ = r.Fail() }()
	if plan.Clone {
		// The origin must not be swapped by an image sync while it is
		// copied (or becomes an overlay's lower layer). A missing origin
		// is Clone's error, and leaves no lock file behind.
		unlock := func() {}
		if ok, eerr := c.Exists(ctx, plan.Origin); eerr != nil {
			return res.fail(eerr)
		} else if ok {
			if unlock, err = flockFile(syncLock(c.Path(), plan.Origin), unix.LOCK_SH, "cannot clone "+s.Name+" from "+plan.Origin+" now: the image is being synchronised"); err != nil {
				return res.fail(err)
			}
		}
		err = c.Clone(ctx, plan)
		unlock()
	} else {
		err = c.Create(ctx, plan)
	}
	if err != nil {
		// A failed create/clone can leave a half-made directory behind.
		_ = c.Destroy(context.WithoutCancel(ctx), s.Name)
		return res.fail(err)
	}
	r.Add("destroy "+s.Name, func() error { return c.Destroy(context.WithoutCancel(ctx), s.Name) })
	res.Changes.Set("created", source(plan)+" ("+plan.Kind+")")
	res.Changes.Set("backing", plan.Backend)

	meta := Metadata{ProfileType: plan.Kind, Origin: plan.Origin, Template: plan.Template, Created: time.Now().UTC()}
	mb, _ := json.MarshalIndent(meta, "", "  ")
	if err := atomicfile.Write(filepath.Join(c.Path(), s.Name, MetadataFile), mb, 0o644); err != nil {
		return res.fail(err)
	}
	if fst := FstabContent(s); fst != "" {
		if err := atomicfile.Write(filepath.Join(c.Path(), s.Name, "fstab"), []byte(fst), 0o640); err != nil {
			return res.fail(err)
		}
	}
	if err := c.Configure(ctx, s.Name, cfg); err != nil {
		return res.fail(err)
	}
	res.Changes.Set("config", int64(len(cfg.Set)))
	files, err := prepareRootfs(ctx, c, s)
	if err != nil {
		return res.fail(err)
	}
	if len(files) > 0 {
		res.Changes.Set("rootfs", data.List(files))
	}
	if _, err := c.Start(ctx, s.Name); err != nil {
		return res.fail(err)
	}
	res.Changes.Set("state", data.M("old", nil, "new", "running"))
	r.Success()
	res.Comment = fmt.Sprintf("%s provisioned", s.Name)
	return res, nil
}

func spawnExisting(ctx context.Context, c *liblxc.Client, s *Settings, plan *liblxc.Plan, cfg *liblxc.ConfigChange, res *StepResult) (*StepResult, error) {
	meta, err := readMetadata(c.Path(), s.Name)
	if err != nil {
		return res.fail(fmt.Errorf("lxc: container %q already exists and was not made by saltgo (%v): destroy it or choose another name", s.Name, err))
	}
	if meta.Origin != plan.Origin || meta.Template != plan.Template {
		return res.fail(fmt.Errorf("lxc: container %q already exists as a %s, not a %s: destroy it first or choose another name", s.Name, describe(meta.Origin, meta.Template), source(plan)))
	}
	st, err := c.State(ctx, s.Name)
	if err != nil {
		return res.fail(err)
	}
	// Settings changed since the spawn (a pillar IP or MAC): applied,
	// never silently ignored.
	drift, err := networkDrift(ctx, c, s.Name, cfg)
	if err != nil {
		return res.fail(err)
	}
	if len(drift) > 0 {
		return applyNetwork(ctx, c, s, cfg, drift, st, res)
	}
	if st == "running" {
		res.Comment = fmt.Sprintf("%s already provisioned", s.Name)
		return res, nil
	}
	if st == "frozen" {
		if _, err := c.Unfreeze(ctx, s.Name); err != nil {
			return res.fail(err)
		}
	} else if _, err := c.Start(ctx, s.Name); err != nil {
		return res.fail(err)
	}
	res.Changes.Set("state", data.M("old", st, "new", "running"))
	res.Comment = fmt.Sprintf("%s already provisioned, started", s.Name)
	return res, nil
}

func describe(origin, template string) string {
	if origin != "" {
		return "clone of " + origin
	}
	return "template " + template
}

func cfgValue(c *liblxc.ConfigChange, key string) string {
	for _, it := range c.Set {
		if it.Key == key {
			return it.Value
		}
	}
	return ""
}

// prepareRootfs edits the stopped container's rootfs: it disables DHCP
// clients when the IP is static and writes resolv.conf from DNSServers.
func prepareRootfs(ctx context.Context, c *liblxc.Client, s *Settings) ([]string, error) {
	if s.IP == "" && len(s.DNSServers) == 0 {
		return nil, nil
	}
	in, err := c.Info(ctx, s.Name)
	if err != nil {
		return nil, err
	}
	layers, err := rootfsLayers(in.RootfsPath)
	if err != nil {
		return nil, err
	}
	rf := &rootfs{layers: layers}
	var files []string
	if s.IP != "" {
		if files, err = staticIPFix(rf); err != nil {
			return nil, fmt.Errorf("lxc: %s: %w", s.Name, err)
		}
	}
	if len(s.DNSServers) > 0 {
		for _, d := range s.DNSServers {
			if net.ParseIP(d) == nil {
				return nil, fmt.Errorf("lxc: invalid dns server %q", d)
			}
		}
		want := []byte(ResolvConf(s))
		if cur, ok, _ := rf.read("/etc/resolv.conf"); !ok || string(cur) != string(want) {
			if err := rf.write("/etc/resolv.conf", want, 0o644); err != nil {
				return nil, fmt.Errorf("lxc: %s: %w", s.Name, err)
			}
			files = append(files, "/etc/resolv.conf")
		}
	}
	return files, nil
}

// Destroy stops and destroys a container and removes what saltgo recorded
// for it (the node side of `salt-cloud -d <name>`); pkiDir, when set, is a
// master pki directory whose minions/<name> key is removed too, and so are
// the VM's reverse-port rules (by name). A missing container is "no
// changes".
func Destroy(ctx context.Context, c *liblxc.Client, name, pkiDir string) (*StepResult, error) {
	res := newResult(name)
	if err := liblxc.ValidateName(name); err != nil {
		return res.fail(err)
	}
	st, err := c.State(ctx, name)
	if errors.Is(err, liblxc.ErrNotFound) {
		res.Comment = fmt.Sprintf("%s does not exist", name)
	} else if err != nil {
		return res.fail(err)
	} else {
		if err := c.Destroy(ctx, name); err != nil {
			return res.fail(err)
		}
		res.Changes.Set("state", data.M("old", st, "new", nil))
		res.Comment = fmt.Sprintf("%s destroyed", name)
	}
	if err := removePorts(ctx, c, name, res); err != nil {
		return res.fail(err)
	}
	if pkiDir != "" {
		k := filepath.Join(pkiDir, "minions", name)
		if err := os.Remove(k); err == nil {
			res.Changes.Set("minion_key", "removed "+k)
		} else if !errors.Is(err, os.ErrNotExist) {
			return res.fail(err)
		}
	}
	return res, nil
}
