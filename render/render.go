// Package render turns an SLS file (or a file.managed template) into data
// the way Salt's renderer pipeline does: the default "jinja|yaml", a "#!"
// first line choosing another pipeline, Jinja with Salt's context, filters
// and tags (package render/jinja), YAML through saltyaml.
package render

import (
	"context"
	"errors"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient"
)

// SaltFunc calls an execution function for Jinja's salt['mod.fun'](...).
type SaltFunc func(ctx context.Context, fun string, args []any, kwargs *data.Map) (any, error)

// Options are what one render needs.
type Options struct {
	// Pipeline is the renderer option ("jinja|yaml" when empty); a "#!"
	// first line of the source replaces it.
	Pipeline string
	// Vars are the template's context: grains, pillar, opts, saltenv,
	// sls, slspath, tplpath, tplfile, tpldir... (salt is added from Salt).
	Vars map[string]any
	// Salt serves salt['mod.fun'] calls.
	Salt SaltFunc
	// Files fetches {% include %}, {% import %}, {% from %} and
	// import_yaml/json/text targets.
	Files fileclient.Client
	// Saltenv is the environment those fetches use.
	Saltenv string
	// JinjaEnv are the jinja_env / jinja_sls_env options (trim_blocks,
	// lstrip_blocks...), as a map of keyword arguments.
	JinjaEnv *data.Map
}

// Render runs src through the pipeline: the result is what the last
// renderer produced (a *data.Map or []any from yaml/json, a string from
// jinja alone). Errors carry Salt's texts (Jinja variable 'x' is
// undefined; line N ...).
//
// Skeleton: the implementation lands with issue 12's render work.
func Render(ctx context.Context, src []byte, o Options) (any, error) {
	return nil, errors.New("render: not implemented")
}
