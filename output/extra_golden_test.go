package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/internal/goldencase"
	"github.com/saltgo/saltgo/transport/wiretest"
)

// jsonValue decodes Python's json output into the value model, keeping key
// order and the int/float distinction ("2.0" is a float).
func jsonValue(t testing.TB, s string) any {
	t.Helper()
	v, err := wiretest.View(json.RawMessage(s))
	if err != nil {
		t.Fatalf("json: %v", err)
	}
	return v
}

func findCase(t testing.TB, file, name string) goldencase.Case {
	t.Helper()
	f := goldencase.LoadFile(t, file)
	for _, c := range f.Cases {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("%s: no case %s", file, name)
	return goldencase.Case{}
}

// TestGoldenFromJSONSiblings renders values recovered from a recorded
// --out json run with the outputter of a sibling case of the same command.
func TestGoldenFromJSONSiblings(t *testing.T) {
	for _, tc := range []struct{ file, jsonCase, outCase, out string }{
		{"args/salt-call.json", "battery.without-minus-one.json", "battery.without-minus-one.nested", "nested"},
		{"args/salt-call.json", "battery.without-minus-one.json", "battery.without-minus-one.yaml", "yaml"},
		{"outputters/_options.json", "out-equals-form", "output-long-form", "yaml"},
	} {
		t.Run(tc.outCase, func(t *testing.T) {
			v := jsonValue(t, findCase(t, tc.file, tc.jsonCase).Stdout)
			want := findCase(t, tc.file, tc.outCase).Stdout
			got, err := Render(tc.out, v, Options{})
			if err != nil || got != want {
				t.Errorf("mismatch (%v)\n--- got\n%s\n--- want\n%s", err, got, want)
			}
		})
	}
}

func TestGoldenUnknownOutputter(t *testing.T) {
	c := findCase(t, "errors/salt-call.json", "unknown-outputter")
	r := parseArgv(c.Argv)
	if !r.unknown {
		t.Fatalf("outputter %q should be unknown", r.out)
	}
	o, ok := Resolve(r.out)
	if ok || o.Name() != "nested" {
		t.Fatalf("Resolve(%q) = %s, %v; want nested fallback", r.out, o.Name(), ok)
	}
	if want := fmt.Sprintf("[ERROR   ] Invalid outputter %s specified, fall back to nested\n", r.out); c.Stderr != want {
		t.Fatalf("recorded stderr %q", c.Stderr)
	}
	values := goldenValues(t)
	got, err := Render(r.out, data.M("local", values["nested"]), r.opts)
	if err != nil || got != c.Stdout {
		t.Errorf("mismatch\n--- got\n%s\n--- want\n%s", got, c.Stdout)
	}
}

var volatileTimes = regexp.MustCompile(`(Started: |Started: - |Duration: |Total run time: +|start_time": "|duration": )[0-9.:]+`)

func maskTimes(s string) string { return volatileTimes.ReplaceAllString(s, "${1}X") }

// TestGoldenStateRuns renders real state.sls returns (recovered from the
// --out json run) with the highstate outputter; timings are masked.
func TestGoldenStateRuns(t *testing.T) {
	v := jsonValue(t, findCase(t, "states/salt-call.json", "state.sls.golden.json").Stdout)
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"state.sls.golden", Options{}},
		{"state.sls.golden.terse", Options{StateOutput: "terse"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := findCase(t, "states/salt-call.json", tc.name).Stdout
			got, err := Render("highstate", v, tc.opts)
			if err != nil || maskTimes(got) != maskTimes(want) {
				t.Errorf("mismatch\n--- got\n%s\n--- want\n%s", got, want)
			}
		})
	}
	t.Run("state.sls.missing", func(t *testing.T) {
		c := findCase(t, "states/salt-call.json", "state.sls.missing")
		v := data.M("local", []any{"No matching sls found for 'nosuchsls' in env 'base'"})
		got, _ := Render("highstate", v, Options{})
		if got != c.Stdout {
			t.Errorf("mismatch\n--- got\n%q\n--- want\n%q", got, c.Stdout)
		}
	})
}

