// Package ssh is the part of Salt's ssh execution module
// (salt/modules/ssh.py) that the ssh_auth and ssh_known_hosts states use:
// users' authorized_keys files and known_hosts files, the latter through
// the real ssh-keygen and ssh-keyscan. Files are rewritten atomically,
// keeping their owner and mode.
package ssh

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileserver"
	"github.com/saltgo/saltgo/host"
	filemod "github.com/saltgo/saltgo/modules/file"
	usermod "github.com/saltgo/saltgo/modules/user"
)

// DefaultPort is ssh's port: a known host on it is written without
// "[host]:port".
const DefaultPort = 22

func init() {
	cfg := host.Opt("config", ".ssh/authorized_keys")
	fht := host.Opt("fingerprint_hash_type", nil)
	host.Register(&host.Module{Kind: host.Exec, Name: "ssh", Doc: "Manage client ssh components", Virtual: virtual, Funcs: []*host.Func{
		{Name: "auth_keys", Params: []host.Param{host.Opt("user", nil), cfg, fht}, Fn: authKeysFn,
			Doc: "Return the authorized keys for users"},
		{Name: "check_key", Params: []host.Param{host.Req("user"), host.Req("key"), host.Req("enc"), host.Req("comment"), host.Req("options"),
			cfg, host.Opt("cache_keys", nil), fht}, Fn: checkKeyFn, Doc: "Check to see if a key needs updating, returns \"update\", \"add\" or \"exists\""},
		{Name: "check_key_file", Params: []host.Param{host.Req("user"), host.Req("source"), cfg, host.Opt("saltenv", "base"), fht},
			Fn: checkKeyFileFn, Doc: "Check a keyfile from a source destination against the local keys and return the keys to change"},
		{Name: "set_auth_key", Params: []host.Param{host.Req("user"), host.Req("key"), host.Opt("enc", "ssh-rsa"), host.Opt("comment", ""),
			host.Opt("options", nil), cfg, host.Opt("cache_keys", nil), fht}, Fn: setAuthKeyFn, Doc: "Add a key to the authorized_keys file."},
		{Name: "set_auth_key_from_file", Params: []host.Param{host.Req("user"), host.Req("source"), cfg, host.Opt("saltenv", "base"), fht},
			VarKwargs: true, Fn: setAuthKeyFromFileFn, Doc: "Add a key to the authorized_keys file, using a file as the source."},
		{Name: "rm_auth_key", Params: []host.Param{host.Req("user"), host.Req("key"), cfg, fht}, Fn: rmAuthKeyFn,
			Doc: "Remove an authorized key from the specified user's authorized key file"},
		{Name: "rm_auth_key_from_file", Params: []host.Param{host.Req("user"), host.Req("source"), cfg, host.Opt("saltenv", "base"), fht},
			Fn: rmAuthKeyFromFileFn, Doc: "Remove an authorized key from the specified user's authorized key file, using a file as source"},
		{Name: "get_known_host_entries", Params: []host.Param{host.Req("user"), host.Req("hostname"), host.Opt("config", nil),
			host.Opt("port", nil), fht}, Fn: getKnownHostEntriesFn, Doc: "Return information about known host entries from the configfile, if any."},
		{Name: "recv_known_host_entries", Params: []host.Param{host.Req("hostname"), host.Opt("enc", nil), host.Opt("port", nil),
			host.Opt("hash_known_hosts", true), host.Opt("timeout", 5), fht}, Fn: recvKnownHostEntriesFn,
			Doc: "Retrieve information about host public keys from remote server"},
		{Name: "check_known_host", Params: []host.Param{host.Opt("user", nil), host.Opt("hostname", nil), host.Opt("key", nil),
			host.Opt("fingerprint", nil), host.Opt("config", nil), host.Opt("port", nil), fht}, Fn: checkKnownHostFn,
			Doc: "Check the record in known_hosts file, either by its value or by fingerprint"},
		{Name: "rm_known_host", Params: []host.Param{host.Opt("user", nil), host.Opt("hostname", nil), host.Opt("config", nil),
			host.Opt("port", nil)}, Fn: rmKnownHostFn, Doc: "Remove all keys belonging to hostname from a known_hosts file."},
		{Name: "set_known_host", Params: []host.Param{host.Opt("user", nil), host.Opt("hostname", nil), host.Opt("fingerprint", nil),
			host.Opt("key", nil), host.Opt("port", nil), host.Opt("enc", nil), host.Opt("config", nil), host.Opt("hash_known_hosts", true),
			host.Opt("timeout", 5), fht}, Fn: setKnownHostFn, Doc: "Download SSH public key from remote host \"hostname\", optionally validate its fingerprint against \"fingerprint\" variable and save the record in the known_hosts file."},
		{Name: "hash_known_hosts", Params: []host.Param{host.Opt("user", nil), host.Opt("config", nil)}, Fn: hashKnownHostsFn,
			Doc: "Hash all the hostnames in the known hosts file."},
	}})
}

func virtual() error {
	if _, err := exec.LookPath("ssh"); err != nil {
		return errors.New("The module requires the ssh binary.")
	}
	return nil
}

