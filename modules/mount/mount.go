// Package mount is Salt's mount execution module for Linux
// (salt/modules/mount.py): the active mounts (/proc/self/mounts, and
// /proc/self/mountinfo for extended), the
// fstab (read, set_fstab, rm_fstab, written atomically), mount, umount,
// remount, is_mounted and the mount cache the mount states keep.
package mount

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/saltgo/saltgo/atomicfile"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	filemod "github.com/saltgo/saltgo/modules/file"
	"github.com/saltgo/saltgo/output"
	"github.com/saltgo/saltgo/saltyaml"
)

func init() {
	nameDev := []host.Param{host.Req("name"), host.Req("device")}
	host.Register(&host.Module{Kind: host.Exec, Name: "mount", Doc: "Salt module to manage Unix mounts and the fstab file", Funcs: []*host.Func{
		{Name: "active", Params: []host.Param{host.Opt("extended", false)}, Fn: active, Doc: "List the active mounts."},
		{Name: "fstab", Params: []host.Param{host.Opt("config", "/etc/fstab")}, Fn: fstab, Doc: "List the contents of the fstab"},
		{Name: "rm_fstab", Params: append(nameDev, host.Opt("config", "/etc/fstab")), Fn: rmFstab, Doc: "Remove the mount point from the fstab"},
		{Name: "set_fstab", Params: append(append([]host.Param{}, nameDev...), host.Req("fstype"), host.Opt("opts", "defaults"), host.Opt("dump", 0),
			host.Opt("pass_num", 0), host.Opt("config", "/etc/fstab"), host.Opt("test", false), host.Opt("match_on", "auto"), host.Opt("not_change", false)),
			VarKwargs: true, Fn: setFstab, Doc: "Verify that this mount is represented in the fstab, change the mount to match the data passed, or add the mount if it is not present."},
		{Name: "mount", Params: []host.Param{host.Req("name"), host.Opt("device", false), host.Opt("mkmnt", false), host.Opt("fstype", ""),
			host.Opt("opts", "defaults"), host.Opt("user", nil), host.Opt("util", "mount")}, Fn: mountFn, Doc: "Mount a device"},
		{Name: "remount", Params: []host.Param{host.Req("name"), host.Req("device"), host.Opt("mkmnt", false), host.Opt("fstype", ""),
			host.Opt("opts", "defaults"), host.Opt("user", nil)}, Fn: remountFn, Doc: "Attempt to remount a device, if the device is not already mounted, mount is called"},
		{Name: "umount", Params: []host.Param{host.Req("name"), host.Opt("device", nil), host.Opt("user", nil), host.Opt("util", "mount"),
			host.Opt("lazy", false)}, Fn: umountFn, Doc: "Attempt to unmount a device by specifying the directory it is mounted on"},
		{Name: "is_mounted", Params: []host.Param{host.Req("name")}, Fn: isMounted, Doc: "Provide information if the path is mounted"},
		{Name: "read_mount_cache", Params: []host.Param{host.Req("name")}, Fn: readMountCache, Doc: "Provide information if the path is mounted"},
		{Name: "write_mount_cache", Params: []host.Param{host.Req("real_name"), host.Req("device"), host.Req("mkmnt"), host.Req("fstype"),
			host.Req("mount_opts")}, Fn: writeMountCache, Doc: "Write the mount cache entry of a mount point"},
		{Name: "delete_mount_cache", Params: []host.Param{host.Req("real_name")}, Fn: deleteMountCache, Doc: "Delete the mount cache entry of a mount point"},
	}})
}

// Mount is one active mount (mount.active(extended=True)).
type Mount struct {
	MountID, ParentID, Major, Minor, Root string
	Opts, Superopts                       []string
	Fstype, Device                        string
	AltDevice                             any
	// DeviceUUID (lower case) and DeviceLabel are blkid's, nil when the
	// device has none.
	DeviceUUID, DeviceLabel any
}

// Map is the mount as Salt's dict.
func (m *Mount) Map(extended bool) *data.Map {
	if !extended {
		return data.M("device", m.Device, "alt_device", m.AltDevice, "fstype", m.Fstype, "opts", strsAny(m.Opts))
	}
	return data.M("mountid", m.MountID, "parentid", m.ParentID, "major", m.Major, "minor", m.Minor, "root", m.Root,
		"opts", strsAny(m.Opts), "fstype", m.Fstype, "device", m.Device, "alt_device", m.AltDevice,
		"superopts", strsAny(m.Superopts), "device_uuid", m.DeviceUUID, "device_label", m.DeviceLabel)
}

func strsAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// unescape turns /proc's octal escapes back into characters, except the
// space, which Salt keeps as "\040" in mount point names.
func unescapeOpt(s string) string { return strings.ReplaceAll(s, `\040`, `\ `) }

// ResolveIDs is Salt's _resolve_user_group_names: uid=name and gid=name
// as numbers.
func ResolveIDs(opts []string) []string {
	out := make([]string, len(opts))
	for i, o := range opts {
		k, v, ok := strings.Cut(o, "=")
		if ok && (k == "uid" || k == "gid") {
			o = k + "=" + resolveID(k, v)
		}
		out[i] = unescapeOpt(o)
	}
	return out
}

var digits = regexp.MustCompile(`^[0-9]+$`)

func resolveID(k, v string) string {
	if digits.MatchString(v) {
		return v
	}
	var id any
	if k == "uid" {
		id = filemod.UserToUID(v)
	} else {
		id = filemod.GroupToGID(v)
	}
	if n, ok := id.(int64); ok {
		return fmt.Sprint(n)
	}
	return v
}

var blkidAttr = regexp.MustCompile(`([A-Z_]+)="([^"]*)"`)

// Blkid is Salt's disk.blkid: device -> its blkid attributes (UUID,
// LABEL, TYPE...); token ("LABEL=x") restricts it. Empty when blkid is
// missing or finds nothing.
func Blkid(ctx context.Context, token string) map[string]map[string]string {
	ret := map[string]map[string]string{}
	argv := []string{"blkid"}
	if token != "" {
		argv = append(argv, "-t", token)
	}
	if _, err := exec.LookPath("blkid"); err != nil {
		return ret
	}
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).Output()
	if err != nil {
		return ret
	}
	for _, line := range strings.Split(string(out), "\n") {
		dev, attrs, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		info := map[string]string{}
		for _, m := range blkidAttr.FindAllStringSubmatch(attrs, -1) {
			info[m[1]] = m[2]
		}
		ret[dev] = info
	}
	return ret
}

// ActiveExtended is Active with each device's UUID and label from blkid
// (mount.active(extended=True)).
func ActiveExtended(ctx context.Context) (map[string]*Mount, []string, error) {
	a, order, err := Active()
	if err != nil {
		return nil, nil, err
	}
	info := Blkid(ctx, "")
	for _, m := range a {
		if i, ok := info[m.Device]; ok {
			if u := i["UUID"]; u != "" {
				m.DeviceUUID = strings.ToLower(u)
			}
			if l := i["LABEL"]; l != "" {
				m.DeviceLabel = l
			}
		}
	}
	return a, order, nil
}

// Active reads /proc/self/mountinfo: mount point (as /proc writes it,
// spaces as \040) -> mount.
func Active() (map[string]*Mount, []string, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, nil, host.Errorf("File not readable /proc/self/mountinfo")
	}
	ret := map[string]*Mount{}
	var order []string
	for _, line := range strings.Split(string(b), "\n") {
		comps := strings.Fields(line)
		sep := -1
		for i, c := range comps {
			if c == "-" {
				sep = i
				break
			}
		}
		if len(comps) < 6 || sep < 0 || len(comps) < sep+4 {
			continue
		}
		maj, min, _ := strings.Cut(comps[2], ":")
		m := &Mount{MountID: comps[0], ParentID: comps[1], Major: maj, Minor: min, Root: comps[3],
			Opts: ResolveIDs(strings.Split(comps[5], ",")), Fstype: comps[sep+1],
			Device: strings.ReplaceAll(comps[sep+2], `\040`, `\ `), Superopts: ResolveIDs(strings.Split(comps[sep+3], ","))}
		if _, seen := ret[comps[4]]; !seen {
			order = append(order, comps[4])
		}
		ret[comps[4]] = m
	}
	// alt_device: the source `mount -l` shows (the same device name here).
	for _, m := range ret {
		m.AltDevice = m.Device
	}
	return ret, order, nil
}

