//go:build linux && cgo && !nolxc

package helper

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	golxc "github.com/lxc/go-lxc"

	"github.com/saltgo/saltgo/lxc/liblxc"
)

// systemPath puts the standard system directories first in a PATH.
func systemPath(cur string) string {
	std := []string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}
	seen := map[string]bool{}
	var out []string
	for _, d := range append(std, filepath.SplitList(cur)...) {
		if d != "" && !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return strings.Join(out, string(filepath.ListSeparator))
}

// serve runs one liblxc operation.
func serve(req *liblxc.Request) *liblxc.Response {
	path := req.LXCPath
	if path == "" {
		path = golxc.DefaultConfigPath()
	}
	switch req.Op {
	case "version":
		return liblxc.OK(golxc.Version())
	case "list":
		var out []liblxc.ContainerState
		for _, n := range golxc.DefinedContainerNames(path) {
			st := "unknown"
			if c, err := golxc.NewContainer(n, path); err == nil {
				st = strings.ToLower(c.State().String())
				_ = c.Release()
			}
			out = append(out, liblxc.ContainerState{Name: n, State: st})
		}
		return liblxc.OK(out)
	case "bridge_exists":
		// /sys shows the namespace that mounted it, not necessarily ours:
		// ask the kernel through ip(8), which runs in our namespace.
		out, err := exec.Command("ip", "-d", "-o", "link", "show", "dev", req.Name).Output()
		return liblxc.OK(err == nil && strings.Contains(string(out), " bridge "))
	case "used_ips":
		return liblxc.OK(usedIPs(path))
	}
	if err := liblxc.ValidateName(req.Name); err != nil {
		return liblxc.Fail(liblxc.CodeFailed, err)
	}
	c, err := golxc.NewContainer(req.Name, path)
	if err != nil {
		return liblxc.Fail(liblxc.CodeFailed, fmt.Errorf("lxc: open %s: %w", req.Name, err))
	}
	defer func() { _ = c.Release() }()
	// liblxc's errors go to a log file that withLog quotes from. A started
	// container's monitor keeps (and may reopen) its log, so "start" logs
	// into the container directory, which goes away with the container.
	var logPath string
	var logOff int64
	if req.Op == "start" && c.Defined() {
		logPath = filepath.Join(path, req.Name, "saltgo-lxc.log")
		if fi, err := os.Stat(logPath); err == nil {
			logOff = fi.Size()
		}
	} else if f, err := os.CreateTemp("", "saltgo-lxc-log-"+req.Op+"-"); err == nil {
		logPath = f.Name()
		_ = f.Close()
		defer func() { _ = os.Remove(logPath) }()
	}
	if logPath != "" {
		_ = c.SetLogFile(logPath)
		_ = c.SetLogLevel(golxc.WARN)
	}
	withLog := func(err error) error {
		if logPath == "" {
			return err
		}
		b, _ := os.ReadFile(logPath)
		if int64(len(b)) >= logOff {
			b = b[logOff:]
		}
		var lines []string
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, "ERROR") {
				if i := strings.Index(l, " - "); i >= 0 {
					l = l[i+3:]
				}
				lines = append(lines, strings.TrimSpace(l))
			}
		}
		if len(lines) > 4 {
			lines = lines[:4]
		}
		if len(lines) == 0 {
			return err
		}
		return fmt.Errorf("%w (liblxc: %s)", err, strings.Join(lines, "; "))
	}
	if req.Op != "create" && req.Op != "clone" && req.Op != "exists" && !c.Defined() {
		return liblxc.Fail(liblxc.CodeNotFound, fmt.Errorf("container %q does not exist", req.Name))
	}
	switch req.Op {
	case "exists":
		return liblxc.OK(c.Defined())
	case "info":
		return liblxc.OK(info(c))
	case "create":
		return create(c, req, withLog)
	case "clone":
		return clone(c, req, path, withLog)
	case "configure":
		if req.Config == nil {
			scrubLog(c)
			return liblxc.Fail(liblxc.CodeFailed, fmt.Errorf("configure: no config"))
		}
		return configure(c, req.Name, req.Config)
	case "get":
		return liblxc.OK(c.ConfigItem(req.Key))
	case "set":
		return configure(c, req.Name, &liblxc.ConfigChange{Set: []liblxc.ConfItem{{Key: req.Key, Value: req.Value}}})
	case "start":
		if c.Running() {
			return liblxc.OK(false)
		}
		_ = c.WantDaemonize(true)
		_ = c.WantCloseAllFds(true)
		if err := c.Start(); err != nil {
			return liblxc.Fail(liblxc.CodeFailed, withLog(fmt.Errorf("start %s: %w", req.Name, err)))
		}
		if !c.Wait(golxc.RUNNING, timeout(req, 30)) {
			return liblxc.Fail(liblxc.CodeFailed, withLog(fmt.Errorf("start %s: not running after %ds", req.Name, req.Timeout)))
		}
		return liblxc.OK(true)
	case "stop":
		if c.State() == golxc.STOPPED {
			return liblxc.OK(false)
		}
		if c.State() == golxc.FROZEN {
			_ = c.Unfreeze()
		}
		if !req.Kill && req.Timeout > 0 {
			if err := c.Shutdown(timeout(req, 10)); err == nil {
				return liblxc.OK(true)
			}
		}
		if err := c.Stop(); err != nil {
			return liblxc.Fail(liblxc.CodeFailed, withLog(fmt.Errorf("stop %s: %w", req.Name, err)))
		}
		return liblxc.OK(true)
	case "freeze", "unfreeze":
		return setFrozen(c, req, withLog)
	case "destroy":
		if c.State() != golxc.STOPPED {
			if c.State() == golxc.FROZEN {
				_ = c.Unfreeze()
			}
			if err := c.Stop(); err != nil {
				return liblxc.Fail(liblxc.CodeFailed, withLog(fmt.Errorf("stop %s before destroy: %w", req.Name, err)))
			}
		}
		if err := c.Destroy(); err != nil {
			return liblxc.Fail(liblxc.CodeFailed, withLog(fmt.Errorf("destroy %s: %w", req.Name, err)))
		}
		return liblxc.OK(true)
	case "attach":
		return attach(c, req)
	case "cgroup_get":
		if !c.Running() {
			return liblxc.Fail(liblxc.CodeFailed, fmt.Errorf("container %q is not running", req.Name))
		}
		v := c.CgroupItem(req.Key)
		if len(v) == 0 {
			return liblxc.Fail(liblxc.CodeFailed, fmt.Errorf("Unable to retrieve value for '%s'", req.Key))
		}
		return liblxc.OK(v)
	case "cgroup_set":
		if !c.Running() {
			return liblxc.Fail(liblxc.CodeFailed, fmt.Errorf("container %q is not running", req.Name))
		}
		if err := c.SetCgroupItem(req.Key, req.Value); err != nil {
			return liblxc.Fail(liblxc.CodeFailed, fmt.Errorf("set cgroup %s = %q: %w", req.Key, req.Value, err))
		}
		return liblxc.OK(true)
	}
	return liblxc.Fail(liblxc.CodeFailed, fmt.Errorf("lxc helper: unknown op %q", req.Op))
}