// RefineEnc is Salt's _refine_enc: the key type's full name.
func RefineEnc(enc string) (string, error) {
	switch enc {
	case "r", "rsa", "ssh-rsa":
		return "ssh-rsa", nil
	case "d", "dsa", "dss", "ssh-dss":
		return "ssh-dss", nil
	case "e", "ecdsa":
		return "ecdsa-sha2-nistp256", nil
	case "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp256":
		return enc, nil
	case "ed25519", "ssh-ed25519":
		return "ssh-ed25519", nil
	case "rsa-sha2-512", "rsa-sha2-256", "rsa-sha2-512-cert-v01@openssh.com", "rsa-sha2-256-cert-v01@openssh.com",
		"ssh-rsa-cert-v01@openssh.com", "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp384-cert-v01@openssh.com",
		"ecdsa-sha2-nistp521-cert-v01@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
		"ssh-ed25519-cert-v01@openssh.com", "sk-ssh-ed25519@openssh.com", "sk-ssh-ed25519-cert-v01@openssh.com":
		return enc, nil
	}
	return "", host.Errorf("Incorrect encryption key type '%s'.", enc)
}

func formatAuthLine(key, enc, comment string, options []string) string {
	line := ""
	if len(options) > 0 {
		line += strings.Join(options, ",") + " "
	}
	return line + fmt.Sprintf("%s %s %s\n", enc, key, comment)
}

// expandPath is Salt's _expand_authorized_keys_path (%u, %h, %%).
func expandPath(path, user, home string) (string, error) {
	var b strings.Builder
	esc := false
	for _, ch := range path {
		if esc {
			esc = false
			switch ch {
			case '%':
				b.WriteByte('%')
			case 'u':
				b.WriteString(user)
			case 'h':
				b.WriteString(home)
			default:
				return "", host.Errorf("AuthorizedKeysFile path: unknown token character \"%%%c\"", ch)
			}
			continue
		}
		if ch == '%' {
			esc = true
			continue
		}
		b.WriteRune(ch)
	}
	if esc {
		return "", host.Errorf("AuthorizedKeysFile path: Last character can't be escape character")
	}
	return b.String(), nil
}

// account is what the module needs of user.info.
type account struct {
	home     string
	uid, gid int
}

func userInfo(user string) (*account, error) {
	m, err := usermod.Info("", user)
	if err != nil {
		return nil, fmt.Errorf("ssh: user.info %s: %w", user, err)
	}
	if m.Len() == 0 {
		return nil, nil
	}
	a := &account{}
	a.home, _ = m.String("home")
	uid, _ := m.Get("uid")
	gid, _ := m.Get("gid")
	u, _ := data.AsInt(uid)
	g, _ := data.AsInt(gid)
	a.uid, a.gid = int(u), int(g)
	return a, nil
}

// configFile is Salt's _get_config_file: the user's authorized keys file.
func configFile(user, config string) (string, error) {
	a, err := userInfo(user)
	if err != nil {
		return "", err
	}
	if a == nil {
		return "", host.Errorf("User '%s' does not exist", user)
	}
	p, err := expandPath(config, user, a.home)
	if err != nil {
		return "", err
	}
	if !filepath.IsAbs(p) {
		p = pyJoin(a.home, p)
	}
	return p, nil
}

// pyJoin is os.path.join of two parts.
func pyJoin(a, b string) string {
	if strings.HasPrefix(b, "/") {
		return b
	}
	if a == "" || strings.HasSuffix(a, "/") {
		return a + b
	}
	return a + "/" + b
}

var (
	lineRe    = regexp.MustCompile(`^(.*?)\s?((?:sk-)?(?:ssh\-|ecds)[\w@.-]+\s.+)$`)
	replaceRe = regexp.MustCompile(`((.*)\s)?((?:sk-)?(?:ssh|ecdsa)-[a-z0-9@.-]+)\s([a-zA-Z0-9+/]+={0,2})(\s(.*))?`)
)

// Fingerprint is Salt's _fingerprint: the colon-separated hex digest of
// the decoded key ("" when the key is not base64).
func Fingerprint(key string, hashType any) (string, error) {
	ht := "sha256"
	if data.Truthy(hashType) {
		ht = strings.ToLower(data.Str(hashType))
	}
	h, err := fileserver.NewHash(ht)
	if err != nil {
		return "", host.Errorf("The fingerprint_hash_type %s is not supported.", ht)
	}
	raw, err := base64.StdEncoding.DecodeString(key)
	if err != nil || strings.ContainsAny(key, "\r\n") {
		return "", nil
	}
	h.Write(raw)
	sum := hex.EncodeToString(h.Sum(nil))
	parts := make([]string, 0, len(sum)/2)
	for i := 0; i < len(sum); i += 2 {
		parts = append(parts, sum[i:i+2])
	}
	return strings.Join(parts, ":"), nil
}

// Key is one authorized key as auth_keys reports it.
type Key struct {
	Enc, Comment, Fingerprint string
	Options                   []string
}

func (k Key) asMap() *data.Map {
	opts := make([]any, 0, len(k.Options))
	for _, o := range k.Options {
		opts = append(opts, o)
	}
	return data.M("enc", k.Enc, "comment", k.Comment, "options", opts, "fingerprint", k.Fingerprint)
}

