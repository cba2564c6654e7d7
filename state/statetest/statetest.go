// Package statetest calls a state function the way the state engine does
// (registry lookup, Salt's argument binding, a state.Chunk in a clone of
// the env), for the tests of the state modules under states/.
package statetest

import (
	"context"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/state"
)

// Env is the environment of a minion "minion1" with empty options,
// grains and pillar.
func Env() *host.Env {
	return &host.Env{ID: "minion1", Opts: data.NewMap(), Grains: data.NewMap(), Pillar: data.NewMap()}
}

// Apply runs the state function fun ("file.managed") with the keyword
// arguments kw in env (Env() when nil); ch gives test mode and the file
// client (its Low is kw, its Saltenv "base" when empty). It fails the
// test when the function is unknown, the arguments do not bind, the call
// fails or the return is not a map.
func Apply(t testing.TB, env *host.Env, fun string, ch state.Chunk, kw *data.Map) *data.Map {
	t.Helper()
	f, _, err := host.Lookup(host.State, fun)
	if err != nil {
		t.Fatalf("lookup %s: %v", fun, err)
	}
	if ch.Low == nil {
		ch.Low = kw.Copy()
	}
	if ch.Saltenv == "" {
		ch.Saltenv = "base"
	}
	call, err := host.Bind(f, nil, kw)
	if err != nil {
		t.Fatalf("bind %s: %v", fun, err)
	}
	if env == nil {
		env = Env()
	}
	call.Env = state.WithChunk(env, &ch)
	call.Fun = fun
	out, err := host.Invoke(context.Background(), call)
	if err != nil {
		t.Fatalf("%s: %v", fun, err)
	}
	m, ok := out.(*data.Map)
	if !ok {
		t.Fatalf("%s returned %T", fun, out)
	}
	return m
}
