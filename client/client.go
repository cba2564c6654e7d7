package client

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/transport/payload"
	"github.com/saltgo/saltgo/transport/zmq"
)

// ErrNoMinions is returned by Publish when the master matched no minion:
// no command was sent and no jid was assigned. The text is the one salt
// and salt-run print.
var ErrNoMinions = errors.New("No minions matched the target. No command was sent, no jid was assigned.")

// ErrAuthFailed is returned when the master answers a request with an
// empty reply twice (the key was refused). The text is Salt's.
var ErrAuthFailed = errors.New("Failed to authenticate! This is most likely because this user is not permitted to execute commands, but there is a small possibility that a disk error occurred (check disk/inode usage).")

// MasterError is an error dict the master answered with:
// {"error": {"name": "AuthenticationError", "message": ...}}.
type MasterError struct {
	Name    string
	Message string
}

func (e *MasterError) Error() string {
	if e.Name == "" {
		return e.Message
	}
	return e.Name + ": " + e.Message
}

// Client talks to a Salt master the way Salt's LocalClient and
// WheelClient do: clear requests on the master's request port,
// authenticated with the key the master leaves in its cachedir, and
// returns read from the master's local event bus. It must run on the master
// host, as root or as the master's user.
type Client struct {
	// Opts are the master options (config.Load with Role Master).
	Opts *data.Map
	// Endpoint is the master's request port, tcp://interface:ret_port.
	Endpoint string
	// Bus is where the master's event bus listens.
	Bus BusAddress
	// KeyFile is the file holding the key sent with every request
	// (cachedir/.root_key for root).
	KeyFile string
	// User is the user name sent with requests (Salt's salt_user).
	User string
	// Timeout is how long returns are awaited before minions are asked
	// whether they still run the job (master option timeout, 5 s).
	Timeout time.Duration
	// GatherJobTimeout bounds the saltutil.find_job round (10 s).
	GatherJobTimeout time.Duration
	// Log receives debug lines.
	Log *slog.Logger
	// Connected returns the ids of the minions connected to the master
	// (presence); nil uses ConnectedIDs on the master's files.
	Connected func() (map[string]bool, error)

	mu  sync.Mutex
	req *zmq.ReqClient
	key string
}

// New returns a client for the master configured by cfg.
func New(cfg *config.Config) (*Client, error) {
	if cfg == nil || cfg.Raw == nil {
		return nil, errors.New("client: no master configuration")
	}
	return NewFromOpts(cfg.Raw)
}

// NewFromOpts returns a client for the master whose merged options are
// opts (the Raw map of a master config.Config).
func NewFromOpts(opts *data.Map) (*Client, error) {
	if opts == nil {
		return nil, errors.New("client: no master configuration")
	}
	iface, _ := opts.String("interface")
	port, ok := optInt(opts, "ret_port")
	if !ok || port <= 0 || port > 65535 {
		return nil, fmt.Errorf("client: master option ret_port is missing or invalid")
	}
	cachedir, _ := opts.String("cachedir")
	if cachedir == "" {
		return nil, errors.New("client: master option cachedir is empty")
	}
	c := &Client{
		Opts:             opts,
		Endpoint:         "tcp://" + net.JoinHostPort(dialHost(iface), strconv.FormatInt(port, 10)),
		Bus:              MasterBus(opts),
		Timeout:          optSeconds(opts, "timeout", 5*time.Second),
		GatherJobTimeout: optSeconds(opts, "gather_job_timeout", 10*time.Second),
		Log:              slog.Default(),
	}
	masterUser, _ := opts.String("user")
	c.User = SaltUser()
	c.KeyFile = filepath.Join(cachedir, "."+keyUser(c.User, masterUser)+"_key")
	return c, nil
}

// dialHost maps the master's bind address to an address to connect to.
func dialHost(iface string) string {
	switch iface {
	case "", "0.0.0.0":
		return "127.0.0.1"
	case "::", "[::]":
		return "::1"
	}
	return strings.Trim(iface, "[]")
}

func optInt(opts *data.Map, key string) (int64, bool) {
	v, ok := opts.Get(key)
	if !ok {
		return 0, false
	}
	if n, ok := data.AsInt(v); ok {
		return n, true
	}
	if s, ok := v.(string); ok {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		return n, err == nil
	}
	return 0, false
}

func optSeconds(opts *data.Map, key string, def time.Duration) time.Duration {
	v, ok := opts.Get(key)
	if !ok {
		return def
	}
	switch n := data.Normalize(v).(type) {
	case int64:
		if n > 0 {
			return time.Duration(n) * time.Second
		}
	case float64:
		if n > 0 {
			return time.Duration(n * float64(time.Second))
		}
	case string:
		if f, err := strconv.ParseFloat(n, 64); err == nil && f > 0 {
			return time.Duration(f * float64(time.Second))
		}
	}
	return def
}

