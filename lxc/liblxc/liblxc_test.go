package liblxc_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/lxc/liblxc"
	"github.com/saltgo/saltgo/lxc/lxctest"
)

func TestMain(m *testing.M) { lxctest.Main(m) }

func TestHelperCrashDoesNotTakeCallerDown(t *testing.T) {
	lxctest.Require(t)
	c := lxctest.Client(t, nil)
	_, err := lxctest.CrashClient(t, c).List(lxctest.Context(t))
	if !errors.Is(err, liblxc.ErrHelperCrashed) {
		t.Fatalf("err = %v, want ErrHelperCrashed", err)
	}
	if _, err := c.Version(lxctest.Context(t)); err != nil {
		t.Fatalf("next call after a crash: %v", err)
	}
}

func TestFindHelper(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "helper")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	cases := []struct {
		name, env, configured string
		want                  string   // path found, or "" for an error
		errHas                []string // parts of the error
	}{
		{name: "env", env: exe, configured: missing, want: exe},
		{name: "env wins over config", env: missing, configured: exe, errHas: []string{"SALTGO_LXC_HELPER " + missing, "no such file"}},
		{name: "configured", configured: exe, want: exe},
		{name: "configured missing", configured: missing, errHas: []string{"lxc.helper " + missing, "no such file or directory"}},
		{name: "configured not executable", configured: plain, errHas: []string{"lxc.helper " + plain + ": not an executable file"}},
		{name: "configured dir", configured: dir, errHas: []string{"not an executable file"}},
		// The test binary's directory has no saltgo-lxc-helper.
		{name: "beside executable", errHas: []string{"beside saltgo", liblxc.HelperName, "make install"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(liblxc.HelperEnv, tc.env)
			got, err := liblxc.FindHelper(tc.configured)
			if tc.want != "" {
				if err != nil || got != tc.want {
					t.Fatalf("FindHelper = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil || !errors.Is(err, liblxc.ErrUnavailable) {
				t.Fatalf("FindHelper = %q, %v; want an ErrUnavailable error", got, err)
			}
			for _, part := range tc.errHas {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q lacks %q", err, part)
				}
			}
		})
	}
}

// A client without a helper fails every operation with ErrUnavailable and
// the reason, and starts nothing.
func TestClientWithoutHelper(t *testing.T) {
	t.Setenv(liblxc.HelperEnv, filepath.Join(t.TempDir(), "gone"))
	c := &liblxc.Client{LXCPath: t.TempDir()}
	_, err := c.List(lxctest.Context(t))
	if !errors.Is(err, liblxc.ErrUnavailable) || !strings.Contains(err.Error(), liblxc.HelperName+" is not installed") {
		t.Fatalf("List without a helper: %v", err)
	}
}

func TestWireErrorCodes(t *testing.T) {
	for _, sentinel := range []error{liblxc.ErrNotFound, liblxc.ErrExists, liblxc.ErrUnavailable, errors.New("other")} {
		in := errors.Join(errors.New("ctx"), sentinel)
		out := liblxc.CodeError(liblxc.ErrorCode(in), in.Error())
		if out.Error() != in.Error() {
			t.Errorf("message %q became %q", in, out)
		}
		if !errors.Is(out, sentinel) && sentinel.Error() != "other" {
			t.Errorf("%v: sentinel lost across the wire", sentinel)
		}
	}
}
