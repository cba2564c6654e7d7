package minion

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/config"
)

// Security options saltgo does not implement are refused at start, each
// named with its value; the implemented ones and harmless defaults pass.
func TestUnsupportedSecurityOptions(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []string // error fragments; none = accepted
	}{
		{"defaults", "", nil},
		{"implemented options", "master_finger: 'aa:bb'\nverify_master_pubkey_sign: True\nmaster_sign_key_name: msign\nkeysize: 4096\nsaltgo_allow_legacy_master_auth: True\n", nil},
		{"harmless values", "open_mode: False\nmaster_type: str\ncmd_blacklist_glob: []\nautosign_grains: []\nssl: False\n", nil},
		{"open_mode", "open_mode: True\n", []string{"option open_mode is set (True)"}},
		{"master_type failover", "master_type: failover\n", []string{"option master_type is set ('failover')", "failover, func and disable"}},
		{"master_type func", "master_type: func\n", []string{"option master_type is set ('func')"}},
		{"cmd globs", "cmd_blacklist_glob: ['rm *']\ncmd_whitelist_glob: ['ls *']\n", []string{"option cmd_blacklist_glob", "option cmd_whitelist_glob"}},
		{"autosign_grains", "autosign_grains: [uuid]\n", []string{"option autosign_grains is set (['uuid'])"}},
		{"ssl", "ssl: True\n", []string{"option ssl is set ({})", "ZeroMQ only"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "minion"), []byte("id: a\n"+tc.file+"root_dir: "+dir+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(context.Background(), config.Options{Role: config.Minion, ConfigDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			_, err = New(SettingsFromConfig(cfg), Options{Executor: testExecutor})
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("New accepted an unsupported option")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if !strings.Contains(err.Error(), "saltgo does not implement it") {
				t.Errorf("error %q does not say why", err)
			}
		})
	}
}

func TestSettingsSecurityOptions(t *testing.T) {
	dir := t.TempDir()
	file := "id: a\nverify_master_pubkey_sign: True\nmaster_sign_key_name: msign\nsaltgo_allow_legacy_master_auth: True\nroot_dir: " + dir + "\n"
	if err := os.WriteFile(filepath.Join(dir, "minion"), []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(context.Background(), config.Options{Role: config.Minion, ConfigDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s := SettingsFromConfig(cfg)
	if !s.VerifyMasterPubkeySign || s.MasterSignKeyName != "msign" || !s.AllowLegacyMasterAuth {
		t.Fatalf("settings %+v", s)
	}
	var d Settings
	if err := d.defaults(); err == nil || d.AllowLegacyMasterAuth || d.VerifyMasterPubkeySign {
		t.Fatalf("zero settings: %v %+v", err, d)
	}
}
