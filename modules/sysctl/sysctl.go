// Package sysctl is Salt's Linux sysctl execution module
// (salt/modules/linux_sysctl.py): read kernel parameters, set them live
// (sysctl -w) and persist them in a sysctl configuration file, written
// atomically.
package sysctl

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/saltgo/saltgo/atomicfile"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
)

func init() {
	host.Register(&host.Module{Kind: host.Exec, Name: "sysctl", Doc: "Module for viewing and modifying sysctl parameters",
		Virtual: func() error {
			if runtime.GOOS != "linux" {
				return errors.New("The linux_sysctl execution module cannot be loaded: only available on Linux systems.")
			}
			return nil
		},
		Funcs: []*host.Func{
			{Name: "default_config", Fn: defaultConfig, Doc: "Return the default sysctl configuration file of this minion."},
			{Name: "show", Params: []host.Param{host.Opt("config_file", false)}, Fn: show, Doc: "Return a list of sysctl parameters for this minion."},
			{Name: "get", Params: []host.Param{host.Req("name")}, Fn: get, Doc: "Return a single sysctl parameter for this minion."},
			{Name: "assign", Params: []host.Param{host.Req("name"), host.Req("value")}, Fn: assign, Doc: "Assign a single sysctl parameter for this minion."},
			{Name: "persist", Params: []host.Param{host.Req("name"), host.Req("value"), host.Opt("config", nil)}, Fn: persist,
				Doc: "Assign and persist a simple sysctl parameter for this minion."},
		}})
}

// ProcRoot is where the kernel's parameters are read (tests keep it).
const ProcRoot = "/proc/sys"

// DefaultConfig is Salt's default_config: /etc/sysctl.d/99-salt.conf when
// systemd 207 or later booted the host, else /etc/sysctl.conf.
func DefaultConfig(ctx context.Context) string {
	if st, err := os.Stat("/run/systemd/system"); err == nil && st.IsDir() {
		if v := systemdVersion(ctx); v >= 207 {
			return "/etc/sysctl.d/99-salt.conf"
		}
	}
	return "/etc/sysctl.conf"
}

var systemdRe = regexp.MustCompile(`^systemd (\d+)`)

func systemdVersion(ctx context.Context) int {
	out, err := exec.CommandContext(ctx, "systemctl", "--version").Output()
	if err != nil {
		return 0
	}
	m := systemdRe.FindSubmatch(out)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

func defaultConfig(ctx context.Context, _ *host.Call) (any, error) { return DefaultConfig(ctx), nil }

func which(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", host.Errorf("Command '%s' cannot be found", name)
	}
	return p, nil
}

// ShowConfig reads a sysctl configuration file as Salt's show(config_file):
// key -> value of its "key = value" lines; nil when it does not exist, an
// error when it cannot be read.
func ShowConfig(path string) (*data.Map, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	ret := data.NewMap()
	for _, line := range data.SplitLines(string(b), false) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") || !strings.Contains(line, "=") {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		ret.Set(strings.TrimRight(k, " \t"), strings.TrimLeft(v, " \t"))
	}
	return ret, nil
}

func show(ctx context.Context, c *host.Call) (any, error) {
	if cf := c.Get("config_file"); data.Truthy(cf) {
		m, err := ShowConfig(data.Str(cf))
		if err != nil {
			c.Env.Logger().Error("Could not open sysctl file")
			return nil, nil
		}
		if m == nil {
			return []any{}, nil
		}
		return m, nil
	}
	bin, err := which("sysctl")
	if err != nil {
		return nil, err
	}
	out, _ := exec.CommandContext(ctx, bin, "-a").Output()
	ret := data.NewMap()
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " = ")
		if ok {
			ret.Set(k, v)
		}
	}
	return ret, nil
}

// Get is sysctl.get: `sysctl -n name`'s output (its error text when it
// fails, as cmd.run returns it).
func Get(ctx context.Context, name string) (string, error) {
	bin, err := which("sysctl")
	if err != nil {
		return "", err
	}
	out, _ := exec.CommandContext(ctx, bin, "-n", name).CombinedOutput()
	return strings.TrimRight(string(out), "\n"), nil
}

