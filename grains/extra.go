package grains

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/saltgo/saltgo/data"
)

// collectShell is $SHELL, /bin/sh by default.
func collectShell(_ context.Context, e *Env) (*data.Map, error) {
	sh := e.Sys.Getenv("SHELL")
	if sh == "" {
		sh = "/bin/sh"
	}
	return data.M("shell", sh), nil
}

// collectTransactional reports whether transactional-update is on PATH.
func collectTransactional(_ context.Context, e *Env) (*data.Map, error) {
	found := false
	for _, dir := range filepath.SplitList(e.Sys.Getenv("PATH")) {
		if dir == "" {
			continue
		}
		if st, err := os.Stat(e.Path(filepath.Join(dir, "transactional-update"))); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			found = true
			break
		}
	}
	return data.M("transactional", found), nil
}

// collectUEFI gives efi and efi-secure-boot from the efivars directory.
func collectUEFI(_ context.Context, e *Env) (*data.Map, error) {
	dir := ""
	for _, d := range []string{"/sys/firmware/efi/efivars", "/sys/firmware/efi/vars"} {
		if e.Exists(d) {
			dir = d
			break
		}
	}
	secure := false
	if dir != "" {
		pat := filepath.Join(e.Path(dir), "SecureBoot-*")
		if !strings.HasSuffix(dir, "efivars") {
			pat = filepath.Join(pat, "data")
		}
		if m, _ := filepath.Glob(pat); len(m) == 1 {
			if b, err := os.ReadFile(m[0]); err == nil && len(b) > 0 {
				secure = b[len(b)-1] == 1
			}
		}
	}
	return data.M("efi", dir != "", "efi-secure-boot", secure), nil
}
