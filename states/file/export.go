package file

import (
	"context"
	"fmt"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	filemod "github.com/saltgo/saltgo/modules/file"
)

// ManagedFor gives another state module built on file.managed (Salt's
// cron.file calls file.get_managed and file.manage_file) the same
// machinery for the state call c: name's sources through the chunk's
// file client (source a URL or a list, as file.source_list takes it) and,
// for template "jinja", the renderer with Salt's template variables and
// defaults/context merged. The caller sets User, Group and Mode. A
// non-empty comment is Salt's failure text for the state.
func ManagedFor(ctx context.Context, c *host.Call, name string, source, sourceHash any, template string, defaults, tplContext any) (*filemod.Managed, string, error) {
	r := newRun(c)
	r.name = name
	ctxMap, msg := mergeContext(defaults, tplContext)
	if msg != "" {
		return nil, msg, nil
	}
	src, err := r.source()
	if err != nil {
		return nil, fmt.Sprintf("Unable to manage file: %v", err), nil
	}
	m := &filemod.Managed{Name: name, Template: template, Follow: true, Test: r.test(), Src: src, ShowChanges: true}
	if data.Truthy(source) {
		m.Source, m.SourceHash, err = src.SourceList(ctx, source, sourceHash)
		if err != nil {
			return nil, fmt.Sprintf("Unable to manage file: %v", err), nil
		}
	}
	m.Render = r.renderer(m.Source, ctxMap)
	return m, "", nil
}
