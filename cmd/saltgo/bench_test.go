package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/internal/mastertest"
)

// Process-level benchmarks of the saltgo binary: what an operator notices
// (start-up time, memory, idle CPU). They build the binary once.

var builtBinary string

func binary(b *testing.B) string {
	b.Helper()
	if builtBinary != "" {
		return builtBinary
	}
	dir, err := os.MkdirTemp("", "saltgo-bench")
	if err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(dir, "saltgo")
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Env = append(os.Environ(), makeBuildEnv(b)...) // static, as make build
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, msg)
	}
	builtBinary = out
	return out
}

// BenchmarkCallLocalTestPing is `saltgo call --local test.ping` from a cold
// process start (salt-call --local test.ping in Salt).
func BenchmarkCallLocalTestPing(b *testing.B) {
	bin := binary(b)
	conf := b.TempDir()
	if err := os.WriteFile(filepath.Join(conf, "minion"), []byte("id: bench\nroot_dir: "+conf+"\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := exec.Command(bin, "call", "--local", "-c", conf, "test.ping").Output()
		if err != nil || string(out) != "local:\n    True\n" {
			b.Fatalf("test.ping: %v %q", err, out)
		}
	}
}

func procStat(pid int) (rssKB int64, cpuTicks int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			rssKB, _ = strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		}
	}
	f.Close()
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	s := string(st)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(fields[11], 10, 64)
	stt, _ := strconv.ParseInt(fields[12], 10, 64)
	return rssKB, ut + stt, nil
}

// BenchmarkMinion starts the saltgo minion binary against the Go test
// master (key accepted) and reports: ms from process start to the first
// answered test.ping, RSS after sign-in, idle CPU over SALTGO_BENCH_IDLE
// (default 30 s) and sequential test.ping round trips per second.
func BenchmarkMinion(b *testing.B) {
	bin := binary(b)
	dir := b.TempDir()
	m, err := mastertest.Start(mastertest.Config{PKIDir: filepath.Join(dir, "mpki"), Gen: 3, AutoAccept: true})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	conf := filepath.Join(dir, "conf")
	os.MkdirAll(conf, 0o755)
	os.WriteFile(filepath.Join(conf, "minion"), []byte(fmt.Sprintf("id: benchminion\nmaster: 127.0.0.1\nmaster_port: %d\nroot_dir: %s\nlog_level: error\n", m.RetPort(), dir)), 0o644)

	// First start generates and registers the key (not measured).
	warm := exec.Command(bin, "minion", "-c", conf)
	if err := warm.Start(); err != nil {
		b.Fatal(err)
	}
	m.AwaitSubscribers(b, 1, 30*time.Second)
	warm.Process.Kill()
	warm.Wait()
	time.Sleep(300 * time.Millisecond)

	ping := func(timeout time.Duration) bool {
		jid, _, err := m.Publish(mastertest.Job{Tgt: "benchminion", Fun: "test.ping"})
		if err != nil {
			return false
		}
		deadline := time.After(timeout)
		for {
			select {
			case r := <-m.Returns():
				if j, _ := r.String("jid"); j == jid {
					v, _ := r.Get("return")
					return v == true
				}
			case <-deadline:
				return false
			}
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		cmd := exec.Command(bin, "minion", "-c", conf)
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		for !ping(20 * time.Millisecond) {
			if time.Since(start) > 30*time.Second {
				cmd.Process.Kill()
				b.Fatal("no answer in 30 s")
			}
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "ms-to-first-ping")
		time.Sleep(time.Second)
		rss, cpu0, err := procStat(cmd.Process.Pid)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(rss)/1024, "MiB-rss")
		idle := 30 * time.Second
		if s := os.Getenv("SALTGO_BENCH_IDLE"); s != "" {
			if d, err := time.ParseDuration(s); err == nil {
				idle = d
			}
		}
		time.Sleep(idle)
		_, cpu1, _ := procStat(cmd.Process.Pid)
		b.ReportMetric(float64(cpu1-cpu0)/100/idle.Seconds()*100, "%core-idle")
		n, t0 := 200, time.Now()
		for j := 0; j < n; j++ {
			if !ping(5 * time.Second) {
				b.Fatal("ping failed")
			}
		}
		b.ReportMetric(float64(n)/time.Since(t0).Seconds(), "pings/s")
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}
}