func get(ctx context.Context, c *host.Call) (any, error) { return Get(ctx, c.Str("name")) }

// Exists reports whether the kernel has the parameter.
func Exists(name string) bool {
	tr := strings.NewReplacer(".", "/", "/", ".")
	_, err := os.Stat(filepath.Join(ProcRoot, tr.Replace(name)))
	return err == nil
}

// Assign is sysctl.assign: `sysctl -w name=value`, checked as Salt does.
func Assign(ctx context.Context, name, value string) (*data.Map, error) {
	if !Exists(name) {
		return nil, host.Errorf("sysctl %s does not exist", name)
	}
	bin, err := which("sysctl")
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "-w", name+"="+value)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	out := strings.TrimRight(stdout.String(), "\n")
	errText := strings.TrimRight(stderr.String(), "\n")
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(name) + `\s+=\s+` + regexp.QuoteMeta(value) + `$`)
	if !re.MatchString(out) || strings.Contains(errText, "Invalid argument") {
		msg := out
		if runErr != nil && errText != "" {
			msg = errText
		}
		return nil, host.Errorf("sysctl -w failed: %s", msg)
	}
	k, v, _ := strings.Cut(out, " = ")
	return data.M(k, v), nil
}

func assign(ctx context.Context, c *host.Call) (any, error) {
	return Assign(ctx, c.Str("name"), data.Str(c.Get("value")))
}

var wsRe = regexp.MustCompile(`\s+`)

func sanitize(v string) string { return wsRe.ReplaceAllString(v, "\t") }

var mu sync.Mutex // serialises edits of sysctl configuration files

// Persist is sysctl.persist: set name = value in config (created with
// Salt's header when missing, replaced atomically) and live; it returns
// "Updated" or "Already set". Unlike Salt, an unknown parameter is refused
// before the file is written.
func Persist(ctx context.Context, name, value, config string) (string, error) {
	if config == "" {
		config = DefaultConfig(ctx)
	}
	if !Exists(name) {
		return "", host.Errorf("sysctl %s does not exist", name)
	}
	mu.Lock()
	defer mu.Unlock()
	b, err := os.ReadFile(config)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(filepath.Dir(config), 0o755); err != nil {
			return "", host.Errorf("Could not write to file: %s", config)
		}
		b = []byte("#\n# Kernel sysctl configuration\n#\n")
	case err != nil:
		return "", host.Errorf("Could not read from file: %s", config)
	}
	var lines []string
	edited := false
	for _, line := range data.SplitLines(string(b), true) {
		if !strings.Contains(line, "=") {
			lines = append(lines, line)
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if strings.HasPrefix(k, "#") || k != name {
			lines = append(lines, line)
			continue
		}
		if sanitize(v) == sanitize(value) {
			cur, err := Get(ctx, name)
			if err != nil {
				return "", err
			}
			if sanitize(cur) != sanitize(value) {
				if _, err := Assign(ctx, name, value); err != nil {
					return "", err
				}
				return "Updated", nil
			}
			return "Already set", nil
		}
		lines = append(lines, fmt.Sprintf("%s = %s\n", name, value))
		edited = true
	}
	if !edited {
		lines = append(lines, fmt.Sprintf("%s = %s\n", name, value))
	}
	mode := os.FileMode(0o644)
	if st, err := os.Stat(config); err == nil {
		mode = st.Mode().Perm()
	}
	if err := atomicfile.Write(config, []byte(strings.Join(lines, "")), mode); err != nil {
		return "", host.Errorf("Could not write to file: %s", config)
	}
	if _, err := Assign(ctx, name, value); err != nil {
		return "", err
	}
	return "Updated", nil
}

func persist(ctx context.Context, c *host.Call) (any, error) {
	config := ""
	if v := c.Get("config"); v != nil {
		config = data.Str(v)
	}
	return Persist(ctx, c.Str("name"), data.Str(c.Get("value")), config)
}
