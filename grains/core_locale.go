package grains

import (
	"context"
	"strings"

	"github.com/saltgo/saltgo/data"
)

// pyGetlocale mimics Python's locale.getlocale() for LC_CTYPE as set from
// the environment: C/POSIX give (None, None) and C.UTF-8 maps to en_US.
func pyGetlocale(e *Env) (lang, enc any) {
	name := ""
	for _, k := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v := e.Sys.Getenv(k); v != "" {
			name = v
			break
		}
	}
	name, _, _ = strings.Cut(name, "@")
	l, en, hasEnc := strings.Cut(name, ".")
	switch strings.ToLower(l) {
	case "", "c", "posix":
		if hasEnc && normEnc(en) == "UTF-8" && strings.ToLower(l) == "c" {
			return "en_US", "UTF-8"
		}
		return nil, nil
	}
	if !hasEnc {
		return l, "ISO8859-1"
	}
	return l, normEnc(en)
}

func normEnc(enc string) string {
	switch strings.ToLower(strings.ReplaceAll(enc, "-", "")) {
	case "utf8":
		return "UTF-8"
	case "iso88591":
		return "ISO8859-1"
	case "iso885915":
		return "ISO8859-15"
	}
	return enc
}

func collectLocale(_ context.Context, e *Env) (*data.Map, error) {
	lang, enc := pyGetlocale(e)
	detected := "utf-8"
	if s, ok := enc.(string); ok && s != "UTF-8" {
		detected = strings.ToLower(s)
	}
	tz := e.Sys.TZName()
	if tz == "" {
		tz = "unknown"
	}
	return data.M("locale_info", data.M(
		"defaultlanguage", lang, "defaultencoding", enc,
		"detectedencoding", detected, "timezone", tz)), nil
}