// peakRSS returns a process's peak resident set size (VmHWM) in KiB.
func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("peak rss of %d: %w", pid, err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			return strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("peak rss of %d: no VmHWM in /proc/%d/status", pid, pid)
}

// BenchmarkHighstate200 starts the saltgo minion binary against the Go test
// master serving testdata/states/bench200 (200 states: directories, files
// from salt://, Jinja templates, contents, cmd.run with unless) and
// publishes state.apply bench200 with a fresh pillar root per iteration: one
// op is a highstate on an empty root (file server fetches included, the
// minion's file cache warm after the first). After each op it applies the
// same tree again (converged, not in ns/op). It reports ms per fresh and
// per converged highstate and the minion process's peak RSS (VmHWM).
func BenchmarkHighstate200(b *testing.B) {
	bin := binary(b)
	dir := b.TempDir()
	tree, err := filepath.Abs("../../testdata/states/bench200")
	if err != nil {
		b.Fatal(err)
	}
	m, err := mastertest.Start(mastertest.Config{PKIDir: filepath.Join(dir, "mpki"), Gen: 3, AutoAccept: true,
		FileRoots: map[string][]string{"base": {tree}}})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	conf := filepath.Join(dir, "conf")
	if err := os.MkdirAll(conf, 0o755); err != nil {
		b.Fatal(err)
	}
	cfg := fmt.Sprintf("id: benchminion\nmaster: 127.0.0.1\nmaster_port: %d\nroot_dir: %s\nlog_level: error\n", m.RetPort(), dir)
	if err := os.WriteFile(filepath.Join(conf, "minion"), []byte(cfg), 0o644); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "minion", "-c", conf)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	m.AwaitSubscribers(b, 1, 30*time.Second)

	apply := func(root string) {
		b.Helper()
		kw := data.M("pillar", data.M("root", root), "__kwarg__", true)
		id, _, err := m.Publish(mastertest.Job{Tgt: "benchminion", Fun: "state.apply", Arg: []any{"bench200", kw}})
		if err != nil {
			b.Fatal(err)
		}
		deadline := time.After(2 * time.Minute)
		for {
			select {
			case r := <-m.Returns():
				if j, _ := r.String("jid"); j != id {
					continue
				}
				ret, _ := r.Get("return")
				states, ok := ret.(*data.Map)
				if !ok || states.Len() != 200 {
					b.Fatalf("state.apply bench200: %s", data.Repr(ret))
				}
				states.Range(func(k, v any) bool {
					if st, _ := v.(*data.Map); st == nil || data.Repr(mapGet(st, "result")) != "True" {
						b.Fatalf("%v: %s", k, data.Repr(v))
					}
					return true
				})
				return
			case <-deadline:
				b.Fatal("no return of state.apply bench200 in 2 minutes")
			}
		}
	}
	// The first highstate fills the minion's file cache; not measured.
	apply(filepath.Join(dir, "warm"))
	var converged time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		root := filepath.Join(dir, fmt.Sprintf("root%d", i))
		apply(root)
		b.StopTimer()
		t0 := time.Now()
		apply(root)
		converged += time.Since(t0)
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/highstate")
	b.ReportMetric(float64(converged.Microseconds())/1000/float64(b.N), "ms/converged")
	peak, err := peakRSS(cmd.Process.Pid)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(peak)/1024, "MiB-peak-rss")
}

func mapGet(m *data.Map, k string) any { v, _ := m.Get(k); return v }
