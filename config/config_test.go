package config

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/internal/golden"
)

func noHost() (string, error) { return "testhost", nil }

func load(t *testing.T, dir string, role Role, f Flavour) (*Config, error) {
	t.Helper()
	return Load(context.Background(), Options{
		Flavour: f, Role: role, ConfigDir: dir,
		Getenv: func(string) string { return "" }, Hostname: noHost, SysRoot: t.TempDir(),
	})
}

func TestDefaultsGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		role Role
		f    Flavour
	}{
		{"defaults-minion-salt.json", Minion, Salt},
		{"defaults-master-salt.json", Master, Salt},
		{"defaults-minion-mastersalt.json", Minion, MasterSalt},
		{"defaults-master-mastersalt.json", Master, MasterSalt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := load(t, filepath.Join(t.TempDir(), "nothing"), tc.role, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			c.Raw.Delete("user")
			golden.JSON(t, filepath.Join("testdata", "golden", tc.name), c.Raw)
		})
	}
}

func TestTypedDefaults(t *testing.T) {
	tests := []struct {
		role Role
		f    Flavour
		want Opts
	}{
		{Minion, Salt, Opts{Master: []string{"salt"}, MasterPort: 4506, PublishPort: 4505, RetPort: 4506,
			PKIDir: "/etc/salt/pki/minion", CacheDir: "/var/cache/salt/minion", SockDir: "/var/run/salt/minion",
			LogFile: "/var/log/salt/minion", LogLevel: "warning", AcceptanceWaitTime: 10, AuthTimeout: 5, AuthTries: 7,
			RandomReauthDelay: 10, RequestChannelTimeout: 60, RequestChannelTries: 3, ReconDefault: 1000, ReconMax: 10000,
			ReconRandomize: true, ReturnRetryTimer: 5, ReturnRetryTimerMax: 10, KeySize: 2048,
			EncryptionAlgorithm: "OAEP-SHA1", SigningAlgorithm: "PKCS1v15-SHA1", FileClient: "remote",
			MinionJIDQueueHWM: 100, EnableLegacyStartupEvents: true, Multiprocessing: true, MinionIDCaching: true}},
		{Minion, MasterSalt, Opts{Master: []string{"salt"}, MasterPort: 4606, PublishPort: 4605, RetPort: 4606,
			PKIDir: "/etc/mastersalt/pki/minion", CacheDir: "/var/cache/mastersalt/minion", SockDir: "/var/run/mastersalt/minion",
			LogFile: "/var/log/mastersalt/minion"}},
		{Master, Salt, Opts{PublishPort: 4505, RetPort: 4506, PKIDir: "/etc/salt/pki/master", CacheDir: "/var/cache/salt/master",
			SockDir: "/var/run/salt/master", LogFile: "/var/log/salt/master", Timeout: 5, GatherJobTimeout: 10, KeepJobs: 24,
			SignPubMessages: true, FileClient: "local", Interface: "0.0.0.0"}},
		{Master, MasterSalt, Opts{PublishPort: 4605, RetPort: 4606, PKIDir: "/etc/mastersalt/pki/master",
			CacheDir: "/var/cache/mastersalt/master", SockDir: "/var/run/mastersalt/master", LogFile: "/var/log/mastersalt/master", SignPubMessages: true}},
	}
	for _, tc := range tests {
		t.Run(tc.role.String()+"-"+tc.f.Name, func(t *testing.T) {
			c, err := load(t, t.TempDir(), tc.role, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			check := func(name string, got, want any) {
				t.Helper()
				if fmt.Sprint(want) != fmt.Sprint(got) && !isZero(want) {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}
			w, g := tc.want, c.Opts
			check("master", g.Master, w.Master)
			check("master_port", g.MasterPort, w.MasterPort)
			check("publish_port", g.PublishPort, w.PublishPort)
			check("ret_port", g.RetPort, w.RetPort)
			check("pki_dir", g.PKIDir, w.PKIDir)
			check("cachedir", g.CacheDir, w.CacheDir)
			check("sock_dir", g.SockDir, w.SockDir)
			check("log_file", g.LogFile, w.LogFile)
			check("log_level", g.LogLevel, w.LogLevel)
			check("acceptance_wait_time", g.AcceptanceWaitTime, w.AcceptanceWaitTime)
			check("auth_timeout", g.AuthTimeout, w.AuthTimeout)
			check("auth_tries", g.AuthTries, w.AuthTries)
			check("random_reauth_delay", g.RandomReauthDelay, w.RandomReauthDelay)
			check("request_channel_timeout", g.RequestChannelTimeout, w.RequestChannelTimeout)
			check("request_channel_tries", g.RequestChannelTries, w.RequestChannelTries)
			check("recon_default", g.ReconDefault, w.ReconDefault)
			check("recon_max", g.ReconMax, w.ReconMax)
			check("return_retry_timer", g.ReturnRetryTimer, w.ReturnRetryTimer)
			check("return_retry_timer_max", g.ReturnRetryTimerMax, w.ReturnRetryTimerMax)
			check("keysize", g.KeySize, w.KeySize)
			check("encryption_algorithm", g.EncryptionAlgorithm, w.EncryptionAlgorithm)
			check("signing_algorithm", g.SigningAlgorithm, w.SigningAlgorithm)
			check("file_client", g.FileClient, w.FileClient)
			check("minion_jid_queue_hwm", g.MinionJIDQueueHWM, w.MinionJIDQueueHWM)
			check("timeout", g.Timeout, w.Timeout)
			check("gather_job_timeout", g.GatherJobTimeout, w.GatherJobTimeout)
			check("keep_jobs", g.KeepJobs, w.KeepJobs)
			check("interface", g.Interface, w.Interface)
			if w.SignPubMessages != g.SignPubMessages {
				t.Errorf("sign_pub_messages = %v", g.SignPubMessages)
			}
			if g.IPv6 != nil || g.ZMQFiltering {
				t.Errorf("ipv6 = %v, zmq_filtering = %v; want None, False", g.IPv6, g.ZMQFiltering)
			}
			if tc.role == Minion {
				if !g.EnableLegacyStartupEvents || !g.Multiprocessing || !g.MinionIDCaching || !g.ReconRandomize {
					t.Errorf("bool defaults wrong: %+v", g)
				}
				if g.ID != "testhost" {
					t.Errorf("generated id = %q, want testhost", g.ID)
				}
				if got := fmt.Sprint(g.FileRoots["base"]); tc.f.Name == "salt" && got != "[/srv/salt /srv/spm/salt]" {
					t.Errorf("file_roots = %v", g.FileRoots)
				}
			} else if g.ID != "testhost_master" {
				t.Errorf("master id = %q, want testhost_master", g.ID)
			}
		})
	}
}

func isZero(v any) bool {
	return fmt.Sprint(v) == "0" || fmt.Sprint(v) == "" || fmt.Sprint(v) == "[]" || v == false
}

func TestBasicMinion(t *testing.T) {
	c, err := load(t, "testdata/basic", Minion, Salt)
	if err != nil {
		t.Fatal(err)
	}
	o := c.Opts
	if o.ID != "12345" || o.MasterPort != 24606 || o.PublishPort != 24605 || o.User != "root" {
		t.Errorf("opts = id %q master_port %d publish_port %d user %q", o.ID, o.MasterPort, o.PublishPort, o.User)
	}
	if o.IPv6 == nil || *o.IPv6 || o.ZMQFiltering {
		t.Errorf("ipv6 %v zmq_filtering %v", o.IPv6, o.ZMQFiltering)
	}
	if fmt.Sprint(o.Master) != "[127.0.0.1]" || o.LogLevelLogfile != "debug" || fmt.Sprint(o.GrainsBlacklist) != "[cwd shell]" {
		t.Errorf("master %v log_level_logfile %q blacklist %v", o.Master, o.LogLevelLogfile, o.GrainsBlacklist)
	}
	// file_roots: a non-list saltenv becomes [] (as _normalize_roots does).
	if fmt.Sprint(o.FileRoots) != "map[base:[/srv/salt] dev:[]]" {
		t.Errorf("file_roots = %v", o.FileRoots)
	}
	for key, want := range map[string]any{
		"id": "12345", "master_port": "24606", "octal": int64(10), "when": "2024-01-01",
		"zmq_filtering": false, "conf_file": "testdata/basic/minion",
	} {
		if got, _ := c.Get(key); !data.Equal(got, want) {
			t.Errorf("raw %s = %#v, want %#v", key, got, want)
		}
	}
	if v, ok := c.Traverse("custom_key:nested:1", ":"); !ok || v != int64(2) {
		t.Errorf("traverse = %v %v", v, ok)
	}
	if p := c.Origin["master_port"]; p.Line != 2 || p.File != "testdata/basic/minion" {
		t.Errorf("origin = %v", p)
	}
	if c.GrainsFile() != "testdata/basic/grains" {
		t.Errorf("grains file = %s", c.GrainsFile())
	}
	if len(c.Files) != 1 {
		t.Errorf("files = %v", c.Files)
	}
}

func TestIncludes(t *testing.T) {
	c, err := load(t, "testdata/includes", Minion, Salt)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"testdata/includes/minion", "testdata/includes/minion.d/10-a.conf",
		"testdata/includes/minion.d/20-b.conf", "testdata/includes/extra/x.conf"}
	if fmt.Sprint(c.Files) != fmt.Sprint(want) {
		t.Errorf("files = %v, want %v", c.Files, want)
	}
	// minion.d files override the main file; include overrides minion.d.
	if fmt.Sprint(c.Master) != "[from-a]" || c.LogLevel != "debug" {
		t.Errorf("master %v log_level %q", c.Master, c.LogLevel)
	}
	// minion.d files are deep-merged among themselves (lists without
	// duplicates) but replace the main file's top-level key.
	g, _ := c.Get("grains")
	if got := fmt.Sprint(plain(g)); got != "map[a:1 b:2 roles:[web db]]" {
		t.Errorf("grains = %s", got)
	}
	if p := c.Origin["master"]; p.File != "testdata/includes/minion.d/10-a.conf" || p.Line != 1 {
		t.Errorf("origin(master) = %v", p)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		dir, want string
		line      int
	}{
		{"testdata/badyaml", "testdata/badyaml/minion:", 0},
		{"testdata/badtype", "testdata/badtype/minion:3: master_port: invalid value \"notaport\"", 3},
		{"testdata/badtype_include", "testdata/badtype_include/minion.d/50-x.conf:2: auth_tries:", 2},
		{"testdata/nodoc", "conf should be a document, not <class 'str'>", 1},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			_, err := load(t, tc.dir, Minion, Salt)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not *config.Error", err)
			}
			if tc.line > 0 && ce.Line != tc.line {
				t.Errorf("line = %d, want %d", ce.Line, tc.line)
			}
			if tc.line == 0 && ce.Line == 0 {
				t.Errorf("syntax error without a line: %v", err)
			}
		})
	}
}

