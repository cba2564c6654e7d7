package pkg_test

import (
	"fmt"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/modules/pkg/apttest"
)

// BenchmarkInstalled20 is pkg.installed of 20 already-installed packages
// (the side-by-side case; the Python side is measured on the same
// host with salt-call --local state.single).
func BenchmarkInstalled20(b *testing.B) {
	r := apttest.New(b)
	var pkgs []any
	for i := range 20 {
		n := fmt.Sprintf("saltgo-test-p%02d", i)
		r.Add(n, "1.0", "")
		pkgs = append(pkgs, n)
	}
	r.Update()
	first := apply(b, "pkg.installed", false, data.M("name", "many", "pkgs", pkgs))
	if res, _ := first.Get("result"); res != true {
		b.Fatalf("install: %s", data.Repr(first))
	}
	b.ResetTimer()
	for b.Loop() {
		got := apply(b, "pkg.installed", false, data.M("name", "many", "pkgs", pkgs))
		if c, _ := got.Get("comment"); c != "All specified packages are already installed" {
			b.Fatalf("%s", data.Repr(got))
		}
	}
}
