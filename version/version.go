// Package version holds saltgo's own version and the Salt release whose
// wire protocol and CLI behaviour saltgo reproduces.
package version

import (
	"fmt"
	"runtime"
	"strings"
)

// Version is saltgo's version; release builds set it with -ldflags.
var Version = "0.1.0-dev"

// Salt is the Salt release saltgo speaks and reports as saltversion.
const Salt = "3007.14"

// SaltCodename is the codename Salt prints after its version.
const SaltCodename = "Chlorine"

// SaltInfo is Salt's version as a list of integers (saltversioninfo).
var SaltInfo = []any{int64(3007), int64(14)}

// Report is the text of test.versions_report and of every command's
// --versions-report.
func Report() string {
	rows := [][2]string{
		{"Salt Version:", ""},
		{"Salt", Salt},
		{"saltgo", Version},
		{"", ""},
		{"System Versions:", ""},
		{"Go", runtime.Version()},
		{"os", runtime.GOOS},
		{"arch", runtime.GOARCH},
	}
	var b strings.Builder
	for _, r := range rows {
		switch {
		case r[0] == "":
			b.WriteString("\n")
		case r[1] == "":
			b.WriteString(r[0] + "\n")
		default:
			fmt.Fprintf(&b, "%20s: %s\n", r[0], r[1])
		}
	}
	return strings.TrimRight(b.String(), "\n")
}