// SaltUser returns the user name Salt's clients send: the current user, or
// sudo_<user> when root runs on behalf of a sudo user.
func SaltUser() string {
	name := "root"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if name == "root" {
		if su := os.Getenv("SUDO_USER"); su != "" && su != "root" {
			return "sudo_" + su
		}
	}
	return name
}

// keyUser picks whose key file a client reads: root and sudo callers use
// the key of the user the master runs as.
func keyUser(saltUser, masterUser string) string {
	if masterUser == "" {
		masterUser = "root"
	}
	if saltUser == "root" || strings.HasPrefix(saltUser, "sudo_") {
		return masterUser
	}
	return saltUser
}

// ReadKey reads the key file (Salt reads its first line).
func (c *Client) ReadKey() (string, error) {
	b, err := os.ReadFile(c.KeyFile)
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return "", fmt.Errorf("read the master's key %s: %w: salt-run must run on the master host as root (or as the master's user), with the master's configuration (-c)", c.KeyFile, err)
		case errors.Is(err, fs.ErrPermission):
			return "", fmt.Errorf("read the master's key %s: %w: run as root or as the user the master runs as", c.KeyFile, err)
		}
		return "", fmt.Errorf("read the master's key %s: %w", c.KeyFile, err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	if line == "" {
		return "", fmt.Errorf("the master's key file %s is empty", c.KeyFile)
	}
	return line, nil
}

func (c *Client) currentKey() (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.key != "" {
		return c.key, nil
	}
	k, err := c.ReadKey()
	if err != nil {
		return "", err
	}
	c.key = k
	return k, nil
}

func (c *Client) reqClient() (*zmq.ReqClient, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.req != nil {
		return c.req, nil
	}
	r, err := zmq.NewReqClient(c.Endpoint, zmq.ReqOptions{Timeout: max(c.Timeout, 5*time.Second), Tries: 3, Logger: c.Log})
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	c.req = r
	return r, nil
}

// Close releases the request connection.
func (c *Client) Close() error {
	c.mu.Lock()
	r := c.req
	c.req = nil
	c.mu.Unlock()
	if r != nil {
		return r.Close()
	}
	return nil
}

// ClearRequest sends one clear request ({"enc": "clear", "load": load,
// "version": 3}) and returns the decoded reply.
func (c *Client) ClearRequest(ctx context.Context, load *data.Map) (any, error) {
	r, err := c.reqClient()
	if err != nil {
		return nil, err
	}
	env := data.M("enc", "clear", "load", load, "version", int64(3))
	b, err := payload.Encode(env)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	reply, err := r.Request(ctx, func(int) ([]byte, error) { return b, nil })
	if err != nil {
		return nil, fmt.Errorf("the salt master could not be contacted at %s (is it running?): %w", c.Endpoint, err)
	}
	v, err := payload.Decode(reply)
	if err != nil {
		return nil, fmt.Errorf("undecodable reply from the master: %w", err)
	}
	return v, nil
}

// authedRequest sends load with the key; an empty reply makes it re-read
// the key file and retry once if the key changed (the master regenerates
// it at each start), as Salt does.
func (c *Client) authedRequest(ctx context.Context, load *data.Map) (*data.Map, error) {
	key, err := c.currentKey()
	if err != nil {
		return nil, err
	}
	load.Set("key", key)
	v, err := c.ClearRequest(ctx, load)
	if err != nil {
		return nil, err
	}
	m, err := replyMap(v)
	if err != nil {
		return nil, err
	}
	if m.Len() == 0 {
		fresh, kerr := c.ReadKey()
		if kerr != nil || fresh == key {
			return nil, ErrAuthFailed
		}
		c.mu.Lock()
		c.key = fresh
		c.mu.Unlock()
		load.Set("key", fresh)
		if v, err = c.ClearRequest(ctx, load); err != nil {
			return nil, err
		}
		if m, err = replyMap(v); err != nil {
			return nil, err
		}
		if m.Len() == 0 {
			return nil, ErrAuthFailed
		}
	}
	if e, ok := m.Get("error"); ok {
		return nil, masterError(e)
	}
	return m, nil
}

func replyMap(v any) (*data.Map, error) {
	switch x := v.(type) {
	case *data.Map:
		return x, nil
	case string:
		if x == "" {
			return nil, ErrAuthFailed
		}
		if x == "bad load" {
			return nil, fmt.Errorf("the master refused the request (%q): it may require a newer protocol or the request is malformed", x)
		}
		return nil, fmt.Errorf("the master answered %q", x)
	case nil:
		return data.NewMap(), nil
	}
	return nil, fmt.Errorf("unexpected reply from the master: %T", v)
}

func masterError(e any) error {
	if m, ok := e.(*data.Map); ok {
		name, _ := m.String("name")
		msg, _ := m.String("message")
		return &MasterError{Name: name, Message: msg}
	}
	if s, ok := data.AsString(e); ok {
		return &MasterError{Message: s}
	}
	return &MasterError{Message: fmt.Sprint(e)}
}