// usedIPs maps the IPv4 addresses of the running containers to their
// names. A container's static addresses are read from its configuration
// (no process is started); only containers without a static IPv4 address
// (DHCP) are asked for their live addresses, which forks into their
// network namespace.
func usedIPs(path string) map[string]string {
	used := map[string]string{}
	for _, n := range golxc.ActiveContainerNames(path) {
		c, err := golxc.NewContainer(n, path)
		if err != nil {
			continue
		}
		static := false
		for i := range c.ConfigItem("lxc.net") {
			for _, a := range c.ConfigItem(fmt.Sprintf("lxc.net.%d.ipv4.address", i)) {
				if ip, _, _ := strings.Cut(strings.TrimSpace(a), "/"); ip != "" {
					used[ip] = n
					static = true
				}
			}
		}
		if !static {
			if ips, err := c.IPv4Addresses(); err == nil {
				for _, ip := range ips {
					used[ip] = n
				}
			}
		}
		_ = c.Release()
	}
	return used
}

// scrubLog drops the helper's temporary log settings from the in-memory
// config, so that saving it never points the container at them.
func scrubLog(c *golxc.Container) {
	_ = c.ClearConfigItem("lxc.log.file")
	_ = c.ClearConfigItem("lxc.log.level")
}

// setFrozen freezes the container (op freeze) or thaws it (unfreeze);
// the answer is false when it already was so.
func setFrozen(c *golxc.Container, req *liblxc.Request, withLog func(error) error) *liblxc.Response {
	freeze := req.Op == "freeze"
	if (c.State() == golxc.FROZEN) == freeze {
		return liblxc.OK(false)
	}
	do := c.Unfreeze
	if freeze {
		do = c.Freeze
	}
	if err := do(); err != nil {
		return liblxc.Fail(liblxc.CodeFailed, withLog(fmt.Errorf("%s %s: %w", req.Op, req.Name, err)))
	}
	return liblxc.OK(true)
}