func TestEmptyAndMissing(t *testing.T) {
	c, err := load(t, "testdata/empty", Minion, Salt)
	if err != nil || c.MasterPort != 4506 || len(c.Files) != 1 {
		t.Fatalf("empty: %v %+v", err, c)
	}
	c, err = load(t, "testdata/does-not-exist", Minion, Salt)
	if err != nil || len(c.Files) != 0 || len(c.Warnings) == 0 {
		t.Fatalf("missing: %v %v", err, c)
	}
	if cf, _ := c.Get("conf_file"); cf != "/etc/salt/minion" {
		t.Errorf("conf_file = %v (Salt keeps the default when the file is missing)", cf)
	}
}

func TestRootDir(t *testing.T) {
	c, err := load(t, "testdata/rootdir", Minion, Salt)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"pki_dir":           "/tmp/saltgo-root/etc/salt/pki/minion",
		"cachedir":          "/tmp/saltgo-root/var/cache/custom",
		"sock_dir":          "/tmp/saltgo-root/run/relative",
		"extension_modules": "/tmp/saltgo-root/var/cache/salt/minion/extmods",
		"pidfile":           "/tmp/saltgo-root/var/run/salt-minion.pid",
		"log_file":          "udp://localhost:514",
	} {
		if got, _ := c.Get(k); got != want {
			t.Errorf("%s = %v, want %s", k, got, want)
		}
	}
}

