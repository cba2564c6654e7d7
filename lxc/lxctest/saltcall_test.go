package lxctest_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/lxc/lxctest"
)

// errs is a testing.TB that keeps the failures it is told about.
type errs struct {
	testing.TB
	msgs []string
}

func (e *errs) Helper() {}
func (e *errs) Errorf(f string, a ...any) {
	e.msgs = append(e.msgs, fmt.Sprintf(f, a...))
}
func (e *errs) Fatalf(f string, a ...any) {
	e.Errorf(f, a...)
	panic(e)
}

func ret(n int) *int { return &n }

// result is a state result as salt-call prints it.
func result(comment string, extra string) string {
	return `{"__id__": "a", "__run_num__": 0, "changes": {}, "comment": "` + comment + `", "result": true` + extra + `}`
}

const timed = `, "start_time": "18:00:00.000001", "duration": 1.5`

// TestGolden: Minion.Golden passes a call equal to its golden file but for
// what varies between runs, and fails it, naming what differs, for every
// other difference.
func TestGolden(t *testing.T) {
	tag := "test_|-a_|-a_|-succeed_without_changes"
	golden := lxctest.Call{Fun: "state.apply", Args: []string{"x"}, Retcode: ret(0),
		Return: json.RawMessage(`{"` + tag + `": ` + result("ok", `, "start_time": "17:00:00.5", "duration": 9.25`) + `}`),
		System: "pid <PID>\n"}
	for _, tc := range []struct {
		name   string
		golden func(*lxctest.Call)
		got    func(*lxctest.Call)
		want   string // in the failure, "" for none
	}{
		{"same", nil, nil, ""},
		{"masked system", nil, func(c *lxctest.Call) { c.System = "pid 4242\n" }, ""},
		{"retcode", nil, func(c *lxctest.Call) { c.Retcode = ret(2) }, "retcode 2, Python Salt's 0"},
		{"no retcode recorded", func(c *lxctest.Call) { c.Retcode = nil }, func(c *lxctest.Call) { c.Retcode = ret(2) }, ""},
		{"system", nil, func(c *lxctest.Call) { c.System = "other\n" }, "system after the call differs"},
		{"comment", nil, func(c *lxctest.Call) {
			c.Return = json.RawMessage(`{"` + tag + `": ` + result("other", timed) + `}`)
		}, tag + " differs"},
		{"no start_time", nil, func(c *lxctest.Call) {
			c.Return = json.RawMessage(`{"` + tag + `": ` + result("ok", `, "duration": 1.5`) + `}`)
		}, "has no start_time string"},
		{"duration a string", nil, func(c *lxctest.Call) {
			c.Return = json.RawMessage(`{"` + tag + `": ` + result("ok", `, "start_time": "x", "duration": "1.5"`) + `}`)
		}, "has no duration number"},
		{"missing result", nil, func(c *lxctest.Call) { c.Return = json.RawMessage(`{}`) }, "missing result " + tag},
		{"extra result", nil, func(c *lxctest.Call) {
			c.Return = json.RawMessage(`{"` + tag + `": ` + result("ok", timed) + `, "test_|-b_|-b_|-nop": ` + result("ok", timed) + `}`)
		}, "extra result test_|-b_|-b_|-nop"},
		{"int for float", nil, func(c *lxctest.Call) { c.Return = json.RawMessage(`[1]`) }, "return differs"},
		{"error", func(c *lxctest.Call) { c.Return, c.Error = nil, "Error running 'x'" }, func(c *lxctest.Call) { c.Return, c.Error = nil, "other" }, "error differs"},
		{"error for a return", func(c *lxctest.Call) { c.Return, c.Error = nil, "Error running 'x'" }, nil, "error differs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, g := golden, golden
			g.Return = json.RawMessage(`{"` + tag + `": ` + result("ok", timed) + `}`)
			if tc.golden != nil {
				tc.golden(&w)
			}
			if tc.got != nil {
				tc.got(&g)
			}
			if tc.name == "int for float" {
				w.Return = json.RawMessage(`[1.0]`)
			}
			b, err := json.Marshal(w)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "case.json")
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			m := &lxctest.Minion{Masks: []lxctest.Mask{{Re: regexp.MustCompile(`pid \d+`), With: "pid <PID>"}}}
			// Masks apply to a call when it is made (Minion.Run).
			g.System = m.Masks[0].Re.ReplaceAllString(g.System, m.Masks[0].With)
			e := &errs{TB: t}
			func() {
				defer func() {
					if r := recover(); r != nil && r != e {
						panic(r)
					}
				}()
				m.Golden(e, path, g)
			}()
			got := strings.Join(e.msgs, "\n")
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("failures %q, want %q", got, tc.want)
			}
		})
	}
}