// Job is a published job: its jid, the minions the master expects to
// return, and the listed ids that have no key (list targets).
type Job struct {
	JID     string
	Minions []string
	Missing []string
}

// PubOptions are the optional parts of a publish.
type PubOptions struct {
	// TgtType is the target type (glob when empty).
	TgtType string
	// Ret names returners ("" for none).
	Ret string
	// JID asks for a specific jid ("" lets the master allocate one).
	JID string
	// Extra is sent as the publish "kwargs" (metadata, delimiter...).
	Extra *data.Map
}

// Publish sends a job through the master, as LocalClient.pub does. args is
// the packed argument list (see PackArgs). It returns ErrNoMinions when the
// target matched nothing.
func (c *Client) Publish(ctx context.Context, tgt any, fun string, args []any, o PubOptions) (*Job, error) {
	if o.TgtType == "" {
		o.TgtType = "glob"
	}
	if args == nil {
		args = []any{}
	}
	load := data.M("cmd", "publish", "tgt", tgt, "fun", fun, "arg", args, "key", "", "tgt_type", o.TgtType, "ret", o.Ret, "jid", o.JID)
	if o.Extra != nil && o.Extra.Len() > 0 {
		load.Set("kwargs", o.Extra)
	}
	load.Set("user", c.User)
	m, err := c.authedRequest(ctx, load)
	if err != nil {
		return nil, err
	}
	if l, ok := m.Get("load"); ok {
		lm, ok := l.(*data.Map)
		if !ok {
			return nil, fmt.Errorf("publish reply: load is %T, not a dict", l)
		}
		m = lm
	}
	jv, _ := m.Get("jid")
	jid, _ := data.AsString(jv)
	if jid == "0" {
		return nil, errors.New("Failed to connect to the Master, is the Salt Master running?")
	}
	job := &Job{JID: jid, Minions: strList(m, "minions"), Missing: strList(m, "missing")}
	if len(job.Minions) == 0 {
		if e, ok := m.String("error"); ok && e != "" {
			c.Log.Debug("publish: " + e)
		}
		return nil, ErrNoMinions
	}
	if jid == "" {
		return nil, fmt.Errorf("publish reply has no jid")
	}
	return job, nil
}

func strList(m *data.Map, key string) []string {
	v, _ := m.Get(key)
	l, _ := v.([]any)
	out := []string{}
	for _, e := range l {
		if s, ok := data.AsString(e); ok {
			out = append(out, s)
		}
	}
	return out
}

// PackArgs packs positional arguments and keyword arguments the way
// Salt's condition_input does: kwargs become a trailing map flagged
// "__kwarg__": True.
func PackArgs(args []any, kwargs *data.Map) []any {
	out := append([]any{}, args...)
	if kwargs != nil && kwargs.Len() > 0 {
		k := data.M("__kwarg__", true)
		kwargs.Range(func(key, v any) bool { k.Set(key, v); return true })
		out = append(out, k)
	}
	return out
}

// Wheel runs a wheel function on the master (key.list_all, key.accept,
// key.delete, key.finger...) with its keyword arguments at the top level of
// the load, as Salt's WheelClient.master_call does. It returns the data
// dict of the reply: fun, jid, tag, user, return, success, _stamp. A
// failed wheel function is not an error here: check "success".
func (c *Client) Wheel(ctx context.Context, fun string, kwargs *data.Map) (*data.Map, error) {
	load := data.M("cmd", "wheel", "fun", fun)
	kwargs.Range(func(k, v any) bool {
		if k != "cmd" && k != "fun" && k != "key" {
			load.Set(k, v)
		}
		return true
	})
	// No "user" here: the master passes every load key but cmd and key to
	// the wheel function, and key.list_all() takes no user argument
	// (verified against 3007.14).
	m, err := c.authedRequest(ctx, load)
	if err != nil {
		return nil, err
	}
	d, ok := m.Get("data")
	if !ok {
		return nil, fmt.Errorf("wheel %s: reply has no data", fun)
	}
	dm, ok := d.(*data.Map)
	if !ok {
		return nil, fmt.Errorf("wheel %s: reply data is %T, not a dict", fun, d)
	}
	return dm, nil
}

// Shared is the slot of a host.Env in which a front door (salt-run) lends
// its *Client to the runner functions it runs.
var Shared = host.NewKey[*Client]("saltgo.client")

// FromEnv returns the client a runner function should use: the one the
// front door lent under Shared, else a new one built from the master
// options opts (the caller then owns it: owned reports whether it must be
// closed).
func FromEnv(env *host.Env, opts *data.Map) (c *Client, owned bool, err error) {
	if c, ok := Shared.Get(env); ok && c != nil {
		return c, false, nil
	}
	c, err = NewFromOpts(opts)
	return c, err == nil, err
}
