package jinja

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
)

func TestZZDiffWS(t *testing.T) {
	in := os.Getenv("JDIFFWS")
	if in == "" {
		return
	}
	b, _ := os.ReadFile(in)
	var out strings.Builder
	for _, o := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
		for _, c := range strings.Split(string(b), "\n====\n") {
			env := &Env{TrimBlocks: o[0], LstripBlocks: o[1]}
			s, err := env.Render(context.Background(), c, nil, "")
			if err != nil {
				s = "ERROR: " + err.Error()
			}
			fmt.Fprintln(&out, data.Repr(s))
		}
	}
	os.WriteFile(in+".go.out", []byte(out.String()), 0o644)
}
