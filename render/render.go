// Package render turns an SLS file (or a file.managed template) into data
// the way Salt's renderer pipeline does: the default "jinja|yaml", a "#!"
// first line choosing another pipeline, Jinja with Salt's context, filters
// and tags (package render/jinja), YAML through saltyaml.
package render

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient"
	"github.com/saltgo/saltgo/render/jinja"
	"github.com/saltgo/saltgo/saltyaml"
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
	// SaltHas reports whether an execution function exists, for
	// "'mod.fun' in salt" and for salt['mod.fun'] on a missing function
	// (an undefined error, as Salt's loader gives); nil takes every name
	// as existing (a missing one then fails when called).
	SaltHas func(fun string) bool
	// Files fetches {% include %}, {% import %}, {% from %} and
	// import_yaml/json/text targets.
	Files fileclient.Client
	// Saltenv is the environment those fetches use.
	Saltenv string
	// JinjaEnv are the jinja_env / jinja_sls_env options (trim_blocks,
	// lstrip_blocks...), as a map of keyword arguments.
	JinjaEnv *data.Map
	// Template renders a file template (file.managed, cp.get_template:
	// salt.utils.templates) rather than an SLS (salt.template's
	// compile_template): the Pipeline is used as given, a "#!" first line
	// is text, and an empty source renders to "" instead of {}.
	Template bool
}

// DefaultPipeline is Salt's default renderer option.
const DefaultPipeline = "jinja|yaml"

// Error is a render failure with Salt's text (Text), the renderer that
// failed and, for Jinja, the template error. The SLS compiler prints it
// as "Rendering SLS '<saltenv>:<sls>' failed: " + Text.
type Error struct {
	Renderer string
	Text     string
	Err      error
}

func (e *Error) Error() string { return e.Text }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Render runs src through the pipeline: the result is what the last
// renderer produced (a *data.Map or []any from yaml/json, a string from
// jinja alone). Errors are *Error carrying Salt's texts (Jinja variable
// 'x' is undefined; line N ...). A source that is empty or only
// whitespace renders to an empty map without running any renderer, as
// salt.template.compile_template does (not with Options.Template).
func Render(ctx context.Context, src []byte, o Options) (any, error) {
	text := string(src)
	if strings.TrimSpace(text) == "" && !o.Template {
		return data.NewMap(), nil
	}
	pipe := o.Pipeline
	if pipe == "" {
		pipe = DefaultPipeline
	}
	first := text
	if i := strings.IndexByte(text, '\n'); i >= 0 {
		first = text[:i]
	}
	if !o.Template && strings.HasPrefix(first, "#!") && !strings.HasPrefix(first, "#!/") {
		pipe = strings.TrimSpace(first[2:])
	}
	names, err := ParsePipeline(pipe)
	if err != nil {
		return nil, err
	}
	var cur any = text
	for _, name := range names {
		s, ok := cur.(string)
		if !ok {
			return nil, &Error{Renderer: name, Text: fmt.Sprintf("renderer %s needs text input, got %s", name, typeNameOf(cur))}
		}
		switch name {
		case "jinja":
			cur, err = renderJinja(ctx, s, o)
		case "yaml":
			cur, err = renderYAML(s)
		case "json":
			cur, err = renderJSON(s)
		case "text", "raw":
			cur = s
		}
		if err != nil {
			return nil, err
		}
	}
	// compile_template gives a text result Windows newlines back when
	// the source had them
	if s, ok := cur.(string); ok && !o.Template && strings.Contains(text, "\r\n") && !strings.Contains(s, "\r\n") {
		cur = strings.ReplaceAll(s, "\n", "\r\n")
	}
	return cur, nil
}

// oldStyle are Salt's combined renderer names.
var oldStyle = map[string]string{"yaml_jinja": "jinja|yaml", "json_jinja": "jinja|json"}

// supported are the renderers this package implements.
var supported = map[string]bool{"jinja": true, "yaml": true, "json": true, "text": true}

// ParsePipeline splits a renderer option ("jinja|yaml") into renderer
// names; a renderer that is not implemented is an *Error worded as Salt
// logs it ('The renderer "py" is not available').
func ParsePipeline(pipe string) ([]string, error) {
	if p, ok := oldStyle[strings.TrimSpace(pipe)]; ok {
		pipe = p
	}
	var names []string
	for _, part := range strings.Split(pipe, "|") {
		name, _, _ := strings.Cut(strings.TrimSpace(part)+" ", " ")
		if !supported[name] {
			return nil, &Error{Renderer: name, Text: fmt.Sprintf("The renderer \"%s\" is not available", pipe)}
		}
		names = append(names, name)
	}
	return names, nil
}

func typeNameOf(v any) string {
	switch v.(type) {
	case *data.Map:
		return "dict"
	case []any:
		return "list"
	}
	return fmt.Sprintf("%T", v)
}

func renderYAML(s string) (any, error) {
	v, err := saltyaml.Load([]byte(s))
	if err != nil {
		msg := err.Error()
		var ye *saltyaml.Error
		if errors.As(err, &ye) {
			// Salt prints str(exc): PyYAML's marked form when the
			// marks are known
			msg = ye.Marked("<unicode string>")
		}
		return nil, &Error{Renderer: "yaml", Text: msg, Err: err}
	}
	if !data.Truthy(v) {
		return data.NewMap(), nil
	}
	// Salt's YAML renderer loads with dictclass=OrderedDict
	data.MarkOrdered(v)
	return v, nil
}

func renderJSON(s string) (any, error) {
	if strings.HasPrefix(s, "#!") {
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		} else {
			s = ""
		}
	}
	v, err := jinja.DecodeJSON([]byte(s))
	if err != nil {
		return nil, &Error{Renderer: "json", Text: err.Error(), Err: err}
	}
	return v, nil
}
