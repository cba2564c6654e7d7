// Package mastertest is saltgo's one test master, as net/http/httptest is
// net/http's: test support only, nothing in saltgo's binaries imports it.
//
// Master speaks the master side of Salt's ZeroMQ protocol to minions
// (generations legacy, 2 and 3) on 127.0.0.1: key acceptance with Salt's
// pki layout, signed auth replies with session keys (and pub_sig, as with
// master_sign_pubkey, when Config.SignPubKey is set), AES requests
// (_pillar, _return, _minion_event, the file server over Config.FileRoots,
// _master_opts), signed publishes with serials, and
// hooks to inject faults. Its replies are checked against the recorded
// bytes of real masters (testdata/salt-wire).
//
// Server adds what code that drives minions through a master needs (the
// salt and salt-run front doors, client.Client): the clear "publish" and
// "wheel" requests on a request port, the local event bus (Salt 3006+
// Unix stream frames) and the files a master leaves on disk. Its minions
// are either real ones connected to a Master (StartServer) or fake ones
// answering from Go functions (StartFake).
//
// AcceptMinion is the one way tests accept a minion key.
package mastertest

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileserver"
	"github.com/saltgo/saltgo/jid"
	"github.com/saltgo/saltgo/transport/crypt"
	"github.com/saltgo/saltgo/transport/payload"
	"github.com/saltgo/saltgo/transport/zmq"
)

// Config configures a Master.
type Config struct {
	// PKIDir is the master pki_dir (keys are generated when missing).
	PKIDir string
	// Gen is the protocol generation to imitate: 3, 2 or 0 (legacy).
	Gen int
	// AutoAccept accepts unknown minion keys; otherwise they go pending.
	AutoAccept bool
	// SignPub signs publishes (sign_pub_messages, default true unless NoSignPub).
	NoSignPub bool
	// SignPubKey imitates master_sign_pubkey: the accepted auth reply
	// carries pub_sig, signed with PKIDir/master_sign.pem (generated when
	// missing; SignKeyPEM returns its public half for the minion).
	SignPubKey bool
	// Pillar returns the pillar for a minion (nil: an empty map).
	Pillar func(id string, grains *data.Map) *data.Map
	// RetAddr / PubAddr are the endpoints to listen on (default tcp://127.0.0.1:0).
	RetAddr, PubAddr string
	// Logger (nil: discard).
	Logger *slog.Logger
	// FileRoots are the file server's file_roots (saltenv -> directories);
	// nil serves no saltenv. The file-server requests (_file_list,
	// _serve_file, ...) are answered by package fileserver's roots
	// backend, as a 3007 master with the default options does (1 MiB
	// chunks, sha256); FileServer, when set, replaces it (other options).
	FileRoots  map[string][]string
	FileServer *fileserver.Roots
	// MasterOpts are set over the recorded default _master_opts reply.
	MasterOpts *data.Map
}

// Request is one decoded request the master handled.
type Request struct {
	Enc      string    // "clear" or "aes"
	Envelope *data.Map // the outer map (load replaced by the decrypted map for aes)
	Load     *data.Map // the decrypted (or clear) load, channel keys included
}

// Master is a running test master.
type Master struct {
	cfg  Config
	log  *slog.Logger
	key  *rsa.PrivateKey
	pubP []byte
	// refuse, if set, makes the master answer "bad load" to the AES
	// requests whose decrypted load it returns true for (SetRefuse).
	refuse func(load *data.Map) bool
	// signKey / signPubP are master_sign.pem / .pub (SignPubKey only).
	signKey  *rsa.PrivateKey
	signPubP []byte

	mu       sync.Mutex
	aes      *crypt.Crypticle
	sessions map[string]*crypt.Crypticle
	serial   int64
	rep      *zmq.RepServer
	pub      *zmq.PubServer
	retAddr  string
	pubAddr  string
	// Tamper, if set, may replace (or drop, ok=false) the encoded reply to a
	// request whose cmd is given.
	tamper func(cmd string, reply []byte) ([]byte, bool)
	// replyHook, if set, may replace the decoded reply to an AES request
	// before it is encrypted (SetReplyHook).
	replyHook func(load *data.Map, reply any) any
	files     *fileserver.Roots

	reqs    chan Request
	returns chan *data.Map
	events  chan *data.Map
}

