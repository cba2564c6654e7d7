package output

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/internal/goldencase"
	"github.com/saltgo/saltgo/output/internal/pylit"
)

// goldenValues returns each golden.* function's return value, parsed from
// its exact Python repr.
func goldenValues(t testing.TB) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(goldencase.Dir(), "inputs/golden_values.json"))
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Values map[string]struct {
			Repr *string `json:"python_repr"`
		} `json:"values"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	for name, v := range raw.Values {
		if v.Repr == nil {
			continue
		}
		val, err := pylit.Parse(*v.Repr)
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		out[name] = val
	}
	return out
}

// cliRender maps a recorded salt-call command line onto the renderer: the
// outputter (with Salt's rules for declared outputters and --out highstate)
// and the options.
type cliRender struct {
	out      string
	opts     Options
	outFile  string
	unknown  bool
	function string
}

// declaredOutputters are the golden module's __outputter__ entries.
var declaredOutputters = map[string]string{"golden.state_hs": "highstate", "golden.as_txt": "txt"}

func parseArgv(argv []string) cliRender {
	var r cliRender
	cliOut := ""
	for i := 3; i < len(argv); i++ {
		a := argv[i]
		next := func() string {
			i++
			if i < len(argv) {
				return argv[i]
			}
			return ""
		}
		switch {
		case a == "--out" || a == "--output":
			cliOut = next()
		case strings.HasPrefix(a, "--out="):
			cliOut = strings.TrimPrefix(a, "--out=")
		case a == "--out-indent":
			n := 0
			for j, c := range next() {
				if c == '-' && j == 0 {
					continue
				}
				n = n*10 + int(c-'0')
			}
			if strings.HasPrefix(argv[i], "-") {
				n = -n
			}
			r.opts.Indent = Int(n)
		case a == "--force-color":
			r.opts.Color = true
		case a == "--no-color", a == "--local", a == "--out-file-append":
		case a == "--out-file":
			r.outFile = next()
		case a == "--state-output":
			r.opts.StateOutput = next()
		case a == "--state-verbose":
			r.opts.StateVerbose = Bool(strings.EqualFold(next(), "true"))
		default:
			if r.function == "" && !strings.HasPrefix(a, "-") {
				r.function = a
			}
		}
	}
	// salt-call: the function's declared outputter, unless --out names one
	// other than highstate (get_printout ignores --out highstate).
	r.out = declaredOutputters[r.function]
	if cliOut != "" && cliOut != "highstate" {
		r.out = cliOut
	}
	if r.out == "" {
		r.out = "nested"
	}
	_, known := Get(r.out)
	r.unknown = !known
	return r
}

func TestGoldenOutputters(t *testing.T) {
	values := goldenValues(t)
	files := goldencase.Glob(t, "outputters/*.json")
	total, passed := 0, 0
	perOut := map[string][2]int{}
	for _, path := range files {
		f := goldencase.LoadFile(t, path)
		for _, c := range f.Cases {
			r := parseArgv(c.Argv)
			fn := strings.TrimPrefix(r.function, "golden.")
			val, ok := values[fn]
			if fn == "state_hs" {
				val, ok = values["state"]
			}
			if !ok {
				t.Errorf("%s: no golden value for %s", c.Name, r.function)
				continue
			}
			want := c.Stdout
			if c.OutContent != nil {
				if strings.HasPrefix(c.Name, "out-file-append.second") {
					continue // needs the previous case's file: CLI concern
				}
				want = *c.OutContent
			}
			total++
			got, err := Render(r.out, data.M("local", val), r.opts)
			k := perOut[r.out]
			k[0]++
			if err == nil && got == want {
				passed++
				k[1]++
			} else {
				t.Errorf("%s (%s) %v: mismatch\n--- got\n%s\n--- want\n%s", filepath.Base(path), c.Name, c.Argv[3:], got, want)
			}
			perOut[r.out] = k
		}
	}
	names := make([]string, 0, len(perOut))
	for n := range perOut {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t.Logf("%-10s %d/%d", n, perOut[n][1], perOut[n][0])
	}
	t.Logf("golden outputter cases: %d/%d pass", passed, total)
}
