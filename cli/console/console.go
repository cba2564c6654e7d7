// Package console describes the standard streams a saltgo command line
// reads and writes.
package console

import "io"

// IO is where a command reads and writes.
type IO struct {
	Stdout, Stderr io.Writer
	// StdoutTTY says whether Stdout is a terminal (colour default).
	StdoutTTY bool
}
