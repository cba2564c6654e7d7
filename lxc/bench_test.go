package lxc_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/saltgo/saltgo/lxc"
	"github.com/saltgo/saltgo/lxc/lxctest"
)

// BenchmarkSpawnBusybox spawns N busybox containers (create, configure,
// start) in parallel and one after another; run with `make bench` or
// go test -run '^$' -bench SpawnBusybox -benchtime 1x ./lxc/.
func BenchmarkSpawnBusybox(b *testing.B) {
	lxctest.Require(b)
	for _, n := range []int{1, 10, 30} {
		for _, mode := range []string{"parallel", "serial"} {
			b.Run(fmt.Sprintf("%s-%d", mode, n), func(b *testing.B) {
				ns := lxctest.NewNetns(b, "lxcbr1", "10.5.0.1", 16)
				c := lxctest.Client(b, ns)
				ctx := context.Background()
				for i := 0; i < b.N; i++ {
					spawn := func(j int) {
						s := busybox(fmt.Sprintf("bench%d-%d", i, j), fmt.Sprintf("10.5.%d.%d", 1+i%200, 10+j), fmt.Sprintf("00:16:3e:5b:%02x:%02x", i%256, j))
						if r, err := lxc.Spawn(ctx, c, s); err != nil || !r.Result {
							b.Errorf("spawn: %v", err)
						}
					}
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
					b.StopTimer()
					lxctest.Purge(b, c)
					b.StartTimer()
				}
			})
		}
	}
}
