package provision

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/lxc/liblxc"
)

// SSHTarget is a compute node reached over ssh with a key (makina-states'
// sync_images: the controller's key, authorised for root on the node).
type SSHTarget struct {
	// Host is the node's address or name.
	Host string
	// Port is the ssh port (0: 22).
	Port int
	// User is the remote user ("": root).
	User string
	// Key is the private key file ("": ssh's default identities).
	Key string
	// KnownHosts is the known hosts file ("": ssh's default). Unknown
	// host keys are accepted and recorded there (makina-states ran
	// ssh.set_known_host first); a changed one is refused.
	KnownHosts string
}

// where names the target in messages.
func (t SSHTarget) where() string {
	return fmt.Sprintf("%s@%s port %d", t.user(), t.Host, t.port())
}

func (t SSHTarget) user() string {
	if t.User == "" {
		return "root"
	}
	return t.User
}

func (t SSHTarget) port() int {
	if t.Port == 0 {
		return 22
	}
	return t.Port
}

// sshArgs are ssh's options (no host, no command).
func (t SSHTarget) sshArgs() []string {
	a := []string{"-p", strconv.Itoa(t.port()), "-o", "BatchMode=yes", "-o", "ConnectTimeout=15",
		"-o", "StrictHostKeyChecking=accept-new", "-l", t.user()}
	if t.Key != "" {
		a = append(a, "-i", t.Key, "-o", "IdentitiesOnly=yes")
	}
	if t.KnownHosts != "" {
		a = append(a, "-o", "UserKnownHostsFile="+t.KnownHosts)
	}
	return a
}

