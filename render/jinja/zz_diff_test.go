package jinja

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
)

func TestZZDiff(t *testing.T) {
	in := os.Getenv("JDIFF")
	if in == "" {
		return
	}
	b, _ := os.ReadFile(in)
	var out strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		env := &Env{}
		vars := map[string]any{"users": data.M("zoe", data.M("uid", int64(1001)), "adam", data.M("uid", int64(1000)))}
		s, err := env.Render(context.Background(), line, vars, "")
		if err != nil {
			s = "ERROR: " + err.Error()
		}
		fmt.Fprintln(&out, data.Repr(s))
	}
	os.WriteFile(in+".go.out", []byte(out.String()), 0o644)
}
