// Package mount is Salt's mount state module (salt/states/mount.py) for
// Linux: mounted (mount, remount when the options differ, persist in the
// fstab), unmounted and mod_watch, through modules/mount.
package mount

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	mountmod "github.com/saltgo/saltgo/modules/mount"
	"github.com/saltgo/saltgo/state"
)

func init() {
	host.Register(&host.Module{Kind: host.State, Name: "mount", Doc: "Mounting of filesystems", Funcs: []*host.Func{
		{Name: "mounted", Params: []host.Param{host.Req("name"), host.Req("device"), host.Req("fstype"), host.Opt("mkmnt", false),
			host.Opt("opts", "defaults"), host.Opt("dump", 0), host.Opt("pass_num", 0), host.Opt("config", "/etc/fstab"),
			host.Opt("persist", true), host.Opt("mount", true), host.Opt("user", nil), host.Opt("match_on", "auto"),
			host.Opt("device_name_regex", nil), host.Opt("extra_mount_invisible_options", nil), host.Opt("extra_mount_invisible_keys", nil),
			host.Opt("extra_mount_ignore_fs_keys", nil), host.Opt("extra_mount_translate_options", nil), host.Opt("hidden_opts", nil),
			host.Opt("bind_mount_copy_active_opts", true)},
			VarKwargs: true, Fn: mounted, Doc: "Verify that a device is mounted"},
		{Name: "unmounted", Params: []host.Param{host.Req("name"), host.Opt("device", nil), host.Opt("config", "/etc/fstab"),
			host.Opt("persist", false), host.Opt("user", nil)},
			VarKwargs: true, Fn: unmounted, Doc: "Verify that a device is not mounted"},
		{Name: "mod_watch", Params: []host.Param{host.Req("name"), host.Opt("user", nil)}, VarKwargs: true, Fn: modWatch,
			Doc: "The mounted watcher, called to invoke the watch command."},
	}})
}

func has(l []string, v string) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

var sizeRe = regexp.MustCompile(`^size=([0-9]+)(k|m|g)`)

func sizeConvert(m []string) int {
	n, _ := strconv.Atoi(m[1])
	switch m[2] {
	case "m":
		n *= 1024
	case "g":
		n *= 1024 * 1024
	}
	return n
}

// realpath is os.path.realpath: symlinks resolved as far as the path exists.
func realpath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r
	}
	dir, base := filepath.Split(abs)
	if dir == "/" || dir == "" {
		return abs
	}
	return filepath.Join(realpath(strings.TrimSuffix(dir, "/")), base)
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

type mnt struct {
	device, fstype  string
	opts, superopts []string
	uuid, label     string
}

func activeMap(ctx context.Context) (map[string]*mnt, error) {
	a, _, err := mountmod.ActiveExtended(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]*mnt{}
	for k, m := range a {
		x := &mnt{device: m.Device, fstype: m.Fstype, opts: m.Opts, superopts: m.Superopts}
		if m.DeviceUUID != nil {
			x.uuid = data.Str(m.DeviceUUID)
		}
		if m.DeviceLabel != nil {
			x.label = data.Str(m.DeviceLabel)
		}
		out[k] = x
	}
	return out, nil
}

