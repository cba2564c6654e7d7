package state_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
)

// benchTree is a highstate of n test states spread over n/50 SLS files,
// with Jinja loops and requisites, as a real tree has.
func benchTree(n int) map[string]string {
	files := map[string]string{}
	var top strings.Builder
	top.WriteString("base:\n  '*':\n")
	per := 50
	for f := 0; f < n/per; f++ {
		fmt.Fprintf(&top, "    - s%d\n", f)
		files[fmt.Sprintf("s%d.sls", f)] = fmt.Sprintf(`{%% for i in range(%d) %%}
s%d_state_{{ i }}:
  test.succeed_without_changes:
    - name: item {{ i }} of {{ grains['id'] }}
{%% if i > 0 %%}
    - require:
      - test: s%d_state_{{ i - 1 }}
{%% endif %%}
{%% endfor %%}
`, per, f, f)
	}
	files["top.sls"] = top.String()
	return files
}

// BenchmarkShowHighstate2000 compiles a 2,000-state highstate
// (state.show_lowstate: top file, render, high data, low chunks).
func BenchmarkShowHighstate2000(b *testing.B) {
	env := treeEnv(b, benchTree(2000))
	b.ResetTimer()
	for b.Loop() {
		res := host.Run(context.Background(), env, host.Request{Kind: host.Exec, Fun: "state.show_lowstate", Args: []any{}})
		if l, ok := res.Return.([]any); !ok || len(l) != 2000 {
			b.Fatalf("got %T %d", res.Return, len(l))
		}
	}
}

// BenchmarkApply200 applies 200 test states (state.apply, highstate).
func BenchmarkApply200(b *testing.B) {
	env := treeEnv(b, benchTree(200))
	b.ResetTimer()
	for b.Loop() {
		res := host.Run(context.Background(), env, host.Request{Kind: host.Exec, Fun: "state.apply", Args: []any{}})
		if m, ok := res.Return.(*data.Map); !ok || m.Len() != 200 || res.Retcode != 0 {
			b.Fatalf("got %s", data.Repr(res.Return))
		}
	}
}
