package grains

import (
	"bytes"
	"regexp"
	"strings"
	"syscall"

	"github.com/saltgo/saltgo/data"
)

var envIDRe = regexp.MustCompile(`(?m)^envID:\s+(\d+)$`)

// detectVirt approximates `systemd-detect-virt` from files: the container
// managers' markers first, then the DMI vendor strings. It returns what the
// command would print ("none" when nothing is found).
func detectVirt(e *Env) string {
	if c := e.ReadString("/run/systemd/container"); c != "" {
		return c
	}
	if b, err := e.ReadFile("/proc/1/environ"); err == nil {
		for _, kv := range strings.Split(string(b), "\x00") {
			if v, ok := strings.CutPrefix(kv, "container="); ok && v != "" {
				return v
			}
		}
	}
	if e.Exists("/.dockerenv") {
		return "docker"
	}
	if e.Exists("/run/.containerenv") {
		return "podman"
	}
	for _, f := range []string{"sys_vendor", "product_name", "board_vendor", "bios_vendor"} {
		v := e.ReadString("/sys/class/dmi/id/" + f)
		switch {
		case v == "":
		case strings.HasPrefix(v, "KVM"), strings.HasPrefix(v, "OpenStack"), strings.HasPrefix(v, "KubeVirt"):
			return "kvm"
		case strings.HasPrefix(v, "Amazon EC2"):
			return "amazon"
		case strings.HasPrefix(v, "QEMU"):
			return "qemu"
		case strings.HasPrefix(v, "VMware"), strings.HasPrefix(v, "VMW"):
			return "vmware"
		case strings.HasPrefix(v, "innotek GmbH"), strings.HasPrefix(v, "Oracle Corporation"):
			return "oracle"
		case strings.HasPrefix(v, "Xen"):
			return "xen"
		case strings.HasPrefix(v, "Bochs"):
			return "bochs"
		case strings.HasPrefix(v, "Parallels"):
			return "parallels"
		case strings.HasPrefix(v, "BHYVE"):
			return "bhyve"
		case strings.HasPrefix(v, "Microsoft Corporation") && f == "sys_vendor":
			return "microsoft"
		}
	}
	return "none"
}

// virtMark is a rule of virtualData: when what it looks at contains mark,
// the virtual and virtual_subtype grains become these ("" keeps the value
// found so far).
type virtMark struct {
	in                     virtSource
	mark, virtual, subtype string
}

// virtSource is what a virtMark looks at.
type virtSource int

const (
	detectVirtOut virtSource = iota // what systemd-detect-virt prints
	productName                     // the DMI product name
	cgroups                         // the control groups of process 1
)

// virtMarks are the rules; for each of in, the first that matches applies.
var virtMarks = []virtMark{
	{detectVirtOut, "vmware", "VMware", ""},
	{detectVirtOut, "microsoft", "VirtualPC", ""},
	{detectVirtOut, "lxc", "container", "LXC"},
	{detectVirtOut, "podman", "container", "Podman"},
	{detectVirtOut, "docker", "container", "Docker"},
	{detectVirtOut, "amazon", "Nitro", "Amazon EC2"},
	{productName, "VirtualBox", "VirtualBox", ""},
	{productName, "RHEV Hypervisor", "kvm", "rhev"},
	{productName, "oVirt Node", "kvm", "ovirt"},
	{productName, "Google", "gce", ""},
	{productName, "BHYVE", "bhyve", ""},
	{cgroups, ":/lxc/", "container", "LXC"},
	{cgroups, ":/kubepods/", "", "kubernetes"},
	{cgroups, ":/libpod_parent/", "", "libpod"},
	{cgroups, ":/system.slice/docker", "container", "Docker"},
	{cgroups, ":/docker/", "container", "Docker"},
	{cgroups, ":/docker-ce/", "container", "Docker"},
}

// applyVirtMarks applies the first rule for in whose mark s contains; an
// empty s matches none.
func applyVirtMarks(in virtSource, s string, virtual, subtype *string) {
	if s == "" {
		return
	}
	for _, r := range virtMarks {
		if r.in != in || !strings.Contains(s, r.mark) {
			continue
		}
		if r.virtual != "" {
			*virtual = r.virtual
		}
		if r.subtype != "" {
			*subtype = r.subtype
		}
		return
	}
}

// virtualData is _virtual for Linux: the systemd-detect-virt mapping, then
// Salt's file checks (chroot, OpenVZ, Xen, QEMU CPU, DMI product name,
// /proc/1/cgroup, /proc/1/environ).
func virtualData(e *Env, g *data.Map, u Uname) {
	virtual := "physical"
	subtype := ""
	if strings.Contains(u.Version, "BrandZ virtual linux") {
		g.Set("virtual", "zone")
		return
	}
	switch out := detectVirt(e); out {
	case "qemu", "kvm", "oracle", "xen", "bochs", "chroot", "uml", "systemd-nspawn":
		virtual = out
	default:
		applyVirtMarks(detectVirtOut, out, &virtual, &subtype)
	}
	if e.Opts.Root == "/" {
		var self, init syscall.Stat_t
		if syscall.Stat("/", &self) == nil && syscall.Stat("/proc/1/root/.", &init) == nil &&
			(self.Dev != init.Dev || self.Ino != init.Ino) {
			subtype = "chroot"
		}
	}
	if e.IsDir("/proc/vz") {
		if e.Exists("/proc/vz/version") {
			virtual = "openvzhn"
		} else if e.Exists("/proc/vz/veinfo") {
			virtual = "openvzve"
		}
	}
	if b, err := e.ReadFile("/proc/self/status"); err == nil {
		if i := bytes.Index(b, []byte("\nenvID:")); i >= 0 {
			if m := envIDRe.FindSubmatch(b[i+1:]); m != nil {
				if string(m[1]) != "0" {
					virtual = "openvzve"
				} else {
					virtual = "openvzhn"
				}
			}
		}
	}
	if e.IsDir("/proc/sys/xen") || e.IsDir("/sys/bus/xen") || e.IsDir("/proc/xen") {
		if e.Exists("/proc/xen/xsd_kva") {
			subtype = "Xen Dom0"
		} else if pn, _ := g.String("productname"); pn == "HVM domU" {
			subtype = "Xen HVM DomU"
		} else if b, err := e.ReadFile("/proc/xen/capabilities"); err == nil {
			if strings.Contains(string(b), "control_d") {
				subtype = "Xen Dom0"
			} else {
				subtype = "Xen PV DomU"
			}
		} else if e.IsDir("/sys/bus/xen/drivers/xenconsole") {
			subtype = "Xen PV DomU"
		}
		if strings.Contains(strings.ToLower(subtype), "dom") {
			virtual = "xen"
		}
	}
	if strings.Contains(e.cpuinfo(), "QEMU Virtual CPU") {
		virtual = "kvm"
	}
	applyVirtMarks(productName, e.ReadString("/sys/devices/virtual/dmi/id/product_name"), &virtual, &subtype)
	applyVirtMarks(cgroups, e.ReadString("/proc/1/cgroup"), &virtual, &subtype)
	if subtype != "LXC" {
		if b, err := e.ReadFile("/proc/1/environ"); err == nil && strings.Contains(string(b), "container=lxc") {
			virtual, subtype = "container", "LXC"
		}
	}
	g.Set("virtual", virtual)
	if subtype != "" {
		g.Set("virtual_subtype", subtype)
	}
}
