package provision_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/saltgo/saltgo/lxc/liblxc"
	"github.com/saltgo/saltgo/lxc/lxctest"
	"github.com/saltgo/saltgo/lxc/provision"
)

// BenchmarkSpawnBusybox spawns N containers with static IPs (validate,
// create or clone, configure, rootfs edits, start: one helper process per
// spawn) in parallel and one after another:
//
//	scratch-*: created from the busybox template (lxc-busybox runs one ln
//	           per applet: the template dominates);
//	clone-*:   overlayfs snapshot clones of a stopped busybox origin, the
//	           way makina-states spawns VMs from its images.
//
// Run with `make bench` or
// go test -run '^$' -bench SpawnBusybox -benchtime 1x ./lxc/.
// It reports s/container (wall time divided by N).
func BenchmarkSpawnBusybox(b *testing.B) {
	lxctest.Require(b)
	for _, kind := range []string{"scratch", "clone"} {
		for _, n := range []int{1, 10, 30} {
			for _, mode := range []string{"parallel", "sequential"} {
				b.Run(fmt.Sprintf("%s-%s-%d", kind, mode, n), func(b *testing.B) {
					benchSpawn(b, kind, mode, n)
				})
			}
		}
	}
}

func benchSpawn(b *testing.B, kind, mode string, n int) {
	ns := lxctest.NewNetns(b, "lxcbr1", "10.5.0.1", 16)
	c := lxctest.Client(b, ns)
	ctx := context.Background()
	const origin = "bench-origin"
	if kind == "clone" {
		if err := c.Create(ctx, &liblxc.Plan{Name: origin, Template: "busybox", Backend: "dir"}); err != nil {
			b.Fatal(err)
		}
	}
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		spawn := func(j int) {
			s := busybox(fmt.Sprintf("bench%d-%d", i, j), fmt.Sprintf("10.5.%d.%d", 1+i%200, 10+j), fmt.Sprintf("00:16:3e:5b:%02x:%02x", i%256, j))
			if kind == "clone" {
				s.ProfileType, s.FromContainer, s.Image = "overlayfs", origin, ""
			}
			if r, err := provision.Spawn(ctx, c, s); err != nil || !r.Result {
				b.Errorf("spawn: %v", err)
			}
		}
		start := time.Now()
		if mode == "parallel" {
			var wg sync.WaitGroup
			for j := 0; j < n; j++ {
				wg.Add(1)
				go func(j int) { defer wg.Done(); spawn(j) }(j)
			}
			wg.Wait()
		} else {
			for j := 0; j < n; j++ {
				spawn(j)
			}
		}
		total += time.Since(start)
		b.StopTimer()
		purgeClones(b, c, origin)
		b.StartTimer()
	}
	b.ReportMetric(total.Seconds()/float64(b.N*n), "s/container")
}

// purgeClones destroys every container but the origin.
func purgeClones(b *testing.B, c *liblxc.Client, origin string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	list, err := c.List(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, ct := range list {
		if ct.Name == origin {
			continue
		}
		wg.Add(1)
		go func(name string) {
			defer wg.Done()
			if err := c.Destroy(ctx, name); err != nil {
				b.Errorf("destroy %s: %v", name, err)
			}
		}(ct.Name)
	}
	wg.Wait()
}