// Keys are a file's keys in file order.
type Keys struct {
	Order []string
	ByKey map[string]Key
}

func (ks *Keys) asMap() *data.Map {
	m := data.NewMap()
	for _, k := range ks.Order {
		m.Set(k, ks.ByKey[k].asMap())
	}
	return m
}

// fileLines are Salt's reading of a key file: stripped, blank lines left
// out.
func fileLines(b []byte) []string {
	var out []string
	for _, l := range data.SplitLines(string(b), true) {
		l = strings.TrimSpace(l)
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// validateKeys is Salt's _validate_keys.
func validateKeys(path string, hashType any) (*Keys, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, host.Errorf("Problem reading ssh key file %s", path)
	}
	ks := &Keys{ByKey: map[string]Key{}}
	for _, line := range fileLines(b) {
		if strings.HasPrefix(line, "#") {
			continue
		}
		m := lineRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		comps := strings.Fields(m[2])
		if len(comps) < 2 {
			continue
		}
		var options []string
		if m[1] != "" {
			options = strings.Split(m[1], ",")
		}
		fp, err := Fingerprint(comps[1], hashType)
		if err != nil {
			return nil, err
		}
		if fp == "" {
			continue
		}
		if _, ok := ks.ByKey[comps[1]]; !ok {
			ks.Order = append(ks.Order, comps[1])
		}
		ks.ByKey[comps[1]] = Key{Enc: comps[0], Comment: strings.Join(comps[2:], " "), Options: options, Fingerprint: fp}
	}
	return ks, nil
}

// AuthKeys is auth_keys for one user: the keys of their authorized keys
// file (none when the user or the file does not exist).
func AuthKeys(user, config string, hashType any) (*Keys, error) {
	full, err := configFile(user, config)
	var ce *host.CommandExecutionError
	if errors.As(err, &ce) {
		return &Keys{ByKey: map[string]Key{}}, nil
	}
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(full); err != nil || !st.Mode().IsRegular() {
		return &Keys{ByKey: map[string]Key{}}, nil
	}
	return validateKeys(full, hashType)
}

// CheckKey is check_key: "add", "update" or "exists".
func CheckKey(user, key, enc, comment string, options []string, config string, hashType any) (string, error) {
	enc, err := RefineEnc(enc)
	if err != nil {
		return "", err
	}
	cur, err := AuthKeys(user, config, hashType)
	if err != nil {
		return "", err
	}
	k, ok := cur.ByKey[key]
	if !ok {
		return "add", nil
	}
	if formatAuthLine(key, k.Enc, k.Comment, k.Options) != formatAuthLine(key, enc, comment, options) {
		return "update", nil
	}
	return "exists", nil
}

// writeLines replaces path's content atomically, keeping its owner and
// mode.
func writeLines(path string, lines []string) error {
	return filemod.CommitFileMode(path, strings.NewReader(strings.Join(lines, "")), "", "", 0o600)
}

func replaceAuthKey(user, key, enc, comment string, options []string, config string) error {
	authLine := formatAuthLine(key, enc, comment, options)
	full, err := configFile(user, config)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(full)
	if err != nil {
		return host.Errorf("Problem reading or writing to key file: %v", err)
	}
	var lines []string
	for _, line := range fileLines(b) {
		line += "\n"
		if strings.HasPrefix(line, "#") {
			lines = append(lines, line)
			continue
		}
		if m := replaceRe.FindStringSubmatch(line); m != nil && m[4] == key {
			lines = append(lines, authLine)
		} else {
			lines = append(lines, line)
		}
	}
	if err := writeLines(full, lines); err != nil {
		return host.Errorf("Problem reading or writing to key file: %v", err)
	}
	return nil
}

// SetAuthKey is set_auth_key: "new", "replace", "no change", "fail",
// "invalid" or "Invalid public key".
func SetAuthKey(user, key, enc, comment string, options []string, config string, hashType any) (string, error) {
	if len(strings.Fields(key)) > 1 {
		return "invalid", nil
	}
	enc, err := RefineEnc(enc)
	if err != nil {
		return "", err
	}
	a, err := userInfo(user)
	if err != nil {
		return "", err
	}
	if a == nil {
		return "fail", nil
	}
	if fp, err := Fingerprint(key, hashType); err != nil {
		return "", err
	} else if fp == "" {
		return "Invalid public key", nil
	}
	st, err := CheckKey(user, key, enc, comment, options, config, hashType)
	if err != nil {
		return "", err
	}
	switch st {
	case "update":
		if err := replaceAuthKey(user, key, enc, comment, options, config); err != nil {
			return "", err
		}
		return "replace", nil
	case "exists":
		return "no change", nil
	}
	full, err := configFile(user, config)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(full, a.home) && !isDir(a.home) {
		return "fail", nil
	}
	if dir := filepath.Dir(full); !isDir(dir) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", fmt.Errorf("ssh: %w", err)
		}
		if os.Geteuid() == 0 {
			if err := os.Chown(dir, a.uid, a.gid); err != nil {
				return "", fmt.Errorf("ssh: %w", err)
			}
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			return "", fmt.Errorf("ssh: %w", err)
		}
	}
	old, err := os.ReadFile(full)
	newFile := errors.Is(err, fs.ErrNotExist)
	if err != nil && !newFile {
		return "", host.Errorf("Could not write to key file: %v", err)
	}
	if len(old) > 0 && old[len(old)-1] != '\n' {
		old = append(old, '\n')
	}
	content := append(old, formatAuthLine(key, enc, comment, options)...)
	if err := filemod.CommitFileMode(full, bytes.NewReader(content), "", "", 0o600); err != nil {
		return "", host.Errorf("Could not write to key file: %v", err)
	}
	if newFile && os.Geteuid() == 0 {
		if err := os.Chown(full, a.uid, a.gid); err != nil {
			return "", fmt.Errorf("ssh: %w", err)
		}
	}
	return "new", nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// RmAuthKey is rm_auth_key: "Key removed", "Key not present", "Key not
