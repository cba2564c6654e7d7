package grains

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/saltgo/saltgo/data"
)

// collectOSData is salt.grains.core.os_data for Linux: kernel, distribution,
// CPU, GPU, memory, hardware, virtualisation and release grains, in Salt's
// key order, from files only (no lspci, dmidecode or systemd-detect-virt).
func collectOSData(_ context.Context, e *Env) (*data.Map, error) {
	g := data.M("num_gpus", int64(0), "gpus", []any{})
	set := func(k string, v any) { g.Set(k, v) }
	get := func(k string) (any, bool) { return g.Get(k) }
	u, err := e.Sys.Uname()
	if err != nil {
		return nil, fmt.Errorf("uname: %w", err)
	}
	set("kernel", u.Sysname)
	set("nodename", u.Nodename)
	set("kernelrelease", u.Release)
	set("kernelversion", u.Version)
	set("cpuarch", u.Machine)

	if sel := selinuxData(e); sel != nil {
		set("selinux", sel)
	}
	set("init", initSystem(e))
	distroData(e, set, get)
	cpuData(e, set)
	if e.Opts.EnableGPUGrains {
		if gpus := gpuData(e); gpus != nil {
			set("num_gpus", int64(len(gpus)))
			set("gpus", gpus)
		}
	}
	family, _ := g.String("os_family")
	set("osarch", osArch(family, u.Machine))
	memData(e, set)
	hwData(e, set)
	virtualData(e, g, u)
	set("ps", "ps -efHww")
	if v, _ := g.String("virtual"); v == "openvzhn" {
		set("ps", `ps -fH -p $(grep -l "^envID:[[:space:]]*0\\$" /proc/[0-9]*/status | sed -e "s=/proc/\\([0-9]*\\)/.*=\\1=")  | awk '{ $7=""; print }'`)
	} else if family == "NILinuxRT" {
		set("ps", "ps -o user,pid,ppid,tty,time,comm")
	}
	if rel, _ := g.String("osrelease"); rel != "" {
		osName, _ := g.String("os")
		full, _ := g.String("osfullname")
		osReleaseData(g, osName, full, rel)
	}
	return g, nil
}

func selinuxData(e *Env) *data.Map {
	if !e.Exists("/usr/sbin/selinuxenabled") && !e.Exists("/usr/bin/selinuxenabled") && !e.Exists("/sbin/selinuxenabled") {
		return nil
	}
	enabled := e.Exists("/sys/fs/selinux/enforce")
	enforced := "Disabled"
	if enabled {
		if e.ReadString("/sys/fs/selinux/enforce") == "1" {
			enforced = "Enforcing"
		} else {
			enforced = "Permissive"
		}
	}
	return data.M("enabled", enabled, "enforced", enforced)
}

// initSystem is _linux_init_system, reading the init binary's name (and,
// for an unresolved /sbin/init, its content) instead of running which.
func initSystem(e *Env) string {
	if e.IsDir("/run/systemd/system") {
		return "systemd"
	}
	b, err := e.ReadFile("/proc/1/cmdline")
	if err != nil {
		return "unknown"
	}
	args := strings.Fields(strings.ReplaceAll(string(b), "\x00", " "))
	if len(args) == 0 {
		return "unknown"
	}
	base := func(s string) string { return filepath.Base(s) }
	if strings.HasSuffix(args[0], "bin/init") || args[0] == "init" {
		p := args[0]
		if !strings.HasPrefix(p, "/") {
			p = "/sbin/init"
		}
		if target, err := filepath.EvalSymlinks(e.Path(p)); err == nil {
			if strings.Contains(target, "systemd") {
				return "systemd"
			}
			if f, err := os.Open(target); err == nil {
				defer f.Close()
				buf := make([]byte, 1<<20)
				n, _ := f.Read(buf)
				low := strings.ToLower(string(buf[:n]))
				for _, s := range []string{"upstart", "sysvinit", "systemd"} {
					if strings.Contains(low, s) {
						return s
					}
				}
			}
		}
		return "unknown"
	}
	for _, a := range args {
		switch base(a) {
		case "supervisord":
			return "supervisord"
		case "dumb-init":
			return "dumb-init"
		case "tini":
			return "tini"
		}
	}
	if len(args) == 1 && args[0] == "runit" {
		return "runit"
	}
	for _, a := range args {
		if a == "/sbin/my_init" {
			return "runit"
		}
	}
	return "unknown"
}

// cpuinfo returns /proc/cpuinfo, read once per Collect (the kernel builds
// it on every read, which is slow on many-core hosts).
func (e *Env) cpuinfo() string {
	return e.Once("cpuinfo", func() any {
		b, _ := e.ReadFile("/proc/cpuinfo")
		return string(b)
	}).(string)
}

