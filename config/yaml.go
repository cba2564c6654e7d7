package config

import (
	"errors"
	"fmt"

	"github.com/saltgo/saltgo/saltyaml"
)

// Position is where a value came from: a file and a 1-based line.
type Position struct {
	File string
	Line int
}

// String renders the position as file:line.
func (p Position) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return p.File
}

// Error is a configuration error tied to a file and, when known, a line and
// a top-level key.
type Error struct {
	File string
	Line int
	Key  string
	Err  error
}

// Error renders "file:line: key: message".
func (e *Error) Error() string {
	s := Position{File: e.File, Line: e.Line}.String()
	if e.Key != "" {
		s += ": " + e.Key
	}
	return fmt.Sprintf("%s: %v", s, e.Err)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// UnmarshalYAML parses one YAML document with Salt's loader rules (see
// package saltyaml); errors are *Error naming the file and line.
func UnmarshalYAML(b []byte, name string) (any, error) {
	v, _, err := unmarshalYAMLPos(b, name)
	return v, err
}

// unmarshalYAMLPos is UnmarshalYAML that also returns the line of each
// top-level key when the document is a mapping.
func unmarshalYAMLPos(b []byte, name string) (any, map[string]int, error) {
	v, lines, err := saltyaml.Decode(b, name)
	var ye *saltyaml.Error
	if errors.As(err, &ye) {
		return nil, nil, &Error{File: ye.File, Line: ye.Line, Err: ye.Err}
	}
	return v, lines, err
}
