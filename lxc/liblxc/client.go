package liblxc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// DefaultLXCPath is liblxc's default container directory.
const DefaultLXCPath = "/var/lib/lxc"

// Client runs liblxc operations in children running the helper binary
// saltgo-lxc-helper (the Incus forklxc pattern): one short-lived child per
// operation, so a crash, a hang or an fd leak in liblxc costs one child,
// never the minion. It is safe for concurrent use.
type Client struct {
	// LXCPath is the container directory (default DefaultLXCPath).
	LXCPath string
	// Netns, when set, runs the helper inside that network namespace (a
	// name under /run/netns, or a path): liblxc's control sockets are per
	// network namespace, so a container must be driven from the namespace
	// that started it.
	Netns string
	// Helper is the helper binary (default: FindHelper("")).
	Helper string
	// Env is added to the helper's environment.
	Env []string
	// Timeout bounds one operation (default 10 minutes, for templates that
	// download or debootstrap).
	Timeout time.Duration
	// Trace, when set, is called after every helper call with the
	// operation, the container name and how long the call took (profiling).
	Trace func(op, name string, d time.Duration)

	// Serve, when set, answers requests in this process instead of in a
	// helper child: the helper sets it on the Client it gives the steps of
	// a compound operation (spawn), which run inside the helper itself.
	Serve func(*Request) *Response
}

func (c *Client) lxcpath() string {
	if c.LXCPath == "" {
		return DefaultLXCPath
	}
	return c.LXCPath
}

// Path returns the effective container directory.
func (c *Client) Path() string { return c.lxcpath() }

// Do sends one request to a fresh helper child and decodes its result into
// out (when non-nil).
func (c *Client) Do(ctx context.Context, req *Request, out any) error {
	if c.Trace != nil {
		start := time.Now()
		defer func() { c.Trace(req.Op, req.Name, time.Since(start)) }()
	}
	req.LXCPath = c.lxcpath()
	if c.Serve != nil {
		return decodeResponse(req, c.Serve(req), out)
	}
	exe := c.Helper
	if exe == "" {
		var err error
		if exe, err = FindHelper(""); err != nil {
			return err
		}
	}
	to := c.Timeout
	if to <= 0 {
		to = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, to)
	defer cancel()
	dir, err := os.MkdirTemp("", "saltgo-lxc-call-")
	if err != nil {
		return fmt.Errorf("lxc: temp dir: %w", err)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	respPath := filepath.Join(dir, "response.json")
	logf, err := os.Create(filepath.Join(dir, "output"))
	if err != nil {
		return fmt.Errorf("lxc: helper log: %w", err)
	}
	defer func() { _ = logf.Close() }()
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("lxc: encode request: %w", err)
	}
	args := []string{respPath}
	name := exe
	if c.Netns != "" {
		// Like `ip netns exec`, the helper gets its own mount namespace with
		// the namespace's sysfs on /sys (liblxc checks bridges there), but
		// the host's cgroup tree is moved back on top of it, which
		// `ip netns exec` hides (freeze then fails on a cgroup v1 host).
		name = "nsenter"
		args = append([]string{"--net=" + netnsPath(c.Netns), "--", "unshare", "--mount", "--propagation", "slave",
			"/bin/sh", "-c", netnsScript, "sh", exe}, args...)
	}
	cmd := exec.CommandContext(ctx, name, args...)
	// The helper's temp files live in the call directory, removed below
	// whatever liblxc's forked children do with them.
	cmd.Env = append(append(os.Environ(), c.Env...), "TMPDIR="+dir)
	cmd.Stdin = bytes.NewReader(body)
	// Files, not pipes: a daemonised container monitor that inherited a
	// pipe would otherwise keep Wait from returning.
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	runErr := cmd.Run()
	b, rerr := os.ReadFile(respPath)
	if rerr != nil || len(b) == 0 {
		output, _ := os.ReadFile(logf.Name())
		if len(output) > 2048 {
			output = output[len(output)-2048:]
		}
		if ctx.Err() != nil {
			return fmt.Errorf("lxc: %s %s: %w", req.Op, req.Name, ctx.Err())
		}
		return fmt.Errorf("%w: %s %s: %v: %s", ErrHelperCrashed, req.Op, req.Name, runErr, strings.TrimSpace(string(output)))
	}
	var resp Response
	if err := json.Unmarshal(b, &resp); err != nil {
		return fmt.Errorf("%w: %s %s: bad response: %v", ErrHelperCrashed, req.Op, req.Name, err)
	}
	return decodeResponse(req, &resp, out)
}

