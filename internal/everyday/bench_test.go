package everyday_test

import (
	"testing"
)

// The benchmarks of issue 13, each in a Debian container. With RecordEnv
// set to a Python salt-call they time Python Salt on the same trees: the
// side-by-side numbers of docs/bench.md come from the two runs.

var benchTree = tree{name: "bench50", repo: true}

// benchCall applies sls from the bench50 tree and fails unless every
// state succeeded.
func benchCall(b *testing.B, c *container, sls string, test bool) {
	b.Helper()
	g := c.run(b, call{name: sls, fun: "state.apply", args: []string{sls}, test: test})
	if g.Retcode != 0 {
		b.Fatalf("state.apply %s test=%v: retcode %d\n%s", sls, test, g.Retcode, g.Return)
	}
}

// BenchmarkBench50 applies the 50-state formula testdata/states/bench50
// (5 groups, 10 users, 5 directories, 15 files, 5 init.d scripts and their
// services, 5 cron entries): test=True on a fresh system, for real on a
// fresh system (a new container each time, outside the timer), and again
// on the converged system.
func BenchmarkBench50(b *testing.B) {
	b.Run("test", func(b *testing.B) {
		c := newContainer(b, benchTree)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			benchCall(b, c, "bench50", true)
		}
	})
	b.Run("apply", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			c := newContainer(b, benchTree)
			b.StartTimer()
			benchCall(b, c, "bench50", false)
		}
	})
	b.Run("converged", func(b *testing.B) {
		c := newContainer(b, benchTree)
		benchCall(b, c, "bench50", false)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			benchCall(b, c, "bench50", false)
		}
	})
}

// BenchmarkPkgInstalled20 is pkg.installed of 20 packages that are all
// installed already (bench50.pkg20).
func BenchmarkPkgInstalled20(b *testing.B) {
	c := newContainer(b, benchTree)
	benchCall(b, c, "bench50.pkg20", false)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		benchCall(b, c, "bench50.pkg20", false)
	}
}
