package render

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient"
	"github.com/saltgo/saltgo/internal/golden"
)

// localFiles is the real file_client: local over testdata/roots, with a
// fresh cachedir.
func localFiles(t *testing.T) (fileclient.Client, string) {
	t.Helper()
	root, err := filepath.Abs("testdata/roots")
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	fc, err := fileclient.NewLocal(data.M("file_roots", data.M("base", []any{root}), "cachedir", cache, "hash_type", "sha256"))
	if err != nil {
		t.Fatal(err)
	}
	return fc, cache
}

// slsOptions builds the context the state compiler gives an SLS.
func slsOptions(t *testing.T, fc fileclient.Client, sls string) (Options, []byte) {
	t.Helper()
	f, ok, err := fc.GetState(context.Background(), sls, "base")
	if err != nil || !ok {
		t.Fatalf("GetState(%s) = %v, %v", sls, ok, err)
	}
	src, err := os.ReadFile(f.Local)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.ToSlash(filepath.Dir(f.Rel))
	if dir == "." {
		dir = ""
	}
	tpldir := dir
	if tpldir == "" {
		tpldir = "."
	}
	vars := map[string]any{
		"grains":  data.M("os", "Debian", "os_family", "Debian", "id", "minion1", "num_cpus", int64(4)),
		"pillar":  data.M("vhosts", data.M("www", data.M("port", int64(8080), "aliases", []any{"w1", "w2"}), "api", data.M("ssl", data.M("cert", "/etc/ssl/api.pem")))),
		"opts":    data.M("renderer", "jinja|yaml"),
		"saltenv": "base", "sls": sls,
		"slspath": dir, "slsdotpath": strings.ReplaceAll(dir, "/", "."), "slscolonpath": strings.ReplaceAll(dir, "/", ":"), "sls_path": strings.ReplaceAll(dir, "/", "_"),
		"tplpath": f.Local, "tplfile": f.Rel, "tpldir": tpldir, "tpldot": strings.ReplaceAll(dir, "/", "."),
	}
	return Options{
		Vars: vars, Files: fc, Saltenv: "base",
		Salt: func(ctx context.Context, fun string, args []any, kw *data.Map) (any, error) {
			if fun == "pillar.get" {
				if v, ok := data.Traverse(vars["pillar"], data.Str(args[0]), ":"); ok {
					return v, nil
				}
				return args[1], nil
			}
			return nil, fmt.Errorf("'%s' is not available.", fun)
		},
	}, src
}

// TestFormulaGolden renders a formula that uses the usual layout
// (map.jinja with import_yaml, from-import with context, a macro,
// relative imports from an included file) through the real local file
// client; the high data is checked against a golden file. The included
// file renders with the includer's context, so its tpldir is the
// includer's ("formula"), while its relative import resolves against the
// loader's globals ("formula/sub"), as SaltCacheLoader does.
func TestFormulaGolden(t *testing.T) {
	fc, _ := localFiles(t)
	o, src := slsOptions(t, fc, "formula")
	got, err := Render(context.Background(), src, o)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	golden.JSON(t, "testdata/golden/formula.json", got)
	// the order of state IDs is the template's
	m := got.(*data.Map)
	keys := fmt.Sprint(m.Keys())
	if keys != "[nginx_pkg www_vhost api_vhost nginx_service extra_formula]" {
		t.Errorf("state order %s", keys)
	}
}

// TestImportedTemplateError: an error in an imported file names the
// cached file and shows its context, without "; line N"
// (salt.utils.templates._get_jinja_error).
func TestImportedTemplateError(t *testing.T) {
	fc, cache := localFiles(t)
	o, src := slsOptions(t, fc, "formula.usesbroken")
	_, err := Render(context.Background(), src, o)
	var re *Error
	if !errors.As(err, &re) {
		t.Fatalf("Render error = %v, want *render.Error", err)
	}
	local := filepath.Join(cache, "files", "base", "formula", "broken.jinja")
	want := "Jinja variable 'dict object' has no attribute 'missing_key'\n" + local + "(2):\n---\n{%- set ok = 1 %}\n{%- set bad = grains.missing_key ~ 'x' %}    <======================\n---"
	if re.Text != want {
		t.Errorf("error text\n got %q\nwant %q", re.Text, want)
	}
}

func TestMissingImport(t *testing.T) {
	fc, _ := localFiles(t)
	o, _ := slsOptions(t, fc, "formula")
	_, err := Render(context.Background(), []byte("{% from 'formula/nope.jinja' import x %}\n"), o)
	var re *Error
	if !errors.As(err, &re) {
		t.Fatalf("Render error = %v, want *render.Error", err)
	}
	want := "Jinja error: formula/nope.jinja; line 1\n\n---\n{% from 'formula/nope.jinja' import x %}    <======================\n---"
	if re.Text != want {
		t.Errorf("error text\n got %q\nwant %q", re.Text, want)
	}
}

// localFilesFuzz is localFiles for a fuzz target.
func localFilesFuzz(f *testing.F) (fileclient.Client, error) {
	root, err := filepath.Abs("testdata/roots")
	if err != nil {
		return nil, err
	}
	return fileclient.NewLocal(data.M("file_roots", data.M("base", []any{root}), "cachedir", f.TempDir(), "hash_type", "sha256"))
}
