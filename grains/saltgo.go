package grains

import (
	"context"

	"github.com/saltgo/saltgo/data"
)

// collectSaltgo identifies the implementation: {saltgo: {version: ...}}.
func collectSaltgo(_ context.Context, e *Env) (*data.Map, error) {
	return data.M("saltgo", data.M("version", e.Opts.SaltgoVersion)), nil
}