// removed" or "Authorized keys file <path> not present".
func RmAuthKey(user, key, config string, hashType any) (string, error) {
	cur, err := AuthKeys(user, config, hashType)
	if err != nil {
		return "", err
	}
	if _, ok := cur.ByKey[key]; !ok {
		return "Key not present", nil
	}
	full, err := configFile(user, config)
	if err != nil {
		return "", err
	}
	if st, err := os.Stat(full); err != nil || !st.Mode().IsRegular() {
		return fmt.Sprintf("Authorized keys file %s not present", full), nil
	}
	b, err := os.ReadFile(full)
	if err != nil {
		return "Key not removed", nil
	}
	var lines []string
	for _, line := range fileLines(b) {
		if strings.HasPrefix(line, "#") {
			lines = append(lines, line+"\n")
			continue
		}
		m := lineRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		comps := strings.Fields(m[2])
		if len(comps) < 2 {
			lines = append(lines, line+"\n")
			continue
		}
		if comps[1] == key {
			continue
		}
		lines = append(lines, line+"\n")
	}
	if err := writeLines(full, lines); err != nil {
		return "Key not removed", nil
	}
	return "Key removed", nil
}

// KeyFiles fetch a salt:// key file (cp.cache_file) for the *_from_file
// functions: the local path, "" when it cannot be had.
type KeyFiles func(ctx context.Context, source, saltenv string) (string, error)

// CacheFile is the KeyFiles of env: cp.cache_file through host.Run.
func CacheFile(env *host.Env) KeyFiles {
	return func(ctx context.Context, source, saltenv string) (string, error) {
		r := host.Run(ctx, env, host.Request{Kind: host.Exec, Fun: "cp.cache_file", Args: []any{source, saltenv}})
		if r.Err != nil {
			return "", fmt.Errorf("cp.cache_file %s: %w", source, r.Err)
		}
		if !data.Truthy(r.Return) {
			return "", nil
		}
		return data.Str(r.Return), nil
	}
}

// noKeys is the error Salt keeps in __context__["ssh_auth.error"].
func noKeys(source string) string {
	return fmt.Sprintf("No keys detected in %s. Is file properly formatted?", source)
}

// CheckKeyFile is check_key_file: each key of source with its check_key
// status; errText is Salt's ssh_auth.error when the file has no keys.
func CheckKeyFile(ctx context.Context, fetch KeyFiles, user, source, config, saltenv string, hashType any) (st *data.Map, errText string, err error) {
	st = data.NewMap()
	p, err := fetch(ctx, source, saltenv)
	if err != nil || p == "" {
		return st, "", err
	}
	ks, err := validateKeys(p, hashType)
	if err != nil {
		return nil, "", err
	}
	if len(ks.Order) == 0 {
		return st, noKeys(source), nil
	}
	for _, key := range ks.Order {
		k := ks.ByKey[key]
		s, err := CheckKey(user, key, k.Enc, k.Comment, k.Options, config, hashType)
		if err != nil {
			return nil, "", err
		}
		st.Set(key, s)
	}
	return st, "", nil
}

func pulled(ctx context.Context, fetch KeyFiles, source, saltenv string) (string, error) {
	p, err := fetch(ctx, source, saltenv)
	if err != nil {
		return "", err
	}
	if st, err := os.Stat(p); p == "" || err != nil || !st.Mode().IsRegular() {
		return "", host.Errorf("Failed to pull key file from salt file server")
	}
	return p, nil
}

// SetAuthKeyFromFile is set_auth_key_from_file: "fail", "replace", "new"
// or "no change"; errText as CheckKeyFile's.
func SetAuthKeyFromFile(ctx context.Context, fetch KeyFiles, user, source, config, saltenv string, options []string, hashType any) (ret, errText string, err error) {
	p, err := pulled(ctx, fetch, source, saltenv)
	if err != nil {
		return "", "", err
	}
	ks, err := validateKeys(p, hashType)
	if err != nil {
		return "", "", err
	}
	if len(ks.Order) == 0 {
		return "fail", noKeys(source), nil
	}
	var rval strings.Builder
	for _, key := range ks.Order {
		k := ks.ByKey[key]
		opts := options
		if len(opts) == 0 {
			opts = k.Options
		}
		s, err := SetAuthKey(user, key, k.Enc, k.Comment, opts, config, hashType)
		if err != nil {
			return "", "", err
		}
		rval.WriteString(s)
	}
	switch r := rval.String(); {
	case strings.Contains(r, "fail"):
		return "fail", "", nil
	case strings.Contains(r, "replace"):
		return "replace", "", nil
	case strings.Contains(r, "new"):
		return "new", "", nil
	}
	return "no change", "", nil
}

