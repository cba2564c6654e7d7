// Package version holds saltgo's own version and the Salt release whose
// wire protocol and CLI behaviour saltgo reproduces.
package version

// Version is saltgo's version; release builds set it with -ldflags.
var Version = "0.1.0-dev"

// Salt is the Salt release saltgo speaks and reports as saltversion.
const Salt = "3007.14"

// SaltCodename is the codename Salt prints after its version.
const SaltCodename = "Chlorine"

// SaltInfo is Salt's version as a list of integers (saltversioninfo).
var SaltInfo = []any{int64(3007), int64(14)}
