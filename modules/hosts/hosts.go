// Package hosts is Salt's hosts execution module (salt/modules/hosts.py):
// read and edit the hosts file named by the hosts.file option
// (/etc/hosts by default). Every write replaces the file atomically.
package hosts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"

	"github.com/saltgo/saltgo/atomicfile"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
)

func init() {
	ipAlias := []host.Param{host.Req("ip"), host.Req("alias")}
	host.Register(&host.Module{Kind: host.Exec, Name: "hosts", Doc: "Manage the information in the hosts file", Funcs: []*host.Func{
		{Name: "list_hosts", Fn: listHosts, Doc: "Return the hosts found in the hosts file as a dict."},
		{Name: "get_ip", Params: []host.Param{host.Req("host")}, Fn: getIP, Doc: "Return the ip associated with the named host ('' when none)."},
		{Name: "get_alias", Params: []host.Param{host.Req("ip")}, Fn: getAlias, Doc: "Return the list of aliases associated with an ip."},
		{Name: "has_pair", Params: ipAlias, Fn: hasPair, Doc: "Return true if the alias is set for the ip."},
		{Name: "set_host", Params: []host.Param{host.Req("ip"), host.Req("alias"), host.Opt("comment", nil)}, Fn: setHost, Doc: "Set the host entry in the hosts file for the given ip, replacing its aliases."},
		{Name: "rm_host", Params: ipAlias, Fn: rmHost, Doc: "Remove a host entry from the hosts file."},
		{Name: "add_host", Params: ipAlias, Fn: addHost, Doc: "Add a host to an existing entry, or create a new entry."},
		{Name: "set_comment", Params: []host.Param{host.Req("ip"), host.Req("comment")}, Fn: setComment, Doc: "Set the comment for a host to an existing entry."},
	}})
}

var mu sync.Mutex // serialises edits of the hosts file

// Path returns the hosts file: the hosts.file option (minion options, then
// pillar), else /etc/hosts, as config.option does.
func Path(env *host.Env) string {
	if env != nil {
		if v, ok := env.Opt("hosts.file"); ok && v != nil {
			return data.Str(v)
		}
		if env.Pillar != nil {
			if v, ok := env.Pillar.Get("hosts.file"); ok && v != nil {
				return data.Str(v)
			}
		}
	}
	return "/etc/hosts"
}

// parse reads the hosts file into Salt's ordered shape: ip -> {aliases,
// comment}, whole-line comments as "comment-N" -> [line]. A missing file
// is empty.
func parse(path string) (*data.Map, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return data.NewMap(), nil
	}
	if err != nil {
		return nil, host.Errorf("reading %s: %v", path, err)
	}
	ret := data.NewMap()
	count := 0
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			ret.Set(fmt.Sprintf("comment-%d", count), []any{line})
			count++
			continue
		}
		comment := ""
		if i := strings.Index(line, "#"); i >= 0 {
			comment = strings.TrimLeft(line[i+1:], " \t")
			line = strings.TrimSpace(line[:i])
		}
		comps := strings.Fields(line)
		if len(comps) == 0 {
			continue
		}
		ip := comps[0]
		ent, _ := ret.Get(ip)
		m, ok := ent.(*data.Map)
		if !ok {
			m = data.M("aliases", []any{})
			ret.Set(ip, m)
		}
		al, _ := m.Get("aliases")
		l, _ := al.([]any)
		for _, a := range comps[1:] {
			l = append(l, a)
		}
		m.Set("aliases", l)
		if comment != "" {
			m.Set("comment", comment)
		}
	}
	return ret, nil
}

func aliases(hosts *data.Map, ip string) []any {
	ent, _ := hosts.Get(ip)
	if m, ok := ent.(*data.Map); ok {
		v, _ := m.Get("aliases")
		l, _ := v.([]any)
		return l
	}
	return nil
}

func contains(l []any, v any) bool {
	for _, x := range l {
		if data.Equal(x, v) {
			return true
		}
	}
	return false
}

func listHosts(_ context.Context, c *host.Call) (any, error) { return parse(Path(c.Env)) }

func getIP(_ context.Context, c *host.Call) (any, error) {
	hosts, err := parse(Path(c.Env))
	if err != nil {
		return nil, err
	}
	for _, k := range hosts.Keys() {
		if contains(aliases(hosts, data.Str(k)), c.Get("host")) {
			return k, nil
		}
	}
	return "", nil
}

func getAlias(_ context.Context, c *host.Call) (any, error) {
	hosts, err := parse(Path(c.Env))
	if err != nil {
		return nil, err
	}
	l := aliases(hosts, c.Str("ip"))
	if l == nil {
		l = []any{}
	}
	return l, nil
}

// HasPair is hosts.has_pair on the hosts file path.
func hasPairIn(path, ip string, alias any) (bool, error) {
	hosts, err := parse(path)
	if err != nil {
		return false, err
	}
	if !hosts.Has(ip) {
		return false, nil
	}
	al := aliases(hosts, ip)
	if l, ok := alias.([]any); ok {
		for _, a := range l {
			if !contains(al, a) {
				return false, nil
			}
		}
		return true, nil
	}
	return contains(al, alias), nil
}

