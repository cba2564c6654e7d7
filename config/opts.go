package config

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/go-viper/mapstructure/v2"

	"github.com/saltgo/saltgo/data"
)

// Opts are the typed options saltgo reads. Fields are decoded from the merged
// raw options with Salt's tolerance for strings ("4505" is a valid port,
// "True" a valid bool) and a single string where a list is expected.
// Options that Salt allows to be None decode to their zero value.
type Opts struct {
	ID          string   `mapstructure:"id"`
	Master      []string `mapstructure:"master"`
	MasterType  string   `mapstructure:"master_type"`
	MasterPort  int      `mapstructure:"master_port"`
	PublishPort int      `mapstructure:"publish_port"`
	RetPort     int      `mapstructure:"ret_port"`
	Interface   string   `mapstructure:"interface"`
	// IPv6 is nil when unset (None: let the transport decide).
	IPv6 *bool `mapstructure:"ipv6"`

	RootDir          string   `mapstructure:"root_dir"`
	ConfFile         string   `mapstructure:"conf_file"`
	PKIDir           string   `mapstructure:"pki_dir"`
	CacheDir         string   `mapstructure:"cachedir"`
	SockDir          string   `mapstructure:"sock_dir"`
	ExtensionModules string   `mapstructure:"extension_modules"`
	Pidfile          string   `mapstructure:"pidfile"`
	ModuleDirs       []string `mapstructure:"module_dirs"`
	RunnerDirs       []string `mapstructure:"runner_dirs"`
	DefaultInclude   string   `mapstructure:"default_include"`

	LogFile         string `mapstructure:"log_file"`
	LogLevel        string `mapstructure:"log_level"`
	LogLevelLogfile string `mapstructure:"log_level_logfile"`

	FileRoots   map[string][]string `mapstructure:"file_roots"`
	PillarRoots map[string][]string `mapstructure:"pillar_roots"`
	FileClient  string              `mapstructure:"file_client"`
	Saltenv     string              `mapstructure:"saltenv"`
	Pillarenv   string              `mapstructure:"pillarenv"`
	Local       bool                `mapstructure:"local"`
	Test        bool                `mapstructure:"test"`

	GrainsBlacklist   []string `mapstructure:"grains_blacklist"`
	GrainsCache       bool     `mapstructure:"grains_cache"`
	GrainsRefresh     int      `mapstructure:"grains_refresh_every"`
	EnableFQDNsGrains bool     `mapstructure:"enable_fqdns_grains"`
	EnableGPUGrains   bool     `mapstructure:"enable_gpu_grains"`
	StartupStates     string   `mapstructure:"startup_states"`
	User              string   `mapstructure:"user"`

	AcceptanceWaitTime    float64 `mapstructure:"acceptance_wait_time"`
	AcceptanceWaitTimeMax float64 `mapstructure:"acceptance_wait_time_max"`
	AuthTimeout           int     `mapstructure:"auth_timeout"`
	AuthTries             int     `mapstructure:"auth_tries"`
	AuthSafemode          bool    `mapstructure:"auth_safemode"`
	RandomReauthDelay     int     `mapstructure:"random_reauth_delay"`
	RequestChannelTimeout int     `mapstructure:"request_channel_timeout"`
	RequestChannelTries   int     `mapstructure:"request_channel_tries"`
	ReconDefault          float64 `mapstructure:"recon_default"`
	ReconMax              float64 `mapstructure:"recon_max"`
	ReconRandomize        bool    `mapstructure:"recon_randomize"`
	ReturnRetryTimer      int     `mapstructure:"return_retry_timer"`
	ReturnRetryTimerMax   int     `mapstructure:"return_retry_timer_max"`
	ReturnRetryTries      int     `mapstructure:"return_retry_tries"`
	MasterAliveInterval   int     `mapstructure:"master_alive_interval"`
	MasterTries           int     `mapstructure:"master_tries"`
	RetryDNS              float64 `mapstructure:"retry_dns"`
	PingInterval          int     `mapstructure:"ping_interval"`
	TCPKeepalive          bool    `mapstructure:"tcp_keepalive"`
	TCPKeepaliveIdle      int     `mapstructure:"tcp_keepalive_idle"`
	TCPKeepaliveCnt       int     `mapstructure:"tcp_keepalive_cnt"`
	TCPKeepaliveIntvl     int     `mapstructure:"tcp_keepalive_intvl"`

	Transport               string `mapstructure:"transport"`
	ZMQFiltering            bool   `mapstructure:"zmq_filtering"`
	KeySize                 int    `mapstructure:"keysize"`
	EncryptionAlgorithm     string `mapstructure:"encryption_algorithm"`
	SigningAlgorithm        string `mapstructure:"signing_algorithm"`
	PublishSigningAlgorithm string `mapstructure:"publish_signing_algorithm"`
	SignPubMessages         bool   `mapstructure:"sign_pub_messages"`
	VerifyMasterPubkeySign  bool   `mapstructure:"verify_master_pubkey_sign"`
	AlwaysVerifySignature   bool   `mapstructure:"always_verify_signature"`
	MasterSignKeyName       string `mapstructure:"master_sign_key_name"`
	MasterFinger            string `mapstructure:"master_finger"`
	MinionSignMessages      bool   `mapstructure:"minion_sign_messages"`
	HashType                string `mapstructure:"hash_type"`

	MinionIDCaching           bool `mapstructure:"minion_id_caching"`
	MinionJIDQueueHWM         int  `mapstructure:"minion_jid_queue_hwm"`
	EnableLegacyStartupEvents bool `mapstructure:"enable_legacy_startup_events"`
	Multiprocessing           bool `mapstructure:"multiprocessing"`
	ProcessCountMax           int  `mapstructure:"process_count_max"`
	CacheJobs                 bool `mapstructure:"cache_jobs"`

	// Master-side options.
	Timeout            int  `mapstructure:"timeout"`
	GatherJobTimeout   int  `mapstructure:"gather_job_timeout"`
	KeepJobs           int  `mapstructure:"keep_jobs"`
	KeepJobsSeconds    int  `mapstructure:"keep_jobs_seconds"`
	WorkerThreads      int  `mapstructure:"worker_threads"`
	AutoAccept         bool `mapstructure:"auto_accept"`
	OpenMode           bool `mapstructure:"open_mode"`
	PublishSession     int  `mapstructure:"publish_session"`
	MinimumAuthVersion int  `mapstructure:"minimum_auth_version"`
	RotateAESKey       bool `mapstructure:"rotate_aes_key"`
	MaxMinions         int  `mapstructure:"max_minions"`
	ShowTimeout        bool `mapstructure:"show_timeout"`
	ShowJID            bool `mapstructure:"show_jid"`
}

