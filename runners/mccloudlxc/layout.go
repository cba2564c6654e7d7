package mccloudlxc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/saltgo/saltgo/atomicfile"

	"go.yaml.in/yaml/v3"

	"github.com/saltgo/saltgo/cloud/settings"
	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
)

// Files written by post_deploy_controller (spec section 6).
const (
	ProvidersFile = "makinastates_lxc.conf" // in <prefix>/cloud.providers.d
	ProfilesFile  = "makinastates_lxc.conf" // in <prefix>/cloud.profiles.d
	// CronFile is the image-sync schedule in the cron directory (cron.d
	// names may not contain dots).
	CronFile = "ms_lxc_image_sync"
	// cronIdentifier is makina-states' cron identifier (sic).
	cronIdentifier = "ms lxc image synchronniser"
)

// yamlMap renders an ordered map as salt-cloud YAML (block style, two
// spaces, keys in insertion order).
func yamlMap(m *data.Map) ([]byte, error) {
	n, err := toNode(m)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, err
	}
	_ = enc.Close()
	return b.Bytes(), nil
}

func toNode(v any) (*yaml.Node, error) {
	switch x := v.(type) {
	case *data.Map:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		var err error
		x.Range(func(k, e any) bool {
			var vn *yaml.Node
			if vn, err = toNode(e); err != nil {
				return false
			}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: fmt.Sprint(k)}, vn)
			return true
		})
		return n, err
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, e := range x {
			en, err := toNode(e)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, en)
		}
		return n, nil
	}
	n := &yaml.Node{}
	if err := n.Encode(v); err != nil {
		return nil, err
	}
	return n, nil
}

// Providers returns the salt-cloud providers mapping: <gen_id(cn)>-lxc:
// {target: cn, driver: lxc, provider: lxc} for each compute node. Both
// keys name the driver: Salt 2015.8 and later (3007 included) read
// "driver" and drop an entry without it ("There are no cloud providers
// configured"), makina-states' salt-cloud (Salt 2014.x) read "provider";
// each ignores the other key.
func Providers(s *settings.Settings) *data.Map {
	m := data.NewMap()
	for _, cn := range s.ComputeNodes() {
		m.Set(settings.GenID(cn)+"-lxc", data.M("target", cn, "driver", "lxc", "provider", "lxc"))
	}
	return m
}

// Profiles returns the salt-cloud profiles mapping of spec section 6,
// with makina-states' names (the "-lvm-sratch" typo included).
func Profiles(s *settings.Settings) *data.Map {
	d := s.LXC.Defaults
	msr := strings.TrimRight(s.Cloud.Root, "/") + "/makina-states"
	common := func(host string) *data.Map {
		return data.M(
			"provider", host+"-lxc",
			"sudo", true,
			"ssh_gateway", d.Gateway,
			"script", msr+"/_scripts/boot-salt.sh",
			"script_args", "-C --from-salt-cloud -no-M",
			"minion", data.M("master", s.Cloud.Master, "master_port", int64(s.Cloud.MasterPort)),
		)
	}
	with := func(m *data.Map, kv ...any) *data.Map {
		for i := 0; i+1 < len(kv); i += 2 {
			m.Set(kv[i], kv[i+1])
		}
		return m
	}
	m := data.NewMap()
	for _, cn := range s.ComputeNodes() {
		h := settings.GenID(cn)
		for _, sp := range s.LXC.Profiles {
			m.Set(fmt.Sprintf("ms-%s-%s-lvm", h, sp.Name), with(common(h), "from_container", d.DefaultContainer, "backing", "lvm", "size", sp.Size))
			m.Set(fmt.Sprintf("ms-%s-%s-lvm-sratch", h, sp.Name), with(common(h), "image", "ubuntu", "backing", "lvm", "size", sp.Size))
		}
		m.Set("ms-"+h+"-dir", with(common(h), "from_container", d.DefaultContainer, "backing", "dir"))
		m.Set("ms-"+h+"-dir-scratch", with(common(h), "image", "ubuntu", "backing", "dir"))
		m.Set("ms-"+h+"-overlayfs", with(common(h), "from_container", d.DefaultContainer, "backing", "overlayfs", "snapshot", true))
		m.Set("ms-"+h+"-overlayfs-scratch", with(common(h), "image", "ubuntu", "backing", "overlayfs"))
	}
	return m
}

// imagesCron reads makina-states.cloud.images.lxc.{cron_sync, cron_hour,
// cron_minute} (flat or nested pillar keys; cron_sync defaults to "not a
// devhost").
func imagesCron(p *data.Map, devhost bool) (on bool, hour, minute string) {
	on, hour, minute = !devhost, "3", "3"
	get := func(k string) (any, bool) {
		full := settings.PrefixImages + ".lxc." + k
		if v, ok := p.Get(full); ok {
			return v, true
		}
		if v, ok := config.Traverse(p, settings.PrefixImages+":lxc:"+k, ":"); ok {
			return v, true
		}
		return nil, false
	}
	if v, ok := get("cron_sync"); ok {
		on = data.Truthy(v)
	}
	if v, ok := get("cron_hour"); ok {
		hour = strings.TrimSpace(fmt.Sprint(v))
	}
	if v, ok := get("cron_minute"); ok {
		minute = strings.TrimSpace(fmt.Sprint(v))
	}
	return on, hour, minute
}