// TestOddValues checks that every outputter copes with values outside the
// model and with degenerate highstate data.
func TestOddValues(t *testing.T) {
	odd := []any{
		nil, make(chan int), func() {}, struct{ X []int }{[]int{1}}, map[string]any{"a": 1},
		[]byte{0xff, 0xfe}, data.M("local", data.M("bad_|-x", data.M("result", "weird", "changes", []any{1}))),
		data.M("local", data.M("a", data.M("result", true, "changes", nil, "comment", []any{"x"}, "__run_num__", "z", "duration", "1 ms", "start_time", 1))),
		data.M("local", int64(3)), data.M("local", "str"), data.M("data", "x"),
	}
	for _, v := range odd {
		for _, name := range Names() {
			for _, opts := range []Options{{}, {Color: true, StateOutput: "terse"}, {Indent: Int(-1)}, {StateTabular: true, StateOutput: "mixed"}} {
				if _, err := Render(name, v, opts); err != nil {
					t.Errorf("%s(%T): %v", name, v, err)
				}
			}
		}
	}
}

func TestDisplayAndFormat(t *testing.T) {
	var buf bytes.Buffer
	if err := Display(&buf, "quiet", data.M("local", "x"), Options{}); err != nil || buf.Len() != 0 {
		t.Fatalf("quiet wrote %q, %v", buf.String(), err)
	}
	if err := Display(&buf, "txt", data.M("local", ""), Options{}); err != nil || buf.Len() != 0 {
		t.Fatalf("txt of empty string wrote %q, %v", buf.String(), err)
	}
	if err := Display(&buf, "json", data.M("local", int64(1)), Options{Indent: Int(-1)}); err != nil || buf.String() != "{\"local\": 1}\n" {
		t.Fatalf("json wrote %q, %v", buf.String(), err)
	}
	if s, _ := Format("newline_values_only", data.M("a", "x", "b", data.M("c", int64(2)), "d", []any{"y"}), Options{}); s != "x\n{'c': 2}\ny" {
		t.Fatalf("newline_values_only = %q", s)
	}
	if s, _ := Format("json", data.M("b", int64(1), "a", int64(2)), Options{IndentPretty: true}); s != "{\n    \"a\": 2,\n    \"b\": 1\n}" {
		t.Fatalf("json pretty = %q", s)
	}
	if o, ok := Get("text"); !ok || o.Name() != "txt" {
		t.Fatal("text alias")
	}
}

// TestPPrintTuples checks pprint of an OrderedDict too wide for one line
// (its items are tuples) and of tuples, against Python 3.11's pformat.
func TestPPrintTuples(t *testing.T) {
	xs := strings.Repeat("x", 94)
	om := data.M("b", int64(1), "a", xs)
	om.Ordered = true
	small := data.M("b", data.Tuple{int64(1)})
	small.Ordered = true
	for _, tc := range []struct {
		v    any
		want string
	}{
		{om, "OrderedDict([('b', 1),\n             ('a',\n              '" + xs + "')])"},
		{data.M("x", om), "{'x': OrderedDict([('b', 1),\n                   ('a',\n                    '" + xs + "')])}"},
		{small, "OrderedDict([('b', (1,))])"},
		{[]any{data.Tuple{int64(1)}, data.Tuple{strings.Repeat("a", 40), strings.Repeat("b", 40)}},
			"[(1,),\n ('" + strings.Repeat("a", 40) + "',\n  '" + strings.Repeat("b", 40) + "')]"},
	} {
		if got := PPrint(tc.v, Options{}); got != tc.want {
			t.Errorf("PPrint(%s):\n--- got\n%s\n--- want\n%s", data.Repr(tc.v), got, tc.want)
		}
	}
}
