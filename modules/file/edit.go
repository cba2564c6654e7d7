package file

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/saltgo/saltgo/data"
)

// PyRegexp compiles a Python regular expression with Salt's flags (an int
// of re flags, or a list of their names), in Go's syntax.
func PyRegexp(pattern string, flags any) (*regexp.Regexp, error) {
	var n int64
	switch v := flags.(type) {
	case []any:
		for _, f := range v {
			switch strings.ToUpper(data.Str(f)) {
			case "IGNORECASE", "I":
				n |= 2
			case "MULTILINE", "M":
				n |= 8
			case "DOTALL", "S":
				n |= 16
			}
		}
	default:
		n, _ = data.AsInt(flags)
	}
	pre := ""
	if n&2 != 0 {
		pre += "i"
	}
	if n&8 != 0 {
		pre += "m"
	}
	if n&16 != 0 {
		pre += "s"
	}
	if pre != "" {
		pattern = "(?" + pre + ")" + pattern
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("Invalid regular expression %q: %w", pattern, err)
	}
	return re, nil
}

var pyReplRe = regexp.MustCompile(`\\(g<([A-Za-z0-9_]+)>|[0-9]{1,2}|.)|\$`)

// PyRepl turns a Python re.sub replacement into Go's Expand syntax.
func PyRepl(repl string) string {
	return pyReplRe.ReplaceAllStringFunc(repl, func(m string) string {
		if m == "$" {
			return "$$"
		}
		switch c := m[1:]; {
		case strings.HasPrefix(c, "g<"):
			return "${" + c[2:len(c)-1] + "}"
		case c[0] >= '0' && c[0] <= '9':
			return "${" + c + "}"
		case c == "n":
			return "\n"
		case c == "t":
			return "\t"
		case c == "r":
			return "\r"
		case c == "\\":
			return "\\"
		default:
			return m
		}
	})
}

// InvalidError is an error Salt raises as SaltInvocationError (bad
// arguments, a missing or binary file), not CommandExecutionError.
type InvalidError struct{ Msg string }

// Error returns the message.
func (e *InvalidError) Error() string { return e.Msg }

func invalidf(format string, a ...any) error { return &InvalidError{Msg: fmt.Sprintf(format, a...)} }

// ReplaceOpts are file.replace's options.
type ReplaceOpts struct {
	Count                               int
	Flags                               any
	AppendIfNotFound, PrependIfNotFound bool
	NotFoundContent                     *string
	Backup                              string // "" or "False": none
	DryRun, SearchOnly, ShowChanges     bool
	IgnoreIfMissing, BackslashLiteral   bool
}

