package config

import (
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestWrongTypesAreErrors(t *testing.T) {
	tests := []struct {
		dir  string
		file string // relative to the dir
		line int
		key  string
		want string
	}{
		{"id_list", "minion", 2, "id", `invalid value ['a', 'b']: a string is required, not list`},
		{"id_map", "minion", 1, "id", `a string is required, not dict`},
		{"include_id", "minion.d/10-id.conf", 2, "id", `invalid value ['x']: a string is required, not list`},
		{"master_map", "minion", 1, "master", `a string or a list of strings is required, not dict`},
		{"master_int", "minion", 1, "master", `invalid value 12: a string or a list of strings is required, not int`},
		{"master_list_item", "minion", 1, "master", `a list of strings is required, item 1 is int`},
		{"master_port_bool", "minion", 2, "master_port", `invalid value True: an integer is required, not bool`},
		{"master_port_float", "minion", 1, "master_port", `an integer is required, not float`},
		{"master_port_word", "minion", 1, "master_port", `invalid value "four": an integer is required, not str`},
		{"publish_port_list", "minion", 1, "publish_port", `an integer is required, not list`},
		{"ipv6_word", "minion", 1, "ipv6", `invalid value "maybe": true, false or None is required, not str`},
		{"ipv6_int", "minion", 1, "ipv6", `true, false or None is required, not int`},
		{"pki_dir_list", "minion", 1, "pki_dir", `a string is required, not list`},
		{"cachedir_map", "minion", 1, "cachedir", `a string is required, not dict`},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			dir := filepath.Join("testdata", "types", tc.dir)
			_, err := load(t, dir, Minion, Salt)
			if err == nil {
				t.Fatal("no error")
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T (%v) is not *config.Error", err, err)
			}
			if ce.File != filepath.Join(dir, tc.file) || ce.Line != tc.line || ce.Key != tc.key {
				t.Errorf("error at %s:%d key %q, want %s:%d key %q", ce.File, ce.Line, ce.Key, filepath.Join(dir, tc.file), tc.line, tc.key)
			}
			prefix := filepath.Join(dir, tc.file) + ":" + strconv.Itoa(tc.line) + ": " + tc.key + ": "
			if msg := err.Error(); !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, tc.want) {
				t.Errorf("error %q, want prefix %q and %q", msg, prefix, tc.want)
			}
		})
	}
}

func TestRightTypesAreAccepted(t *testing.T) {
	tests := []struct {
		dir    string
		id     string
		master []string
		port   int
	}{
		{"ok_id_int", "12345", []string{"salt"}, 4506},     // Python str()s a scalar id
		{"ok_id_null", "testhost", []string{"salt"}, 4506}, // None: generated
		{"ok_id_bool", "True", []string{"salt"}, 4506},
		{"ok_master_list", "testhost", []string{"m1", "m2"}, 4506},
		{"ok_port_string", "testhost", []string{"salt"}, 4606},
		{"ok_pki_int", "testhost", []string{"salt"}, 4506},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			c, err := load(t, filepath.Join("testdata", "types", tc.dir), Minion, Salt)
			if err != nil {
				t.Fatal(err)
			}
			if c.ID != tc.id || !slices.Equal(c.Master, tc.master) || c.MasterPort != tc.port {
				t.Errorf("id %q master %q port %d, want %q %q %d", c.ID, c.Master, c.MasterPort, tc.id, tc.master, tc.port)
			}
		})
	}
}