func active(ctx context.Context, c *host.Call) (any, error) {
	if !c.Bool("extended") {
		return activeMounts(ctx)
	}
	mnts, order, err := ActiveExtended(ctx)
	if err != nil {
		return nil, err
	}
	ret := data.NewMap()
	for _, k := range order {
		ret.Set(k, mnts[k].Map(c.Bool("extended")))
	}
	return ret, nil
}

// activeMounts is mount.active without extended, as Salt's
// _active_mounts: /proc/self/mounts, whose options are the mount's and
// the filesystem's together (size=, mode=, lowerdir=...), alt_device the
// source `mount -l` lists for the mount point.
func activeMounts(ctx context.Context) (*data.Map, error) {
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return nil, host.Errorf("File not readable /proc/self/mounts")
	}
	return parseMounts(string(b), listMounts(ctx)), nil
}

// listMounts is Salt's _list_mounts: mount point -> source, from the
// lines of `mount -l` ("SOURCE on POINT type ..."); empty when mount
// fails.
func listMounts(ctx context.Context) map[string]string {
	ret := map[string]string{}
	out, err := exec.CommandContext(ctx, "mount", "-l").Output()
	if err != nil {
		return ret
	}
	for _, line := range strings.Split(string(out), "\n") {
		if comps := strings.Fields(line); len(comps) >= 3 {
			ret[comps[2]] = comps[0]
		}
	}
	return ret
}

// parseMounts turns /proc/self/mounts into mount.active's map, in the
// file's order (a point mounted twice keeps its first place and the last
// mount's values, as a Python dict does); alt_device is list's source for
// the point, None when it has none.
func parseMounts(text string, list map[string]string) *data.Map {
	ret := data.NewMap()
	for _, line := range strings.Split(text, "\n") {
		comps := strings.Fields(line)
		if len(comps) < 4 {
			continue
		}
		var alt any
		if d, ok := list[comps[1]]; ok {
			alt = d
		}
		ret.Set(comps[1], data.M("device", comps[0], "alt_device", alt, "fstype", comps[2],
			"opts", strsAny(ResolveIDs(strings.Split(comps[3], ",")))))
	}
	return ret
}

// IsMounted reports whether name is an active mount point.
func IsMounted(name string) (bool, error) {
	mnts, _, err := Active()
	if err != nil {
		return false, err
	}
	_, ok := mnts[name]
	return ok, nil
}

func isMounted(_ context.Context, c *host.Call) (any, error) { return IsMounted(c.Str("name")) }

// Entry is one fstab line's fields.
type Entry struct {
	Device, Name, Fstype, Opts, Dump, PassNum string
}

var errComment = errors.New("comment")

// parseLine is _fstab_entry.dict_from_line.
func parseLine(line string) (Entry, error) {
	if strings.HasPrefix(line, "#") {
		return Entry{}, errComment
	}
	c := strings.Fields(line)
	if len(c) < 4 || len(c) > 6 {
		return Entry{}, errors.New("Invalid Entry!")
	}
	for len(c) < 6 {
		c = append(c, "0")
	}
	return Entry{Device: c[0], Name: c[1], Fstype: c[2], Opts: c[3], Dump: c[4], PassNum: c[5]}, nil
}

// Line is the fstab line Salt writes for an entry.
func (e Entry) Line() string {
	return fmt.Sprintf("%s\t\t%s\t%s\t%s\t%s %s\n", e.Device, e.Name, e.Fstype, e.Opts, e.Dump, e.PassNum)
}

// criteria matches an fstab line on a subset of fields (_fstab_entry.match).
type criteria map[string]string

func (e Entry) field(k string) string {
	switch k {
	case "device":
		return e.Device
	case "name":
		return e.Name
	case "fstype":
		return e.Fstype
	case "opts":
		return e.Opts
	case "dump":
		return e.Dump
	case "pass_num":
		return e.PassNum
	}
	return ""
}

func (cr criteria) match(line string) (bool, error) {
	e, err := parseLine(line)
	if err != nil {
		return false, err
	}
	for k, v := range cr {
		if k == "opts" {
			a, b := strings.Split(e.Opts, ","), strings.Split(v, ",")
			sort.Strings(a)
			sort.Strings(b)
			if strings.Join(a, ",") != strings.Join(b, ",") {
				return false, nil
			}
		} else if e.field(k) != v {
			return false, nil
		}
	}
	return true, nil
}

