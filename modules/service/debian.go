package service

import (
	"context"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// debian is salt/modules/debian_service.py: the scripts of /etc/init.d
// driven through service(8), boot links in /etc/rc?.d through update-rc.d.
type debian struct{ *runner }

func (d *debian) Provider() string { return "debian" }

// initDir and rcRoot are where Debian keeps its init scripts and boot
// links.
const (
	initDir = "/etc/init.d"
	rcRoot  = "/etc"
)

func (d *debian) serviceCmd(ctx context.Context, name, action string, ignoreRetcode bool) (bool, error) {
	rc, err := d.retcode(ctx, []string{"service", name, action}, false, ignoreRetcode)
	if err != nil {
		return false, err
	}
	return rc == 0, nil
}

func (d *debian) Start(ctx context.Context, name string, _ Opts) (bool, error) {
	return d.serviceCmd(ctx, name, "start", false)
}

func (d *debian) Stop(ctx context.Context, name string, _ Opts) (bool, error) {
	return d.serviceCmd(ctx, name, "stop", false)
}

func (d *debian) Restart(ctx context.Context, name string, _ Opts) (bool, error) {
	return d.serviceCmd(ctx, name, "restart", false)
}

func (d *debian) Reload(ctx context.Context, name string, _ Opts) (bool, error) {
	return d.serviceCmd(ctx, name, "reload", false)
}

func (d *debian) ForceReload(ctx context.Context, name string, _ Opts) (bool, error) {
	return d.serviceCmd(ctx, name, "force-reload", false)
}

func (d *debian) Status(ctx context.Context, name, sig string) (bool, error) {
	if sig != "" {
		pids, err := d.pidsBySig(ctx, sig)
		return len(pids) > 0, err
	}
	return d.serviceCmd(ctx, name, "status", true)
}

// Enable is Salt's "insserv NAME && update-rc.d NAME enable" through a
// shell (so it fails where insserv is not installed, as Salt's does).
func (d *debian) Enable(ctx context.Context, name string, _ Opts) (bool, error) {
	q := shQuote(name)
	rc, err := d.retcode(ctx, []string{"insserv " + q + " && update-rc.d " + q + " enable"}, true, false)
	if err != nil {
		return false, err
	}
	return rc == 0, nil
}

func (d *debian) Disable(ctx context.Context, name string, _ Opts) (bool, error) {
	rc, err := d.retcode(ctx, []string{"update-rc.d", name, "disable"}, false, false)
	if err != nil {
		return false, err
	}
	return rc == 0, nil
}

func (d *debian) Enabled(ctx context.Context, name string) (bool, error) {
	l, err := d.GetEnabled(ctx)
	return slices.Contains(l, name), err
}

func (d *debian) Disabled(ctx context.Context, name string) (bool, error) {
	l, err := d.GetDisabled(ctx)
	return slices.Contains(l, name), err
}

func (d *debian) Available(ctx context.Context, name string) (bool, error) {
	l, err := d.GetAll(ctx)
	return slices.Contains(l, name), err
}

// runlevel is _get_runlevel: the second word of runlevel(8), "2" when
// it says unknown (no init that keeps runlevels). Salt runs it with
// cmd.run: when it fails (no init to ask), the job's retcode is 1 though
// the function returns its value.
func (d *debian) runlevel(ctx context.Context) string {
	out := d.cmdRun(ctx, []string{"runlevel"})
	if strings.Contains(out, "unknown") {
		return "2"
	}
	if f := strings.Fields(out); len(f) > 1 {
		return f[1]
	}
	return "2"
}

var digits = regexp.MustCompile(`\d+`)

// GetEnabled lists the services with a start link in rcS.d or the current
// runlevel's rc directory: the name after the link's last number.
func (d *debian) GetEnabled(ctx context.Context) ([]string, error) {
	links, err := filepath.Glob(filepath.Join(rcRoot, "rc[S"+d.runlevel(ctx)+"].d", "S*"))
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, l := range links {
		parts := digits.Split(filepath.Base(l), -1)
		set[parts[len(parts)-1]] = true
	}
	return sortedSet(set), nil
}

// GetAll lists the scripts of /etc/init.d (but README) and the enabled
// services.
func (d *debian) GetAll(ctx context.Context) ([]string, error) {
	scripts, err := filepath.Glob(filepath.Join(initDir, "*"))
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, s := range scripts {
		if b := filepath.Base(s); b != "README" {
			set[b] = true
		}
	}
	en, err := d.GetEnabled(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range en {
		set[s] = true
	}
	return sortedSet(set), nil
}

// GetDisabled lists the services that are installed but not enabled.
func (d *debian) GetDisabled(ctx context.Context) ([]string, error) {
	all, err := d.GetAll(ctx)
	if err != nil {
		return nil, err
	}
	en, err := d.GetEnabled(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range all {
		if !slices.Contains(en, s) {
			out = append(out, s)
		}
	}
	return out, nil
}