// Replace is Salt's file.replace: the diff (show_changes) or whether it
// changed; SearchOnly returns whether the pattern matches.
func Replace(path, pattern, repl string, o ReplaceOpts) (any, error) {
	if _, err := os.Stat(path); err != nil {
		if o.IgnoreIfMissing {
			return false, nil
		}
		return nil, invalidf("File not found: %s", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("Unable to open file '%s'. Exception: %w", path, err)
	}
	if !IsText(b) {
		return nil, invalidf("Cannot perform string replacements on a binary file: %s", path)
	}
	if o.SearchOnly && (o.AppendIfNotFound || o.PrependIfNotFound) {
		return nil, invalidf("search_only cannot be used with append/prepend_if_not_found")
	}
	if o.AppendIfNotFound && o.PrependIfNotFound {
		return nil, invalidf("Only one of append and prepend_if_not_found is permitted")
	}
	re, err := PyRegexp(pattern, o.Flags)
	if err != nil {
		return nil, err
	}
	if o.SearchOnly {
		return re.Match(b), nil
	}
	if o.BackslashLiteral {
		repl = strings.ReplaceAll(repl, `\`, `\\`)
	}
	goRepl := PyRepl(repl)
	n := 0
	res := re.ReplaceAllFunc(b, func(m []byte) []byte {
		n++
		if o.Count > 0 && n > o.Count {
			return m
		}
		return re.Expand(nil, []byte(goRepl), b, indexOf(re, b, m, n))
	})
	found := n > 0
	content := repl
	if o.NotFoundContent != nil && (o.AppendIfNotFound || o.PrependIfNotFound) {
		content = *o.NotFoundContent
	}
	if o.AppendIfNotFound || o.PrependIfNotFound {
		lre, err := PyRegexp("^"+regexp.QuoteMeta(content)+`($|\r\n)`, o.Flags)
		if err == nil && lre.Match(b) {
			found = true
		}
	}
	orig := SplitLinesKeep(string(b))
	newl := SplitLinesKeep(string(res))
	if !found && (o.AppendIfNotFound || o.PrependIfNotFound) {
		nf := repl
		if o.NotFoundContent != nil {
			nf = *o.NotFoundContent
		}
		if o.PrependIfNotFound {
			newl = append([]string{nf + "\n"}, newl...)
		} else {
			if len(newl) > 0 && !strings.HasSuffix(newl[len(newl)-1], "\n") {
				newl[len(newl)-1] += "\n"
			}
			newl = append(newl, nf+"\n")
		}
	}
	diff := strings.Join(UnifiedDiff(orig, newl, "\n"), "")
	if diff != "" && !o.DryRun {
		if err := writeKeepingPerms(path, []byte(strings.Join(newl, "")), o.Backup); err != nil {
			return nil, err
		}
	}
	if o.ShowChanges {
		return diff, nil
	}
	return diff != "", nil
}

// indexOf finds the submatch indexes of the n-th match (ReplaceAllFunc
// gives only the text).
func indexOf(re *regexp.Regexp, src, _ []byte, n int) []int {
	all := re.FindAllSubmatchIndex(src, n)
	if len(all) < n {
		return nil
	}
	return all[n-1]
}

// writeKeepingPerms writes new content to path atomically, keeping its
// owner and mode; with a backup suffix the old file is copied to
// path+backup first.
func writeKeepingPerms(path string, content []byte, backup string) error {
	if backup != "" && backup != "False" && backup != "false" {
		old, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("Exception: %w", err)
		}
		st, _ := os.Stat(path)
		if err := CommitFile(path+backup, strings.NewReader(string(old)), "", ""); err != nil {
			return err
		}
		_ = os.Chmod(path+backup, st.Mode().Perm())
		if o, ok := statOwner(st); ok {
			_ = os.Chown(path+backup, o[0], o[1])
		}
	}
	return CommitFile(path, strings.NewReader(string(content)), "", "")
}

// BlockOpts are file.blockreplace's options.
type BlockOpts struct {
	MarkerStart, MarkerEnd, Content     string
	AppendIfNotFound, PrependIfNotFound bool
	InsertBeforeMatch, InsertAfterMatch string
	Backup                              string
	DryRun, ShowChanges                 bool
	AppendNewline                       *bool
}

// BlockReplace is Salt's file.blockreplace.
func BlockReplace(path string, o BlockOpts) (any, error) {
	ex := 0
	for _, b := range []bool{o.AppendIfNotFound, o.PrependIfNotFound, o.InsertBeforeMatch != "", o.InsertAfterMatch != ""} {
		if b {
			ex++
		}
	}
	if ex > 1 {
		return nil, invalidf("Only one of append_if_not_found, prepend_if_not_found, insert_before_match, and insert_after_match is permitted")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, invalidf("File not found: %s", path)
	}
	if !IsText(b) {
		return nil, invalidf("Cannot perform string replacements on a binary file: %s", path)
	}
	appendNL := false
	if o.AppendNewline != nil {
		appendNL = *o.AppendNewline
	} else if !strings.HasSuffix(o.Content, "\n") {
		appendNL = true
	}
	var split []string
	for _, w := range strings.Split(o.Content, "\r\n") {
		split = append(split, strings.Split(w, "\n")...)
	}
	addContent := func(linesep string, lines []string, withStart bool, endLine string) []string {
		if endLine == "" {
			endLine = o.MarkerEnd
		}
		endLine = strings.TrimRight(endLine, "\r\n") + linesep
		if withStart {
			lines = append(lines, o.MarkerStart+linesep)
		}
		for i, l := range split {
			if i != len(split)-1 {
				lines = append(lines, l+linesep)
			} else if appendNL {
				lines = append(lines, l+linesep, endLine)
			} else {
				lines = append(lines, l+endLine)
			}
		}
		if len(split) == 0 {
			lines = append(lines, endLine)
		}
		return lines
	}
	var orig, newf []string
	inBlock, found := false, false
	linesep := ""
	for _, line := range SplitLinesKeep(string(b)) {
		write := true
		if linesep == "" {
			if strings.HasSuffix(line, "\r\n") {
				linesep = "\r\n"
			} else {
				linesep = "\n"
			}
		}
		if strings.Contains(line, o.MarkerStart) {
			inBlock = true
		} else if inBlock {
			write = false
			if i := strings.Index(line, o.MarkerEnd); i >= 0 {
				inBlock, found = false, true
				newf = addContent(linesep, newf, false, line[i:])
			}
		}
		orig = append(orig, line)
		if write {
			newf = append(newf, line)
		}
	}
	if linesep == "" {
		linesep = "\n"
	}
	if inBlock {
		return nil, errors.New("Unterminated marked block. End of file reached before marker_end.")
	}
	if !found {
		switch {
		case o.PrependIfNotFound:
			newf = append(addContent(linesep, nil, true, ""), newf...)
			found = true
		case o.AppendIfNotFound:
			if len(newf) > 0 && !strings.HasSuffix(newf[len(newf)-1], linesep) {
				newf[len(newf)-1] += linesep
			}
			newf = addContent(linesep, newf, true, "")
			found = true
		case o.InsertBeforeMatch != "" || o.InsertAfterMatch != "":
			pat := o.InsertBeforeMatch
			if pat == "" {
				pat = o.InsertAfterMatch
			}
			re, err := regexp.Compile(pat)
			if err != nil {
				return nil, fmt.Errorf("Invalid regular expression %q: %w", pat, err)
			}
			for i, l := range orig {
				if re.MatchString(l) {
					idx := i
					if o.InsertAfterMatch != "" {
						idx++
					}
					block := addContent(linesep, nil, true, "")
					newf = append(append(append([]string{}, newf[:idx]...), block...), newf[idx:]...)
					found = true
					break
				}
			}
		}
	}
	if !found {
		return nil, errors.New("Cannot edit marked block. Markers were not found in file.")
	}
	diff := strings.Join(UnifiedDiff(orig, newf, "\n"), "")
	if diff != "" && !o.DryRun {
		if err := writeKeepingPerms(path, []byte(strings.Join(newf, "")), o.Backup); err != nil {
			return nil, err
		}
	}
	if o.ShowChanges {
		return diff, nil
	}
	return diff != "", nil
}

// AppendLines is Salt's file.append: a newline is added to the file when
// it does not end in one, then each line.
func AppendLines(path string, lines []string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("append %s: %w", path, err)
	}
	var sb strings.Builder
	sb.Write(b)
	if len(b) > 0 && b[len(b)-1] != '\n' {
		sb.WriteByte('\n')
	}
	for _, l := range lines {
		sb.WriteString(l + "\n")
	}
	if err := CommitFile(path, strings.NewReader(sb.String()), "", ""); err != nil {
		return "", err
	}
	return fmt.Sprintf("Wrote %d lines to \"%s\"", len(lines), path), nil
}

// PrependLines is Salt's file.prepend.
func PrependLines(path string, lines []string) (string, error) {
	b, _ := os.ReadFile(path)
	var sb strings.Builder
	for _, l := range lines {
		sb.WriteString(l + "\n")
	}
	sb.Write(b)
	if err := CommitFile(path, strings.NewReader(sb.String()), "", ""); err != nil {
		return "", err
	}
	return fmt.Sprintf("Prepended %d lines to \"%s\"", len(lines), path), nil
}

// WriteLines is Salt's file.write.
func WriteLines(path string, lines []string) (string, error) {
	var sb strings.Builder
	for _, l := range lines {
		sb.WriteString(l + "\n")
	}
	if err := CommitFile(path, strings.NewReader(sb.String()), "", ""); err != nil {
		return "", err
	}
	return fmt.Sprintf("Wrote %d lines to \"%s\"", len(lines), path), nil
}

// WhitespaceSplitRegex is Salt's build_whitespace_split_regex: the words
// of each line joined by optional whitespace.
func WhitespaceSplitRegex(text string) string {
	const ws = `(?:[\s]+)?`
	var parts []string
	for _, line := range SplitLines(text) {
		var words []string
		for _, w := range strings.Fields(line) {
			words = append(words, regexp.QuoteMeta(w))
		}
		parts = append(parts, ws+strings.Join(words, ws)+ws)
	}
	return "(?m)^" + strings.Join(parts, "") + "$"
}

// LineOpts are file.line's options.
type LineOpts struct {
	Content, Match, Mode, Location, Before, After string
	HasContent                                    bool
	ShowChanges, Backup, DryRun                   bool
}

// Line is Salt's file.line (modes ensure, replace, delete, insert; the
// indent option is not applied): the diff (show_changes) or whether the
// file changed.
func Line(path string, o LineOpts) (any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("Unable to open file '%s': %w", path, err)
	}
	if !IsText(b) {
		return nil, invalidf("Cannot perform string replacements on a binary file: %s", path)
	}
	match := o.Match
	if match == "" {
		match = regexp.QuoteMeta(o.Content)
	}
	search := func(pat string) (*regexp.Regexp, error) {
		re, err := regexp.Compile(pat)
		if err != nil {
			return nil, fmt.Errorf("Invalid regular expression %q: %w", pat, err)
		}
		return re, nil
	}
	lines := SplitLinesKeep(string(b))
	content := strings.TrimRight(o.Content, "\r\n")
	findIdx := func(re *regexp.Regexp) int {
		for i, l := range lines {
			if re.MatchString(strings.TrimRight(l, "\r\n")) {
				return i
			}
		}
		return -1
	}
	has := func() bool {
		for _, l := range lines {
			if strings.TrimRight(l, "\r\n") == content {
				return true
			}
		}
		return false
	}
	var out []string
	switch o.Mode {
	case "delete":
		re, err := search(match)
		if err != nil {
			return nil, err
		}
		for _, l := range lines {
			if !re.MatchString(strings.TrimRight(l, "\r\n")) {
				out = append(out, l)
			}
		}
	case "replace":
		re, err := search(match)
		if err != nil {
			return nil, err
		}
		for _, l := range lines {
			if re.MatchString(strings.TrimRight(l, "\r\n")) {
				out = append(out, content+"\n")
			} else {
				out = append(out, l)
			}
		}
	case "insert", "ensure":
		out = append(out, lines...)
		if has() {
			break
		}
		insertAt := -1
		switch {
		case o.After != "":
			re, err := search(o.After)
			if err != nil {
				return nil, err
			}
			if i := findIdx(re); i >= 0 {
				insertAt = i + 1
			} else {
				return nil, fmt.Errorf("Neither before or after was found in file")
			}
		case o.Before != "":
			re, err := search(o.Before)
			if err != nil {
				return nil, err
			}
			if i := findIdx(re); i >= 0 {
				insertAt = i
			} else {
				return nil, fmt.Errorf("Neither before or after was found in file")
			}
		case o.Location == "start":
			insertAt = 0
		case o.Location == "end" || o.Mode == "ensure":
			insertAt = len(out)
		default:
			return nil, fmt.Errorf("On insert must be defined either \"location\" or \"before/after\" conditions.")
		}
		if insertAt == len(out) && len(out) > 0 && !strings.HasSuffix(out[len(out)-1], "\n") {
			out[len(out)-1] += "\n"
		}
		out = append(out[:insertAt], append([]string{content + "\n"}, out[insertAt:]...)...)
	default:
		return nil, fmt.Errorf("Unknown mode: %s", o.Mode)
	}
	diff := strings.Join(UnifiedDiff(lines, out, "\n"), "")
	if diff != "" && !o.DryRun {
		bk := ""
		if o.Backup {
			bk = ".bak"
		}
		if err := writeKeepingPerms(path, []byte(strings.Join(out, "")), bk); err != nil {
			return nil, err
		}
	}
	if o.ShowChanges {
		return diff, nil
	}
	return diff != "", nil
}
