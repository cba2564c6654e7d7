package lxc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/go-viper/mapstructure/v2"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/lxc/liblxc"
	"github.com/saltgo/saltgo/lxc/provision"
)

func init() { host.Register(Module()) }

// ClientService is the host.Env slot of an *liblxc.Client that replaces
// the one built from the options (tests put a client driving a test network
// namespace there).
var ClientService = host.NewKey[*liblxc.Client]("lxc.client")

// Minion options read by ClientFor.
const (
	// OptLXCPath is the container directory (default /var/lib/lxc).
	OptLXCPath = "lxc.lxcpath"
	// OptNetns runs liblxc in that network namespace (name or path).
	OptNetns = "lxc.netns"
	// OptHelper is the path of the saltgo-lxc-helper binary (default:
	// beside the saltgo executable; $SALTGO_LXC_HELPER wins over both).
	OptHelper = "lxc.helper"
)

// ClientConfig returns the LXC client settings of a call: the
// ClientService client when the front door provides it, else one built from
// the options; path, when set, is the container directory (Salt's path
// argument). Its helper is not looked for (see ClientFor).
func ClientConfig(env *host.Env, path string) *liblxc.Client {
	c := &liblxc.Client{}
	if p, ok := ClientService.Get(env); ok {
		if p != nil {
			cp := *p
			c = &cp
		}
	} else {
		if v, ok := env.Opt(OptLXCPath); ok {
			c.LXCPath, _ = data.AsString(v)
		}
		if v, ok := env.Opt(OptNetns); ok {
			c.Netns, _ = data.AsString(v)
		}
		if v, ok := env.Opt(OptHelper); ok && v != nil {
			c.Helper, _ = data.AsString(v)
		}
	}
	if path != "" {
		c.LXCPath = path
	}
	return c
}

// ClientFor is ClientConfig with the helper binary found
// (liblxc.FindHelper). When it cannot be found the error is a
// *host.UnavailableError with the reason: the function is "not available"
// on this host, and nothing else is affected.
func ClientFor(env *host.Env, path string) (*liblxc.Client, error) {
	c := ClientConfig(env, path)
	if c.Serve == nil {
		h, err := liblxc.FindHelper(c.Helper)
		if err != nil {
			return nil, &host.UnavailableError{Module: "lxc", Reason: err}
		}
		c.Helper = h
	}
	return c, nil
}

