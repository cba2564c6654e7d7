// Package minion is saltgo's Salt minion: it signs in to an unmodified Salt
// master over ZeroMQ (all three protocol generations: legacy, 2 and 3, see
// docs/minion.md), compiles its pillar, fires the start events, receives
// publishes (decrypt, signature, serial and jid checks, targeting with
// package match), runs jobs concurrently through an Executor and sends
// their returns exactly like a Python minion, keeping undeliverable returns
// in a bounded on-disk queue.
//
// The command front door builds Settings from the loaded configuration
// (SettingsFromConfig) and calls Run; the module host plugs in as the
// Executor.
package minion

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/transport/crypt"
	"github.com/saltgo/saltgo/transport/zmq"
)

// ExitNoPerm is Salt's EX_NOPERM, the exit code of a minion whose key the
// master rejected.
const ExitNoPerm = 77

// ExitError is returned by Run when the minion must stop with a specific
// process exit code (a rejected key: ExitNoPerm).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// Call is one function of a published job, as the minion hands it to its
// Executor: everything the function may see is here, passed explicitly.
type Call struct {
	// Fun and Args are the function and its Salt argument list.
	Fun  string
	Args []any
	// Pub is the publish load (jid, fun, arg, tgt, user, ...), for
	// __pub_* arguments.
	Pub *data.Map
	// Grains and Pillar are the minion's when the job started.
	Grains, Pillar *data.Map
	// Minion is the minion running the job: its job table, event sender
	// and grains and pillar refresh.
	Minion *Minion
}

// Return is what an Executor reports for one function: the value a Python
// minion puts in the job return (the error text on a failure), its retcode
// and the outputter to ask for ("" for the default).
type Return struct {
	Return  any
	Retcode int
	Out     string
}

// Executor runs one function of a published job. Failures are returns
// too: the executor reports them as a Python minion does (the module host
// does, in host.Result.MinionReturn). ctx ends when the job is killed
// (saltutil.kill_job), times out or the minion stops.
type Executor interface {
	Run(ctx context.Context, c *Call) Return
}

// ExecutorFunc adapts a function to Executor.
type ExecutorFunc func(ctx context.Context, c *Call) Return

// Run calls f.
func (f ExecutorFunc) Run(ctx context.Context, c *Call) Return { return f(ctx, c) }

// Settings are the minion options the protocol needs (Salt option names in
// the comments). SettingsFromConfig fills them from a loaded configuration.
type Settings struct {
	ID          string // id
	Master      string // master (first entry; host name or address)
	MasterPort  int    // master_port (request port, default 4506)
	PublishPort int    // publish_port; 0 or 4506 = use the port the master announces
	PKIDir      string // pki_dir
	CacheDir    string // cachedir
	KeySize     int    // keysize

	AuthTimeout           time.Duration // auth_timeout (5 s)
	AuthTries             int           // auth_tries (7)
	RequestTimeout        time.Duration // request_channel_timeout (60 s)
	RequestTries          int           // request_channel_tries (3)
	AcceptanceWaitTime    time.Duration // acceptance_wait_time (10 s)
	AcceptanceWaitTimeMax time.Duration // acceptance_wait_time_max (0 = no growth)
	RejectedRetry         bool          // rejected_retry
	RandomReauthDelay     time.Duration // random_reauth_delay: wait up to this long before a rotation re-auth
	ReconDefault          time.Duration // recon_default (1 s)
	ReconMax              time.Duration // recon_max (10 s)
	ReturnRetryTimer      time.Duration // return_retry_timer (5 s)
	ReturnRetryTimerMax   time.Duration // return_retry_timer_max (10 s)
	TCPKeepaliveIdle      time.Duration // tcp_keepalive_idle (300 s)

	EncAlgo         string // encryption_algorithm (OAEP-SHA1)
	SigAlgo         string // signing_algorithm (PKCS1v15-SHA1)
	SignPubMessages bool   // sign_pub_messages: require a publish signature (one present is always checked)
	MasterFinger    string // master_finger
	HashType        string // hash_type (for master_finger)

	// VerifyMasterPubkeySign (verify_master_pubkey_sign): a new or changed
	// master key is trusted only when the auth reply's pub_sig verifies with
	// pki_dir/<MasterSignKeyName>.pub; the master must send pub_sig.
	VerifyMasterPubkeySign bool
	MasterSignKeyName      string // master_sign_key_name ("master_sign")
	// AllowLegacyMasterAuth (saltgo_allow_legacy_master_auth, default
	// false): accept unsigned legacy auth replies (no nonce, no signature)
	// even once the master key is pinned. Risky: anyone who can answer on
	// the request port can then replay an old reply or stop the minion.
	AllowLegacyMasterAuth bool

	EnableLegacyStartupEvents bool          // enable_legacy_startup_events (true)
	JIDQueueHWM               int           // minion_jid_queue_hwm (100)
	Saltenv                   string        // saltenv ("" = None)
	Pillarenv                 string        // pillarenv ("" = None)
	JobTimeout                time.Duration // saltgo: bound on one job (0 = none)
	ReturnQueueMax            int           // saltgo: pending returns kept on disk (default 1000)

	PublishReplaySkew     time.Duration // saltgo publish_replay_skew: publishes whose jid is older than the sign-in minus this are refused (0 = 5 min, < 0 = off)
	MinionSignMessages    bool          // minion_sign_messages: sign _return loads (spec 3.11)
	AlwaysVerifySignature bool          // always_verify_signature: check the master's pub_sig at every sign-in

	// Opts is the whole option map.
	Opts *data.Map
	// Nodegroups is the nodegroups option (for N@ in compound targets).
	Nodegroups *data.Map
}

