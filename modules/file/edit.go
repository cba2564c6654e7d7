package file

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

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
	Content                              *string
	Match, Mode, Location, Before, After string
	ShowChanges, Backup, DryRun, Quiet   bool
	Indent                               bool
}

// regexToStatic is Salt's _regex_to_static: the lines a regex finds (or
// that contain it literally); nil when there is no regex.
func regexToStatic(lines []string, expr string) ([]string, error) {
	if len(lines) == 0 || expr == "" {
		return nil, nil
	}
	re, err := regexp.Compile("(?s)" + expr)
	if err != nil {
		return nil, fmt.Errorf("%v: '%s'", err, expr)
	}
	out := []string{}
	for _, l := range lines {
		// Python's "$" also matches before a final newline.
		if re.MatchString(l) || re.MatchString(strings.TrimSuffix(l, "\n")) || strings.Contains(l, expr) {
			out = append(out, l)
		}
	}
	return out, nil
}

// assertOccurrence is Salt's _assert_occurrence (exactly one).
func assertOccurrence(probe []string, target string) error {
	msg := ""
	switch {
	case len(probe) > 1:
		msg = "more than"
	case len(probe) < 1:
		msg = "less than"
	}
	if msg != "" {
		return fmt.Errorf(`Found %s expected occurrences in "%s" expression`, msg, target)
	}
	return nil
}

func setLineIndent(src, line string, indent bool) string {
	if !indent {
		return line
	}
	i := 0
	for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
		i++
	}
	return src[:i] + strings.TrimLeft(line, " \t\n\r\v\f")
}

func getEOL(line string) string {
	switch {
	case strings.HasSuffix(line, "\r\n"):
		return "\r\n"
	case strings.HasSuffix(line, "\n"), strings.HasSuffix(line, "\r"):
		return line[len(line)-1:]
	}
	return ""
}

func setLineEOL(src, line string) string {
	eol := getEOL(src)
	if eol == "" {
		eol = "\n"
	}
	return strings.TrimRight(line, " \t\n\r\v\f") + eol
}

func indexOfLine(lines []string, l string) int {
	for i, x := range lines {
		if x == l {
			return i
		}
	}
	return -1
}

func insertAt(lines []string, i int, l string) []string {
	lines = append(lines, "")
	copy(lines[i+1:], lines[i:])
	lines[i] = l
	return lines
}

func trimEOL(s string) string { return strings.TrimRight(s, "\r\n") }