// Start creates the pki dir and listens.
func Start(cfg Config) (*Master, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	key, pubPEM, err := crypt.EnsureMasterPKI(cfg.PKIDir, 2048)
	if err != nil {
		return nil, err
	}
	m := &Master{cfg: cfg, log: cfg.Logger, key: key, pubP: pubPEM, sessions: map[string]*crypt.Crypticle{},
		reqs: make(chan Request, 256), returns: make(chan *data.Map, 256), events: make(chan *data.Map, 256)}
	m.files = cfg.FileServer
	if m.files == nil {
		m.files = &fileserver.Roots{Roots: cfg.FileRoots, FollowSymlinks: true, HashType: "sha256", BufferSize: fileserver.DefaultBufferSize}
	}
	if cfg.SignPubKey {
		if m.signKey, m.signPubP, err = crypt.LoadOrGenerateKeyPair(cfg.PKIDir, "master_sign", 2048); err != nil {
			return nil, err
		}
	}
	if err := m.newAES(); err != nil {
		return nil, err
	}
	m.retAddr, m.pubAddr = orDefault(cfg.RetAddr), orDefault(cfg.PubAddr)
	if err := m.listen(); err != nil {
		return nil, err
	}
	return m, nil
}

func orDefault(a string) string {
	if a == "" {
		return "tcp://127.0.0.1:0"
	}
	return a
}

func (m *Master) newAES() error {
	k, err := crypt.GenerateKeyString()
	if err != nil {
		return err
	}
	c, err := crypt.NewCrypticle(k)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.aes, m.serial = c, 0
	m.sessions = map[string]*crypt.Crypticle{}
	m.mu.Unlock()
	return nil
}

func (m *Master) listen() error {
	opts := zmq.ServerOptions{Logger: m.log}
	rep, err := zmq.ListenRep(m.retAddr, m.handle, opts)
	if err != nil {
		return err
	}
	pub, err := zmq.ListenPub(m.pubAddr, opts)
	if err != nil {
		rep.Close()
		return err
	}
	m.mu.Lock()
	m.rep, m.pub = rep, pub
	m.retAddr, m.pubAddr = rep.Endpoint(), pub.Endpoint()
	m.mu.Unlock()
	return nil
}

// Close stops the master.
func (m *Master) Close() {
	m.mu.Lock()
	rep, pub := m.rep, m.pub
	m.mu.Unlock()
	if rep != nil {
		rep.Close()
	}
	if pub != nil {
		pub.Close()
	}
}

// Restart stops and restarts the master on the same ports with a new AES
// key and no session keys, like a real master restart.
func (m *Master) Restart() error {
	m.Close()
	if err := m.newAES(); err != nil {
		return err
	}
	return m.listen()
}

// RotateAES replaces the shared AES key (serials restart) and forgets the
// session keys, without closing connections.
func (m *Master) RotateAES() error { return m.newAES() }

// RetPort and PubPort are the listening ports.
func (m *Master) RetPort() int { return port(m.retAddr) }

// PubPort is the publish port.
func (m *Master) PubPort() int { return port(m.pubAddr) }

func port(ep string) int {
	i := strings.LastIndexByte(ep, ':')
	var p int
	fmt.Sscan(ep[i+1:], &p)
	return p
}

// PublicKeyPEM returns master.pub's text.
func (m *Master) PublicKeyPEM() []byte { return m.pubP }

// SignKeyPEM returns master_sign.pub's text (nil without SignPubKey).
func (m *Master) SignKeyPEM() []byte { return m.signPubP }

// Key returns the master's private key.
func (m *Master) Key() *rsa.PrivateKey { return m.key }

// AES returns the current shared Crypticle.
func (m *Master) AES() *crypt.Crypticle {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.aes
}