var fstabMu sync.Mutex

// Fstab reads the fstab as Salt's mount.fstab.
func Fstab(config string) (*data.Map, error) {
	ret := data.NewMap()
	b, err := os.ReadFile(config)
	if err != nil {
		return ret, nil
	}
	for _, line := range data.SplitLines(string(b), true) {
		e, err := parseLine(line)
		if err != nil {
			continue
		}
		name := e.Name
		for ret.Has(name) {
			name += "_"
		}
		ret.Set(name, data.M("device", e.Device, "fstype", e.Fstype, "opts", strsAny(strings.Split(e.Opts, ",")), "dump", e.Dump, "pass", e.PassNum))
	}
	return ret, nil
}

func fstab(_ context.Context, c *host.Call) (any, error) { return Fstab(c.Str("config")) }

func writeLines(config string, lines []string) error {
	mode := os.FileMode(0o644)
	if st, err := os.Stat(config); err == nil {
		mode = st.Mode().Perm()
	}
	if err := atomicfile.Write(config, []byte(strings.Join(lines, "")), mode); err != nil {
		return fmt.Errorf("write %s: %w", config, err)
	}
	return nil
}

// RmFstab removes the lines of name (and device, when given) from config.
func RmFstab(name, device, config string) error {
	fstabMu.Lock()
	defer fstabMu.Unlock()
	cr := criteria{"name": name}
	if device != "" {
		cr["device"] = device
	}
	b, err := os.ReadFile(config)
	if err != nil {
		return host.Errorf("Couldn't read from %s: %v", config, err)
	}
	var lines []string
	modified := false
	for _, line := range data.SplitLines(string(b), true) {
		if ok, err := cr.match(line); err == nil && ok {
			modified = true
			continue
		}
		lines = append(lines, line)
	}
	if modified {
		if err := writeLines(config, lines); err != nil {
			return host.Errorf("Couldn't write to %s: %v", config, err)
		}
	}
	return nil
}

func rmFstab(_ context.Context, c *host.Call) (any, error) {
	dev := ""
	if v := c.Get("device"); v != nil {
		dev = data.Str(v)
	}
	if err := RmFstab(c.Str("name"), dev, c.Str("config")); err != nil {
		return nil, err
	}
	return true, nil
}

var specialFS = map[string]bool{"none": true, "tmpfs": true, "sysfs": true, "proc": true, "fusectl": true, "debugfs": true,
	"securityfs": true, "devtmpfs": true, "cgroup": true, "nfs": true, "nfs4": true, "glusterfs": true, "btrfs": true}

// OptsString is opts as one comma-joined string (a list is joined).
func OptsString(v any) string {
	if l, ok := v.([]any); ok {
		s := make([]string, len(l))
		for i, x := range l {
			s[i] = data.Str(x)
		}
		return strings.Join(s, ",")
	}
	if l, ok := v.([]string); ok {
		return strings.Join(l, ",")
	}
	return data.Str(v)
}

// SetFstab is mount.set_fstab: "present", "new" or "change" (the file is
// written unless test).
func SetFstab(e Entry, config string, matchOn any, notChange, test bool) (string, error) {
	e.Device = strings.ReplaceAll(e.Device, `\ `, `\040`)
	e.Opts = strings.ReplaceAll(e.Opts, `\ `, `\040`)
	var keys []string
	switch m := matchOn.(type) {
	case []any:
		for _, k := range m {
			keys = append(keys, data.Str(k))
		}
	case string:
		if m == "auto" {
			if specialFS[e.Fstype] {
				keys = []string{"name"}
			} else {
				keys = []string{"device"}
			}
		} else {
			keys = []string{m}
		}
	default:
		return "", host.Errorf("match_on must be a string or list of strings")
	}
	cr := criteria{}
	for _, k := range keys {
		switch k {
		case "device", "name", "fstype", "opts", "dump", "pass_num":
			cr[k] = e.field(k)
		default:
			return "", host.Errorf(`Unrecognized keys in match_on: "%s"`, k)
		}
	}
	full := criteria{"device": e.Device, "name": e.Name, "fstype": e.Fstype, "opts": e.Opts, "dump": e.Dump, "pass_num": e.PassNum}
	fstabMu.Lock()
	defer fstabMu.Unlock()
	if st, err := os.Stat(config); err != nil || !st.Mode().IsRegular() {
		return "", host.Errorf(`Bad config file "%s"`, config)
	}
	b, err := os.ReadFile(config)
	if err != nil {
		return "", host.Errorf("Couldn't read from %s: %v", config, err)
	}
	ret := ""
	var lines []string
	for _, line := range data.SplitLines(string(b), true) {
		ok, err := cr.match(line)
		if err != nil || !ok {
			lines = append(lines, line)
			continue
		}
		ret = "present"
		if same, _ := full.match(line); same || notChange {
			lines = append(lines, line)
		} else {
			ret = "change"
			lines = append(lines, e.Line())
		}
	}
	if ret == "" {
		lines = append(lines, e.Line())
		ret = "new"
	}
	if ret != "present" && !test {
		if err := writeLines(config, lines); err != nil {
			return "", host.Errorf("File not writable %s", config)
		}
	}
	return ret, nil
}

