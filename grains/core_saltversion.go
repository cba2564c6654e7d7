package grains

import (
	"context"

	"github.com/saltgo/saltgo/data"
)

// collectSaltVersion gives saltversion, the Salt release saltgo speaks.
func collectSaltVersion(context.Context, *Env) (*data.Map, error) {
	return data.M("saltversion", SaltVersion), nil
}

// collectSaltVersionInfo gives saltversioninfo, SaltVersion as a list.
func collectSaltVersionInfo(context.Context, *Env) (*data.Map, error) {
	return data.M("saltversioninfo", append([]any(nil), SaltVersionInfo...)), nil
}