// SetSessionKey installs a session key for id (to replay recorded traffic).
func (m *Master) SetSessionKey(id, key string) error {
	c, err := crypt.NewCrypticle(key)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.sessions[id] = c
	m.mu.Unlock()
	return nil
}

// SetAESKey installs a shared AES key (to replay recorded traffic).
func (m *Master) SetAESKey(key string) error {
	c, err := crypt.NewCrypticle(key)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.aes = c
	m.mu.Unlock()
	return nil
}

// SetTamper installs a reply hook (nil removes it).
func (m *Master) SetTamper(f func(cmd string, reply []byte) ([]byte, bool)) {
	m.mu.Lock()
	m.tamper = f
	m.mu.Unlock()
}

// SetReplyHook installs a hook that may replace the decoded reply to an
// AES request (the load has the channel keys removed) before it is
// encrypted: tests use it to serve a tampered _serve_file chunk. nil
// removes it.
func (m *Master) SetReplyHook(f func(load *data.Map, reply any) any) {
	m.mu.Lock()
	m.replyHook = f
	m.mu.Unlock()
}

// Requests delivers every handled request; Returns the _return loads;
// Events the _minion_event loads.
func (m *Master) Requests() <-chan Request { return m.reqs }

// Returns delivers the _return loads received.
func (m *Master) Returns() <-chan *data.Map { return m.returns }

// Events delivers the _minion_event loads received.
func (m *Master) Events() <-chan *data.Map { return m.events }

// WaitSubscribers waits until n minions are connected to the publish port.
func (m *Master) WaitSubscribers(ctx context.Context, n int) error {
	m.mu.Lock()
	pub := m.pub
	m.mu.Unlock()
	return pub.WaitSubscribers(ctx, n)
}

// Key states on disk (Salt's pki layout).

// Accept moves a pending key to minions/.
func (m *Master) Accept(id string) error {
	b, err := os.ReadFile(filepath.Join(m.cfg.PKIDir, crypt.MinionsPreDir, id))
	if err != nil {
		return err
	}
	if err := AcceptMinion(m.cfg.PKIDir, id, b); err != nil {
		return err
	}
	return os.Remove(filepath.Join(m.cfg.PKIDir, crypt.MinionsPreDir, id))
}

// Reject moves a pending or accepted key to minions_rejected/.
func (m *Master) Reject(id string) error {
	for _, d := range []string{crypt.MinionsPreDir, crypt.MinionsDir} {
		p := filepath.Join(m.cfg.PKIDir, d, id)
		if b, err := os.ReadFile(p); err == nil {
			if err := writeKey(m.cfg.PKIDir, crypt.MinionsRejectedDir, id, b); err != nil {
				return err
			}
			return os.Remove(p)
		}
	}
	return fs.ErrNotExist
}

// AcceptKey stores pubPEM as the accepted key of id.
func (m *Master) AcceptKey(id string, pubPEM []byte) error {
	return AcceptMinion(m.cfg.PKIDir, id, pubPEM)
}

func (m *Master) keyFile(dir, id string) (string, bool) {
	b, err := os.ReadFile(filepath.Join(m.cfg.PKIDir, dir, id))
	if err != nil {
		return "", false
	}
	return string(b), true
}

// validID is Salt's valid_id: no path separators or NUL.
func validID(id string) bool {
	return id != "" && !strings.ContainsAny(id, "/\\\x00") && id != "." && id != ".."
}

// handle answers one request frame.
func (m *Master) handle(_ context.Context, frame []byte) ([]byte, bool) {
	v, err := payload.Decode(frame)
	if err != nil {
		return badLoad()
	}
	env, ok := v.(*data.Map)
	if !ok {
		return badLoad()
	}
	enc, _ := env.String("enc")
	var (
		reply any
		cmd   string
	)
	switch enc {
	case "clear":
		load, err := payload.GetMap(env, "load")
		if err != nil {
			return badLoad()
		}
		cmd, _ = load.String("cmd")
		m.record(Request{Enc: enc, Envelope: env, Load: load})
		if cmd != "_auth" {
			reply = data.NewMap()
			break
		}
		if reply, err = m.auth(env, load); err != nil {
			m.log.Debug("auth failed", "err", err)
			return badLoad()
		}
	case "aes":
		reply, cmd, err = m.aesRequest(env)
		if err != nil {
			m.log.Debug("aes request refused", "err", err)
			return badLoad()
		}
	default:
		return badLoad()
	}
	b, err := payload.Encode(reply)
	if err != nil {
		return badLoad()
	}
	m.mu.Lock()
	t := m.tamper
	m.mu.Unlock()
	if t != nil {
		return t(cmd, b)
	}
	return b, true
}

