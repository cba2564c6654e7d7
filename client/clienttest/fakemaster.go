// Package clienttest provides a fake Salt master for tests of code that
// drives minions through a master: a real ZeroMQ request port on 127.0.0.1
// answering clear publish and wheel requests, and a real Unix-socket event
// bus writing the frames of Salt 3006+ ({"head": {}, "body": tag "\n\n"
// msgpack(data)}), plus the files a master leaves on disk (cachedir with
// .root_key, sock_dir, a master config file).
package clienttest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/transport/payload"
	"github.com/saltgo/saltgo/transport/zmq"
)

// RootKey is the key the fake master writes to cachedir/.root_key.
const RootKey = "fake-root-key-0123456789abcdef"

// Minion says how a fake minion answers jobs. Answer returns the function's
// return value, the delay before the return event, and whether it answers
// at all. A nil Answer answers test.ping with True and saltutil.find_job
// with {} after 10 ms.
type Minion struct {
	Answer func(fun string, args []any) (ret any, delay time.Duration, ok bool)
	// Job, when set, is used instead of Answer: it gets the publish load
	// as a Salt master sends it to its minions (fun, arg, tgt, jid, ret,
	// tgt_type, the publish kwargs' metadata/ret_config/ret_kwargs/
	// module_executors/executor_opts when given, user) and returns the
	// whole data of the return event, fired at salt/job/<jid>/ret/<id>
	// after delay (_stamp is added), or ok=false for no answer. It lets a
	// test run real module code behind the fake master.
	Job func(pub *data.Map) (ret *data.Map, delay time.Duration, ok bool)
}

// Master is a fake Salt master.
type Master struct {
	// Dir is the root of the master's files; ConfDir holds the "master"
	// config file; CacheDir and SockDir are its cachedir and sock_dir.
	Dir, ConfDir, CacheDir, SockDir string
	// Rep is the request port.
	Rep *zmq.RepServer

	mu      sync.Mutex
	minions map[string]Minion
	loads   []*data.Map
	bus     net.Listener
	conns   map[net.Conn]bool
	jid     int
	handler func(load *data.Map) (any, bool)
	wg      sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelFunc
	Garbage []byte // if set, written to every bus connection once on accept
}