func TestMaster(t *testing.T) {
	c, err := load(t, "testdata/master", Master, Salt)
	if err != nil {
		t.Fatal(err)
	}
	if c.Interface != "127.0.0.1" || c.PublishPort != 24605 || c.RetPort != 24606 || !c.AutoAccept || c.Timeout != 10 {
		t.Errorf("master opts = %+v", c.Opts)
	}
	if td, _ := c.Get("token_dir"); td != "/var/cache/salt/master/tokens" {
		t.Errorf("token_dir = %v", td)
	}
}

func TestMasterSaltFlavour(t *testing.T) {
	if FlavourFromArgv0("/usr/bin/mastersalt-call").Name != "mastersalt" || FlavourFromArgv0("salt-call").Name != "salt" {
		t.Fatal("FlavourFromArgv0")
	}
	for mode, want := range map[string]string{"mastersalt": "mastersalt", "salt": "salt", "": "salt", "mastersalt_master": "mastersalt"} {
		if got := FlavourForMode(mode).Name; got != want {
			t.Errorf("FlavourForMode(%q) = %s, want %s", mode, got, want)
		}
	}
	c, err := load(t, "testdata/mastersalt", Minion, MasterSalt)
	if err != nil {
		t.Fatal(err)
	}
	if c.MasterPort != 4606 || c.PublishPort != 4605 || c.PKIDir != "/etc/mastersalt/pki/minion" || c.ID != "ms1" {
		t.Errorf("mastersalt opts = %+v", c.Opts)
	}
	if fr := fmt.Sprint(c.FileRoots); fr != "map[base:[/srv/mastersalt]]" {
		t.Errorf("file_roots = %s", fr)
	}
}