// Module returns Salt's lxc execution module.
func Module() *host.Module {
	path := host.Opt("path", nil)
	runParams := []host.Param{host.Req("name"), host.Req("cmd"), host.Opt("no_start", false), host.Opt("preserve_state", true),
		host.Opt("stdin", nil), host.Opt("python_shell", true), host.Opt("output_loglevel", "debug"), host.Opt("use_vt", false),
		path, host.Opt("ignore_retcode", false), host.Opt("chroot_fallback", false), host.Opt("keep_env", "http_proxy,https_proxy,no_proxy")}
	return &host.Module{
		Kind: host.Exec,
		Name: "lxc",
		Doc:  "Control Linux Containers through liblxc, one saltgo-lxc-helper process per operation.",
		// Whether the helper is installed is checked per call (ClientFor),
		// where the minion option lxc.helper is known.
		Virtual: func() error {
			if runtime.GOOS != "linux" {
				return fmt.Errorf("The lxc execution module cannot be loaded: LXC needs Linux, not %s", runtime.GOOS)
			}
			return nil
		},
		Funcs: []*host.Func{
			{Name: "list", PyName: "list_", Params: []host.Param{host.Opt("extra", false), host.Opt("limit", nil), path}, Fn: fnList,
				Doc: doc("List containers classified by state.", "extra\n    also return each container's info\nlimit\n    running, stopped or frozen: return only that list\npath\n    container directory (default /var/lib/lxc)", "salt '*' lxc.list\n    salt '*' lxc.list limit=running")},
			{Name: "ls", PyName: "ls_", Params: []host.Param{host.Opt("active", nil), host.Opt("cache", true), path}, Fn: fnLs,
				Doc: doc("Return the names of the containers.", "active\n    only the running ones\npath\n    container directory", "salt '*' lxc.ls\n    salt '*' lxc.ls active=True")},
			{Name: "exists", Params: []host.Param{host.Req("name"), path}, Fn: named(func(ctx context.Context, c *liblxc.Client, call *host.Call) (any, error) {
				return Exists(ctx, c, call.Str("name"))
			}), Doc: doc("Return True if the named container exists.", "", "salt '*' lxc.exists name")},
			{Name: "state", Params: []host.Param{host.Req("name"), path}, Fn: named(func(ctx context.Context, c *liblxc.Client, call *host.Call) (any, error) {
				return State(ctx, c, call.Str("name"))
			}), Doc: doc("Return the state of a container: running, stopped or frozen, or None when it does not exist.", "", "salt '*' lxc.state name")},
			{Name: "info", Params: []host.Param{host.Req("name"), path}, Fn: named(fnInfo),
				Doc: doc("Return information about a container.", "", "salt '*' lxc.info name")},
			{Name: "create", Params: []host.Param{host.Req("name"), host.Opt("config", nil), host.Opt("profile", nil), host.Opt("network_profile", nil), host.Opt("nic_opts", nil)}, VarKwargs: true, Fn: fnCreate,
				Doc: doc("Create a new container from a template (it is not started).", "template (or image)\n    LXC template name, default ubuntu\nbacking\n    dir, overlayfs or lvm (default dir)\nvgname, lvname, fstype, size\n    LVM options\noptions\n    template options, a dict (--key value) or a list of arguments\npath\n    container directory", "salt '*' lxc.create name template=busybox")},
			{Name: "clone", Params: []host.Param{host.Req("name"), host.Req("orig"), host.Opt("profile", nil), host.Opt("network_profile", nil), host.Opt("nic_opts", nil)}, VarKwargs: true, Fn: fnClone,
				Doc: doc("Create a new container as a clone of another (stopped) container.", "orig\n    the container to clone\nsnapshot\n    copy-on-write clone\nbacking\n    dir, overlayfs or lvm\npath\n    container directory", "salt '*' lxc.clone myclone orig=origin_container snapshot=True")},
			{Name: "start", Params: []host.Param{host.Req("name")}, VarKwargs: true, Fn: stateFn(func(ctx context.Context, c *liblxc.Client, call *host.Call) (*data.Map, error) {
				return Start(ctx, c, call.Str("name"))
			}), Doc: doc("Start the named container.", "path\n    container directory", "salt myminion lxc.start name")},
			{Name: "stop", Params: []host.Param{host.Req("name"), host.Opt("kill", false), path, host.Opt("use_vt", nil)}, Fn: stateFn(func(ctx context.Context, c *liblxc.Client, call *host.Call) (*data.Map, error) {
				return Stop(ctx, c, call.Str("name"), call.Bool("kill"))
			}), Doc: doc("Stop the named container.", "kill\n    kill the container instead of a clean shutdown", "salt myminion lxc.stop name")},
			{Name: "restart", Params: []host.Param{host.Req("name"), path, host.Opt("lxc_config", nil), host.Opt("force", false)}, Fn: stateFn(func(ctx context.Context, c *liblxc.Client, call *host.Call) (*data.Map, error) {
				return Restart(ctx, c, call.Str("name"), call.Bool("force"))
			}), Doc: doc("Restart the named container (started if it was stopped).", "force\n    kill instead of a clean shutdown", "salt myminion lxc.restart name")},
			{Name: "freeze", Params: []host.Param{host.Req("name")}, VarKwargs: true, Fn: stateFn(fnFreeze),
				Doc: doc("Freeze the named container.", "start\n    start a stopped container before freezing it (default False)\npath\n    container directory", "salt '*' lxc.freeze name")},
			{Name: "unfreeze", Params: []host.Param{host.Req("name"), path, host.Opt("use_vt", nil)}, Fn: stateFn(func(ctx context.Context, c *liblxc.Client, call *host.Call) (*data.Map, error) {
				return Unfreeze(ctx, c, call.Str("name"))
			}), Doc: doc("Unfreeze the named container.", "", "salt '*' lxc.unfreeze name")},
			{Name: "destroy", Params: []host.Param{host.Req("name"), host.Opt("stop", false), path}, Fn: stateFn(func(ctx context.Context, c *liblxc.Client, call *host.Call) (*data.Map, error) {
				return Destroy(ctx, c, call.Str("name"), call.Bool("stop"))
			}), Doc: doc("Destroy the named container.", "stop\n    stop a running container first (otherwise it is an error)", "salt '*' lxc.destroy foo\n    salt '*' lxc.destroy foo stop=True")},
			{Name: "run", Params: runParams, Fn: fnRun(false),
				Doc: doc("Run a shell command in a container and return its output (stderr merged).", runDoc, "salt myminion lxc.run mycontainer 'ifconfig -a'")},
			{Name: "run_all", Params: runParams, Fn: fnRun(true),
				Doc: doc("Run a shell command in a container and return pid, retcode, stdout and stderr.", runDoc, "salt myminion lxc.run_all mycontainer 'ip addr show'")},
			{Name: "get_parameter", Params: []host.Param{host.Req("name"), host.Req("parameter"), path}, Fn: named(func(ctx context.Context, c *liblxc.Client, call *host.Call) (any, error) {
				return GetParameter(ctx, c, call.Str("name"), call.Str("parameter"))
			}), Doc: doc("Return the value of a cgroup parameter of a running container (an lxc.* key reads the container config).", "", "salt '*' lxc.get_parameter container_name memory.limit_in_bytes")},
			{Name: "set_parameter", Params: []host.Param{host.Req("name"), host.Req("parameter"), host.Req("value"), path}, Fn: fnSetParameter,
				Doc: doc("Set a cgroup parameter of a running container (an lxc.* key sets the container config); None when the container does not exist.", "", "salt '*' lxc.set_parameter name memory.limit_in_bytes 1073741824")},
			{Name: "cloud_init_interface", Params: []host.Param{host.Req("name"), host.Opt("vm_", nil)}, VarKwargs: true, Fn: fnCloudInitInterface,
				Doc: doc("Return what cloud_init will do with the salt-cloud style VM options (vm_ and keyword arguments).", "from_container, image, backing, snapshot, size, vgname, lvname, ip, netmask, mac, bridge, gateway, dnsservers, autostart, password, users, lxc_conf, lxc_conf_unset, minion (master, master_port)", "salt '*' lxc.cloud_init_interface foo image=busybox")},
			{Name: "cloud_init", Params: []host.Param{host.Req("name"), host.Opt("vm_", nil)}, VarKwargs: true, Fn: fnCloudInit,
				Doc: doc("Create (or clone), configure and start a container, then run the VM provisioning steps (hosts file, ssh keys, grains, password and minion, initial highstate).", "same options as cloud_init_interface", "salt '*' lxc.cloud_init foo from_container=makina-states-precise ip=10.5.0.10")},
		},
	}
}

