package grains

import (
	"context"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
)

// filter_by merges the matched entry over base, then merge over that,
// without changing the lookup table it was given.
func TestFilterByMergesCopies(t *testing.T) {
	lookup := data.M(
		"Debian", data.M("pkg", data.M("a", int64(1))),
		"default", data.M("pkg", data.M("b", int64(2)), "x", int64(1)),
	)
	merge := data.M("pkg", data.M("c", int64(3)))
	env := &host.Env{Grains: data.M("os_family", "Debian")}
	r := host.Run(context.Background(), env, host.Request{Kind: host.Exec, Fun: "grains.filter_by",
		Args: []any{lookup, "os_family", merge, "default", "default"}})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	want := data.M("pkg", data.M("b", int64(2), "a", int64(1), "c", int64(3)), "x", int64(1))
	if !data.Equal(r.Return, want) {
		t.Errorf("filter_by = %v, want %v", r.Return, want)
	}
	wantLookup := data.M(
		"Debian", data.M("pkg", data.M("a", int64(1))),
		"default", data.M("pkg", data.M("b", int64(2)), "x", int64(1)),
	)
	if !data.Equal(lookup, wantLookup) {
		t.Errorf("lookup_dict changed: %v", lookup)
	}
}
