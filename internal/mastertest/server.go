package mastertest

import (
	"context"
	"fmt"
	"io"
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
	"github.com/saltgo/saltgo/jid"
	"github.com/saltgo/saltgo/transport/crypt"
	"github.com/saltgo/saltgo/transport/payload"
	"github.com/saltgo/saltgo/transport/zmq"
)

// RootKey is the key a Server writes to cachedir/.root_key; clear requests
// must carry it, as they must carry the real master's.
const RootKey = "mastertest-root-key-0123456789abcdef"

// FakeMinion says how a fake minion of StartFake answers jobs. Answer
// returns the function's return value, the delay before the return event,
// and whether it answers at all. A nil Answer answers test.ping with True
// and saltutil.find_job with {} after 10 ms.
type FakeMinion struct {
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

// Server is a master as the salt and salt-run front doors see it: a
// request port answering clear "publish" and "wheel" requests, the local
// event bus (sock_dir/master_event_pub.ipc, Salt 3006+ frames) and the
// files a master leaves on disk (conf/master, cache/.root_key, pki/).
type Server struct {
	// Dir is the root of the master's files; ConfDir holds the "master"
	// config file; CacheDir, SockDir and PKIDir are its cachedir, sock_dir
	// and pki_dir.
	Dir, ConfDir, CacheDir, SockDir, PKIDir string
	// Rep is the request port.
	Rep *zmq.RepServer
	// M is the minion-side master of StartServer (nil for StartFake):
	// publishes go to the minions connected to it, and their returns are
	// fired on the event bus as salt/job/<jid>/ret/<id>.
	M *Master

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	fakes   map[string]FakeMinion
	loads   []*data.Map
	handler func(load *data.Map) (any, bool)
	bus     net.Listener
	conns   map[net.Conn]bool
	extra   []io.Closer
	closed  bool
}

// ServerConfig configures StartServer.
type ServerConfig struct {
	// Dir is where the master's files go (created).
	Dir string
	// Pillar returns a minion's pillar.
	Pillar func(id string, grains *data.Map) *data.Map
	// ExtraConf is appended to the master config file (YAML lines).
	ExtraConf string
	// FileRoots are the file server's file_roots (Config.FileRoots).
	FileRoots map[string][]string
}

// StartServer starts a Server whose minions are real ones: it runs a
// generation-3 Master with its pki_dir under cfg.Dir. Close stops both.
func StartServer(cfg ServerConfig) (*Server, error) {
	s := newServer(cfg.Dir, nil)
	m, err := Start(Config{PKIDir: s.PKIDir, Gen: 3, Pillar: cfg.Pillar, FileRoots: cfg.FileRoots})
	if err != nil {
		return nil, err
	}
	s.M = m
	if err := s.open(m.PubPort(), "timeout: 2\ngather_job_timeout: 5\n"+cfg.ExtraConf); err != nil {
		s.Close()
		return nil, err
	}
	s.wg.Add(1)
	go s.forwardReturns()
	return s, nil
}

// StartFake starts a Server whose accepted minions are the fake ones
// given, answering from Go functions. extraConf is appended to the config
// file (YAML lines). The server stops when the test ends.
func StartFake(t testing.TB, minions map[string]FakeMinion, extraConf string) *Server {
	t.Helper()
	// Not t.TempDir: the event socket's path must stay short.
	dir, err := os.MkdirTemp("", "mastertest")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if minions == nil {
		minions = map[string]FakeMinion{}
	}
	s := newServer(dir, minions)
	if err := os.MkdirAll(s.PKIDir, crypt.PKIDirMode); err != nil {
		t.Fatal(err)
	}
	if err := s.open(1, extraConf); err != nil {
		s.Close()
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func newServer(dir string, fakes map[string]FakeMinion) *Server {
	s := &Server{Dir: dir, ConfDir: filepath.Join(dir, "conf"), CacheDir: filepath.Join(dir, "cache"),
		SockDir: filepath.Join(dir, "sock"), PKIDir: filepath.Join(dir, "pki"), fakes: fakes, conns: map[net.Conn]bool{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// open writes the master's files and listens on the bus and request port.
func (s *Server) open(pubPort int, extraConf string) error {
	for _, d := range []string{s.ConfDir, s.CacheDir, s.SockDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(s.CacheDir, ".root_key"), []byte(RootKey), 0o600); err != nil {
		return err
	}
	bus, err := net.Listen("unix", filepath.Join(s.SockDir, "master_event_pub.ipc"))
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.bus = bus
	s.mu.Unlock()
	s.wg.Add(1)
	go s.acceptBus(bus)
	if s.Rep, err = zmq.ListenRep("tcp://127.0.0.1:0", s.handle, zmq.ServerOptions{}); err != nil {
		return err
	}
	_, port, _ := net.SplitHostPort(s.Rep.Addr())
	conf := fmt.Sprintf("interface: 127.0.0.1\nret_port: %s\npublish_port: %d\nroot_dir: %s\ncachedir: %s\nsock_dir: %s\npki_dir: %s\nuser: root\n%s",
		port, pubPort, s.Dir, s.CacheDir, s.SockDir, s.PKIDir, extraConf)
	return os.WriteFile(filepath.Join(s.ConfDir, "master"), []byte(conf), 0o644)
}

// Close stops the server (and its Master); it may be called again.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.cancel()
	for c := range s.conns {
		c.Close()
	}
	extra, bus := s.extra, s.bus
	s.mu.Unlock()
	for _, c := range extra {
		c.Close()
	}
	if s.Rep != nil {
		s.Rep.Close()
	}
	if bus != nil {
		bus.Close()
	}
	if s.M != nil {
		s.M.Close()
	}
	s.wg.Wait()
}

// SetHandler replaces the request handler: it gets every decoded load
// first; ok=false falls through to the default handling.
func (s *Server) SetHandler(h func(load *data.Map) (reply any, ok bool)) {
	s.mu.Lock()
	s.handler = h
	s.mu.Unlock()
}

// Loads returns the loads received so far.
func (s *Server) Loads() []*data.Map {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*data.Map(nil), s.loads...)
}

// IDs returns the accepted minion ids, sorted: the fake minions, or the
// keys accepted in PKIDir.
func (s *Server) IDs() []string {
	if s.M != nil {
		return AcceptedMinions(s.PKIDir)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.fakes))
	for id := range s.fakes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func (s *Server) acceptBus(l net.Listener) {
	defer s.wg.Done()
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			c.Close()
		} else {
			s.conns[c] = true
		}
		s.mu.Unlock()
	}
}

// Fire writes one event (with a _stamp) to every connected bus reader.
func (s *Server) Fire(tag string, d *data.Map) {
	d.Set("_stamp", time.Now().UTC().Format("2006-01-02T15:04:05.000000"))
	b := frame(tag, d)
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write(b); err != nil {
			c.Close()
			delete(s.conns, c)
		}
	}
}

// frame returns the bytes of one 3006+ event bus frame.
func frame(tag string, d *data.Map) []byte {
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

// forwardReturns fires the real minions' _return loads on the bus.
func (s *Server) forwardReturns() {
	defer s.wg.Done()
	for {
		select {
		case <-s.ctx.Done():
			return
		case l := <-s.M.Returns():
			id, _ := l.String("jid")
			mid, _ := l.String("id")
			if id == "" || mid == "" {
				continue
			}
			d := l.Copy()
			if !d.Has("success") {
				d.Set("success", true)
			}
			s.Fire("salt/job/"+id+"/ret/"+mid, d)
		}
	}
}

func (s *Server) handle(_ context.Context, req []byte) ([]byte, bool) {
	b, err := payload.Encode(s.answer(req))
	if err != nil {
		b, _ = payload.Encode("Server-side exception handling payload")
	}
	return b, true
}

func (s *Server) answer(req []byte) any {
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
	lv, _ := env.Get("load")
	load, ok := lv.(*data.Map)
	if !ok {
		return "payload and load must be a dict"
	}
	s.mu.Lock()
	s.loads = append(s.loads, load)
	h := s.handler
	s.mu.Unlock()
	if h != nil {
		if r, ok := h(load); ok {
			return r
		}
	}
	if k, _ := load.String("key"); k != RootKey {
		return data.M("error", data.M("name", "AuthenticationError", "message", "Authentication failure of type \"user\" occurred."))
	}
	switch cmd, _ := load.String("cmd"); cmd {
	case "publish":
		return s.publish(load)
	case "wheel":
		return s.wheel(load)
	}
	return data.NewMap()
}

// match is the master's minion matching for glob and list targets.
func match(tgt any, tgtType, id string) bool {
	if tgtType != "list" {
		g, _ := tgt.(string)
		ok, _ := path.Match(g, id)
		return ok
	}
	var l []string
	switch t := tgt.(type) {
	case []any:
		for _, e := range t {
			if e, ok := e.(string); ok {
				l = append(l, e)
			}
		}
	case string:
		l = strings.Split(t, ",")
	}
	for _, e := range l {
		if e == id {
			return true
		}
	}
	return false
}

func (s *Server) publish(load *data.Map) any {
	tgt, _ := load.Get("tgt")
	tt, _ := load.String("tgt_type")
	fun, _ := load.String("fun")
	args, _ := load.Get("arg")
	argl, _ := args.([]any)
	ids := s.IDs()
	minions, missing := []any{}, []any{}
	for _, id := range ids {
		if match(tgt, tt, id) {
			minions = append(minions, id)
		}
	}
	if l, ok := tgt.([]any); ok && tt == "list" {
		for _, e := range l {
			if e, _ := e.(string); e != "" && !contains(ids, e) {
				missing = append(missing, e)
			}
		}
	}
	if len(minions) == 0 {
		return data.M("enc", "clear", "load", data.M("jid", nil, "minions", []any{}, "error", fmt.Sprintf("Master could not resolve minions for target %v", tgt)))
	}
	j := jid.New()
	user, _ := load.Get("user")
	s.Fire(j, data.M("minions", minions))
	s.Fire("salt/job/"+j+"/new", data.M("jid", j, "tgt_type", tt, "tgt", tgt, "user", user, "fun", fun, "arg", args, "minions", minions, "missing", missing))
	if s.M != nil {
		if _, _, err := s.M.Publish(Job{Tgt: tgt, TgtType: tt, Fun: fun, Arg: argl, JID: j}); err != nil {
			return data.M("error", data.M("name", "SaltMasterError", "message", err.Error()))
		}
	} else {
		for _, idv := range minions {
			s.runFake(idv.(string), load, j, fun, args)
		}
	}
	return data.M("enc", "clear", "load", data.M("jid", j, "minions", minions, "missing", missing))
}

func contains(l []string, s string) bool {
	i := sort.SearchStrings(l, s)
	return i < len(l) && l[i] == s
}

// runFake has fake minion id answer job j in the background.
func (s *Server) runFake(id string, load *data.Map, j, fun string, args any) {
	s.mu.Lock()
	mn := s.fakes[id]
	s.mu.Unlock()
	var answer func() (*data.Map, time.Duration, bool)
	if mn.Job != nil {
		pub := minionPub(load, j)
		answer = func() (*data.Map, time.Duration, bool) { return mn.Job(pub) }
	} else {
		argl, _ := args.([]any)
		answer = func() (*data.Map, time.Duration, bool) {
			ret, delay, ok := fakeAnswer(mn, fun, argl)
			rc := int64(0)
			if s, ok := ret.(string); ok && strings.Contains(s, "is not available") {
				rc = 1
			}
			return data.M("cmd", "_return", "id", id, "success", rc == 0, "return", ret, "retcode", rc, "jid", j, "fun", fun, "fun_args", args), delay, ok
		}
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ret, delay, ok := answer()
		if !ok || ret == nil {
			return
		}
		select {
		case <-time.After(delay):
		case <-s.ctx.Done():
			return
		}
		s.Fire("salt/job/"+j+"/ret/"+id, ret)
	}()
}

// minionPub builds the load a Salt master publishes to its minions from a
// clear publish request.
func minionPub(load *data.Map, j string) *data.Map {
	get := func(k string) any { v, _ := load.Get(k); return v }
	pub := data.M("fun", get("fun"), "arg", get("arg"), "tgt", get("tgt"), "jid", j, "ret", get("ret"))
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

func fakeAnswer(mn FakeMinion, fun string, args []any) (any, time.Duration, bool) {
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

func (s *Server) wheel(load *data.Map) any {
	fun, _ := load.String("fun")
	name, _ := load.String("match")
	j := jid.New()
	d := data.M("fun", "wheel."+fun, "jid", j, "tag", "salt/wheel/"+j, "user", "root")
	if load.Has("user") {
		// The real master hands every load key to the wheel function.
		d.Set("return", "Exception occurred in wheel "+fun+": SaltInvocationError: 'user' is an invalid keyword argument")
		d.Set("success", false)
		return data.M("tag", "salt/wheel/"+j, "data", d)
	}
	switch fun {
	case "key.list_all":
		ids := []any{}
		for _, id := range s.IDs() {
			ids = append(ids, id)
		}
		d.Set("return", data.M("local", []any{"master.pem", "master.pub"}, "minions_rejected", []any{}, "minions_denied", []any{}, "minions_pre", []any{}, "minions", ids))
		d.Set("success", true)
	case "key.delete":
		d.Set("return", data.M("minions", s.deleteKey(name)))
		d.Set("success", true)
	case "key.accept":
		if err := s.acceptKey(name); err != nil {
			d.Set("return", err.Error())
			d.Set("success", false)
			break
		}
		d.Set("return", data.M("minions", []any{name}))
		d.Set("success", true)
	default:
		d.Set("return", fmt.Sprintf("'%s' is not available.", fun))
		d.Set("success", false)
	}
	d.Set("_stamp", time.Now().UTC().Format("2006-01-02T15:04:05.000000"))
	return data.M("tag", "salt/wheel/"+j, "data", d)
}

// deleteKey forgets a minion's key in every state; it returns the ids
// deleted.
func (s *Server) deleteKey(id string) []any {
	if s.M == nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.fakes, id)
		return []any{id}
	}
	removed := []any{}
	for _, dir := range []string{crypt.MinionsDir, crypt.MinionsPreDir, crypt.MinionsRejectedDir, crypt.MinionsDeniedDir} {
		if err := os.Remove(filepath.Join(s.PKIDir, dir, id)); err == nil && len(removed) == 0 {
			removed = append(removed, id)
		}
	}
	return removed
}

// acceptKey accepts a pending key (a fake minion is accepted outright).
func (s *Server) acceptKey(id string) error {
	if s.M == nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.fakes[id]; !ok {
			s.fakes[id] = FakeMinion{}
		}
		return nil
	}
	return s.M.Accept(id)
}