const runDoc = "no_start\n    fail on a stopped container instead of starting it\npreserve_state\n    put a container started for the command back in its state\nstdin\n    input of the command\nkeep_env\n    comma-separated host variables passed to the command\npath\n    container directory"

func doc(summary, args, example string) string {
	var b strings.Builder
	b.WriteString("\n    " + summary + "\n")
	if args != "" {
		b.WriteString("\n    " + strings.ReplaceAll(args, "\n", "\n    ") + "\n")
	}
	b.WriteString("\n    CLI Example:\n\n        " + strings.ReplaceAll(example, "\n    ", "\n        ") + "\n    ")
	return b.String()
}

// callErr turns a driver error into Salt's errors.
func callErr(err error, name string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, liblxc.ErrNotFound) && name != "":
		return host.Errorf("Container '%s' does not exist", name)
	case errors.Is(err, liblxc.ErrExists) && name != "":
		return host.Errorf("Container '%s' already exists", name)
	}
	var inv *host.InvocationError
	var cee *host.CommandExecutionError
	if errors.As(err, &inv) || errors.As(err, &cee) {
		return err
	}
	return host.Errorf("%v", err)
}

// pathOf returns the path argument, from the bound parameters or **kwargs.
func pathOf(call *host.Call) string {
	if p := call.Str("path"); p != "" {
		return p
	}
	if v, ok := call.Kwargs().Get("path"); ok && v != nil {
		s, _ := data.AsString(v)
		return s
	}
	return ""
}

func client(call *host.Call) (*liblxc.Client, error) { return ClientFor(call.Env, pathOf(call)) }

// validClient checks the container names, then opens the client.
func validClient(call *host.Call, names ...string) (*liblxc.Client, error) {
	for _, n := range names {
		if err := liblxc.ValidateName(n); err != nil {
			return nil, host.Invalidf("%v", err)
		}
	}
	return client(call)
}