func setFstab(_ context.Context, c *host.Call) (any, error) {
	test := c.Bool("test")
	if v, ok := c.Kwargs().Get("__test__"); ok && data.Truthy(v) {
		test = true
	}
	e := Entry{Device: c.Str("device"), Name: c.Str("name"), Fstype: c.Str("fstype"), Opts: OptsString(c.Get("opts")),
		Dump: data.Str(c.Get("dump")), PassNum: data.Str(c.Get("pass_num"))}
	return SetFstab(e, c.Str("config"), c.Get("match_on"), c.Bool("not_change"), test)
}

// run runs argv; it returns "" on success, else its standard error (what
// Salt's mount functions return on failure).
func run(ctx context.Context, argv ...string) (string, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return strings.TrimRight(stderr.String(), "\n"), nil
	}
	if err != nil {
		return "", fmt.Errorf("run %s: %w", argv[0], err)
	}
	return "", nil
}

// result is Salt's return of mount/umount/remount: True, or the failing
// command's standard error.
func result(msg string, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	if msg != "" {
		return msg, nil
	}
	return true, nil
}

// MountDev is mount.mount: `mount -o opts -t fstype device name`; "" on
// success, else mount's error text. mkmnt creates the mount point.
func MountDev(ctx context.Context, name, device string, mkmnt bool, fstype string, opts []string) (string, error) {
	if _, err := os.Stat(name); errors.Is(err, fs.ErrNotExist) && mkmnt {
		if err := os.MkdirAll(name, 0o755); err != nil {
			return "", fmt.Errorf("create %s: %w", name, err)
		}
	}
	argv := []string{"mount"}
	if opts != nil {
		argv = append(argv, "-o", strings.Join(opts, ","))
	}
	if fstype != "" {
		argv = append(argv, "-t", fstype)
	}
	if device != "" {
		argv = append(argv, device)
	}
	argv = append(argv, name)
	return run(ctx, argv...)
}

func optsList(v any) []string {
	if v == nil {
		return nil
	}
	s := OptsString(v)
	return strings.Split(s, ",")
}

func devArg(v any) string {
	if v == nil || v == false {
		return ""
	}
	return data.Str(v)
}

func mountFn(ctx context.Context, c *host.Call) (any, error) {
	if u := c.Str("util"); u != "mount" {
		return false, nil
	}
	return result(MountDev(ctx, c.Str("name"), devArg(c.Get("device")), c.Bool("mkmnt"), c.Str("fstype"), optsList(c.Get("opts"))))
}

// Remount is mount.remount: mount -o <opts>,remount when name is mounted,
// else a plain mount.
func Remount(ctx context.Context, name, device string, mkmnt bool, fstype string, opts []string) (string, error) {
	mnts, _, err := Active()
	if err != nil {
		return "", err
	}
	if _, ok := mnts[name]; !ok {
		return MountDev(ctx, name, device, mkmnt, fstype, opts)
	}
	opts = append([]string{}, opts...)
	has := false
	for _, o := range opts {
		if o == "remount" {
			has = true
		}
	}
	if !has {
		opts = append(opts, "remount")
	}
	argv := []string{"mount", "-o", strings.Join(opts, ",")}
	if fstype != "" {
		argv = append(argv, "-t", fstype)
	}
	return run(ctx, append(argv, device, name)...)
}

