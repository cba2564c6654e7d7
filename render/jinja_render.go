package render

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/render/jinja"
)

// marker is the one SaltRenderError puts after the failing line.
const marker = "    <======================"

func renderJinja(ctx context.Context, src string, o Options) (any, error) {
	env := &jinja.Env{Loader: loader(o)}
	if o.JinjaEnv != nil {
		if v, ok := o.JinjaEnv.Get("trim_blocks"); ok {
			env.TrimBlocks = data.Truthy(v)
		}
		if v, ok := o.JinjaEnv.Get("lstrip_blocks"); ok {
			env.LstripBlocks = data.Truthy(v)
		}
	}
	if o.Salt != nil {
		env.Salt = jinja.SaltFunc(o.Salt)
	}
	vars := make(map[string]any, len(o.Vars)+1)
	for k, v := range o.Vars {
		vars[k] = data.Canonical(v)
	}
	if _, ok := vars["saltenv"]; !ok && o.Saltenv != "" {
		vars["saltenv"] = o.Saltenv
	}
	tplfile, _ := vars["tplfile"].(string)
	out, err := env.Render(ctx, src, vars, tplfile)
	if err != nil {
		return nil, jinjaError(err)
	}
	return out, nil
}

// loader fetches templates through the file client, as SaltCacheLoader.
func loader(o Options) jinja.Loader {
	if o.Files == nil {
		return nil
	}
	saltenv := o.Saltenv
	if saltenv == "" {
		saltenv = "base"
	}
	return func(ctx context.Context, name string) (string, string, error) {
		local, err := o.Files.CacheFile(ctx, "salt://"+name, saltenv)
		if err != nil {
			return "", "", fmt.Errorf("fetching salt://%s: %w", name, err)
		}
		if local == "" {
			return "", "", fmt.Errorf("%s: %w", name, jinja.ErrNotFound)
		}
		b, err := os.ReadFile(local)
		if err != nil {
			return "", "", fmt.Errorf("reading %s: %w", local, err)
		}
		return string(b), local, nil
	}
}

// jinjaError words a template error as salt.utils.templates does.
func jinjaError(err error) error {
	var je *jinja.Error
	if !errors.As(err, &je) {
		return &Error{Renderer: "jinja", Text: "Jinja error: " + err.Error(), Err: err}
	}
	prefix := "Jinja error: "
	switch je.Kind {
	case jinja.KindUndefined:
		prefix = "Jinja variable "
	case jinja.KindSyntax:
		prefix = "Jinja syntax error: "
	case jinja.KindSalt:
		prefix = "Problem running salt function in Jinja template: "
	}
	text := prefix + je.Msg
	switch {
	case je.File != "" && je.Line > 0:
		// the failing line is in an imported template: Salt names the
		// file and shows its context, without "; line N"
		name := je.Local
		if name == "" {
			name = je.File
		}
		text += fmt.Sprintf("\n%s(%d):\n", name, je.Line) + Context(je.Source, je.Line, marker)
	case je.Line > 0:
		text += fmt.Sprintf("; line %d\n\n", je.Line) + Context(je.Source, je.Line, marker)
	}
	return &Error{Renderer: "jinja", Text: text, Err: err}
}

// Context is salt.utils.stringutils.get_context: five lines either side of
// line, "[...]" where cut, marker after the line, between "---" lines.
func Context(src string, line int, marker string) string {
	lines := splitLines(src)
	n := len(lines)
	if line > n {
		return src
	}
	start := max(0, line-5-1)
	end := min(n, line+5)
	at := line - start - 1
	var buf []string
	if start > 0 {
		buf = append(buf, "[...]")
		at++
	}
	buf = append(buf, lines[start:end]...)
	if end < n {
		buf = append(buf, "[...]")
	}
	if marker != "" && at >= 0 && at < len(buf) {
		buf[at] += marker
	}
	return "---\n" + strings.Join(buf, "\n") + "\n---"
}

// splitLines is Python's str.splitlines for the common line ends.
func splitLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	if s == "" {
		return nil
	}
	s = strings.TrimSuffix(s, "\n")
	return strings.Split(s, "\n")
}
