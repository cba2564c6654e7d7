package minion

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/saltgo/saltgo/config"
)

func TestSettingsFromConfig(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		wantPub   int
		wantDelay time.Duration
	}{
		{"publish port comes from the auth reply by default", "id: a\n", 0, 10 * time.Second},
		{"an explicit publish_port wins", "id: a\npublish_port: 24605\nrandom_reauth_delay: 3\n", 24605, 3 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := settingsFromFile(t, tc.file)
			if s.PublishPort != tc.wantPub || s.RandomReauthDelay != tc.wantDelay {
				t.Fatalf("publish port %d, reauth delay %v; want %d, %v", s.PublishPort, s.RandomReauthDelay, tc.wantPub, tc.wantDelay)
			}
		})
	}
}

// settingsFromFile loads a minion config file (with root_dir in a temporary
// directory) and returns its Settings.
func settingsFromFile(t *testing.T, file string) Settings {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "minion"), []byte(file+"root_dir: "+dir+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(context.Background(), config.Options{Role: config.Minion, ConfigDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return SettingsFromConfig(cfg)
}