func (ctl *Controller) saltRun() string {
	def := "/usr/bin/salt-run"
	if ctl.Flavour.Name == "mastersalt" {
		def = "/usr/bin/mastersalt-run"
	}
	return optString(ctl.Opts, OptSaltRun, def)
}

// CronContent is the image-sync schedule: the runner's sync_images for
// every compute node, at hour:minute.
func CronContent(saltRun, hour, minute string) string {
	return fmt.Sprintf("# %s: managed by saltgo (mc_cloud_lxc.post_deploy_controller), do not edit\n"+
		"SHELL=/bin/sh\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\n"+
		"%s %s * * * root %s -linfo mc_cloud_lxc.sync_images > /dev/null\n", cronIdentifier, minute, hour, saltRun)
}

// plannedFile is one file post_deploy_controller manages; Content nil
// means "must not exist".
type plannedFile struct {
	Path    string
	Content []byte
}

func (ctl *Controller) layoutFiles() ([]plannedFile, error) {
	s := ctl.Settings
	prov, err := yamlMap(Providers(s))
	if err != nil {
		return nil, err
	}
	prof, err := yamlMap(Profiles(s))
	if err != nil {
		return nil, err
	}
	files := []plannedFile{
		{filepath.Join(s.Cloud.PVDir, ProvidersFile), prov},
		{filepath.Join(s.Cloud.PFDir, ProfilesFile), prof},
	}
	on, hour, minute := imagesCron(ctl.Pillar, s.Devhost)
	cron := plannedFile{Path: filepath.Join(optString(ctl.Opts, OptCronDir, rootedOpt(ctl.Opts, "/etc/cron.d")), CronFile)}
	if on {
		if !cronField(hour) || !cronField(minute) {
			return nil, fmt.Errorf("%s.lxc.cron_hour/cron_minute must be cron fields, got %q %q", settings.PrefixImages, hour, minute)
		}
		cron.Content = []byte(CronContent(ctl.saltRun(), hour, minute))
	}
	return append(files, cron), nil
}

func cronField(s string) bool {
	return s != "" && strings.Trim(s, "0123456789*/,-") == ""
}

// postDeployController writes the salt-cloud provider and profile files
// and the image-sync schedule (or removes the schedule when cron_sync is
// off). Each file is written atomically, only when its content changed.
func (ctl *Controller) postDeployController(_ context.Context, ret *Result) {
	p := ctl.Paint
	ret.Comment(p.Yellow("Installing controller lxc configuration\n"))
	files, err := ctl.layoutFiles()
	if err != nil {
		ret.Fail()
		ret.Comment(p.Red(err.Error()) + "\n")
		return
	}
	ok := true
	for _, f := range files {
		what, err := syncFile(f, ctl.Test)
		switch {
		case err != nil:
			ok = false
			ret.Fail()
			ret.Output(fmt.Sprintf("- %s\n%v\n", f.Path, err))
			ret.Trace(fmt.Sprintf("%s: %v\n", f.Path, err))
			ctl.Progress.Step(ctl.ID, f.Path, "failed", err.Error(), 0)
		case what != "":
			if ctl.Test {
				what = "would be " + what
			}
			ret.SetChange(f.Path, what)
			ret.Output(fmt.Sprintf("%s: %s\n", f.Path, what))
			ctl.Progress.Step(ctl.ID, f.Path, "ok", what, 0)
		default:
			ret.Output(fmt.Sprintf("%s: unchanged\n", f.Path))
			ctl.Progress.Step(ctl.ID, f.Path, "ok", "no changes", 0)
		}
	}
	ret.Comment(p.Yellow(fmt.Sprintf("  Installation on %s: ", ctl.ID)) + p.Status(ok) + "\n")
}

// syncFile makes f's path hold f.Content (or not exist); it returns what
// changed ("created", "updated", "removed", "" for nothing).
func syncFile(f plannedFile, test bool) (string, error) {
	cur, err := os.ReadFile(f.Path)
	exists := err == nil
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	switch {
	case f.Content == nil && !exists:
		return "", nil
	case f.Content == nil:
		if !test {
			if err := os.Remove(f.Path); err != nil {
				return "", err
			}
		}
		return "removed", nil
	case exists && bytes.Equal(cur, f.Content):
		return "", nil
	}
	what := "created"
	if exists {
		what = "updated"
	}
	if test {
		return what, nil
	}
	return what, atomicfile.WriteMkdir(f.Path, f.Content, 0o644, 0o755)
}