func sortedSet(l []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range l {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

var invisibleOpts = []string{"_netdev", "actimeo", "bg", "comment", "defaults", "delay_connect", "direct-io-mode", "intr", "loop",
	"nointr", "nobootwait", "nofail", "password", "reconnect", "retry", "soft", "auto", "users", "bind", "nonempty",
	"transform_symlinks", "port", "backup-volfile-servers"}

var invisibleKeys = []string{"actimeo", "comment", "credentials", "direct-io-mode", "password", "port", "retry", "secretfile"}

func mounted(ctx context.Context, c *host.Call) (any, error) {
	name := c.Str("name")
	device := data.Str(c.Get("device"))
	fstype := data.Str(c.Get("fstype"))
	changes := data.NewMap()
	ret := data.M("name", name, "changes", changes, "result", true, "comment", "")
	comment := func() string { v, _ := ret.Get("comment"); return data.Str(v) }
	done := func(result any, msg string) (any, error) {
		ret.Set("result", result)
		ret.Set("comment", msg)
		return ret, nil
	}
	switch {
	case !data.Truthy(c.Get("name")):
		return done(false, "Must provide name to mount.mounted")
	case !data.Truthy(c.Get("device")):
		return done(false, "Must provide device to mount.mounted")
	case !data.Truthy(c.Get("fstype")):
		return done(false, "Must provide fstype to mount.mounted")
	}
	test := state.IsTest(c)
	doMount := c.Bool("mount")
	mkmnt := c.Bool("mkmnt")
	updateCache := false
	opts := data.SplitStrings(c.Get("opts"))
	hidden := data.SplitStrings(c.Get("hidden_opts"))
	if name != "/" {
		name = strings.TrimRight(name, "/")
	}
	active, err := activeMap(ctx)
	if err != nil {
		return done(false, err.Error())
	}
	realName := realpath(name)
	comp := strings.ReplaceAll(realName, " ", `\040`)
	var deviceList []string
	realDevice := device
	switch {
	case strings.HasPrefix(device, "/"):
		if has(opts, "bind") && active[comp] != nil {
			dev := strings.ReplaceAll(device, " ", `\040`)
			if strings.HasPrefix(active[comp].device, "/") {
				for {
					if a := active[dev]; a != nil {
						realDevice = a.device
						if c.Bool("bind_mount_copy_active_opts") {
							opts = sortedSet(append(append(append([]string{}, opts...), a.opts...), a.superopts...))
						}
						active[comp].opts = append(active[comp].opts, "bind")
						break
					}
					nd := filepath.Dir(strings.ReplaceAll(dev, `\040`, " "))
					if nd == dev {
						break
					}
					dev = nd
				}
			} else {
				if a := active[dev]; a != nil {
					if c.Bool("bind_mount_copy_active_opts") {
						opts = sortedSet(append(append(append([]string{}, opts...), a.opts...), a.superopts...))
					}
					active[comp].opts = append(active[comp].opts, "bind")
				}
				realDevice = active[comp].device
			}
		} else {
			realDevice = realpath(device)
		}
	case strings.HasPrefix(strings.ToUpper(device), "UUID="):
		realDevice = strings.ToLower(strings.Trim(strings.SplitN(device, "=", 3)[1], `"`))
	case strings.HasPrefix(strings.ToUpper(device), "LABEL="):
		label := strings.SplitN(device, "=", 3)[1]
		devs := mountmod.Blkid(ctx, "LABEL="+label)
		if len(devs) == 0 {
			return done(false, fmt.Sprintf("Unable to find device with label %s.", label))
		}
		var names []string
		for d := range devs {
			names = append(names, d)
		}
		sort.Strings(names)
		deviceList = append(deviceList, names...)
		realDevice = names[0]
	}
	if m := regexp.MustCompile(`^\w+#(.+)`).FindStringSubmatch(device); m != nil {
		realDevice = m[1]
	}
	if a := active[comp]; a != nil && doMount {
		deviceList = append(deviceList, a.device, realpath(a.device))
		// alt_device is the same device name here (no `mount -l` labels).
		for _, d := range []string{a.uuid, a.label} {
			if d != "" && !has(deviceList, d) {
				deviceList = append(deviceList, d)
			}
		}
		if len(opts) > 0 {
			invisible := append([]string{}, invisibleOpts...)
			invisible = append(invisible, data.SplitStrings(c.Get("extra_mount_invisible_options"))...)
			invisible = append(invisible, hidden...)
			keys := append(append([]string{}, invisibleKeys...), data.SplitStrings(c.Get("extra_mount_invisible_keys"))...)
			ignoreFS := map[string][]string{"ramfs": {"size"}}
			if m, ok := c.Get("extra_mount_ignore_fs_keys").(*data.Map); ok {
				m.Range(func(k, v any) bool { ignoreFS[data.Str(k)] = data.SplitStrings(v); return true })
			}
			translate := map[string]string{"tcp": "proto=tcp", "udp": "proto=udp"}
			if m, ok := c.Get("extra_mount_translate_options").(*data.Map); ok {
				m.Range(func(k, v any) bool { translate[data.Str(k)] = data.Str(v); return true })
			}
			var trigger []string
			opt := ""
			for _, o := range opts {
				opt = o
				if t, ok := translate[opt]; ok {
					opt = t
				}
				kv := strings.SplitN(opt, "=", 2)
				if has(keys, kv[0]) {
					opt = kv[0]
				}
				if m := sizeRe.FindStringSubmatch(opt); m != nil {
					opt = fmt.Sprintf("size=%dk", sizeConvert(m))
				}
				if fstype == "cifs" && strings.SplitN(opt, "=", 2)[0] == "user" && len(strings.SplitN(opt, "=", 2)) > 1 {
					opt = "username=" + strings.SplitN(opt, "=", 2)[1]
				}
				if has(ignoreFS[fstype], strings.SplitN(opt, "=", 2)[0]) {
					opt = strings.SplitN(opt, "=", 2)[0]
				}
				if kv := strings.SplitN(opt, "=", 2); len(kv) > 1 && (kv[0] == "uid" || kv[0] == "gid") {
					opt = kv[0] + "=" + resolveID(kv[0], kv[1])
				}
				// Salt rewrites the option to the active size whenever the
				// mount's superopts hold one (moving it to the end).
				sup := a.superopts
				for i := 0; i < len(sup); i++ {
					if m := sizeRe.FindStringSubmatch(sup[i]); m != nil {
						conv := fmt.Sprintf("size=%dk", sizeConvert(m))
						opt = conv
						sup = append(append(append([]string{}, sup[:i]...), sup[i+1:]...), conv)
					}
				}
				a.superopts = sup
				if !has(a.opts, opt) && !has(sup, opt) && !has(invisible, opt) && !has(ignoreFS[fstype], opt) && !has(keys, opt) {
					trigger = append(trigger, opt)
				}
			}
			remount := func(what string) (string, any, error) {
				if fstype == "nfs" || fstype == "cvfs" || strings.HasPrefix(fstype, "fuse") {
					changes.Set("umount", "Forced unmount and mount because options ("+what+") changed")
					out, err := mountmod.Umount(ctx, realName, "", false)
					if err != nil {
						return "", nil, err
					}
					if out != "" {
						out, err = mountmod.Umount(ctx, realName, "", true)
						if err != nil {
							return "", nil, err
						}
						if out != "" {
							return out, nil, nil
						}
					}
					res, err := mountmod.MountDev(ctx, realName, device, mkmnt, fstype, opts)
					return "", mountResult(res), err
				}
				changes.Set("umount", "Forced remount because options ("+what+") changed")
				res, err := mountmod.Remount(ctx, realName, device, mkmnt, fstype, opts)
				return "", mountResult(res), err
			}
			if len(trigger) > 0 {
				if test {
					s := append([]string{}, trigger...)
					sort.Strings(s)
					return done(nil, fmt.Sprintf("Remount would be forced because options (%s) changed", strings.Join(s, ",")))
				}
				s := append([]string{}, trigger...)
				sort.Strings(s)
				failed, res, err := remount(strings.Join(s, ","))
				if err != nil {
					return done(false, err.Error())
				}
				if failed != "" {
					return done(false, fmt.Sprintf("Unable to unmount %s: %s.", realName, failed))
				}
				ret.Set("result", res)
				updateCache = true
			}
			cache := mountmod.ReadMountCache(c.Env, realName)
			if v, ok := cache.Get("opts"); ok {
				var missing []string
				for _, o := range data.SplitStrings(v) {
					if !has(opts, o) {
						missing = append(missing, o)
					}
				}
				if len(missing) > 0 {
					if test {
						return done(nil, fmt.Sprintf("Remount would be forced because options (%s)changed", strings.Join(missing, ",")))
					}
					failed, res, err := remount(opt)
					if err != nil {
						return done(false, err.Error())
					}
					if failed != "" {
						return done(false, fmt.Sprintf("Unable to unmount %s: %s.", realName, failed))
					}
					ret.Set("result", res)
					updateCache = true
				}
			} else {
				updateCache = true
			}
		}
		if !has(deviceList, realDevice) {
			var ignored string
			for _, re := range data.SplitStrings(c.Get("device_name_regex")) {
				rx, err := regexp.Compile(re)
				if err != nil {
					continue
				}
				for _, d := range deviceList {
					if loc := rx.FindStringIndex(d); loc != nil && loc[0] == 0 {
						ignored = d
						break
					}
				}
				if ignored != "" {
					break
				}
			}
			switch {
			case ignored != "":
				ret.Set("result", true)
				ret.Set("comment", "An umount will not be forced because device matched device_name_regex: "+ignored)
			case test:
				ret.Set("result", nil)
				ret.Set("comment", "An umount would have been forced because devices do not match.  Watched: "+device)
			default:
				u := "Forced unmount because devices don't match. Wanted: " + device
				if realDevice != device {
					u += " (" + realDevice + ")"
				}
				u += ", current: " + strings.Join(deviceList, ", ")
				changes.Set("umount", u)
				if _, err := mountmod.Umount(ctx, realName, "", false); err != nil {
					return done(false, err.Error())
				}
				active, err = activeMap(ctx)
				if err != nil {
					return done(false, err.Error())
				}
				if active[comp] != nil {
					return done(false, "Unable to unmount")
				}
				updateCache = true
			}
		} else {
			ret.Set("comment", "Target was already mounted")
		}
	}
	if active[comp] == nil {
		switch {
		case doMount:
			if test {
				ret.Set("result", nil)
				switch {
				case exists(name):
					ret.Set("comment", name+" would be mounted")
				case mkmnt:
					ret.Set("comment", name+" would be created and mounted")
				default:
					ret.Set("comment", name+" does not exist and would not be created")
				}
				return ret, nil
			}
			if !exists(name) && !mkmnt {
				return done(false, "Mount directory is not present")
			}
			out, err := mountmod.MountDev(ctx, name, device, mkmnt, fstype, opts)
			if err != nil {
				return done(false, err.Error())
			}
			active, err = activeMap(ctx)
			if err != nil {
				return done(false, err.Error())
			}
			updateCache = true
			if out != "" {
				return done(false, out)
			}
			if active[comp] != nil {
				ret.Set("comment", "Target was successfully mounted")
				changes.Set("mount", true)
			}
		case !exists(name):
			switch {
			case test && mkmnt:
				ret.Set("result", nil)
				ret.Set("comment", name+" would be created, but not mounted")
			case test:
				ret.Set("result", nil)
				ret.Set("comment", name+" does not exist and would neither be created nor mounted")
			case mkmnt:
				if err := os.MkdirAll(name, 0o755); err != nil {
					return done(false, err.Error())
				}
				ret.Set("comment", name+" was created, not mounted")
			default:
				ret.Set("comment", name+" not present and not mounted")
			}
		case test:
			ret.Set("comment", name+" would not be mounted")
		default:
			ret.Set("comment", name+" not mounted")
		}
	}
	if !c.Bool("persist") {
		return ret, nil
	}
	config := c.Str("config")
	e := mountmod.Entry{Device: device, Name: name, Fstype: fstype, Opts: strings.Join(opts, ","),
		Dump: data.Str(c.Get("dump")), PassNum: data.Str(c.Get("pass_num"))}
	out, err := mountmod.SetFstab(e, config, c.Get("match_on"), false, test)
	if err != nil {
		if test {
			return done(false, err.Error())
		}
		out = "bad config"
		if !strings.HasPrefix(err.Error(), "Bad config file") {
			return done(false, err.Error())
		}
	}
	if test {
		if out == "present" {
			return ret, nil
		}
		ret.Set("result", nil)
		var msg string
		switch {
		case out == "new" && doMount:
			msg = name + " is mounted, but needs to be written to the fstab in order to be made persistent."
		case out == "new":
			msg = name + " needs to be written to the fstab in order to be made persistent."
		case doMount:
			msg = name + " is mounted, but its fstab entry must be updated."
		default:
			msg = "The " + name + " fstab entry must be updated."
		}
		ret.Set("comment", comment()+". "+msg)
		return ret, nil
	}
	if updateCache {
		if err := mountmod.WriteMountCache(c.Env, realName, device, mkmnt, fstype, opts); err != nil {
			return done(false, err.Error())
		}
	}
	switch out {
	case "present":
		ret.Set("comment", comment()+". Entry already exists in the fstab.")
	case "new":
		changes.Set("persist", "new")
		ret.Set("comment", comment()+". Added new entry to the fstab.")
	case "change":
		changes.Set("persist", "update")
		ret.Set("comment", comment()+". Updated the entry in the fstab.")
	case "bad config":
		ret.Set("result", false)
		ret.Set("comment", comment()+". However, the fstab was not found.")
	}
	return ret, nil
}

// mountResult is what mount.mount/remount return: True, or the error text.
func mountResult(errText string) any {
	if errText != "" {
		return errText
	}
	return true
}

var digits = regexp.MustCompile(`^[0-9]+$`)

func resolveID(k, v string) string {
	if digits.MatchString(v) {
		return v
	}
	r := mountmod.ResolveIDs([]string{k + "=" + v})
	return strings.SplitN(r[0], "=", 2)[1]
}

func unmounted(ctx context.Context, c *host.Call) (any, error) {
	name := c.Str("name")
	changes := data.NewMap()
	ret := data.M("name", name, "changes", changes, "result", true, "comment", "")
	comment := func() string { v, _ := ret.Get("comment"); return data.Str(v) }
	if !data.Truthy(c.Get("name")) {
		ret.Set("result", false)
		ret.Set("comment", "Must provide name to mount.unmounted")
		return ret, nil
	}
	test := state.IsTest(c)
	device := ""
	if v := c.Get("device"); data.Truthy(v) {
		device = data.Str(v)
	}
	active, err := activeMap(ctx)
	if err != nil {
		ret.Set("result", false)
		ret.Set("comment", err.Error())
		return ret, nil
	}
	comp := strings.ReplaceAll(name, " ", `\040`)
	if active[comp] == nil {
		ret.Set("comment", "Target was already unmounted")
	} else {
		if test {
			ret.Set("result", nil)
			ret.Set("comment", fmt.Sprintf("Mount point %s is mounted but should not be", name))
			return ret, nil
		}
		out, err := mountmod.Umount(ctx, name, device, false)
		if err != nil {
			ret.Set("result", false)
			ret.Set("comment", err.Error())
			return ret, nil
		}
		if out != "" {
			ret.Set("comment", out)
			ret.Set("result", false)
		} else {
			ret.Set("comment", "Target was successfully unmounted")
			changes.Set("umount", true)
		}
		if err := mountmod.DeleteMountCache(c.Env, name); err != nil {
			ret.Set("result", false)
			ret.Set("comment", err.Error())
			return ret, nil
		}
	}
	if !c.Bool("persist") {
		return ret, nil
	}
	config := c.Str("config")
	fstab, err := mountmod.Fstab(config)
	if err != nil {
		ret.Set("result", false)
		ret.Set("comment", err.Error())
		return ret, nil
	}
	ev, ok := fstab.Get(name)
	if !ok {
		ret.Set("comment", comment()+". fstab entry not found")
		return ret, nil
	}
	if device != "" {
		if em, ok := ev.(*data.Map); ok {
			if d, _ := em.Get("device"); data.Str(d) != device {
				ret.Set("comment", comment()+fmt.Sprintf(". fstab entry for device %s not found", device))
				return ret, nil
			}
		}
	}
	if test {
		ret.Set("result", nil)
		ret.Set("comment", fmt.Sprintf("Mount point %s is unmounted but needs to be purged from %s to be made persistent", name, config))
		return ret, nil
	}
	if err := mountmod.RmFstab(name, device, config); err != nil {
		ret.Set("result", false)
		ret.Set("comment", comment()+". Failed to persist purge")
		return ret, nil
	}
	ret.Set("comment", comment()+". Removed target from fstab")
	changes.Set("persist", "purged")
	return ret, nil
}

func modWatch(ctx context.Context, c *host.Call) (any, error) {
	name := c.Str("name")
	ret := data.M("name", name, "changes", data.NewMap(), "result", true, "comment", "")
	kw := c.Kwargs()
	sfun, _ := kw.Get("sfun")
	if data.Str(sfun) != "mounted" {
		ret.Set("comment", fmt.Sprintf("Watch not supported in %s at this time", data.Str(sfun)))
		return ret, nil
	}
	dev, _ := kw.Get("device")
	fstype, _ := kw.Get("fstype")
	opts, _ := kw.Get("opts")
	if opts == nil {
		opts = "defaults"
	}
	out, err := mountmod.Remount(ctx, name, data.Str(dev), false, data.Str(fstype), data.SplitStrings(opts))
	if err != nil {
		ret.Set("result", false)
		ret.Set("comment", fmt.Sprintf("%s failed to remount: %v", name, err))
		return ret, nil
	}
	// Salt tests the truth of remount's return: its error text is truthy
	// too, so Salt reports it remounted either way.
	_ = out
	ret.Set("comment", name+" remounted")
	return ret, nil
}