// Start starts a fake master with the given accepted minions. extraConf is
// appended to the config file (YAML lines).
func Start(t testing.TB, minions map[string]Minion, extraConf string) *Master {
	t.Helper()
	dir, err := os.MkdirTemp("", "fakemaster")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	m := &Master{Dir: dir, ConfDir: filepath.Join(dir, "conf"), CacheDir: filepath.Join(dir, "cache"),
		SockDir: filepath.Join(dir, "sock"), minions: minions, conns: map[net.Conn]bool{}}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	for _, d := range []string{m.ConfDir, m.CacheDir, m.SockDir, filepath.Join(dir, "pki")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(m.CacheDir, ".root_key"), []byte(RootKey), 0o600); err != nil {
		t.Fatal(err)
	}
	m.bus, err = net.Listen("unix", filepath.Join(m.SockDir, "master_event_pub.ipc"))
	if err != nil {
		t.Fatal(err)
	}
	m.wg.Add(1)
	go m.acceptBus()
	m.Rep, err = zmq.ListenRep("tcp://127.0.0.1:0", m.handle, zmq.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(m.Rep.Addr())
	conf := fmt.Sprintf("interface: 127.0.0.1\nret_port: %s\npublish_port: 1\nroot_dir: %s\ncachedir: %s\nsock_dir: %s\npki_dir: %s\nuser: root\n%s",
		port, dir, m.CacheDir, m.SockDir, filepath.Join(dir, "pki"), extraConf)
	if err := os.WriteFile(filepath.Join(m.ConfDir, "master"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// Close stops the fake master.
func (m *Master) Close() {
	m.cancel()
	m.Rep.Close()
	m.bus.Close()
	m.mu.Lock()
	for c := range m.conns {
		c.Close()
	}
	m.mu.Unlock()
	m.wg.Wait()
}

// SetHandler replaces the request handler: it gets every decoded load
// first; ok=false falls through to the default handling.
func (m *Master) SetHandler(h func(load *data.Map) (reply any, ok bool)) {
	m.mu.Lock()
	m.handler = h
	m.mu.Unlock()
}

// Loads returns the loads received so far.
func (m *Master) Loads() []*data.Map {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*data.Map(nil), m.loads...)
}

func (m *Master) acceptBus() {
	defer m.wg.Done()
	for {
		c, err := m.bus.Accept()
		if err != nil {
			return
		}
		m.mu.Lock()
		m.conns[c] = true
		g := m.Garbage
		m.mu.Unlock()
		if g != nil {
			c.Write(g)
		}
	}
}

// Fire writes one event to every connected bus reader.
func (m *Master) Fire(tag string, d *data.Map) {
	d.Set("_stamp", time.Now().UTC().Format("2006-01-02T15:04:05.000000"))
	m.WriteRaw(Frame(tag, d))
}

// WriteRaw writes bytes to every connected bus reader.
func (m *Master) WriteRaw(b []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for c := range m.conns {
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write(b); err != nil {
			c.Close()
			delete(m.conns, c)
		}
	}
}

// Frame returns the bytes of one 3006+ event bus frame.
func Frame(tag string, d *data.Map) []byte {
	body, err := payload.Encode(d)
	if err != nil {
		panic(err)
	}
	// body is a msgpack bin (0xc6 + 32-bit length): Salt uses use_bin_type.
	raw := append([]byte(tag+"\n\n"), body...)
	head := []byte{0x82, 0xa4, 'h', 'e', 'a', 'd', 0x80, 0xa4, 'b', 'o', 'd', 'y', 0xc6,
		byte(len(raw) >> 24), byte(len(raw) >> 16), byte(len(raw) >> 8), byte(len(raw))}
	return append(head, raw...)
}

func (m *Master) handle(_ context.Context, req []byte) ([]byte, bool) {
	reply := m.answer(req)
	b, err := payload.Encode(reply)
	if err != nil {
		b, _ = payload.Encode("Server-side exception handling payload")
	}
	return b, true
}

func (m *Master) answer(req []byte) any {
	v, err := payload.Decode(req)
	if err != nil {
		return "bad load"
	}
	env, ok := v.(*data.Map)
	if !ok {
		return "bad load"
	}
	if ver, _ := env.Get("version"); ver != int64(3) {
		return "bad load"
	}
	load, ok := env.Get("load")
	lm, ok2 := load.(*data.Map)
	if !ok || !ok2 {
		return "payload and load must be a dict"
	}
	m.mu.Lock()
	m.loads = append(m.loads, lm)
	h := m.handler
	m.mu.Unlock()
	if h != nil {
		if r, ok := h(lm); ok {
			return r
		}
	}
	if k, _ := lm.String("key"); k != RootKey {
		return data.M("error", data.M("name", "AuthenticationError", "message", "Authentication failure of type \"user\" occurred."))
	}
	switch cmd, _ := lm.String("cmd"); cmd {
	case "publish":
		return m.publish(lm)
	case "wheel":
		return m.wheel(lm)
	}
	return data.NewMap()
}

// IDs returns the accepted minion ids, sorted.
func (m *Master) IDs() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ids []string
	for id := range m.minions {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func match(tgt any, tgtType, id string) bool {
	switch tgtType {
	case "list":
		switch t := tgt.(type) {
		case []any:
			for _, e := range t {
				if e == id {
					return true
				}
			}
		case string:
			for _, e := range strings.Split(t, ",") {
				if e == id {
					return true
				}
			}
		}
		return false
	default:
		s, _ := tgt.(string)
		ok, _ := path.Match(s, id)
		return ok
	}
}

func (m *Master) newJID() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.jid++
	return fmt.Sprintf("2026112512000000%04d", m.jid)
}

func (m *Master) publish(load *data.Map) any {
	tgt, _ := load.Get("tgt")
	tt, _ := load.String("tgt_type")
	fun, _ := load.String("fun")
	args, _ := load.Get("arg")
	argl, _ := args.([]any)
	var minions []any
	var missing []any
	for _, id := range m.IDs() {
		if match(tgt, tt, id) {
			minions = append(minions, id)
		}
	}
	if tt == "list" {
		if l, ok := tgt.([]any); ok {
			for _, e := range l {
				if s, _ := e.(string); s != "" && !m.known(s) {
					missing = append(missing, s)
				}
			}
		}
	}
	if len(minions) == 0 {
		return data.M("enc", "clear", "load", data.M("jid", nil, "minions", []any{}, "error", fmt.Sprintf("Master could not resolve minions for target %v", tgt)))
	}
	jid := m.newJID()
	if missing == nil {
		missing = []any{}
	}
	user, _ := load.Get("user")
	m.Fire(jid, data.M("minions", minions))
	m.Fire("salt/job/"+jid+"/new", data.M("jid", jid, "tgt_type", tt, "tgt", tgt, "user", user, "fun", fun, "arg", args, "minions", minions, "missing", missing))
	for _, idv := range minions {
		id := idv.(string)
		m.mu.Lock()
		mn := m.minions[id]
		m.mu.Unlock()
		if mn.Job != nil {
			m.runJob(mn, id, minionPub(load, jid))
			continue
		}
		ret, delay, ok := answer(mn, fun, argl)
		if !ok {
			continue
		}
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			select {
			case <-time.After(delay):
			case <-m.ctx.Done():
				return
			}
			rc := int64(0)
			if s, ok := ret.(string); ok && strings.Contains(s, "is not available") {
				rc = 1
			}
			m.Fire("salt/job/"+jid+"/ret/"+id, data.M("cmd", "_return", "id", id, "success", rc == 0, "return", ret, "retcode", rc, "jid", jid, "fun", fun, "fun_args", args))
		}()
	}
	return data.M("enc", "clear", "load", data.M("jid", jid, "minions", minions, "missing", missing))
}

// minionPub builds the load a Salt master publishes to its minions from a
// clear publish request.
func minionPub(load *data.Map, jid string) *data.Map {
	get := func(k string) any { v, _ := load.Get(k); return v }
	pub := data.M("fun", get("fun"), "arg", get("arg"), "tgt", get("tgt"), "jid", jid, "ret", get("ret"))
	kw, _ := get("kwargs").(*data.Map)
	if d, ok := kw.String("delimiter"); ok && d != "" && d != ":" {
		pub.Set("delimiter", d)
	}
	pub.Set("tgt_type", get("tgt_type"))
	for _, k := range []string{"ret_config", "metadata", "module_executors", "executor_opts", "ret_kwargs"} {
		if v, ok := kw.Get(k); ok {
			pub.Set(k, v)
		}
	}
	if load.Has("user") {
		pub.Set("user", get("user"))
	}
	return pub
}

// runJob runs a minion's Job hook in the background and fires its return.
func (m *Master) runJob(mn Minion, id string, pub *data.Map) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		ret, delay, ok := mn.Job(pub)
		if !ok || ret == nil {
			return
		}
		select {
		case <-time.After(delay):
		case <-m.ctx.Done():
			return
		}
		jid, _ := pub.String("jid")
		m.Fire("salt/job/"+jid+"/ret/"+id, ret)
	}()
}