func badLoad() ([]byte, bool) {
	b, _ := payload.Encode("bad load")
	return b, true
}

func (m *Master) record(r Request) {
	select {
	case m.reqs <- r:
	default:
	}
}

// auth implements ReqServerChannel._auth (spec 3.5.2/3.5.3).
func (m *Master) auth(env, load *data.Map) (any, error) {
	id, _ := load.String("id")
	pubText, _ := load.String("pub")
	nonce, _ := load.String("nonce")
	encAlgo, _ := load.String("enc_algo")
	sigAlgo, _ := load.String("sig_algo")
	version, _ := env.Get("version")
	gen := m.cfg.Gen
	if v, ok := data.AsInt(version); !ok || v < 2 {
		gen = 0 // the minion speaks legacy
	}
	if !validID(id) {
		return m.status(false, nonce, sigAlgo, gen)
	}
	minionPub, err := crypt.ParsePublicKeyPEM([]byte(pubText))
	if err != nil {
		return nil, fmt.Errorf("bad minion key: %w", err)
	}
	if _, ok := m.keyFile(crypt.MinionsRejectedDir, id); ok {
		return m.status(false, nonce, sigAlgo, gen)
	}
	if acc, ok := m.keyFile(crypt.MinionsDir, id); ok {
		if !crypt.KeysEqual(acc, pubText) {
			_ = writeKey(m.cfg.PKIDir, crypt.MinionsDeniedDir, id, []byte(pubText))
			return m.status(false, nonce, sigAlgo, gen)
		}
	} else if pend, ok := m.keyFile(crypt.MinionsPreDir, id); ok {
		if !crypt.KeysEqual(pend, pubText) {
			return m.status(false, nonce, sigAlgo, gen)
		}
		if !m.cfg.AutoAccept {
			return m.status(true, nonce, sigAlgo, gen)
		}
		if err := m.Accept(id); err != nil {
			return nil, err
		}
	} else if m.cfg.AutoAccept {
		if err := m.AcceptKey(id, []byte(pubText)); err != nil {
			return nil, err
		}
	} else {
		if err := writeKey(m.cfg.PKIDir, crypt.MinionsPreDir, id, []byte(pubText)); err != nil {
			return nil, err
		}
		return m.status(true, nonce, sigAlgo, gen)
	}
	// Accepted.
	a := crypt.AuthAccept{MasterPubPEM: crypt.CleanKey(string(m.pubP)), PublishPort: m.PubPort(), EncAlgo: encAlgo}
	if m.signKey != nil {
		if a.PubSig, err = crypt.PubKeySig(m.signKey, sigAlgo, a.MasterPubPEM); err != nil {
			return nil, err
		}
	}
	m.mu.Lock()
	a.AESKey = m.aes.KeyString()
	if m.cfg.Gen == 3 {
		sess, ok := m.sessions[id]
		if !ok {
			k, err := crypt.GenerateKeyString()
			if err != nil {
				m.mu.Unlock()
				return nil, err
			}
			sess, _ = crypt.NewCrypticle(k)
			m.sessions[id] = sess
		}
		a.SessionKey = sess.KeyString()
	}
	m.mu.Unlock()
	if tokCT, err := payload.GetBytes(load, "token"); err == nil {
		if t, err := crypt.DecryptOAEP(m.key, encAlgo, tokCT); err == nil {
			a.Token = string(t)
		}
	}
	if gen >= 2 {
		a.Nonce = nonce
	}
	r, err := crypt.AuthAcceptLoad(m.key, minionPub, a)
	if err != nil {
		return nil, err
	}
	if gen < 2 {
		return r, nil
	}
	return crypt.SignAuthReply(m.key, sigAlgo, r)
}