// configure applies ch to the config of the container name and saves it.
func configure(c *golxc.Container, name string, ch *liblxc.ConfigChange) *liblxc.Response {
	scrubLog(c)
	for _, k := range ch.Clear {
		_ = c.ClearConfigItem(k)
	}
	for _, it := range ch.Set {
		if err := c.SetConfigItem(it.Key, it.Value); err != nil {
			return liblxc.Fail(liblxc.CodeFailed, fmt.Errorf("set %s = %q: %w", it.Key, it.Value, err))
		}
	}
	if err := c.SaveConfigFile(c.ConfigFileName()); err != nil {
		return liblxc.Fail(liblxc.CodeFailed, fmt.Errorf("save config of %s: %w", name, err))
	}
	return liblxc.OK(true)
}

func timeout(req *liblxc.Request, def int) time.Duration {
	if req.Timeout > 0 {
		return time.Duration(req.Timeout) * time.Second
	}
	return time.Duration(def) * time.Second
}

func first(v []string) string {
	if len(v) > 0 {
		return v[0]
	}
	return ""
}

func info(c *golxc.Container) *liblxc.Info {
	in := &liblxc.Info{
		Name:       c.Name(),
		State:      strings.ToLower(c.State().String()),
		ConfigFile: c.ConfigFileName(),
		RootfsPath: first(c.ConfigItem("lxc.rootfs.path")),
		Autostart:  first(c.ConfigItem("lxc.start.auto")) == "1",
		Hwaddr:     first(c.ConfigItem("lxc.net.0.hwaddr")),
		Link:       first(c.ConfigItem("lxc.net.0.link")),
		IPs:        []string{},
	}
	if c.Running() {
		in.PID = c.InitPid()
		if ips, err := c.IPv4Addresses(); err == nil {
			in.IPs = ips
		}
	}
	return in
}

// templateDirs are where lxc-create looks for lxc-<name> template scripts.
var templateDirs = []string{"/usr/share/lxc/templates", "/usr/local/share/lxc/templates"}

func backend(name string) (golxc.BackendStore, error) {
	var b golxc.BackendStore
	if err := b.Set(name); err != nil {
		return 0, fmt.Errorf("lxc: unknown backing store %q", name)
	}
	return b, nil
}

func create(c *golxc.Container, req *liblxc.Request, withLog func(error) error) *liblxc.Response {
	p := req.Plan
	if p == nil {
		return liblxc.Fail(liblxc.CodeFailed, fmt.Errorf("create: no plan"))
	}
	if c.Defined() {
		return liblxc.Fail(liblxc.CodeExists, fmt.Errorf("container %q already exists", req.Name))
	}
	found := filepath.IsAbs(p.Template)
	if found {
		_, err := os.Stat(p.Template)
		found = err == nil
	} else {
		for _, d := range templateDirs {
			if _, err := os.Stat(filepath.Join(d, "lxc-"+p.Template)); err == nil {
				found = true
				break
			}
		}
	}
	if !found {
		return liblxc.Fail(liblxc.CodeFailed, fmt.Errorf("lxc template %q does not exist (looked for lxc-%s in %s)", p.Template, p.Template, strings.Join(templateDirs, ", ")))
	}
	opts, err := createOptions(p, p.Template)
	if err != nil {
		return liblxc.Fail(liblxc.CodeFailed, err)
	}
	if err := c.Create(opts); err != nil {
		return liblxc.Fail(liblxc.CodeFailed, withLog(fmt.Errorf("create %s from template %s: %w", req.Name, p.Template, err)))
	}
	// Create saved the helper's temporary log settings into the config.
	scrubLog(c)
	if err := c.SaveConfigFile(c.ConfigFileName()); err != nil {
		return liblxc.Fail(liblxc.CodeFailed, fmt.Errorf("save config of %s: %w", req.Name, err))
	}
	return liblxc.OK(true)
}