// cpuData is _linux_cpudata.
func cpuData(e *Env, set func(string, any)) {
	num, model, flags := int64(0), "", []any(nil)
	haveModel := false
	if ci := e.cpuinfo(); ci != "" {
		for _, line := range strings.Split(ci, "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if i := strings.Index(v, ":"); i >= 0 {
				v = strings.TrimSpace(v[:i])
			}
			switch k {
			case "processor":
				num++
			case "# processors":
				if n, err := strconv.ParseInt(v, 10, 64); err == nil {
					num = n
				}
			case "vendor_id", "model name", "cpu":
				model, haveModel = v, true
			case "flags", "Features":
				flags = []any{}
				for _, f := range strings.Fields(v) {
					flags = append(flags, f)
				}
			case "Processor":
				m, _, _ := strings.Cut(v, "-")
				model, haveModel, num = m, true, 1
			}
		}
	}
	if !haveModel {
		model = "Unknown"
	}
	if flags == nil {
		flags = []any{}
	}
	set("num_cpus", num)
	set("cpu_model", model)
	set("cpu_flags", flags)
}

// memData is _linux_memdata: MemTotal and SwapTotal in MiB.
func memData(e *Env, set func(string, any)) {
	mem, swap := int64(0), int64(0)
	if b, err := e.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			f := strings.Fields(v)
			if len(f) == 0 {
				continue
			}
			n, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				continue
			}
			switch strings.TrimSpace(k) {
			case "MemTotal":
				mem = n / 1024
			case "SwapTotal":
				swap = n / 1024
			}
		}
	}
	set("mem_total", mem)
	set("swap_total", swap)
}

// osArch is _osarch without spawning dpkg or rpm: Debian family gets dpkg
// architecture names.
func osArch(family, machine string) string {
	if family == "Debian" {
		switch machine {
		case "x86_64":
			return "amd64"
		case "aarch64", "arm64":
			return "arm64"
		case "i386", "i486", "i586", "i686":
			return "i386"
		case "armv7l", "armv6l":
			return "armhf"
		case "ppc64le":
			return "ppc64el"
		}
	}
	return machine
}

var bogusDMI = []string{"to be filled by o.e.m.", "not specified", "not available", "default string",
	"system product name", "system manufacturer", "none", "0123456789", "n/a"}

// hwData reads the DMI identifiers of /sys/class/dmi/id.
func hwData(e *Env, set func(string, any)) {
	if !e.IsDir("/sys/class/dmi/id") {
		return
	}
	for _, kv := range [][2]string{
		{"biosversion", "bios_version"}, {"productname", "product_name"}, {"manufacturer", "sys_vendor"},
		{"biosreleasedate", "bios_date"}, {"uuid", "product_uuid"}, {"serialnumber", "product_serial"},
		{"biosvendor", "bios_vendor"}, {"boardname", "board_name"},
	} {
		b, err := e.ReadFile("/sys/class/dmi/id/" + kv[1])
		if err != nil {
			continue
		}
		v := strings.TrimSpace(string(b))
		bogus := v == ""
		for _, x := range bogusDMI {
			if strings.EqualFold(v, x) {
				bogus = true
			}
		}
		if kv[0] == "uuid" {
			v = strings.ToLower(v)
			if strings.Trim(v, "0-") == "" || strings.Trim(v, "f-") == "" {
				bogus = true
			}
		}
		if !bogus {
			set(kv[0], v)
		}
	}
}

// osReleaseData is _osrelease_data.
func osReleaseData(g *data.Map, osName, fullname, rel string) {
	parts := strings.Split(rel, ".")
	info := make([]any, len(parts))
	for i, p := range parts {
		if n, err := strconv.ParseInt(p, 10, 64); err == nil && p != "" && strings.Trim(p, "0123456789") == "" {
			info[i] = n
		} else {
			info[i] = p
		}
	}
	g.Set("osrelease_info", info)
	if n, ok := info[0].(int64); ok {
		g.Set("osmajorrelease", n)
	} else if n, err := strconv.ParseInt(fmt.Sprint(info[0]), 10, 64); err == nil {
		g.Set("osmajorrelease", n)
	}
	name := fullname
	switch osName {
	case "Debian", "FreeBSD", "OpenBSD", "NetBSD", "Mac", "Raspbian":
		name = osName
	}
	ver := fmt.Sprint(info[0])
	if osName == "Ubuntu" || osName == "Pop" {
		ver = rel
	}
	g.Set("osfinger", name+"-"+ver)
}