func TestMasterList(t *testing.T) {
	c, err := load(t, "testdata/listmaster", Minion, Salt)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(c.Master) != "[m1.example m2.example]" || c.MasterType != "failover" {
		t.Errorf("master = %v type %s", c.Master, c.MasterType)
	}
}

func TestMinionIDFile(t *testing.T) {
	root := t.TempDir()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "minion"), []byte("root_dir: "+root+"\n"), 0o644)

	// No cache file: generated from the host name and written when asked.
	c, err := Load(context.Background(), Options{ConfigDir: dir, CacheMinionID: true, Hostname: noHost,
		SysRoot: t.TempDir(), Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != "testhost" {
		t.Errorf("id = %q", c.ID)
	}
	b, err := os.ReadFile(filepath.Join(root, "etc/salt/minion_id"))
	if err != nil || string(b) != "testhost" {
		t.Fatalf("minion_id = %q, %v", b, err)
	}
	// The cached file wins over the host name.
	os.WriteFile(filepath.Join(root, "etc/salt/minion_id"), []byte("\ufeffcached-id\n"), 0o644)
	c, err = Load(context.Background(), Options{ConfigDir: dir, Hostname: noHost, SysRoot: t.TempDir(),
		Getenv: func(string) string { return "" }})
	if err != nil || c.ID != "cached-id" {
		t.Fatalf("id = %q, %v", c.ID, err)
	}
	// --id style override is used when the file sets no id.
	os.Remove(filepath.Join(root, "etc/salt/minion_id"))
	c, _ = Load(context.Background(), Options{ConfigDir: dir, MinionID: "forced", Hostname: noHost, SysRoot: t.TempDir(),
		Getenv: func(string) string { return "" }})
	if c.ID != "forced" {
		t.Errorf("id = %q", c.ID)
	}
}

func TestGenerateMinionID(t *testing.T) {
	tests := []struct {
		host, hosts, hostname string
		want                  string
	}{
		{"vm", "127.0.0.1 localhost\n127.0.1.1 vm.example.org vm\n", "", "vm.example.org"},
		{"vm", "", "", "vm"},
		{"localhost", "127.0.0.1 localhost\n", "box1\n", "box1"},
	}
	for _, tc := range tests {
		root := t.TempDir()
		os.MkdirAll(filepath.Join(root, "etc"), 0o755)
		os.WriteFile(filepath.Join(root, "etc/hosts"), []byte(tc.hosts), 0o644)
		os.WriteFile(filepath.Join(root, "etc/hostname"), []byte(tc.hostname), 0o644)
		got := GenerateMinionID(root, func() (string, error) { return tc.host, nil })
		if got != tc.want {
			t.Errorf("GenerateMinionID(%q) = %q, want %q", tc.host, got, tc.want)
		}
	}
}

func TestEnvConfigDir(t *testing.T) {
	env := map[string]string{"SALT_CONFIG_DIR": "testdata/basic"}
	c, err := Load(context.Background(), Options{Getenv: func(k string) string { return env[k] }, Hostname: noHost})
	if err != nil {
		t.Fatal(err)
	}
	if c.Path != "testdata/basic/minion" || c.ID != "12345" {
		t.Errorf("path = %s id = %s", c.Path, c.ID)
	}
}

func TestBadAlgorithm(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "minion"), []byte("id: x\nencryption_algorithm: RSA\n"), 0o644)
	_, err := load(t, dir, Minion, Salt)
	if err == nil || !strings.Contains(err.Error(), "minion:2: encryption_algorithm:") {
		t.Errorf("err = %v", err)
	}
}

func BenchmarkLoadMinion(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := Load(context.Background(), Options{ConfigDir: "testdata/basic", Hostname: noHost,
			Getenv: func(string) string { return "" }}); err != nil {
			b.Fatal(err)
		}
	}
}