// newContainerClient is validClient for a function that makes the
// container name (from the others, if any): name must not exist yet.
func newContainerClient(ctx context.Context, call *host.Call, name string, others ...string) (*liblxc.Client, error) {
	c, err := validClient(call, append([]string{name}, others...)...)
	if err != nil {
		return nil, err
	}
	if ok, err := c.Exists(ctx, name); err != nil {
		return nil, callErr(err, name)
	} else if ok {
		return nil, host.Errorf("Container '%s' already exists", name)
	}
	return c, nil
}

func named(fn func(ctx context.Context, c *liblxc.Client, call *host.Call) (any, error)) func(context.Context, *host.Call) (any, error) {
	return func(ctx context.Context, call *host.Call) (any, error) {
		c, err := client(call)
		if err != nil {
			return nil, err
		}
		if err := liblxc.ValidateName(call.Str("name")); err != nil {
			return nil, host.Invalidf("%v", err)
		}
		v, err := fn(ctx, c, call)
		return v, callErr(err, call.Str("name"))
	}
}

func stateFn(fn func(ctx context.Context, c *liblxc.Client, call *host.Call) (*data.Map, error)) func(context.Context, *host.Call) (any, error) {
	return named(func(ctx context.Context, c *liblxc.Client, call *host.Call) (any, error) {
		m, err := fn(ctx, c, call)
		if err != nil {
			return nil, err
		}
		return m, nil
	})
}

func fnList(ctx context.Context, call *host.Call) (any, error) {
	c, err := client(call)
	if err != nil {
		return nil, err
	}
	m, err := List(ctx, c)
	if err != nil {
		return nil, callErr(err, "")
	}
	if call.Bool("extra") {
		ext := data.NewMap()
		var ferr error
		m.Range(func(k, v any) bool {
			per := data.NewMap()
			for _, n := range v.([]any) {
				in, err := Info(ctx, c, n.(string))
				if err != nil {
					ferr = err
					return false
				}
				per.Set(n, in)
			}
			ext.Set(k, per)
			return true
		})
		if ferr != nil {
			return nil, callErr(ferr, "")
		}
		m = ext
	}
	if lim := call.Str("limit"); lim != "" {
		v, ok := m.Get(lim)
		if !ok {
			return nil, host.Invalidf("Invalid limit: %s (want running, stopped or frozen)", lim)
		}
		return v, nil
	}
	return m, nil
}

func fnLs(ctx context.Context, call *host.Call) (any, error) {
	c, err := client(call)
	if err != nil {
		return nil, err
	}
	if data.Truthy(call.Get("active")) {
		m, err := List(ctx, c)
		if err != nil {
			return nil, callErr(err, "")
		}
		v, _ := m.Get("running")
		return v, nil
	}
	v, err := Ls(ctx, c)
	return v, callErr(err, "")
}

func fnInfo(ctx context.Context, c *liblxc.Client, call *host.Call) (any, error) {
	return Info(ctx, c, call.Str("name"))
}

func fnFreeze(ctx context.Context, c *liblxc.Client, call *host.Call) (*data.Map, error) {
	name := call.Str("name")
	st, err := c.State(ctx, name)
	if err != nil {
		return nil, err
	}
	if st == "stopped" {
		if v, _ := call.Kwargs().Get("start"); !data.Truthy(v) {
			return nil, host.Errorf("Container '%s' is stopped", name)
		}
		if _, err := c.Start(ctx, name); err != nil {
			return nil, err
		}
		r, err := Freeze(ctx, c, name)
		if r != nil {
			r.Set("state", data.M("old", "stopped", "new", "frozen"))
		}
		return r, err
	}
	return Freeze(ctx, c, name)
}

// kwString returns a string keyword argument from **kwargs.
func kwString(call *host.Call, key string) string {
	v, ok := call.Kwargs().Get(key)
	if !ok || v == nil {
		return ""
	}
	s, _ := data.AsString(v)
	if s == "" {
		s = fmt.Sprint(v)
	}
	return s
}

func templateArgs(v any) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case *data.Map:
		var out []string
		var err error
		x.Range(func(k, e any) bool {
			ks := fmt.Sprint(k)
			if strings.ContainsAny(ks, " \n") {
				err = host.Invalidf("invalid template option %q", ks)
				return false
			}
			out = append(out, "--"+strings.TrimLeft(ks, "-"), fmt.Sprint(e))
			return true
		})
		return out, err
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = fmt.Sprint(e)
		}
		return out, nil
	case string:
		return strings.Fields(x), nil
	}
	return nil, host.Invalidf("options must be a dict or a list")
}