func (m *Master) status(ret any, nonce, sigAlgo string, gen int) (any, error) {
	if gen < 2 {
		return data.M("enc", "clear", "load", data.M("ret", ret)), nil
	}
	return crypt.SignAuthReply(m.key, sigAlgo, crypt.AuthStatusLoad(ret, nonce))
}

// aesRequest decrypts and dispatches an AES request (spec 3.7).
func (m *Master) aesRequest(env *data.Map) (any, string, error) {
	blob, err := payload.GetBytes(env, "load")
	if err != nil {
		return nil, "", err
	}
	version, _ := data.AsInt(mapGet(env, "version"))
	envID, _ := env.String("id")
	m.mu.Lock()
	key := m.aes
	if m.cfg.Gen == 3 && version >= 3 {
		key = m.sessions[envID]
	}
	m.mu.Unlock()
	if key == nil {
		return nil, "", errors.New("no session key for " + envID)
	}
	v, err := key.Loads(blob, "")
	if err != nil {
		return nil, "", err
	}
	load, err := payload.AsMap(v)
	if err != nil {
		return nil, "", err
	}
	cmd, _ := load.String("cmd")
	id, _ := load.String("id")
	m.record(Request{Enc: "aes", Envelope: env, Load: load.Copy()})
	if m.refused(load) {
		return nil, cmd, errors.New("refused by the test hook")
	}
	if m.cfg.Gen == 3 && version >= 3 && id != envID {
		return nil, cmd, fmt.Errorf("envelope id %q != load id %q", envID, id)
	}
	accepted, ok := m.keyFile(crypt.MinionsDir, id)
	if !ok {
		return nil, cmd, fmt.Errorf("%s is not accepted", id)
	}
	mpub, err := crypt.ParsePublicKeyPEM([]byte(accepted))
	if err != nil {
		return nil, cmd, err
	}
	tok, terr := payload.GetBytes(load, "tok")
	if terr == nil {
		terr = crypt.VerifyMinionToken(mpub, tok)
	}
	if m.cfg.Gen == 3 && version >= 3 && terr != nil {
		return nil, cmd, fmt.Errorf("bad tok: %w", terr)
	}
	nonce, _ := load.String("nonce")
	for _, k := range []string{"nonce", "tok", "ts"} {
		load.Delete(k)
	}
	if m.cfg.Gen < 2 {
		nonce = ""
	}
	var ret any
	switch cmd {
	case "_pillar":
		grains, _ := payload.GetMap(load, "grains")
		var p *data.Map
		if m.cfg.Pillar != nil {
			p = m.cfg.Pillar(id, grains)
		}
		encAlgo, _ := env.String("enc_algo")
		sigAlgo, _ := env.String("sig_algo")
		r, err := crypt.SealPrivateReply(m.key, mpub, encAlgo, sigAlgo, p, nonce)
		return r, cmd, err
	case "_return":
		load.Set("_stamp", time.Now().UTC().Format("2006-01-02T15:04:05.000000"))
		select {
		case m.returns <- load:
		default:
		}
	case "_minion_event":
		if terr != nil {
			ret = data.NewMap() // __verify_load refuses events without tok
			break
		}
		select {
		case m.events <- load:
		default:
		}
	case "_master_opts":
		ret = m.masterOpts(load)
	case "_master_tops":
		ret = data.NewMap()
	default:
		if fileserverCmds[cmd] {
			ret = m.files.Serve(load.Copy())
		} else {
			ret = data.NewMap()
		}
	}
	m.mu.Lock()
	hook := m.replyHook
	m.mu.Unlock()
	if hook != nil {
		ret = hook(load, ret)
	}
	b, err := key.Dumps(ret, nonce)
	if err != nil {
		return nil, cmd, err
	}
	return b, cmd, nil
}

func mapGet(m *data.Map, k string) any { v, _ := m.Get(k); return v }