func (m *Master) known(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.minions[id]
	return ok
}

func answer(mn Minion, fun string, args []any) (any, time.Duration, bool) {
	if mn.Answer != nil {
		return mn.Answer(fun, args)
	}
	switch fun {
	case "test.ping":
		return true, 10 * time.Millisecond, true
	case "saltutil.find_job":
		return data.NewMap(), 10 * time.Millisecond, true
	}
	return fmt.Sprintf("'%s' is not available.", fun), 10 * time.Millisecond, true
}

func (m *Master) wheel(load *data.Map) any {
	fun, _ := load.String("fun")
	jid := m.newJID()
	d := data.M("fun", "wheel."+fun, "jid", jid, "tag", "salt/wheel/"+jid, "user", "root")
	switch {
	case load.Has("user"):
		// The real master hands every load key to the wheel function.
		d.Set("return", "Exception occurred in wheel "+fun+": SaltInvocationError: 'user' is an invalid keyword argument")
		d.Set("success", false)
		return data.M("tag", "salt/wheel/"+jid, "data", d)
	}
	switch fun {
	case "key.list_all":
		ids := []any{}
		for _, id := range m.IDs() {
			ids = append(ids, id)
		}
		d.Set("return", data.M("local", []any{"master.pem", "master.pub"}, "minions_rejected", []any{}, "minions_denied", []any{}, "minions_pre", []any{}, "minions", ids))
		d.Set("success", true)
	case "key.delete":
		match, _ := load.String("match")
		m.mu.Lock()
		delete(m.minions, match)
		m.mu.Unlock()
		d.Set("return", data.M("minions", []any{match}))
		d.Set("success", true)
	default:
		d.Set("return", fmt.Sprintf("'%s' is not available.", fun))
		d.Set("success", false)
	}
	d.Set("_stamp", time.Now().UTC().Format("2006-01-02T15:04:05.000000"))
	return data.M("tag", "salt/wheel/"+jid, "data", d)
}