func fnCreate(ctx context.Context, call *host.Call) (any, error) {
	name := call.Str("name")
	c, err := newContainerClient(ctx, call, name)
	if err != nil {
		return nil, err
	}
	tmpl := kwString(call, "template")
	if tmpl == "" {
		tmpl = kwString(call, "image")
	}
	backing := kwString(call, "backing")
	if backing == "" {
		backing = "dir"
	}
	opts, _ := call.Kwargs().Get("options")
	targs, err := templateArgs(opts)
	if err != nil {
		return nil, err
	}
	s := &provision.Settings{Name: name, ProfileType: backing + "-scratch", Image: tmpl, TemplateArgs: targs,
		VGName: kwString(call, "vgname"), LVName: kwString(call, "lvname"), FSType: kwString(call, "fstype"), Size: kwString(call, "size")}
	if _, err := provision.ParseProfileType(s.ProfileType); err != nil {
		return nil, host.Invalidf("Invalid backing: %s", backing)
	}
	r, err := Create(ctx, c, s)
	return r, callErr(err, name)
}

func fnClone(ctx context.Context, call *host.Call) (any, error) {
	name, orig := call.Str("name"), call.Str("orig")
	c, err := newContainerClient(ctx, call, name, orig)
	if err != nil {
		return nil, err
	}
	st, err := c.State(ctx, orig)
	if err != nil {
		return nil, callErr(err, orig)
	}
	if st != "stopped" {
		return nil, host.Errorf("Container '%s' must be stopped to be cloned", orig)
	}
	backing := kwString(call, "backing")
	v, _ := call.Kwargs().Get("snapshot")
	r, err := Clone(ctx, c, name, orig, data.Truthy(v), backing)
	return r, callErr(err, name)
}

func fnRun(all bool) func(context.Context, *host.Call) (any, error) {
	return named(func(ctx context.Context, c *liblxc.Client, call *host.Call) (any, error) {
		o := RunOptions{NoStart: call.Bool("no_start"), PreserveState: call.Bool("preserve_state")}
		if v := call.Get("stdin"); v != nil {
			o.Stdin = []byte(call.Str("stdin"))
		}
		for _, k := range strings.Split(call.Str("keep_env"), ",") {
			if k = strings.TrimSpace(k); k != "" {
				if v, ok := os.LookupEnv(k); ok {
					o.Env = append(o.Env, k+"="+v)
				}
			}
		}
		cmd := call.Str("cmd")
		if strings.TrimSpace(cmd) == "" {
			return nil, host.Invalidf("No command given")
		}
		if all {
			return RunAll(ctx, c, call.Str("name"), cmd, o)
		}
		out, _, err := Run(ctx, c, call.Str("name"), cmd, o)
		return out, err
	})
}

func fnSetParameter(ctx context.Context, call *host.Call) (any, error) {
	name := call.Str("name")
	c, err := validClient(call, name)
	if err != nil {
		return nil, err
	}
	ok, err := SetParameter(ctx, c, name, call.Str("parameter"), call.Str("value"))
	if errors.Is(err, liblxc.ErrNotFound) {
		return nil, nil
	}
	return ok, callErr(err, name)
}

