package output

import (
	"sort"
	"strings"

	"github.com/saltgo/saltgo/data"
)

// noReturn is Salt's no_return outputter, which the salt CLI uses for the
// minions that did not return: each line of a text in red, dict keys in
// cyan and sorted, every level indented by four spaces.
type noReturn struct{}

// Name implements Outputter.
func (noReturn) Name() string { return "no_return" }

// Format implements Outputter.
func (noReturn) Format(d any, opts Options) (string, error) {
	red, cyan, endc := "", "", ""
	if opts.Color {
		red, cyan, endc = "\x1b[0;31m", "\x1b[0;36m", "\x1b[0;0m"
	}
	var b strings.Builder
	var walk func(v any, indent int)
	walk = func(v any, indent int) {
		pad := strings.Repeat(" ", indent)
		switch x := v.(type) {
		case string:
			for _, l := range strings.Split(x, "\n") {
				b.WriteString(red + pad + l + endc + "\n")
			}
		case []byte:
			walk(string(x), indent)
		case *data.Map:
			keys := x.Keys()
			sort.SliceStable(keys, func(i, j int) bool { return data.Str(keys[i]) < data.Str(keys[j]) })
			for _, k := range keys {
				b.WriteString(cyan + pad + data.Str(k) + endc + ":\n")
				val, _ := x.Get(k)
				walk(val, indent+4)
			}
		}
	}
	walk(d, 0)
	return b.String(), nil
}
