package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
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

func TestReprTable(t *testing.T) {
	om := data.M("b", int64(1), "a", nil)
	om.Ordered = true
	for _, tc := range []struct {
		v    any
		want string
	}{
		{nil, "None"}, {true, "True"}, {false, "False"},
		{int64(-3), "-3"}, {uint64(1 << 63), "9223372036854775808"},
		{1.5, "1.5"}, {3.0, "3.0"}, {1e16, "1e+16"}, {1e15, "1000000000000000.0"},
		{1e-5, "1e-05"}, {0.0001, "0.0001"}, {math.Copysign(0, -1), "-0.0"}, {1.0 / 3, "0.3333333333333333"},
		{"it's", `"it's"`}, {`a'b"c`, `'a\'b"c'`}, {"tab\there\n", `'tab\there\n'`},
		{"\x00\x1b\x7f\u00a0é\u200b", `'\x00\x1b\x7f\xa0é\u200b'`}, {"\\", `'\\'`},
		{[]byte("a'\xff"), `b"a'\xff"`}, {[]any{}, "[]"}, {data.NewMap(), "{}"},
		{data.M(int64(1), "x", "k", []any{nil}), "{1: 'x', 'k': [None]}"},
		{om, "OrderedDict([('b', 1), ('a', None)])"},
		{int(7), "7"}, {[]string{"a"}, "['a']"}, {struct{ A int }{1}, "{'A': 1}"},
		{make(chan int), "<chan>"},
	} {
		got := Repr(tc.v)
		if tc.want == "<chan>" {
			if got == "" {
				t.Errorf("Repr(chan) empty")
			}
			continue
		}
		if got != tc.want {
			t.Errorf("Repr(%#v) = %s, want %s", tc.v, got, tc.want)
		}
	}
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