// VMSettings merges Salt's vm_ mapping and the keyword arguments (which
// win) into the VM settings of name, with salt-cloud's keys: from_container,
// image, backing, snapshot, size, vgname, lvname, ip, netmask, mac, bridge,
// gateway, dnsservers, autostart, password, users, lxc_conf (a list of
// one-key dicts), lxc_conf_unset, additional_ips, fstab and minion
// (master, master_port).
func VMSettings(name string, vm any, kwargs *data.Map) (*provision.Settings, error) {
	in := map[string]any{}
	add := func(m *data.Map) {
		m.Range(func(k, v any) bool {
			ks := fmt.Sprint(k)
			if !strings.HasPrefix(ks, "__") {
				in[ks] = data.Plain(v, nil)
			}
			return true
		})
	}
	switch v := vm.(type) {
	case nil:
	case *data.Map:
		add(v)
	default:
		return nil, host.Invalidf("vm_ must be a dict")
	}
	if kwargs != nil {
		add(kwargs)
	}
	in["name"] = name
	if m, ok := in["minion"].(map[string]any); ok {
		if v, ok := m["master"]; ok {
			in["master"] = v
		}
		if v, ok := m["master_port"]; ok {
			in["master_port"] = v
		}
	}
	delete(in, "minion")
	if l, ok := in["lxc_conf"].([]any); ok {
		var items []any
		for _, e := range l {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, host.Invalidf("lxc_conf entries must be one-key dicts")
			}
			for k, v := range m {
				items = append(items, map[string]any{"key": k, "value": fmt.Sprint(v)})
			}
		}
		in["lxc_conf"] = items
	}
	if s, ok := in["dnsservers"].(string); ok {
		in["dnsservers"] = strings.Split(s, ",")
	}
	var s provision.Settings
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{Result: &s, TagName: "salt", WeaklyTypedInput: true})
	if err != nil {
		return nil, err
	}
	if err := dec.Decode(in); err != nil {
		return nil, host.Invalidf("%v", err)
	}
	return &s, nil
}

// vmCall reads the VM settings of a cloud-init call (VMSettings of name,
// vm_ and the keyword arguments) and opens the client.
func vmCall(call *host.Call) (*provision.Settings, *liblxc.Client, error) {
	s, err := VMSettings(call.Str("name"), call.Get("vm_"), call.Kwargs())
	if err != nil {
		return nil, nil, err
	}
	c, err := client(call)
	if err != nil {
		return nil, nil, err
	}
	return s, c, nil
}

func fnCloudInitInterface(ctx context.Context, call *host.Call) (any, error) {
	s, c, err := vmCall(call)
	if err != nil {
		return nil, err
	}
	m, err := CloudInitInterface(c, s)
	if err != nil {
		return nil, host.Errorf("%v", err)
	}
	return m, nil
}

func fnCloudInit(ctx context.Context, call *host.Call) (any, error) {
	s, c, err := vmCall(call)
	if err != nil {
		return nil, err
	}
	env, err := VMEnvFor(call.Env, c)
	if err != nil {
		return nil, host.Errorf("%v", err)
	}
	m, err := CloudInit(ctx, env, s)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil, err
	}
	return m, nil
}

// Minion options of the VM steps (VMEnvFor).
const (
	// OptRootKeys are the controller's root public keys (a list or one
	// string) authorized for root in the VMs.
	OptRootKeys = "mc_cloud_lxc.root_keys"
	// OptMinionBinary is the saltgo binary installed in the VMs.
	OptMinionBinary = "mc_cloud_lxc.minion_binary"
	// OptMasterPKIDir is the master pki directory where VM keys are
	// pre-accepted (when the compute node is the master).
	OptMasterPKIDir = "mc_cloud_lxc.master_pki_dir"
	// OptBootstrapCommand is a shell command run once in each VM by the
	// initial_highstate step, after the VM's first highstate succeeded
	// (e.g. to start the VM's minion daemon); in a VM without saltgo it
	// is run alone (VMEnv.BootstrapCommand).
	OptBootstrapCommand = "mc_cloud_lxc.bootstrap_command"
)

// VMEnvFor builds the compute-node context of the VM steps from the minion
// (its id, and the Opt* options).
func VMEnvFor(env *host.Env, c *liblxc.Client) (*provision.VMEnv, error) {
	e := &provision.VMEnv{Client: c}
	if env == nil {
		return e, nil
	}
	e.ComputeNode = env.ID
	str := func(k string) string {
		if v, ok := env.Opt(k); ok && v != nil {
			s, _ := data.AsString(v)
			return s
		}
		return ""
	}
	e.MinionBinary, e.MasterPKIDir, e.BootstrapCommand = str(OptMinionBinary), str(OptMasterPKIDir), str(OptBootstrapCommand)
	if v, ok := env.Opt(OptRootKeys); ok {
		switch x := v.(type) {
		case string:
			e.RootKeys = strings.Split(strings.TrimSpace(x), "\n")
		case []any:
			for _, k := range x {
				s, ok := k.(string)
				if !ok {
					return nil, fmt.Errorf("%s must be a list of strings", OptRootKeys)
				}
				e.RootKeys = append(e.RootKeys, s)
			}
		case nil:
		default:
			return nil, fmt.Errorf("%s must be a list of ssh public keys", OptRootKeys)
		}
	}
	return e, nil
}