func hasPair(_ context.Context, c *host.Call) (any, error) {
	return hasPairIn(Path(c.Env), c.Str("ip"), c.Get("alias"))
}

// readLines returns the file's lines with their line ends, creating the
// file when it is missing (Salt's _get_or_create_hostfile), and its mode.
func readLines(path string) ([]string, fs.FileMode, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0o644, nil
	}
	if err != nil {
		return nil, 0, host.Errorf("reading %s: %v", path, err)
	}
	mode := fs.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	return strings.SplitAfter(string(b), "\n"), mode, nil
}

func write(path string, lines []string, mode fs.FileMode) error {
	if err := atomicfile.Write(path, []byte(strings.Join(lines, "")), mode); err != nil {
		return host.Errorf("writing %s: %v", path, err)
	}
	return nil
}

func setHost(_ context.Context, c *host.Call) (any, error) {
	mu.Lock()
	defer mu.Unlock()
	path := Path(c.Env)
	ip, alias, comment := c.Str("ip"), c.Str("alias"), c.Str("comment")
	lines, mode, err := readLines(path)
	if err != nil {
		return nil, err
	}
	add := ip + "\t\t" + alias + "\n"
	if comment != "" {
		add = ip + "\t\t" + alias + "\t\t# " + comment + "\n"
	}
	if strings.TrimSpace(alias) == "" {
		add = ""
	}
	ovr := false
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if strings.Fields(t)[0] == ip {
			if !ovr {
				lines[i] = add
				ovr = true
			} else {
				lines[i] = ""
			}
		}
	}
	if !ovr {
		if n := len(lines); n > 0 && lines[n-1] != "" && !strings.HasSuffix(lines[n-1], "\n") {
			lines[n-1] += "\n"
		}
		lines = append(lines, add)
	}
	return true, write(path, lines, mode)
}

func rmHost(_ context.Context, c *host.Call) (any, error) {
	mu.Lock()
	defer mu.Unlock()
	path := Path(c.Env)
	ip, alias := c.Str("ip"), c.Str("alias")
	ok, err := hasPairIn(path, ip, alias)
	if err != nil || !ok {
		return true, err
	}
	lines, mode, err := readLines(path)
	if err != nil {
		return nil, err
	}
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		info, comment, hasComment := strings.Cut(t, "#")
		comps := strings.Fields(info)
		if len(comps) == 0 || comps[0] != ip {
			continue
		}
		nl := comps[0] + "\t\t"
		for _, e := range comps[1:] {
			if e != alias {
				nl += e + " "
			}
		}
		switch {
		case strings.TrimSpace(nl) == ip:
			lines[i] = ""
		case hasComment:
			lines[i] = nl + "# " + strings.TrimLeft(comment, " \t") + "\n"
		default:
			lines[i] = nl + "\n"
		}
	}
	return true, write(path, lines, mode)
}

// writeHosts is Salt's _write_hosts: the parsed hosts, one line each.
func writeHosts(path string, hosts *data.Map) error {
	_, mode, err := readLines(path)
	if err != nil {
		return err
	}
	var lines []string
	hosts.Range(func(k, v any) bool {
		ip := data.Str(k)
		var line string
		if strings.HasPrefix(ip, "comment") {
			l, _ := v.([]any)
			for _, x := range l {
				line += data.Str(x)
			}
		} else {
			m, _ := v.(*data.Map)
			var al []string
			for _, a := range aliases(hosts, ip) {
				al = append(al, data.Str(a))
			}
			line = ip + "\t\t" + strings.Join(al, " ")
			if cm, ok := m.Get("comment"); ok {
				line += "\t\t# " + data.Str(cm)
			}
		}
		if strings.TrimSpace(line) != "" {
			lines = append(lines, strings.TrimSpace(line)+"\n")
		}
		return true
	})
	return write(path, lines, mode)
}

func addHost(_ context.Context, c *host.Call) (any, error) {
	mu.Lock()
	defer mu.Unlock()
	path := Path(c.Env)
	ip, alias := c.Str("ip"), c.Str("alias")
	if ok, err := hasPairIn(path, ip, alias); err != nil || ok {
		return true, err
	}
	hosts, err := parse(path)
	if err != nil {
		return nil, err
	}
	ent, _ := hosts.Get(ip)
	m, ok := ent.(*data.Map)
	if !ok {
		m = data.M("aliases", []any{})
		hosts.Set(ip, m)
	}
	m.Set("aliases", append(aliases(hosts, ip), alias))
	return true, writeHosts(path, hosts)
}

func setComment(_ context.Context, c *host.Call) (any, error) {
	mu.Lock()
	defer mu.Unlock()
	path := Path(c.Env)
	ip, comment := c.Str("ip"), c.Str("comment")
	hosts, err := parse(path)
	if err != nil {
		return nil, err
	}
	ent, ok := hosts.Get(ip)
	m, isMap := ent.(*data.Map)
	if !ok || !isMap {
		return false, nil
	}
	if cur, ok := m.Get("comment"); ok && data.Str(cur) == comment {
		return true, nil
	}
	m.Set("comment", comment)
	return true, writeHosts(path, hosts)
}