func remountFn(ctx context.Context, c *host.Call) (any, error) {
	return result(Remount(ctx, c.Str("name"), devArg(c.Get("device")), c.Bool("mkmnt"), c.Str("fstype"), optsList(c.Get("opts"))))
}

// Umount is mount.umount: "" on success, else the reason.
func Umount(ctx context.Context, name, device string, lazy bool) (string, error) {
	mnts, _, err := Active()
	if err != nil {
		return "", err
	}
	if _, ok := mnts[name]; !ok {
		return fmt.Sprintf("%s does not have anything mounted", name), nil
	}
	argv := []string{"umount"}
	if lazy {
		argv = append(argv, "-l")
	}
	if device != "" {
		argv = append(argv, device)
	} else {
		argv = append(argv, name)
	}
	return run(ctx, argv...)
}

func umountFn(ctx context.Context, c *host.Call) (any, error) {
	if u := c.Str("util"); u != "mount" {
		return nil, nil
	}
	return result(Umount(ctx, c.Str("name"), devArg(c.Get("device")), c.Bool("lazy")))
}

// cachePath is salt.utils.mount.get_cache: <cachedir>/mounts.
func cachePath(env *host.Env) string {
	dir := "/var/cache/salt/minion"
	if v, ok := env.Opt("cachedir"); ok && v != nil {
		dir = data.Str(v)
	}
	return filepath.Join(dir, "mounts")
}

func readCache(env *host.Env) *data.Map {
	b, err := os.ReadFile(cachePath(env))
	if err != nil {
		return nil
	}
	v, err := saltyaml.Load(b)
	if err != nil {
		return nil
	}
	m, _ := v.(*data.Map)
	return m
}

func writeCache(env *host.Env, m *data.Map) error {
	s, err := output.DumpYAML(m, output.YAMLOptions{})
	if err != nil {
		return fmt.Errorf("mount cache: %w", err)
	}
	p := cachePath(env)
	if err := atomicfile.WriteMkdir(p, []byte(s), 0o644, 0o755); err != nil {
		return host.Errorf("Unable to write mount cache.")
	}
	return nil
}

// ReadMountCache is mount.read_mount_cache.
func ReadMountCache(env *host.Env, name string) *data.Map {
	if c := readCache(env); c != nil {
		if mv, _ := c.Get("mounts"); mv != nil {
			if mm, ok := mv.(*data.Map); ok {
				if e, ok := mm.Get(name); ok {
					if em, ok := e.(*data.Map); ok {
						return em
					}
				}
			}
		}
	}
	return data.NewMap()
}

func readMountCache(_ context.Context, c *host.Call) (any, error) {
	return ReadMountCache(c.Env, c.Str("name")), nil
}

// WriteMountCache is mount.write_mount_cache.
func WriteMountCache(env *host.Env, realName, device string, mkmnt bool, fstype string, opts []string) error {
	c := readCache(env)
	if c == nil {
		c = data.NewMap()
	}
	mv, _ := c.Get("mounts")
	mm, ok := mv.(*data.Map)
	if !ok {
		mm = data.NewMap()
		c.Set("mounts", mm)
	}
	mm.Set(realName, data.M("device", device, "fstype", fstype, "mkmnt", mkmnt, "opts", strsAny(opts)))
	return writeCache(env, c)
}

func writeMountCache(_ context.Context, c *host.Call) (any, error) {
	if err := WriteMountCache(c.Env, c.Str("real_name"), c.Str("device"), c.Bool("mkmnt"), c.Str("fstype"), optsList(c.Get("mount_opts"))); err != nil {
		return nil, err
	}
	return true, nil
}

// DeleteMountCache is mount.delete_mount_cache.
func DeleteMountCache(env *host.Env, realName string) error {
	c := readCache(env)
	if c == nil {
		return nil
	}
	mv, _ := c.Get("mounts")
	mm, ok := mv.(*data.Map)
	if !ok || !mm.Has(realName) {
		return nil
	}
	mm.Delete(realName)
	return writeCache(env, c)
}

func deleteMountCache(_ context.Context, c *host.Call) (any, error) {
	if err := DeleteMountCache(c.Env, c.Str("real_name")); err != nil {
		return nil, err
	}
	return true, nil
}
