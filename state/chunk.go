// Package state is Salt's state system on a minion: it compiles top files
// and SLS files (rendered by package render, fetched by package
// fileclient) into high data and low chunks, orders them, resolves
// requisites and runs each chunk through the state module registered in
// host under the State kind (one package per state module under states/).
package state

import (
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient"
	"github.com/saltgo/saltgo/host"
)

// Chunk is what a state function sees of the run that calls it, besides
// its bound arguments: the low chunk, test mode and the file client.
type Chunk struct {
	// Low is the low chunk being run (state, fun, name, __id__, __sls__,
	// __env__ and every argument).
	Low *data.Map
	// Test is true for test=True runs: report, change nothing.
	Test bool
	// Saltenv is the chunk's environment.
	Saltenv string
	// Files is the file client of the run.
	Files fileclient.Client
	// Running holds the results stored so far in this run, keyed by tag
	// (Salt's __running__; mod_watch functions read it).
	Running *data.Map
}

// chunkKey holds the running chunk in a state function's host.Env.
var chunkKey = host.NewKey[*Chunk]("state.chunk")

// Of returns the chunk a state function runs for (nil outside a state run,
// e.g. a unit test calling the function directly).
func Of(c *host.Call) *Chunk {
	ch, _ := chunkKey.Get(c.Env)
	return ch
}

// IsTest says whether the state function c runs with test=True (false
// outside a state run).
func IsTest(c *host.Call) bool {
	ch := Of(c)
	return ch != nil && ch.Test
}

// WithChunk returns a copy of env carrying ch, for calling a state function.
func WithChunk(env *host.Env, ch *Chunk) *host.Env {
	e := env.Clone()
	chunkKey.Set(e, ch)
	return e
}
