// Package apttest builds, for tests, tiny Debian packages, a local apt
// repository (file://, no network) and a private root with its own apt
// configuration and dpkg database, and points apt and dpkg at it through
// their own environment variables (APT_CONFIG, DPKG_ROOT, DPKG_ADMINDIR),
// so that a test installs and removes real packages without touching the
// host's package database.
package apttest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Root is a private apt/dpkg root and its repository.
type Root struct {
	t    testing.TB
	Dir  string // the root (dpkg's instdir)
	Repo string // the repository directory (file://)
}

// New makes the root and the empty repository in t.TempDir() and sets the
// environment (t.Setenv) so that apt-get, apt-cache, dpkg and dpkg-query
// started by the test use them.
func New(t testing.TB) *Root {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("apttest: dpkg installs packages only as root (run the tests as root, as the CI does after scripts/setup.sh)")
	}
	base := t.TempDir()
	r := &Root{t: t, Dir: filepath.Join(base, "root"), Repo: filepath.Join(base, "repo")}
	for _, d := range []string{"etc/apt/apt.conf.d", "etc/apt/preferences.d", "etc/apt/sources.list.d", "var/lib/apt/lists/partial",
		"var/cache/apt/archives/partial", "var/lib/dpkg/updates", "var/lib/dpkg/info", "var/log/apt"} {
		r.must(os.MkdirAll(filepath.Join(r.Dir, d), 0o755))
	}
	r.must(os.MkdirAll(r.Repo, 0o755))
	r.write(filepath.Join(r.Dir, "var/lib/dpkg/status"), "")
	r.write(filepath.Join(r.Repo, "Packages"), "")
	r.write(filepath.Join(r.Dir, "etc/apt/sources.list"), fmt.Sprintf("deb [trusted=yes] file://%s ./\n", r.Repo))
	conf := filepath.Join(r.Dir, "etc/apt/apt.conf")
	// dpkg's --root does not move its log: --log keeps the host's
	// /var/log/dpkg.log untouched too.
	r.write(conf, fmt.Sprintf("Dir \"%s/\";\nDPkg::Options { \"--root=%s\"; \"--log=%s/var/log/dpkg.log\"; };\nAPT::Sandbox::User \"root\";\nAcquire::Languages \"none\";\n", r.Dir, r.Dir, r.Dir))
	t.Setenv("APT_CONFIG", conf)
	t.Setenv("DPKG_ROOT", r.Dir)
	t.Setenv("DPKG_ADMINDIR", filepath.Join(r.Dir, "var/lib/dpkg"))
	hostLog := hostDpkgLogSize()
	t.Cleanup(func() {
		if now := hostDpkgLogSize(); now != hostLog {
			t.Errorf("apttest: the host's %s changed (%d -> %d bytes): something ran dpkg outside the private root", HostDpkgLog, hostLog, now)
		}
	})
	return r
}

// HostDpkgLog is the host's dpkg log, which a private root must leave
// alone.
const HostDpkgLog = "/var/log/dpkg.log"

func hostDpkgLogSize() int64 {
	st, err := os.Stat(HostDpkgLog)
	if err != nil {
		return -1
	}
	return st.Size()
}

// NewRepo makes only an empty repository in dir (no private root, no
// environment): for a whole system, such as a Debian container, whose
// own apt points at it (deb [trusted=yes] file://<dir> ./). Add fills it;
// Update, StatusHash and Installed are for New's roots only.
func NewRepo(t testing.TB, dir string) *Root {
	t.Helper()
	r := &Root{t: t, Repo: dir}
	r.must(os.MkdirAll(dir, 0o755))
	r.write(filepath.Join(dir, "Packages"), "")
	return r
}

func (r *Root) must(err error) {
	r.t.Helper()
	if err != nil {
		r.t.Fatal(err)
	}
}

func (r *Root) write(path, s string) {
	r.t.Helper()
	r.must(os.WriteFile(path, []byte(s), 0o644))
}

// Add builds package name at version (depending on depends when not
// empty) into the repository and regenerates its Packages index.
func (r *Root) Add(name, version, depends string) {
	r.t.Helper()
	src := filepath.Join(r.t.TempDir(), name)
	r.must(os.MkdirAll(filepath.Join(src, "DEBIAN"), 0o755))
	r.must(os.MkdirAll(filepath.Join(src, "usr/share", name), 0o755))
	r.write(filepath.Join(src, "usr/share", name, "version"), version+"\n")
	ctl := fmt.Sprintf("Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: saltgo tests <tests@saltgo.invalid>\nDescription: saltgo test package\n", name, version)
	if depends != "" {
		ctl += "Depends: " + depends + "\n"
	}
	r.write(filepath.Join(src, "DEBIAN/control"), ctl)
	r.run(exec.Command("dpkg-deb", "--root-owner-group", "--build", src, filepath.Join(r.Repo, fmt.Sprintf("%s_%s_all.deb", name, version))))
	idx := exec.Command("dpkg-scanpackages", "--multiversion", ".", "/dev/null")
	idx.Dir = r.Repo
	var out, errb bytes.Buffer
	idx.Stdout, idx.Stderr = &out, &errb
	if err := idx.Run(); err != nil {
		r.t.Fatalf("dpkg-scanpackages: %v: %s", err, errb.String())
	}
	r.write(filepath.Join(r.Repo, "Packages"), out.String())
}

func (r *Root) run(c *exec.Cmd) {
	r.t.Helper()
	if out, err := c.CombinedOutput(); err != nil {
		r.t.Fatalf("%v: %v: %s", c.Args, err, out)
	}
}

// Update runs apt-get update against the repository.
func (r *Root) Update() {
	r.t.Helper()
	r.run(exec.Command("apt-get", "-q", "update"))
}

// StatusHash is the sha256 of the private dpkg status file.
func (r *Root) StatusHash() string {
	r.t.Helper()
	b, err := os.ReadFile(filepath.Join(r.Dir, "var/lib/dpkg/status"))
	r.must(err)
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

// Installed reports whether the package's file is present under the root.
func (r *Root) Installed(name string) (string, bool) {
	b, err := os.ReadFile(filepath.Join(r.Dir, "usr/share", name, "version"))
	if err != nil {
		return "", false
	}
	return string(bytes.TrimSpace(b)), true
}
