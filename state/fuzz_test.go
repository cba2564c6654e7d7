package state_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/render"
	"github.com/saltgo/saltgo/state"
	_ "github.com/saltgo/saltgo/states/test"
)

// noSalt renders without salt['m.f']: fuzz input must never reach an
// execution function (cmd.run...).
func noSalt(ctx context.Context, src []byte, o render.Options) (any, error) {
	o.Salt, o.SaltHas = nil, nil
	return render.Render(ctx, src, o)
}

// FuzzCompileAndRun feeds any SLS text to the compiler (render, include,
// extend, verify, requisite_in, exclude, low chunks) and, when every chunk
// is a test state, runs it in test mode through the requisite runner: no
// panic, no hang, errors as Salt's list of strings.
func FuzzCompileAndRun(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/states/*/*.sls")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("a:\n  test.nop:\n    - require:\n      - test: b\nb:\n  test.nop:\n    - require:\n      - test: a\n"))
	f.Add([]byte("a:\n  test.succeed_with_changes:\n    - names: [x, {y: [{order: 1}]}]\n    - watch_in: [{test: c}]\nc:\n  test.nop:\n    - onfail_any: [a]\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "fz.sls"), src, 0o644); err != nil {
			t.Fatal(err)
		}
		opts := data.M("id", "fz", "file_roots", data.M("base", []any{dir}), "cachedir", t.TempDir(), "file_client", "local",
			"hash_type", "sha256", "test", true, "renderer", "jinja|yaml", "state_auto_order", true, "failhard", false)
		env := &host.Env{ID: "fz", Opts: opts, Local: true, Grains: data.M("id", "fz"), Pillar: data.NewMap()}
		fc, err := fileclient.NewLocal(opts)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h, err := state.New(ctx, state.Config{Env: env, Files: fc, Test: true, Render: noSalt})
		if err != nil {
			t.Fatal(err)
		}
		high, errs, err := h.RenderHighstate(ctx, data.M("base", []any{"fz"}))
		if err != nil || len(errs) > 0 {
			return
		}
		chunks, errs := state.CompileHigh(data.Deep(high).(*data.Map))
		if len(errs) > 0 {
			return
		}
		for _, c := range chunks {
			if s, _ := c.Get("state"); s != "test" {
				return
			}
		}
		if _, err := h.CallHigh(ctx, high); err != nil && ctx.Err() != nil {
			t.Fatalf("the run did not end: %v", err)
		}
	})
}