// RmAuthKeyFromFile is rm_auth_key_from_file: "Key removed", "Key not
// removed", "Key not present" or "fail"; errText as CheckKeyFile's.
func RmAuthKeyFromFile(ctx context.Context, fetch KeyFiles, user, source, config, saltenv string, hashType any) (ret, errText string, err error) {
	p, err := pulled(ctx, fetch, source, saltenv)
	if err != nil {
		return "", "", err
	}
	ks, err := validateKeys(p, hashType)
	if err != nil {
		return "", "", err
	}
	if len(ks.Order) == 0 {
		return "fail", noKeys(source), nil
	}
	var rval strings.Builder
	for _, key := range ks.Order {
		s, err := RmAuthKey(user, key, config, hashType)
		if err != nil {
			return "", "", err
		}
		rval.WriteString(s)
	}
	switch r := rval.String(); {
	case strings.Contains(r, "Key not removed"):
		return "Key not removed", "", nil
	case strings.Contains(r, "Key removed"):
		return "Key removed", "", nil
	}
	return "Key not present", "", nil
}

// ---- known hosts ----

// errMap is Salt's {"status": "error", "error": msg}.
func errMap(msg string) *data.Map { return data.M("status", "error", "error", msg) }

// knownHostsFile is Salt's _get_known_hosts_file: the path, or an error
// map.
func knownHostsFile(config any, user string) (string, *data.Map, error) {
	cfg := ""
	if data.Truthy(config) {
		cfg = data.Str(config)
	}
	if cfg == "" {
		if user != "" {
			cfg = ".ssh/known_hosts"
		} else {
			cfg = "/etc/ssh/ssh_known_hosts"
		}
	}
	if filepath.IsAbs(cfg) {
		return cfg, nil, nil
	}
	if user == "" {
		return "", errMap("Cannot determine absolute path to file."), nil
	}
	a, err := userInfo(user)
	if err != nil {
		return "", nil, err
	}
	if a == nil {
		return "", errMap(fmt.Sprintf("User %s does not exist", user)), nil
	}
	return pyJoin(a.home, cfg), nil, nil
}

// portOf is a port argument as an int (0 for none).
func portOf(port any) int {
	if port == nil {
		return 0
	}
	if n, ok := data.AsInt(port); ok {
		return int(n)
	}
	n, _ := strconv.Atoi(data.Str(port))
	return n
}

func sshHostname(hostname string, port any) string {
	if p := portOf(port); p == 0 || p == DefaultPort {
		return hostname
	}
	return fmt.Sprintf("[%s]:%s", hostname, data.Str(port))
}

// runOut runs argv as cmd.run does: stdout and stderr together, trailing
// whitespace stripped, the exit code ignored.
func runOut(ctx context.Context, argv ...string) (string, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return "", fmt.Errorf("running %s: %w", argv[0], err)
	}
	return strings.TrimRight(string(out), " \t\r\n\v\f"), nil
}

// parseOpenSSH is Salt's _parse_openssh_output.
func parseOpenSSH(out string, hashType any) ([]any, error) {
	var ents []any
	for _, line := range data.SplitLines(out, false) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		fp, err := Fingerprint(f[2], hashType)
		if err != nil {
			return nil, err
		}
		if fp == "" {
			continue
		}
		ents = append(ents, data.M("hostname", f[0], "key", f[2], "enc", f[1], "fingerprint", fp))
	}
	return ents, nil
}

// KnownHostEntries is get_known_host_entries: the entries for hostname
// (nil when none), or an error map.
func KnownHostEntries(ctx context.Context, user, hostname string, config, port, hashType any) (any, error) {
	full, em, err := knownHostsFile(config, user)
	if err != nil || em != nil {
		return em, err
	}
	out, err := runOut(ctx, "ssh-keygen", "-F", sshHostname(hostname, port), "-f", full)
	if err != nil {
		return nil, err
	}
	ents, err := parseOpenSSH(out, hashType)
	if err != nil || len(ents) == 0 {
		return nil, err
	}
	return ents, nil
}

// RecvKnownHostEntries is recv_known_host_entries: ssh-keyscan of
// hostname (5 tries), nil when nothing came back.
func RecvKnownHostEntries(ctx context.Context, hostname string, enc, port any, hashKnownHosts bool, timeout, hashType any) ([]any, error) {
	argv := []string{"ssh-keyscan"}
	if port != nil {
		argv = append(argv, "-p", data.Str(port))
	}
	if enc != nil {
		argv = append(argv, "-t", data.Str(enc))
	}
	if hashKnownHosts {
		argv = append(argv, "-H")
	}
	argv = append(argv, "-T", data.Str(timeout), hostname)
	var lines []string
	for attempt := 0; attempt < 5 && len(lines) == 0; attempt++ {
		out, err := runOut(ctx, argv...)
		if err != nil {
			return nil, err
		}
		lines = data.SplitLines(out, false)
	}
	ents, err := parseOpenSSH(strings.Join(lines, "\n"), hashType)
	if err != nil || len(ents) == 0 {
		return nil, err
	}
	return ents, nil
}