// shellQuote quotes s for the remote POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// run runs the remote command cmd (a shell line) with stdin.
func (t SSHTarget) run(ctx context.Context, cmd string, stdin []byte) (string, error) {
	args := append(t.sshArgs(), "--", t.Host, cmd)
	c := exec.CommandContext(ctx, "ssh", args...)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	if stdin != nil {
		c.Stdin = bytes.NewReader(stdin)
	}
	out, err := c.Output()
	if err != nil {
		return "", fmt.Errorf("ssh to %s failed: %w: %s", t.where(), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// writeFile replaces the remote file p by b (a temporary file renamed
// over it).
func (t SSHTarget) writeFile(ctx context.Context, p string, b []byte, mode os.FileMode) error {
	tmp := filepath.Join(filepath.Dir(p), ".saltgo-push-"+filepath.Base(p))
	_, err := t.run(ctx, fmt.Sprintf("umask 077 && cat > %[1]s && chmod %[3]o %[1]s && mv -f %[1]s %[2]s",
		shellQuote(tmp), shellQuote(p), mode), b)
	return err
}

// ImagePush is an image container directory of the controller to push to
// a compute node with rsync over ssh.
type ImagePush struct {
	// Name is the image (origin container) name.
	Name string
	// Source is the controller's container directory (config, rootfs/).
	Source string
	// LXCPath is the node's LXC directory (the image goes to
	// LXCPath/Name).
	LXCPath string
	// Target is the node.
	Target SSHTarget
	// Rsync is the local rsync binary ("": rsync from PATH).
	Rsync string
}

// pushExcludes are the top-level entries rsync neither sends nor deletes:
// the config is rewritten for the node, the version file is written last,
// logs and saltgo's records and work files are the node's own.
var pushExcludes = []string{"config", "saltgo-lxc.log", MetadataFile, VersionFile, ".saltgo-*"}

// PushImage brings the node's LXCPath/Name to the version of the
// controller's Source over ssh, as makina-states' sync_images did: the
// node's .ms_version is read first and nothing is sent when it equals the
// source's version; else rsync -aHAX --delete --numeric-ids (owners by
// number, hard links, ACLs, extended attributes, modes, times, devices;
// files gone from the source deleted) updates the directory in place, the config is written
// with its paths pointing at the node's copy, and .ms_version is written
// last (a failed push leaves the old version recorded, so the next push
// runs again). The update is in place, not atomic: a push interrupted
// midway leaves a mix of both versions until the next push completes. A
// second push of the same image on this controller while one runs is
// refused (ErrTransferInProgress). A running origin container on the node
// is not stopped.
func PushImage(ctx context.Context, p ImagePush) (*StepResult, error) {
	res := newResult(p.Name)
	if err := liblxc.ValidateName(p.Name); err != nil {
		return res.fail(err)
	}
	if p.Target.Host == "" || strings.HasPrefix(p.Target.Host, "-") {
		return res.fail(fmt.Errorf("lxc: image %s: invalid ssh host %q", p.Name, p.Target.Host))
	}
	if !filepath.IsAbs(p.LXCPath) {
		return res.fail(fmt.Errorf("lxc: image %s: the node's LXC path %q is not absolute", p.Name, p.LXCPath))
	}
	src, err := filepath.Abs(p.Source)
	if err != nil {
		return res.fail(err)
	}
	if fi, err := os.Stat(filepath.Join(src, "rootfs")); err != nil || !fi.IsDir() {
		return res.fail(fmt.Errorf("lxc: image %s: source %s has no rootfs directory", p.Name, src))
	}
	srcConf, err := os.ReadFile(filepath.Join(src, "config"))
	if err != nil {
		return res.fail(fmt.Errorf("lxc: image %s: source config: %w", p.Name, err))
	}
	rsync := p.Rsync
	if rsync == "" {
		if rsync, err = exec.LookPath("rsync"); err != nil {
			return res.fail(fmt.Errorf("lxc: image %s: rsync is not installed on the controller (apt package rsync): %w", p.Name, err))
		}
	}
	unlock, err := lockFile(filepath.Join(filepath.Dir(src), ".saltgo-push-"+p.Name+".lock"), "image "+p.Name+" is being pushed")
	if err != nil {
		return res.fail(err)
	}
	defer unlock()
	ver, err := ImageVersion(ctx, src)
	if err != nil {
		return res.fail(err)
	}
	dst := filepath.Join(p.LXCPath, p.Name)
	t := p.Target
	cur, err := t.run(ctx, "cat "+shellQuote(filepath.Join(dst, VersionFile))+" 2>/dev/null; exit 0", nil)
	if err != nil {
		return res.fail(fmt.Errorf("lxc: image %s: %w", p.Name, err))
	}
	cur = strings.TrimSpace(cur)
	if cur == ver {
		res.Comment = fmt.Sprintf("image %s already up to date on %s (version %s)", p.Name, t.Host, ver)
		return res, nil
	}
	sshCmd := "ssh"
	for _, a := range t.sshArgs() {
		sshCmd += " " + shellQuote(a)
	}
	n, err := rsyncTree(ctx, rsync, src, t.Host+":"+dst, pushExcludes, "-A", "-X", "-e", sshCmd)
	if err != nil {
		return res.fail(fmt.Errorf("lxc: image %s: rsync to %s failed: %w", p.Name, t.where(), err))
	}
	conf := imageConfig(string(srcConf), src, dst, p.Name)
	if err := t.writeFile(ctx, filepath.Join(dst, "config"), []byte(conf), 0o640); err != nil {
		return res.fail(fmt.Errorf("lxc: image %s: config: %w", p.Name, err))
	}
	if err := t.writeFile(ctx, filepath.Join(dst, VersionFile), []byte(ver+"\n"), 0o644); err != nil {
		return res.fail(fmt.Errorf("lxc: image %s: %s: %w", p.Name, VersionFile, err))
	}
	if cur == "" {
		res.Changes.Set("created", fmt.Sprintf("%s:%s from %s", t.Host, dst, src))
	}
	res.Changes.Set("version", data.M("old", cur, "new", ver))
	res.Changes.Set("synced", fmt.Sprintf("%d changes (rsync over ssh)", n))
	res.Comment = fmt.Sprintf("image %s pushed to %s:%s with rsync over ssh (version %s)", p.Name, t.Host, dst, ver)
	return res, nil
}
