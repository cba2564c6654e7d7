package file

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/pmezard/go-difflib/difflib"
)

// SplitLinesKeep splits text the way Python's bytes.splitlines(True) does
// for "\n" files: each line keeps its ending.
func SplitLinesKeep(s string) []string {
	var out []string
	for len(s) > 0 {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

// SplitLines is Python's str.splitlines() (no line endings kept; "\r\n",
// "\r" and "\n" end lines).
func SplitLines(s string) []string {
	var out []string
	for len(s) > 0 {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i])
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]
	}
	return out
}

func formatRange(start, stop int) string {
	beginning := start + 1
	length := stop - start
	if length == 1 {
		return fmt.Sprint(beginning)
	}
	if length == 0 {
		beginning--
	}
	return fmt.Sprintf("%d,%d", beginning, length)
}

// UnifiedDiff is Python's difflib.unified_diff(a, b, lineterm=lineterm)
// with empty file names, joined as the caller joins it: the lines of a
// and b are written as they are (with or without their endings), the
// header and hunk lines end in lineterm.
func UnifiedDiff(a, b []string, lineterm string) []string {
	m := difflib.NewMatcher(a, b)
	var out []string
	started := false
	for _, group := range m.GetGroupedOpCodes(3) {
		if !started {
			started = true
			out = append(out, "--- "+lineterm, "+++ "+lineterm)
		}
		first, last := group[0], group[len(group)-1]
		out = append(out, fmt.Sprintf("@@ -%s +%s @@%s", formatRange(first.I1, last.I2), formatRange(first.J1, last.J2), lineterm))
		for _, c := range group {
			if c.Tag == 'e' {
				for _, l := range a[c.I1:c.I2] {
					out = append(out, " "+l)
				}
				continue
			}
			if c.Tag == 'r' || c.Tag == 'd' {
				for _, l := range a[c.I1:c.I2] {
					out = append(out, "-"+l)
				}
			}
			if c.Tag == 'r' || c.Tag == 'i' {
				for _, l := range b[c.J1:c.J2] {
					out = append(out, "+"+l)
				}
			}
		}
	}
	return out
}

// DiffText is Salt's stringutils.get_diff of two texts read with
// readlines(): the unified diff with "--- \n+++ \n" headers, "" when equal.
func DiffText(old, new string) string {
	return strings.Join(UnifiedDiff(SplitLinesKeep(old), SplitLinesKeep(new), "\n"), "")
}

// IsText is Salt's salt.utils.files.is_text on content (the first 512
// bytes): no NUL byte, and UTF-8 or mostly printable.
func IsText(b []byte) bool {
	if len(b) > 512 {
		b = b[:512]
	}
	if len(b) == 0 {
		return true
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return false
	}
	if utf8.Valid(b) {
		return true
	}
	nontext := 0
	for _, c := range b {
		if c < 32 && c != '\n' && c != '\r' && c != '\t' && c != '\b' && c != '\f' || c > 127 {
			nontext++
		}
	}
	return float64(nontext)/float64(len(b)) <= 0.30
}

// DiffContent is Salt's file.get_diff of two contents for file.managed:
// "" when equal, a binary notice when either is binary, the unified diff
// otherwise (or "<show_changes=False>").
func DiffContent(old, new []byte, showChanges bool) string {
	if bytes.Equal(old, new) {
		return ""
	}
	if !showChanges {
		return "<show_changes=False>"
	}
	ob, nb := !IsText(old), !IsText(new)
	switch {
	case ob && nb:
		return "Replace binary file"
	case ob:
		return "Replace binary file with text file"
	case nb:
		return "Replace text file with binary file"
	}
	return DiffText(string(old), string(new))
}

// DiffFiles is DiffContent of two files.
func DiffFiles(oldPath, newPath string, showChanges bool) (string, error) {
	o, err := os.ReadFile(oldPath)
	if err != nil {
		return "", fmt.Errorf("Failed to read %s: %w", oldPath, err)
	}
	n, err := os.ReadFile(newPath)
	if err != nil {
		return "", fmt.Errorf("Failed to read %s: %w", newPath, err)
	}
	return DiffContent(o, n, showChanges), nil
}