func decodeResponse(req *Request, resp *Response, out any) error {
	if !resp.OK {
		return resp.err()
	}
	if out != nil && len(resp.Result) > 0 {
		if err := json.Unmarshal(resp.Result, out); err != nil {
			return fmt.Errorf("lxc: decode %s result: %w", req.Op, err)
		}
	}
	return nil
}

// Version returns liblxc's version; an error means liblxc cannot be used.
func (c *Client) Version(ctx context.Context) (string, error) {
	var v string
	err := c.Do(ctx, &Request{Op: "version"}, &v)
	return v, err
}

// List returns the defined containers and their states.
func (c *Client) List(ctx context.Context) ([]ContainerState, error) {
	var out []ContainerState
	err := c.Do(ctx, &Request{Op: "list"}, &out)
	return out, err
}

// Exists reports whether a container is defined.
func (c *Client) Exists(ctx context.Context, name string) (bool, error) {
	var ok bool
	err := c.Do(ctx, &Request{Op: "exists", Name: name}, &ok)
	return ok, err
}

// Info describes a container (ErrNotFound when it is not defined).
func (c *Client) Info(ctx context.Context, name string) (*Info, error) {
	var in Info
	if err := c.Do(ctx, &Request{Op: "info", Name: name}, &in); err != nil {
		return nil, err
	}
	return &in, nil
}

// State returns a container's state in lower case (ErrNotFound when it is
// not defined).
func (c *Client) State(ctx context.Context, name string) (string, error) {
	in, err := c.Info(ctx, name)
	if err != nil {
		return "", err
	}
	return in.State, nil
}

// Create creates a container from p's template (p.Clone must be false).
func (c *Client) Create(ctx context.Context, p *Plan) error {
	return c.Do(ctx, &Request{Op: "create", Name: p.Name, Plan: p}, nil)
}

// Clone clones p.Origin into p.Name (p.Clone must be true).
func (c *Client) Clone(ctx context.Context, p *Plan) error {
	return c.Do(ctx, &Request{Op: "clone", Name: p.Name, Plan: p}, nil)
}

// Configure applies a config change and saves the container config.
func (c *Client) Configure(ctx context.Context, name string, ch *ConfigChange) error {
	return c.Do(ctx, &Request{Op: "configure", Name: name, Config: ch}, nil)
}

// GetConfig returns the values of a config key.
func (c *Client) GetConfig(ctx context.Context, name, key string) ([]string, error) {
	return c.values(ctx, "get", name, key)
}

// SetConfig sets a config key and saves the config.
func (c *Client) SetConfig(ctx context.Context, name, key, value string) error {
	return c.Do(ctx, &Request{Op: "set", Name: name, Key: key, Value: value}, nil)
}

// Start starts a container daemonised; changed is false if it was running.
func (c *Client) Start(ctx context.Context, name string) (changed bool, err error) {
	err = c.Do(ctx, &Request{Op: "start", Name: name}, &changed)
	return changed, err
}

// Stop stops a container: a clean shutdown bounded by timeout seconds
// unless kill (or timeout 0), then a hard stop. changed is false if it was
// already stopped.
func (c *Client) Stop(ctx context.Context, name string, timeout int, kill bool) (changed bool, err error) {
	err = c.Do(ctx, &Request{Op: "stop", Name: name, Timeout: timeout, Kill: kill}, &changed)
	return changed, err
}

// Freeze freezes a running container.
func (c *Client) Freeze(ctx context.Context, name string) (changed bool, err error) {
	err = c.Do(ctx, &Request{Op: "freeze", Name: name}, &changed)
	return changed, err
}

// Unfreeze thaws a frozen container.
func (c *Client) Unfreeze(ctx context.Context, name string) (changed bool, err error) {
	err = c.Do(ctx, &Request{Op: "unfreeze", Name: name}, &changed)
	return changed, err
}

// Destroy stops (if needed) and destroys a container.
func (c *Client) Destroy(ctx context.Context, name string) error {
	return c.Do(ctx, &Request{Op: "destroy", Name: name}, nil)
}

// BridgeExists reports whether a bridge interface exists in the helper's
// network namespace.
func (c *Client) BridgeExists(ctx context.Context, bridge string) (bool, error) {
	var ok bool
	err := c.Do(ctx, &Request{Op: "bridge_exists", Name: bridge}, &ok)
	return ok, err
}

// UsedIPs maps the IPv4 addresses of the running containers to their names.
func (c *Client) UsedIPs(ctx context.Context) (map[string]string, error) {
	var m map[string]string
	err := c.Do(ctx, &Request{Op: "used_ips"}, &m)
	return m, err
}

