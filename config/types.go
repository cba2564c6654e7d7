package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/saltgo/saltgo/data"
)

// optKind is the type a checked option must have in a configuration file.
type optKind int

const (
	kindStr        optKind = iota // a string; other scalars are str()ed, None allowed
	kindStrOrList                 // a string or a list of strings (master)
	kindInt                       // an integer or a string holding one; not a bool, not a float
	kindBoolOrNone                // true, false or None (ipv6)
)

// checkedOpts are the options whose wrong type would make the minion run
// with a surprising identity, master, port or directory: a wrongly typed
// value is an error naming the file, line and key instead of being
// converted (a list id would run as "['a', 'b']").
var checkedOpts = map[string]optKind{
	"id":                kindStr,
	"master":            kindStrOrList,
	"master_port":       kindInt,
	"publish_port":      kindInt,
	"ret_port":          kindInt,
	"keysize":           kindInt,
	"ipv6":              kindBoolOrNone,
	"pki_dir":           kindStr,
	"cachedir":          kindStr,
	"sock_dir":          kindStr,
	"root_dir":          kindStr,
	"pidfile":           kindStr,
	"extension_modules": kindStr,
	"log_file":          kindStr,
	"hash_type":         kindStr,
	"master_finger":     kindStr,
	"master_type":       kindStr,
	"interface":         kindStr,
	"user":              kindStr,
}

// checkTypes checks the options of checkedOpts in one parsed file (m, its
// key lines) and normalises id as Salt does: a scalar id becomes its
// Python str(), a None id means "generate one".
func checkTypes(m *data.Map, lines map[string]int, path string) error {
	var err error
	m.Range(func(k, v any) bool { // file order: the first bad key is reported
		key, _ := k.(string)
		kind, ok := checkedOpts[key]
		if !ok {
			return true
		}
		if kerr := checkKind(v, kind); kerr != nil {
			err = &Error{File: path, Line: lines[key], Key: key, Err: kerr}
			return false
		}
		return true
	})
	if err != nil {
		return err
	}
	if id, ok := m.Get("id"); ok {
		switch id.(type) {
		case string, nil:
		default:
			m.Set("id", data.Str(id))
		}
	}
	return nil
}

func checkKind(v any, kind optKind) error {
	bad := func(want string) error {
		return fmt.Errorf("invalid value %s: %s, not %s", shownValue(v), want, pyTypeName(v))
	}
	switch kind {
	case kindStr:
		switch v.(type) {
		case []any, *data.Map:
			return bad("a string is required")
		}
	case kindStrOrList:
		switch x := v.(type) {
		case nil, string:
		case []any:
			for i, e := range x {
				if _, ok := e.(string); !ok {
					return fmt.Errorf("invalid value %s: a list of strings is required, item %d is %s", shownValue(v), i, pyTypeName(e))
				}
			}
		default:
			return bad("a string or a list of strings is required")
		}
	case kindInt:
		switch x := v.(type) {
		case nil, int64, int:
		case string:
			if _, err := strconv.Atoi(strings.TrimSpace(x)); err != nil {
				return bad("an integer is required")
			}
		default:
			return bad("an integer is required")
		}
	case kindBoolOrNone:
		switch v.(type) {
		case nil, bool:
		default:
			return bad("true, false or None is required")
		}
	default:
		return errors.New("unknown option kind")
	}
	return nil
}

// shownValue is v for an error message: a string Go-quoted, anything else
// in Python's repr.
func shownValue(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return data.Repr(v)
}

// pyTypeName is the Python type name of v ("list", "dict", "int").
func pyTypeName(v any) string {
	t := data.TypeStr(v)
	t = strings.TrimPrefix(t, "<class '")
	return strings.TrimSuffix(t, "'>")
}