// fileserverCmds are the file-server commands a 3007 master binds in
// AESFuncs.__setup_fileserver.
var fileserverCmds = map[string]bool{
	"_serve_file": true, "_file_hash": true, "_file_hash_and_stat": true, "_file_find": true,
	"_file_list": true, "_file_list_emptydirs": true, "_dir_list": true, "_symlink_list": true,
	"_file_envs": true,
}

// masterOpts is AESFuncs._master_opts with a default master's options (as
// recorded from 3007.14): file_roots reveals only the saltenv names.
func (m *Master) masterOpts(load *data.Map) *data.Map {
	roots := data.NewMap()
	for _, env := range m.files.Envs() {
		roots.Set(env, []any{})
	}
	if roots.Len() == 0 {
		roots.Set("base", []any{})
	}
	mo := data.M("file_roots", roots, "top_file_merging_strategy", "merge", "env_order", []any{}, "default_top", "base")
	if v, _ := load.Get("env_only"); data.Truthy(v) {
		return mo
	}
	for _, kv := range [][2]any{
		{"renderer", "jinja|yaml"}, {"failhard", false}, {"state_top", "top.sls"}, {"state_top_saltenv", nil},
		{"nodegroups", data.NewMap()}, {"state_auto_order", true}, {"state_events", false}, {"state_aggregate", false},
		{"jinja_env", data.NewMap()}, {"jinja_sls_env", data.NewMap()}, {"jinja_lstrip_blocks", false}, {"jinja_trim_blocks", false},
	} {
		mo.Set(kv[0], kv[1])
	}
	if m.cfg.MasterOpts != nil {
		m.cfg.MasterOpts.Range(func(k, v any) bool { mo.Set(k, v); return true })
	}
	return mo
}

// Job describes a publish.
type Job struct {
	Tgt       any
	TgtType   string // "" = glob
	Fun       any
	Arg       []any
	JID       string // "" = a new jid
	User      string // "" = root
	Delimiter string
	Topic     string // non-empty: send as [topic, payload] (zmq_filtering)
}

// PublishLoad builds the publish load in 3007's key order.
func PublishLoad(j Job) *data.Map {
	if j.JID == "" {
		j.JID = jid.New()
	}
	if j.TgtType == "" {
		j.TgtType = "glob"
	}
	if j.User == "" {
		j.User = "root"
	}
	if j.Arg == nil {
		j.Arg = []any{}
	}
	l := data.M("fun", j.Fun, "arg", j.Arg, "tgt", j.Tgt, "jid", j.JID, "ret", "")
	if j.Delimiter != "" {
		l.Set("delimiter", j.Delimiter)
	}
	l.Set("tgt_type", j.TgtType)
	l.Set("user", j.User)
	return l
}

// Publish encrypts, signs and publishes a job; it returns the jid and the
// publish body.
func (m *Master) Publish(j Job) (string, []byte, error) {
	l := PublishLoad(j)
	id, _ := l.String("jid")
	m.mu.Lock()
	m.serial++
	serial, aes := m.serial, m.aes
	if m.cfg.Gen < 2 {
		serial = 0
	}
	pub := m.pub
	m.mu.Unlock()
	var signer *rsa.PrivateKey
	if !m.cfg.NoSignPub {
		signer = m.key
	}
	env, err := crypt.WrapPublish(signer, aes, l, serial, "")
	if err != nil {
		return "", nil, err
	}
	body, err := payload.Encode(env)
	if err != nil {
		return "", nil, err
	}
	m.PublishRaw(pub, j.Topic, body)
	return id, body, nil
}

// PublishRaw sends a raw body on the publish port (for garbage and replays).
func (m *Master) PublishRaw(pub *zmq.PubServer, topic string, body []byte) {
	if pub == nil {
		m.mu.Lock()
		pub = m.pub
		m.mu.Unlock()
	}
	if topic != "" {
		pub.Publish([]byte(topic), body)
		return
	}
	pub.Publish(body)
}

// PKIDirForTest returns the master pki_dir.
func (m *Master) PKIDirForTest() string { return m.cfg.PKIDir }