// explicitPublishPort returns publish_port only when a configuration file
// sets it: otherwise the minion uses the port the master announces in its
// auth reply (the flavour's default 4505/4605 is not a minion setting).
func explicitPublishPort(c *config.Config) int {
	if _, set := c.Origin["publish_port"]; set {
		return c.Opts.PublishPort
	}
	return 0
}

// SettingsFromConfig maps a loaded minion configuration to Settings.
func SettingsFromConfig(c *config.Config) Settings {
	o := c.Opts
	secs := func(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
	s := Settings{
		ID:                        o.ID,
		MasterPort:                o.MasterPort,
		PublishPort:               explicitPublishPort(c),
		RandomReauthDelay:         time.Duration(o.RandomReauthDelay) * time.Second,
		PKIDir:                    o.PKIDir,
		CacheDir:                  o.CacheDir,
		KeySize:                   o.KeySize,
		AuthTimeout:               time.Duration(o.AuthTimeout) * time.Second,
		AuthTries:                 o.AuthTries,
		RequestTimeout:            time.Duration(o.RequestChannelTimeout) * time.Second,
		RequestTries:              o.RequestChannelTries,
		AcceptanceWaitTime:        secs(o.AcceptanceWaitTime),
		AcceptanceWaitTimeMax:     secs(o.AcceptanceWaitTimeMax),
		ReconDefault:              time.Duration(o.ReconDefault * float64(time.Millisecond)),
		ReconMax:                  time.Duration(o.ReconMax * float64(time.Millisecond)),
		ReturnRetryTimer:          time.Duration(o.ReturnRetryTimer) * time.Second,
		ReturnRetryTimerMax:       time.Duration(o.ReturnRetryTimerMax) * time.Second,
		TCPKeepaliveIdle:          time.Duration(o.TCPKeepaliveIdle) * time.Second,
		PublishReplaySkew:         publishReplaySkew(c.Raw),
		MinionSignMessages:        o.MinionSignMessages,
		AlwaysVerifySignature:     o.AlwaysVerifySignature,
		EncAlgo:                   o.EncryptionAlgorithm,
		SigAlgo:                   o.SigningAlgorithm,
		SignPubMessages:           o.SignPubMessages,
		MasterFinger:              o.MasterFinger,
		HashType:                  o.HashType,
		VerifyMasterPubkeySign:    o.VerifyMasterPubkeySign,
		MasterSignKeyName:         o.MasterSignKeyName,
		EnableLegacyStartupEvents: o.EnableLegacyStartupEvents,
		JIDQueueHWM:               o.MinionJIDQueueHWM,
		Saltenv:                   o.Saltenv,
		Pillarenv:                 o.Pillarenv,
		Opts:                      c.Raw,
	}
	if v, ok := c.Raw.Get("saltgo_allow_legacy_master_auth"); ok {
		s.AllowLegacyMasterAuth, _ = v.(bool)
	}
	if rr, ok := c.Raw.Get("rejected_retry"); ok {
		s.RejectedRetry, _ = rr.(bool)
	}
	if ng, ok := c.Raw.Get("nodegroups"); ok {
		s.Nodegroups, _ = ng.(*data.Map)
	}
	if len(o.Master) > 0 {
		s.Master = o.Master[0]
	}
	return s
}

func (s *Settings) defaults() error {
	if s.ID == "" {
		return errors.New("minion: no id")
	}
	if s.Master == "" {
		s.Master = "salt"
	}
	if s.MasterPort == 0 {
		s.MasterPort = 4506
	}
	if s.PKIDir == "" {
		return errors.New("minion: no pki_dir")
	}
	if s.CacheDir == "" {
		return errors.New("minion: no cachedir")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&s.AuthTimeout, 5*time.Second)
	def(&s.RequestTimeout, 60*time.Second)
	def(&s.AcceptanceWaitTime, 10*time.Second)
	def(&s.ReconDefault, time.Second)
	def(&s.ReconMax, 10*time.Second)
	def(&s.ReturnRetryTimer, 5*time.Second)
	def(&s.ReturnRetryTimerMax, 10*time.Second)
	if s.MasterSignKeyName == "" {
		s.MasterSignKeyName = "master_sign"
	}
	if s.AuthTries <= 0 {
		s.AuthTries = 7
	}
	if s.RequestTries <= 0 {
		s.RequestTries = 3
	}
	if s.KeySize <= 0 {
		s.KeySize = 2048
	}
	if s.EncAlgo == "" {
		s.EncAlgo = crypt.OAEPSHA1
	}
	if s.SigAlgo == "" {
		s.SigAlgo = crypt.PKCS1v15SHA1
	}
	if s.JIDQueueHWM <= 0 {
		s.JIDQueueHWM = 100
	}
	if s.ReturnQueueMax <= 0 {
		s.ReturnQueueMax = 1000
	}
	if s.PublishReplaySkew == 0 {
		s.PublishReplaySkew = DefaultPublishReplaySkew
	}
	if s.HashType == "" {
		s.HashType = "sha256"
	}
	return nil
}

// Options are the pluggable parts of a minion.
type Options struct {
	// Executor runs jobs (required).
	Executor Executor
	// Grains returns the grains sent with _pillar and used for targeting;
	// nil means {"id": <id>}.
	Grains func(ctx context.Context) (*data.Map, error)
	// Logger (nil: slog.Default()).
	Logger *slog.Logger
	// RejectedExitDelay is slept before Run returns on a rejected key (Salt
	// sleeps 10-20 s so that a service manager does not restart it in a
	// tight loop); nil means that random 10-20 s, a func returning 0 none.
	RejectedExitDelay func() time.Duration
	// Ready, if set, is called once the minion has signed in, compiled its
	// pillar and fired its start events.
	Ready func()
}

// creds are the result of one successful sign-in.
type creds struct {
	gen         int // 0 legacy, 2, 3
	aes         *crypt.Crypticle
	session     *crypt.Crypticle // nil before generation 3
	publishPort int
	serial      uint64 // increases with every sign-in
	at          time.Time
}

// reqKey is the Crypticle requests are encrypted with.
func (c *creds) reqKey() *crypt.Crypticle {
	if c.session != nil {
		return c.session
	}
	return c.aes
}

// Minion is a running minion. Its exported methods are what modules
// (saltutil.*, event.*) need.
type Minion struct {
	s    Settings
	opts Options
	log  *slog.Logger

	priv      *rsaKey
	masterURI string
	token     string // per-process token string sent (encrypted) in _auth

	authMu    sync.Mutex // serialises sign-ins
	credsMu   sync.RWMutex
	cur       *creds
	masterPub *masterKey

	authClient *zmq.ReqClient
	reqPool    chan *zmq.ReqClient

	stateMu sync.RWMutex
	grains  *data.Map
	pillar  *data.Map

	jobs   *jobTable
	jids   *jidQueue
	retq   *returnQueue
	runCtx context.Context
	wg     sync.WaitGroup

	pubReauthMu sync.Mutex
	pubReauthAt time.Time

	replayOnce    sync.Once
	replay        *replayGuard // publish high-water mark, see replay.go
	pubConnects   atomic.Int64 // publish channel connections so far
	pubReconnHeld atomic.Bool  // a reconnect happened and no publish decrypted since
}

// New checks the settings and prepares a minion (keys are loaded or
// generated by Run).
func New(s Settings, opts Options) (*Minion, error) {
	if err := s.defaults(); err != nil {
		return nil, err
	}
	if err := checkUnsupportedOptions(s.Opts); err != nil {
		return nil, err
	}
	if opts.Executor == nil {
		return nil, errors.New("minion: no executor")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if err := checkPublishOptions(&s); err != nil {
		return nil, err
	}
	m := &Minion{s: s, opts: opts, log: opts.Logger.With("minion", s.ID)}
	m.masterURI = "tcp://" + net.JoinHostPort(s.Master, strconv.Itoa(s.MasterPort))
	m.jobs = newJobTable()
	m.jids = newJIDQueue(s.JIDQueueHWM)
	return m, nil
}

// Run starts a minion with the loaded configuration and runs it until ctx
// ends (nil error) or a fatal condition (*ExitError for a rejected key).
func Run(ctx context.Context, cfg *config.Config, opts Options) error {
	m, err := New(SettingsFromConfig(cfg), opts)
	if err != nil {
		return err
	}
	return m.Run(ctx)
}

// ID returns the minion id.
func (m *Minion) ID() string { return m.s.ID }

// Settings returns the minion's settings.
func (m *Minion) Settings() Settings { return m.s }

// Grains returns the grains last collected (sent to the master with the
// last pillar request, or by RefreshGrains).
func (m *Minion) Grains() *data.Map {
	m.stateMu.RLock()
	defer m.stateMu.RUnlock()
	return m.grains
}

// Pillar returns the pillar last compiled by the master.
func (m *Minion) Pillar() *data.Map {
	m.stateMu.RLock()
	defer m.stateMu.RUnlock()
	return m.pillar
}

// Run signs in (waiting while the key is pending), connects the publish
// channel, compiles the pillar, fires the start events, then serves
// publishes until ctx ends. It returns nil when ctx ends, an *ExitError when
// the master rejected the key, or an error when the local state (keys,
// cache directory) is unusable.
func (m *Minion) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m.runCtx = ctx
	lock, err := lockCacheDir(m.s.CacheDir, m.s.ID)
	if err != nil {
		return err
	}
	defer lock.release()
	if err := m.openKeys(); err != nil {
		return err
	}
	if err := m.loadKeys(); err != nil {
		return err
	}
	onErr, onOK := m.reachability(ctx)
	if m.authClient, err = zmq.NewReqClient(m.masterURI, zmq.ReqOptions{
		Timeout: m.s.AuthTimeout, Tries: m.s.AuthTries, KeepAliveIdle: m.s.TCPKeepaliveIdle, Logger: m.log,
		OnConnectError: onErr, OnConnect: onOK,
	}); err != nil {
		return err
	}
	defer m.authClient.Close()
	const poolSize = 3
	m.reqPool = make(chan *zmq.ReqClient, poolSize)
	for range poolSize {
		c, err := zmq.NewReqClient(m.masterURI, zmq.ReqOptions{
			Timeout: m.s.RequestTimeout, Tries: m.s.RequestTries, KeepAliveIdle: m.s.TCPKeepaliveIdle, Logger: m.log,
			OnConnectError: onErr, OnConnect: onOK,
		})
		if err != nil {
			return err
		}
		defer c.Close()
		m.reqPool <- c
	}
	if m.retq, err = openReturnQueue(filepath.Join(m.s.CacheDir, "saltgo", "returns"), m.s.ReturnQueueMax, m.log); err != nil {
		return err
	}

	m.log.Info("minion starting", "master", m.masterURI, "pki_dir", m.s.PKIDir)
	if err := m.signInLoop(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}

	// Publish channel first (slow joiner), then pillar and start events.
	pubs := make(chan zmq.Message, 64)
	pubURI := "tcp://" + net.JoinHostPort(m.s.Master, strconv.Itoa(m.publishPort()))
	sub, err := zmq.NewSubClient(pubURI, zmq.SubOptions{
		ID: m.s.ID, ReconnectInterval: m.s.ReconDefault, ReconnectIntervalMax: m.s.ReconMax,
		KeepAliveIdle: m.s.TCPKeepaliveIdle, Logger: m.log, OnConnect: m.onPubConnect,
	})
	if err != nil {
		return err
	}
	m.wg.Add(1)
	go func() { defer m.wg.Done(); _ = sub.Run(ctx, pubs) }()
	m.wg.Add(1)
	go func() { defer m.wg.Done(); m.retq.sendLoop(ctx, m) }()
	defer func() {
		cancel()
		m.jobs.cancelAll()
		m.wg.Wait()
	}()

	if _, err := m.RefreshPillar(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		m.log.Error("could not compile the pillar; continuing with an empty pillar", "err", err)
	}
	m.fireStartEvents(ctx)
	m.log.Info("minion is ready", "master", m.masterURI, "publish", pubURI, "protocol_generation", m.creds().gen)
	if m.opts.Ready != nil {
		m.opts.Ready()
	}
	for {
		select {
		case <-ctx.Done():
			m.log.Info("minion stopping")
			return nil
		case msg := <-pubs:
			m.handlePublish(ctx, msg.Payload)
		}
	}
}

func (m *Minion) publishPort() int {
	if m.s.PublishPort != 0 && m.s.PublishPort != 4506 {
		return m.s.PublishPort
	}
	if c := m.creds(); c != nil && c.publishPort != 0 {
		return c.publishPort
	}
	return 4505
}

func (m *Minion) creds() *creds {
	m.credsMu.RLock()
	defer m.credsMu.RUnlock()
	return m.cur
}

// reachability returns the connect hooks of the request channels: the
// first failure to reach the master is logged at WARNING at once, with the
// address (the sign-in error itself comes only after every try timed out),
// and the next successful connect at INFO; one line per outage.
func (m *Minion) reachability(ctx context.Context) (onErr func(error), onOK func()) {
	var unreachable atomic.Bool
	onErr = func(err error) {
		if ctx.Err() == nil && unreachable.CompareAndSwap(false, true) {
			m.log.Warn("cannot reach the master, will keep trying", "master", m.masterURI, "err", err)
		}
	}
	onOK = func() {
		if unreachable.CompareAndSwap(true, false) {
			m.log.Info("connected to the master", "master", m.masterURI)
		}
	}
	return onErr, onOK
}

// openKeys generates minion.pem/minion.pub when minion.pem does not exist,
// logging the new key's fingerprint (a new key pair is a new identity for
// the master), and refuses a minion.pem that exists but cannot be read
// (e.g. a dangling symlink).
func (m *Minion) openKeys() error {
	kp, err := crypt.OpenMinionKeys(m.s.PKIDir, m.s.KeySize)
	if err != nil {
		return fmt.Errorf("minion keys in %s: %w", m.s.PKIDir, err)
	}
	if kp.Generated {
		finger, err := crypt.PemFinger(kp.PubPEM, m.s.HashType)
		if err != nil {
			finger = "(" + err.Error() + ")"
		}
		m.log.Info("generated a new minion key pair", "pki_dir", m.s.PKIDir,
			"fingerprint", finger, "hash_type", m.s.HashType, "keysize", kp.Priv.N.BitLen())
	}
	return nil
}

// jitter returns d plus up to 10% random.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d + time.Duration(rand.Int64N(int64(d)/10+1))
}

// pid is reported in job data like a Python minion's job process id.
var pid = os.Getpid()