// plain converts data values into the map[string]any / []any shapes that
// mapstructure understands.
func plain(v any) any { return data.Plain(v, data.Str) }

func newDecoder(out any) (*mapstructure.Decoder, error) {
	return mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		Result:           out,
		WeaklyTypedInput: true,
		DecodeHook:       noneHook,
	})
}

// noneHook keeps nil values (Python None) from clearing typed defaults
// with an error: a None option decodes to the field's zero value.
func noneHook(from, to reflect.Type, v any) (any, error) {
	if v == nil {
		return reflect.Zero(to).Interface(), nil
	}
	// A "list of roots" may be written as a single string.
	if to.Kind() == reflect.Map && to.Elem().Kind() == reflect.Slice {
		if m, ok := v.(map[string]any); ok {
			out := make(map[string]any, len(m))
			for k, e := range m {
				switch ev := e.(type) {
				case nil:
					out[k] = []any{}
				case []any:
					out[k] = ev
				default:
					out[k] = []any{ev}
				}
			}
			return out, nil
		}
	}
	return v, nil
}

var optsKeys = func() []string {
	t := reflect.TypeOf(Opts{})
	keys := make([]string, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		if tag := t.Field(i).Tag.Get("mapstructure"); tag != "" && tag != "-" {
			keys = append(keys, strings.Split(tag, ",")[0])
		}
	}
	return keys
}()

// decodeOpts fills o from raw. On failure it decodes key by key to name
// the offending option and where it was set.
func decodeOpts(o *Opts, raw *data.Map, origin map[string]Position, fallback string) error {
	in := make(map[string]any, len(optsKeys))
	for _, k := range optsKeys {
		if v, ok := raw.Get(k); ok {
			in[k] = plain(v)
		}
	}
	dec, err := newDecoder(o)
	if err != nil {
		return err
	}
	if err := dec.Decode(in); err == nil {
		return nil
	}
	for _, k := range optsKeys {
		v, ok := in[k]
		if !ok {
			continue
		}
		var probe Opts
		d, _ := newDecoder(&probe)
		if err := d.Decode(map[string]any{k: v}); err != nil {
			pos, ok := origin[k]
			if !ok {
				pos = Position{File: fallback}
			}
			return &Error{File: pos.File, Line: pos.Line, Key: k,
				Err: fmt.Errorf("invalid value %s: %w", quotedValue(raw, k), unwrapMS(err))}
		}
	}
	return fmt.Errorf("%s: %w", fallback, err)
}

// quotedValue is the value under k for an error message: a string
// Go-quoted, anything else in its plain form.
func quotedValue(raw *data.Map, k string) string {
	v, _ := raw.Get(k)
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%v", plain(v))
}

// unwrapMS shortens mapstructure's multi-error text to its first message.
func unwrapMS(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, "\n"); i >= 0 {
		msg = strings.TrimSpace(msg[i+1:])
		msg = strings.TrimPrefix(msg, "* ")
	}
	return fmt.Errorf("%s", msg)
}