func isErrMap(v any) (*data.Map, bool) {
	m, ok := v.(*data.Map)
	if ok && m.Has("error") {
		return m, true
	}
	return nil, false
}

func entryField(ents any, field string, enc any) []string {
	l, _ := ents.([]any)
	var out []string
	for _, e := range l {
		m, _ := e.(*data.Map)
		if m == nil {
			continue
		}
		if enc != nil {
			if v, _ := m.Get("enc"); !data.Equal(v, enc) {
				continue
			}
		}
		v, _ := m.Get(field)
		out = append(out, data.Str(v))
	}
	return out
}

// CheckKnownHost is check_known_host: "add", "update", "exists" or an
// error map.
func CheckKnownHost(ctx context.Context, user string, hostname, key, fingerprint, config, port, hashType any) (any, error) {
	if !data.Truthy(hostname) {
		return errMap("hostname argument required"), nil
	}
	if !data.Truthy(config) {
		if user == "" {
			config = "/etc/ssh/ssh_known_hosts"
		} else {
			config = ".ssh/known_hosts"
		}
	}
	ents, err := KnownHostEntries(ctx, user, data.Str(hostname), config, port, hashType)
	if err != nil {
		return nil, err
	}
	if m, ok := isErrMap(ents); ok {
		return m, nil
	}
	if ents == nil {
		return "add", nil
	}
	switch {
	case data.Truthy(key):
		if slices.Contains(entryField(ents, "key", nil), data.Str(key)) {
			return "exists", nil
		}
		return "update", nil
	case data.Truthy(fingerprint):
		if slices.Contains(entryField(ents, "fingerprint", nil), data.Str(fingerprint)) {
			return "exists", nil
		}
		return "update", nil
	}
	return "exists", nil
}

// RmKnownHost is rm_known_host: {"status": "removed", "comment": ...} or
// an error map.
func RmKnownHost(ctx context.Context, user string, hostname, config, port any) (*data.Map, error) {
	if !data.Truthy(hostname) {
		return errMap("hostname argument required"), nil
	}
	full, em, err := knownHostsFile(config, user)
	if err != nil || em != nil {
		return em, err
	}
	if st, err := os.Stat(full); err != nil || !st.Mode().IsRegular() {
		return errMap(fmt.Sprintf("Known hosts file %s does not exist", full)), nil
	}
	out, err := runOut(ctx, "ssh-keygen", "-R", sshHostname(data.Str(hostname), port), "-f", full)
	if err != nil {
		return nil, err
	}
	if err := chownTo(full, user); err != nil {
		return nil, err
	}
	return data.M("status", "removed", "comment", out), nil
}

// chownTo gives path to user when the minion runs as root.
func chownTo(path, user string) error {
	if os.Geteuid() != 0 || user == "" {
		return nil
	}
	a, err := userInfo(user)
	if err != nil || a == nil {
		return err
	}
	if err := os.Chown(path, a.uid, a.gid); err != nil {
		return fmt.Errorf("ssh: %w", err)
	}
	return nil
}

// HashKnownHosts is hash_known_hosts: ssh-keygen -H on the file.
func HashKnownHosts(ctx context.Context, user string, config any) (*data.Map, error) {
	full, em, err := knownHostsFile(config, user)
	if err != nil || em != nil {
		return em, err
	}
	st, err := os.Stat(full)
	if err != nil || !st.Mode().IsRegular() {
		return errMap(fmt.Sprintf("Known hosts file %s does not exist", full)), nil
	}
	out, err := runOut(ctx, "ssh-keygen", "-H", "-f", full)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(full, st.Mode().Perm()); err != nil {
		return nil, fmt.Errorf("ssh: %w", err)
	}
	if err := chownTo(full, user); err != nil {
		return nil, err
	}
	return data.M("status", "updated", "comment", out), nil
}

// KnownHost are set_known_host's arguments.
type KnownHost struct {
	User                         string
	Hostname                     string
	Fingerprint, Key, Port, Enc  any
	Config                       any
	HashKnownHosts               bool
	Timeout, FingerprintHashType any
}

