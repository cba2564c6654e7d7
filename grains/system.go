package grains

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"time"
)

// Uname is the answer of uname(2) (platform.uname() in Python).
type Uname struct {
	Sysname, Nodename, Release, Version, Machine string
}

// IfAddr is one address of an interface.
type IfAddr struct {
	Addr netip.Addr
	// Secondary marks an IPv4 address the kernel flags secondary (listed
	// after the primary ones by Salt).
	Secondary bool
}

// Interface is a network interface with its addresses, in kernel order.
type Interface struct {
	Name string
	// HWAddr is the link address as ip(8) prints it ("" when none).
	HWAddr string
	Addrs  []IfAddr
}

// Process holds the ids of the running process.
type Process struct {
	PID, UID, GID int
}

// System answers the questions that are not file reads. LiveSystem asks
// the running kernel; tests use a fixed implementation.
type System interface {
	Uname() (Uname, error)
	Hostname() (string, error)
	Interfaces() ([]Interface, error)
	Process() Process
	Getenv(key string) string
	// TZName is the abbreviation of the local time zone now ("UTC", "CET").
	TZName() string
	// LookupIP resolves host with DNS (only called when DNSTimeout > 0).
	LookupIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// LiveSystem is the System of the running host.
type LiveSystem struct{}

func cstr(b []int8) string {
	buf := make([]byte, 0, len(b))
	for _, c := range b {
		if c == 0 {
			break
		}
		buf = append(buf, byte(c))
	}
	return string(buf)
}

// Uname calls uname(2).
func (LiveSystem) Uname() (Uname, error) {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return Uname{}, err
	}
	return Uname{
		Sysname:  cstr(u.Sysname[:]),
		Nodename: cstr(u.Nodename[:]),
		Release:  cstr(u.Release[:]),
		Version:  cstr(u.Version[:]),
		Machine:  cstr(u.Machine[:]),
	}, nil
}

// Hostname returns os.Hostname().
func (LiveSystem) Hostname() (string, error) { return os.Hostname() }

// Interfaces lists the interfaces and their addresses with one netlink
// dump per kind.
func (LiveSystem) Interfaces() ([]Interface, error) { return liveInterfaces() }

// Process returns the pid, uid and gid of this process.
func (LiveSystem) Process() Process {
	return Process{PID: os.Getpid(), UID: os.Getuid(), GID: os.Getgid()}
}

// Getenv is os.Getenv.
func (LiveSystem) Getenv(k string) string { return os.Getenv(k) }

// TZName returns the local zone abbreviation.
func (LiveSystem) TZName() string { n, _ := time.Now().Zone(); return n }

// LookupIP resolves host with the Go resolver.
func (LiveSystem) LookupIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, network, host)
}

func readHWAddr(name string) string {
	b, err := os.ReadFile("/sys/class/net/" + name + "/address")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(bytes.TrimSpace(b)))
}
