package grains

import (
	"context"

	"github.com/saltgo/saltgo/data"
)

func init() {
	Register("core.saltversion", true, func(context.Context, *Env) (*data.Map, error) {
		return data.M("saltversion", SaltVersion), nil
	})
	Register("core.saltversioninfo", true, func(context.Context, *Env) (*data.Map, error) {
		return data.M("saltversioninfo", append([]any(nil), SaltVersionInfo...)), nil
	})
}