// SetKnownHost is set_known_host: {"status": "exists", "keys": [...]},
// {"status": "updated", "old": ..., "new": [...]} or an error map.
func SetKnownHost(ctx context.Context, k KnownHost) (*data.Map, error) {
	if k.Hostname == "" {
		return errMap("hostname argument required"), nil
	}
	if k.Port != nil && portOf(k.Port) != DefaultPort && k.HashKnownHosts {
		return errMap("argument port can not be used in conjunction with argument hash_known_hosts"), nil
	}
	stored, err := KnownHostEntries(ctx, k.User, k.Hostname, k.Config, k.Port, k.FingerprintHashType)
	if err != nil {
		return nil, err
	}
	if m, ok := isErrMap(stored); ok {
		return m, nil
	}
	storedKeys := entryField(stored, "key", k.Enc)
	storedFPs := entryField(stored, "fingerprint", nil)
	update, check := false, false
	key, fingerprint := data.Str(k.Key), data.Str(k.Fingerprint)
	switch {
	case stored == nil:
		update = true
	case data.Truthy(k.Fingerprint) && !slices.Contains(storedFPs, fingerprint):
		update = true
	case data.Truthy(k.Key) && !slices.Contains(storedKeys, key):
		update = true
	case k.Key == nil && k.Fingerprint == nil:
		check = true
	}
	keysList := func(l []string) []any {
		out := make([]any, 0, len(l))
		for _, s := range l {
			out = append(out, s)
		}
		return out
	}
	if !update && !check {
		return data.M("status", "exists", "keys", keysList(storedKeys)), nil
	}
	var remote []any
	if !data.Truthy(k.Key) {
		remote, err = RecvKnownHostEntries(ctx, k.Hostname, k.Enc, k.Port, k.HashKnownHosts, k.Timeout, k.FingerprintHashType)
		if err != nil {
			return nil, err
		}
		if remote == nil {
			return errMap("Unable to receive remote host keys"), nil
		}
		if data.Truthy(k.Fingerprint) && !slices.Contains(entryField(remote, "fingerprint", nil), fingerprint) {
			return errMap("Remote host public keys found but none of their fingerprints match the one you have provided"), nil
		}
		if check {
			a, b := entryField(remote, "key", nil), storedKeys
			slices.Sort(a)
			slices.Sort(b)
			if slices.Equal(slices.Compact(a), slices.Compact(b)) {
				return data.M("status", "exists", "keys", keysList(storedKeys)), nil
			}
		}
	}
	full, em, err := knownHostsFile(k.Config, k.User)
	if err != nil || em != nil {
		return em, err
	}
	var origMode fs.FileMode
	var old []byte
	if st, err := os.Stat(full); err == nil && st.Mode().IsRegular() {
		origMode = st.Mode().Perm()
		out, err := runOut(ctx, "ssh-keygen", "-F", sshHostname(k.Hostname, k.Port), "-f", full)
		if err != nil {
			return nil, err
		}
		if old, err = os.ReadFile(full); err != nil {
			return nil, host.Errorf("Couldn't remove old entry(ies) from known hosts file: '%v'", err)
		}
		old = dropLines(old, matchedLines(data.SplitLines(out, false), k.Enc))
	}
	if data.Truthy(k.Key) {
		remote = []any{data.M("hostname", k.Hostname, "enc", k.Enc, "key", k.Key)}
	}
	var add strings.Builder
	for _, e := range remote {
		m := e.(*data.Map)
		h, _ := m.Get("hostname")
		enc, _ := m.Get("enc")
		kv, _ := m.Get("key")
		p := portOf(k.Port)
		if k.HashKnownHosts || p == 0 || p == DefaultPort || strings.Contains(data.Str(h), ":") {
			fmt.Fprintf(&add, "%s %s %s\n", data.Str(h), data.Str(enc), data.Str(kv))
		} else {
			m.Set("port", k.Port)
			fmt.Fprintf(&add, "[%s]:%s %s %s\n", data.Str(h), data.Str(k.Port), data.Str(enc), data.Str(kv))
		}
	}
	dir := filepath.Dir(full)
	if !isDir(dir) {
		if err := os.MkdirAll(dir, 0o755); err == nil && k.User != "" {
			if err := chownTo(dir, k.User); err != nil {
				return nil, err
			}
			if err := os.Chmod(dir, 0o700); err != nil {
				return nil, fmt.Errorf("ssh: %w", err)
			}
		}
	}
	if err := filemod.CommitFileMode(full, strings.NewReader(string(old)+add.String()), "", "", 0o600); err != nil {
		return nil, host.Errorf("Couldn't append to known hosts file: '%v'", err)
	}
	if err := chownTo(full, k.User); err != nil {
		return nil, err
	}
	if origMode != 0 {
		if err := os.Chmod(full, origMode); err != nil {
			return nil, fmt.Errorf("ssh: %w", err)
		}
	}
	if data.Truthy(k.Key) && k.HashKnownHosts {
		if _, err := HashKnownHosts(ctx, k.User, full); err != nil {
			return nil, err
		}
	}
	var oldV any
	if stored != nil {
		oldV = stored
	}
	return data.M("status", "updated", "old", oldV, "new", remote), nil
}

// matchedLines is Salt's _get_matched_host_line_numbers over ssh-keygen
// -F's output (pairs: "# Host h found: line N", the entry).
func matchedLines(lines []string, enc any) []int {
	var out []int
	for i := 0; i+1 < len(lines); i += 2 {
		f := strings.Fields(lines[i])
		if len(f) == 0 {
			continue
		}
		n, err := strconv.Atoi(f[len(f)-1])
		if err != nil {
			continue
		}
		e := strings.Fields(lines[i+1])
		if enc != nil && (len(e) < 2 || e[len(e)-2] != data.Str(enc)) {
			continue
		}
		out = append(out, n)
	}
	return out
}

// dropLines removes the 1-based line numbers from b.
func dropLines(b []byte, nums []int) []byte {
	if len(nums) == 0 {
		return b
	}
	lines := data.SplitLines(string(b), true)
	var out strings.Builder
	for i, l := range lines {
		if !slices.Contains(nums, i+1) {
			out.WriteString(l)
		}
	}
	return []byte(out.String())
}

// ---- host functions ----

