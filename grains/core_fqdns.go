package grains

import (
	"context"

	"github.com/saltgo/saltgo/data"
)

// collectFQDNs gives fqdns: [] as Salt does with enable_fqdns_grains off
// (its Linux default); reverse-resolving every address could hang, so
// saltgo never does it.
func collectFQDNs(context.Context, *Env) (*data.Map, error) {
	return data.M("fqdns", []any{}), nil
}
