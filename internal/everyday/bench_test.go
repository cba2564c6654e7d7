package everyday_test

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
)

// The benchmarks of issue 13, each in a Debian container. With -update
// they time Python Salt 3007.14 (lxctest.Recording) on the same trees:
// the side-by-side numbers of docs/bench.md come from the two runs.

var benchTree = tree{name: "bench50", repo: true}

// benchCall applies sls from the bench50 tree and fails unless every
// state succeeded (retcode 0), or, with anyResult, unless it returned.
func benchCall(b *testing.B, c *container, sls string, test, anyResult bool) {
	b.Helper()
	g := c.m.Run(b, c.step(call{name: sls, fun: "state.apply", args: []string{sls}, test: test}))
	if *g.Retcode != 0 && !(anyResult && *g.Retcode == 2) {
		var res map[string]struct {
			Result  any    `json:"result"`
			Comment string `json:"comment"`
		}
		_ = json.Unmarshal(g.Return, &res)
		var failed []string
		for k, r := range res {
			if r.Result == false {
				failed = append(failed, k+": "+r.Comment)
			}
		}
		sort.Strings(failed)
		b.Fatalf("state.apply %s test=%v: retcode %d, failed:\n%s", sls, test, *g.Retcode, strings.Join(failed, "\n"))
	}
}

// BenchmarkBench50 applies the 50-state formula testdata/states/bench50
// (5 groups, 10 users, 5 directories, 15 files, 5 init.d scripts and their
// services, 5 cron entries): test=True on a fresh system (where Salt
// fails the users whose groups do not exist yet: retcode 2 is expected),
// for real on a fresh system (a new container each time, outside the
// timer), and test=True and for real on the converged system.
func BenchmarkBench50(b *testing.B) {
	b.Run("test_fresh", func(b *testing.B) {
		c := newContainer(b, benchTree)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			benchCall(b, c, "bench50", true, true)
		}
	})
	b.Run("apply", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			c := newContainer(b, benchTree)
			b.StartTimer()
			benchCall(b, c, "bench50", false, false)
		}
	})
	for _, test := range []bool{true, false} {
		name := "converged"
		if test {
			name = "test_converged"
		}
		b.Run(name, func(b *testing.B) {
			c := newContainer(b, benchTree)
			benchCall(b, c, "bench50", false, false)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				benchCall(b, c, "bench50", test, false)
			}
		})
	}
}

// BenchmarkPkgInstalled20 is pkg.installed of 20 packages that are all
// installed already (bench50.pkg20).
func BenchmarkPkgInstalled20(b *testing.B) {
	c := newContainer(b, benchTree)
	benchCall(b, c, "bench50.pkg20", false, false)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		benchCall(b, c, "bench50.pkg20", false, false)
	}
}