func optStr(v any) string {
	if v == nil {
		return ""
	}
	return data.Str(v)
}

func authKeysFn(ctx context.Context, c *host.Call) (any, error) {
	users := c.Get("user")
	one := false
	var names []string
	switch u := users.(type) {
	case nil:
		us, err := usermod.Users("")
		if err != nil {
			return nil, fmt.Errorf("ssh: %w", err)
		}
		for _, p := range us {
			names = append(names, p.Name)
		}
	case []any:
		names = data.Strings(u)
	default:
		if !data.Truthy(u) {
			us, err := usermod.Users("")
			if err != nil {
				return nil, fmt.Errorf("ssh: %w", err)
			}
			for _, p := range us {
				names = append(names, p.Name)
			}
		} else {
			names, one = []string{data.Str(u)}, true
		}
	}
	out := data.NewMap()
	for _, u := range names {
		full, err := configFile(u, c.Str("config"))
		if err != nil {
			continue
		}
		if st, err := os.Stat(full); err != nil || !st.Mode().IsRegular() {
			continue
		}
		ks, err := validateKeys(full, c.Get("fingerprint_hash_type"))
		if err != nil {
			return nil, err
		}
		out.Set(u, ks.asMap())
	}
	if one {
		if v, ok := out.Get(names[0]); ok {
			return v, nil
		}
		return data.NewMap(), nil
	}
	return out, nil
}

func checkKeyFn(_ context.Context, c *host.Call) (any, error) {
	return CheckKey(c.Str("user"), c.Str("key"), c.Str("enc"), optStr(c.Get("comment")), data.Strings(c.Get("options")), c.Str("config"), c.Get("fingerprint_hash_type"))
}

func checkKeyFileFn(ctx context.Context, c *host.Call) (any, error) {
	st, _, err := CheckKeyFile(ctx, CacheFile(c.Env), c.Str("user"), c.Str("source"), c.Str("config"), c.Str("saltenv"), c.Get("fingerprint_hash_type"))
	return st, err
}

func setAuthKeyFn(_ context.Context, c *host.Call) (any, error) {
	return SetAuthKey(c.Str("user"), c.Str("key"), c.Str("enc"), optStr(c.Get("comment")), data.Strings(c.Get("options")), c.Str("config"), c.Get("fingerprint_hash_type"))
}

func setAuthKeyFromFileFn(ctx context.Context, c *host.Call) (any, error) {
	opts, _ := c.Kwargs().Get("options")
	r, _, err := SetAuthKeyFromFile(ctx, CacheFile(c.Env), c.Str("user"), c.Str("source"), c.Str("config"), c.Str("saltenv"), data.Strings(opts), c.Get("fingerprint_hash_type"))
	return r, err
}

func rmAuthKeyFn(_ context.Context, c *host.Call) (any, error) {
	return RmAuthKey(c.Str("user"), c.Str("key"), c.Str("config"), c.Get("fingerprint_hash_type"))
}

func rmAuthKeyFromFileFn(ctx context.Context, c *host.Call) (any, error) {
	r, _, err := RmAuthKeyFromFile(ctx, CacheFile(c.Env), c.Str("user"), c.Str("source"), c.Str("config"), c.Str("saltenv"), c.Get("fingerprint_hash_type"))
	return r, err
}

func getKnownHostEntriesFn(ctx context.Context, c *host.Call) (any, error) {
	return KnownHostEntries(ctx, optStr(c.Get("user")), c.Str("hostname"), c.Get("config"), c.Get("port"), c.Get("fingerprint_hash_type"))
}

func recvKnownHostEntriesFn(ctx context.Context, c *host.Call) (any, error) {
	ents, err := RecvKnownHostEntries(ctx, c.Str("hostname"), c.Get("enc"), c.Get("port"), c.Bool("hash_known_hosts"), c.Get("timeout"), c.Get("fingerprint_hash_type"))
	if err != nil || ents == nil {
		return nil, err
	}
	return ents, nil
}

func checkKnownHostFn(ctx context.Context, c *host.Call) (any, error) {
	return CheckKnownHost(ctx, optStr(c.Get("user")), c.Get("hostname"), c.Get("key"), c.Get("fingerprint"), c.Get("config"), c.Get("port"), c.Get("fingerprint_hash_type"))
}

func rmKnownHostFn(ctx context.Context, c *host.Call) (any, error) {
	return RmKnownHost(ctx, optStr(c.Get("user")), c.Get("hostname"), c.Get("config"), c.Get("port"))
}

func setKnownHostFn(ctx context.Context, c *host.Call) (any, error) {
	return SetKnownHost(ctx, KnownHost{User: optStr(c.Get("user")), Hostname: optStr(c.Get("hostname")), Fingerprint: c.Get("fingerprint"),
		Key: c.Get("key"), Port: c.Get("port"), Enc: c.Get("enc"), Config: c.Get("config"), HashKnownHosts: c.Bool("hash_known_hosts"),
		Timeout: c.Get("timeout"), FingerprintHashType: c.Get("fingerprint_hash_type")})
}

func hashKnownHostsFn(ctx context.Context, c *host.Call) (any, error) {
	return HashKnownHosts(ctx, optStr(c.Get("user")), c.Get("config"))
}