func clone(c *golxc.Container, req *liblxc.Request, path string, withLog func(error) error) *liblxc.Response {
	p := req.Plan
	if p == nil {
		return liblxc.Fail(liblxc.CodeFailed, fmt.Errorf("clone: no plan"))
	}
	if c.Defined() {
		return liblxc.Fail(liblxc.CodeExists, fmt.Errorf("container %q already exists", req.Name))
	}
	o, err := golxc.NewContainer(p.Origin, path)
	if err != nil {
		return liblxc.Fail(liblxc.CodeFailed, fmt.Errorf("lxc: open origin %s: %w", p.Origin, err))
	}
	defer func() { _ = o.Release() }()
	if !o.Defined() {
		return liblxc.Fail(liblxc.CodeNotFound, fmt.Errorf("origin container %q does not exist in %s: create it first (mc_cloud_lxc image sync / lxc.ensure_images, or lxc.create %s template=<image>), or use a *-scratch profile type", p.Origin, path, p.Origin))
	}
	if o.Running() {
		return liblxc.Fail(liblxc.CodeFailed, fmt.Errorf("origin container %q is running: stop it before cloning from it", p.Origin))
	}
	if p.Backend == "lvm" && !p.Snapshot {
		return cloneLVM(c, o, req, withLog)
	}
	b, err := backend(p.Backend)
	if err != nil {
		return liblxc.Fail(liblxc.CodeFailed, err)
	}
	if err := o.Clone(req.Name, golxc.CloneOptions{Backend: b, Snapshot: p.Snapshot, ConfigPath: path}); err != nil {
		return liblxc.Fail(liblxc.CodeFailed, withLog(fmt.Errorf("clone %s from %s (%s, snapshot=%v): %w", req.Name, p.Origin, p.Backend, p.Snapshot, err)))
	}
	return liblxc.OK(true)
}

func attach(c *golxc.Container, req *liblxc.Request) *liblxc.Response {
	if len(req.Args) == 0 {
		return liblxc.Fail(liblxc.CodeFailed, fmt.Errorf("run: no command"))
	}
	if !c.Running() {
		return liblxc.Fail(liblxc.CodeFailed, fmt.Errorf("container %q is not running", req.Name))
	}
	var in *os.File
	var err error
	if req.StdinFile != "" {
		in, err = os.Open(req.StdinFile)
	} else {
		in, err = os.CreateTemp("", "saltgo-lxc-in-")
		if err == nil {
			_ = os.Remove(in.Name())
			if _, err = in.Write(req.Stdin); err == nil {
				_, err = in.Seek(0, 0)
			}
		}
	}
	if err != nil {
		return liblxc.Fail(liblxc.CodeFailed, fmt.Errorf("run: stdin: %w", err))
	}
	defer func() { _ = in.Close() }()
	out, err := tempFile()
	if err != nil {
		return liblxc.Fail(liblxc.CodeFailed, err)
	}
	defer func() { _ = out.Close(); _ = os.Remove(out.Name()) }()
	errf, err := tempFile()
	if err != nil {
		return liblxc.Fail(liblxc.CodeFailed, err)
	}
	defer func() { _ = errf.Close(); _ = os.Remove(errf.Name()) }()
	opts := golxc.DefaultAttachOptions
	opts.ClearEnv = true
	opts.Env = append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C"}, req.Env...)
	opts.StdinFd, opts.StdoutFd, opts.StderrFd = in.Fd(), out.Fd(), errf.Fd()
	if req.Combined {
		opts.StderrFd = out.Fd()
	}
	st, err := c.RunCommandStatus(req.Args, opts)
	if err != nil {
		return liblxc.Fail(liblxc.CodeFailed, fmt.Errorf("run %q in %s: %w", req.Args, req.Name, err))
	}
	if st < 0 {
		return liblxc.Fail(liblxc.CodeFailed, fmt.Errorf("run %q in %s: attach failed (command not found?)", req.Args, req.Name))
	}
	res := liblxc.RunResult{Status: st}
	res.Stdout, _ = os.ReadFile(out.Name())
	res.Stderr, _ = os.ReadFile(errf.Name())
	return liblxc.OK(res)
}

func tempFile() (*os.File, error) {
	f, err := os.CreateTemp("", "saltgo-lxc-out-")
	if err != nil {
		return nil, fmt.Errorf("run: temp file: %w", err)
	}
	return f, nil
}