// setLine is Salt's _set_line.
func setLine(lines []string, content *string, match, mode, location, before, after string, indent bool) ([]string, error) {
	if content == nil && mode != "delete" {
		return nil, errors.New("Content can only be empty if mode is delete")
	}
	cont := ""
	if content != nil {
		cont = *content
	}
	if match == "" && before == "" && after == "" {
		match = cont
	}
	afterL, err := regexToStatic(lines, after)
	if err != nil {
		return nil, err
	}
	beforeL, err := regexToStatic(lines, before)
	if err != nil {
		return nil, err
	}
	matchL, err := regexToStatic(lines, match)
	if err != nil {
		return nil, err
	}
	switch {
	case len(lines) == 0 && (mode == "delete" || mode == "replace"):
		return nil, nil
	case mode == "delete" && len(matchL) > 0:
		var out []string
		for _, l := range lines {
			if l != matchL[0] {
				out = append(out, l)
			}
		}
		return out, nil
	case mode == "replace" && len(matchL) > 0:
		i := indexOfLine(lines, matchL[0])
		lines[i] = setLineIndent(lines[i], cont, indent)
	case mode == "insert":
		if before == "" && after == "" && location == "" {
			return nil, errors.New(`On insert either "location" or "before/after" conditions are required.`)
		}
		switch {
		case location == "end":
			if len(lines) > 0 {
				lines = append(lines, setLineIndent(lines[len(lines)-1], cont, indent))
			} else {
				lines = append(lines, cont)
			}
		case location == "start":
			if len(lines) > 0 {
				lines = insertAt(lines, 0, setLineEOL(lines[0], cont))
			} else {
				lines = []string{cont + "\n"}
			}
		case location != "":
		case beforeL != nil && afterL != nil:
			if err := assertOccurrence(beforeL, "before"); err != nil {
				return nil, err
			}
			if err := assertOccurrence(afterL, "after"); err != nil {
				return nil, err
			}
			last := indexOfLine(lines, beforeL[0])
			lines = insertAt(lines, last, setLineIndent(lines[last], cont, indent))
		case afterL != nil:
			if err := assertOccurrence(afterL, "after"); err != nil {
				return nil, err
			}
			i := indexOfLine(lines, afterL[0])
			if i+1 >= len(lines) || trimEOL(lines[i+1]) != trimEOL(cont) {
				lines = insertAt(lines, i+1, setLineIndent(lines[i], cont, indent))
			}
		case beforeL != nil:
			if err := assertOccurrence(beforeL, "before"); err != nil {
				return nil, err
			}
			i := indexOfLine(lines, beforeL[0])
			prev := lines[(i-1+len(lines))%len(lines)] // Python's lines[-1] for i == 0
			if trimEOL(prev) != trimEOL(cont) {
				lines = insertAt(lines, i, setLineIndent(lines[i], cont, indent))
			}
		default:
			return nil, errors.New("Neither before or after was found in file")
		}
	case mode == "ensure":
		switch {
		case beforeL != nil && afterL != nil:
			if err := assertOccurrence(afterL, "after"); err != nil {
				return nil, err
			}
			if err := assertOccurrence(beforeL, "before"); err != nil {
				return nil, err
			}
			ai, bi := indexOfLine(lines, afterL[0]), indexOfLine(lines, beforeL[0])
			there := false
			for _, l := range lines {
				if strings.TrimLeft(l, " \t\n\r\v\f") == cont {
					there = true
				}
			}
			if !there {
				switch {
				case ai+1 == bi:
					lines = insertAt(lines, ai+1, setLineIndent(lines[ai], cont, indent))
				case ai+2 == bi:
					lines[ai+1] = setLineIndent(lines[ai], cont, indent)
				default:
					return nil, errors.New(`Found more than one line between boundaries "before" and "after".`)
				}
			}
		case beforeL != nil:
			if err := assertOccurrence(beforeL, "before"); err != nil {
				return nil, err
			}
			bi := indexOfLine(lines, beforeL[0])
			if bi == 0 || trimEOL(lines[bi-1]) != trimEOL(cont) {
				src := lines[(bi-1+len(lines))%len(lines)]
				lines = insertAt(lines, bi, setLineIndent(src, cont, indent))
			}
		case afterL != nil:
			if err := assertOccurrence(afterL, "after"); err != nil {
				return nil, err
			}
			ai := indexOfLine(lines, afterL[0])
			if ai+1 >= len(lines) || trimEOL(lines[ai+1]) != trimEOL(cont) {
				lines = insertAt(lines, ai+1, setLineIndent(lines[ai], cont, indent))
			}
		default:
			return nil, errors.New("Wrong conditions? Unable to ensure line without knowing where to put it before and/or after.")
		}
	}
	return lines, nil
}

// Line is Salt's file.line: the diff (show_changes) or whether the file
// changed (only reported in DryRun).
func Line(path string, o LineOpts) (any, error) {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		if !o.Quiet {
			return nil, fmt.Errorf(`File "%s" does not exists or is not a file.`, path)
		}
		return false, nil
	}
	mode := strings.ToLower(o.Mode)
	switch mode {
	case "insert", "ensure", "delete", "replace":
	case "":
		return nil, errors.New("Mode was not defined. How to process the file?")
	default:
		return nil, fmt.Errorf(`Unknown mode: "%s"`, mode)
	}
	if mode != "delete" && o.Content == nil {
		return nil, errors.New(`Content can only be empty if mode is "delete"`)
	}
	match := o.Match
	if o.Before == "" && o.After == "" && match == "" && o.Content != nil {
		match = *o.Content
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	body := SplitLinesKeep(string(b))
	if len(body) > 0 && getEOL(body[len(body)-1]) != "" {
		body = append(body, "")
	}
	if len(b) == 0 && (mode == "delete" || mode == "replace") {
		body = nil
	}
	body, err = setLine(body, o.Content, match, mode, o.Location, o.Before, o.After, o.Indent)
	if err != nil {
		return nil, err
	}
	for i, l := range body {
		if getEOL(l) == "" && i+1 < len(body) {
			prev := 1
			if i != 0 {
				prev = i - 1
			}
			body[i] = setLineEOL(body[prev], l)
		}
	}
	if len(body) > 0 && body[len(body)-1] == "" {
		body = body[:len(body)-1]
	}
	newContent := strings.Join(body, "")
	changed := newContent != string(b)
	if o.Backup && changed && !o.DryRun {
		bk := path + "." + time.Now().Format("2006-01-02-15-04-05")
		if err := CommitFile(bk, strings.NewReader(string(b)), "", ""); err != nil {
			return nil, fmt.Errorf("Unable to create the backup file of %s. Exception: %w", path, err)
		}
	}
	var diff string
	if changed {
		if o.ShowChanges {
			diff = strings.Join(UnifiedDiff(SplitLinesKeep(string(b)), body, "\n"), "")
		}
		if !o.DryRun {
			if err := CommitFile(path, strings.NewReader(newContent), "", ""); err != nil {
				return nil, err
			}
		}
	}
	if o.ShowChanges && diff != "" {
		return diff, nil
	}
	return changed, nil
}