// Run runs a command inside a running container (lxc-attach) and returns
// its exit status and output; a non-zero status is not an error.
func (c *Client) Run(ctx context.Context, name string, args []string, stdin []byte, env []string) (*RunResult, error) {
	var r RunResult
	if err := c.Do(ctx, &Request{Op: "attach", Name: name, Args: args, Stdin: stdin, Env: env}, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// ErrNoFile is returned by ReadFile for a missing file.
var ErrNoFile = errors.New("no such file in container")

// ReadFile reads a file inside a running container.
func (c *Client) ReadFile(ctx context.Context, name, path string) ([]byte, error) {
	r, err := c.Run(ctx, name, []string{"/bin/sh", "-c", `[ -e "$1" ] || exit 3; cat "$1"`, "sh", path}, nil, nil)
	if err != nil {
		return nil, err
	}
	if r.Status == 3 {
		return nil, fmt.Errorf("%w: %s:%s", ErrNoFile, name, path)
	}
	if r.Status != 0 {
		return nil, fmt.Errorf("lxc: read %s:%s: exit %d: %s", name, path, r.Status, strings.TrimSpace(string(r.Stderr)))
	}
	return r.Stdout, nil
}

// writeScript writes stdin to $1 through a temp file and a rename; an
// existing file's owner and mode are kept (cp -p), and mode $2 is applied
// unless it is 0.
const writeScript = `set -e; t="$1.saltgo-tmp"; mkdir -p "$(dirname "$1")"; umask 077
if [ -f "$1" ]; then cp -p "$1" "$t"; fi
cat > "$t"; if [ "$2" != 0 ]; then chmod "$2" "$t"; fi; mv -f "$t" "$1"`

// WriteFile writes a file inside a running container atomically (temp file
// + rename), creating its directory; mode 0 keeps an existing file's mode.
func (c *Client) WriteFile(ctx context.Context, name, path string, data []byte, mode os.FileMode) error {
	return c.writeFile(ctx, name, path, &Request{Stdin: data}, mode)
}

// CopyFile copies a host file into a running container atomically.
func (c *Client) CopyFile(ctx context.Context, name, hostPath, path string, mode os.FileMode) error {
	abs, err := filepath.Abs(hostPath)
	if err != nil {
		return err
	}
	return c.writeFile(ctx, name, path, &Request{StdinFile: abs}, mode)
}

func (c *Client) writeFile(ctx context.Context, name, path string, req *Request, mode os.FileMode) error {
	req.Op, req.Name = "attach", name
	req.Args = []string{"/bin/sh", "-c", writeScript, "sh", path, fmt.Sprintf("%o", mode.Perm())}
	var r RunResult
	if err := c.Do(ctx, req, &r); err != nil {
		return err
	}
	if r.Status != 0 {
		return fmt.Errorf("lxc: write %s:%s: exit %d: %s", name, path, r.Status, strings.TrimSpace(string(r.Stderr)))
	}
	return nil
}

func netnsPath(ns string) string {
	if strings.HasPrefix(ns, "/") {
		return ns
	}
	return filepath.Join("/run/netns", ns)
}

// netnsScript runs "$@" with the current network namespace's sysfs on
// /sys and the host's /sys/fs/cgroup kept.
const netnsScript = `set -e
cg=/run/saltgo-lxc-cg.$$
if mountpoint -q /sys/fs/cgroup; then mkdir -p "$cg"; mount --rbind /sys/fs/cgroup "$cg"; fi
umount -l /sys 2>/dev/null || true
mount -t sysfs sysfs /sys
if [ -d "$cg" ]; then mount --move "$cg" /sys/fs/cgroup; rmdir "$cg"; fi
exec "$@"`

// RunCombined is Run with the command's stderr sent to its stdout, in
// order (Salt's cmd.run output); RunResult.Stderr is empty.
func (c *Client) RunCombined(ctx context.Context, name string, args []string, stdin []byte, env []string) (*RunResult, error) {
	var r RunResult
	if err := c.Do(ctx, &Request{Op: "attach", Name: name, Args: args, Stdin: stdin, Env: env, Combined: true}, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// CgroupGet returns the values of a cgroup parameter of a running
// container (lxc-cgroup -n name key).
func (c *Client) CgroupGet(ctx context.Context, name, key string) ([]string, error) {
	return c.values(ctx, "cgroup_get", name, key)
}

// values runs a request op for the values of key (a config key or a
// cgroup parameter) of the container name.
func (c *Client) values(ctx context.Context, op, name, key string) ([]string, error) {
	var v []string
	err := c.Do(ctx, &Request{Op: op, Name: name, Key: key}, &v)
	return v, err
}

// CgroupSet sets a cgroup parameter of a running container.
func (c *Client) CgroupSet(ctx context.Context, name, key, value string) error {
	return c.Do(ctx, &Request{Op: "cgroup_set", Name: name, Key: key, Value: value}, nil)
}
