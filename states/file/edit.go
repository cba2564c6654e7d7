package file

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	filemod "github.com/saltgo/saltgo/modules/file"
)

func replace(_ context.Context, c *host.Call, r *run) error {
	name := r.name
	if name == "" {
		return r.fail("Must provide name to file.replace")
	}
	if ok, msg := checkFile(name); !ok {
		if c.Bool("ignore_if_missing") && strings.Contains(msg, "file not found") {
			r.res.Comment = "No changes needed to be made"
			return nil
		}
		return r.fail(msg)
	}
	count, _ := data.AsInt(c.Get("count"))
	o := filemod.ReplaceOpts{
		Count: int(count), Flags: c.Get("flags"), AppendIfNotFound: c.Bool("append_if_not_found"),
		PrependIfNotFound: c.Bool("prepend_if_not_found"), Backup: backupArg(c.Get("backup")),
		DryRun: r.test(), ShowChanges: c.Bool("show_changes"), IgnoreIfMissing: c.Bool("ignore_if_missing"),
		BackslashLiteral: c.Bool("backslash_literal"),
	}
	if v := c.Get("not_found_content"); v != nil {
		s := data.Str(v)
		o.NotFoundContent = &s
	}
	ch, err := filemod.Replace(name, c.Str("pattern"), c.Str("repl"), o)
	if err != nil {
		return r.fail(err.Error())
	}
	if data.Truthy(ch) {
		r.res.Changes.Set("diff", ch)
		if r.test() {
			r.res.Result, r.res.Comment = nil, "Changes would have been made"
		} else {
			r.res.Comment = "Changes were made"
		}
		return nil
	}
	r.res.Comment = "No changes needed to be made"
	return nil
}

func backupArg(v any) string {
	if b, ok := v.(bool); ok && !b {
		return ""
	}
	if v == nil {
		return ""
	}
	return data.Str(v)
}

// textList is Salt's _validate_str_list: a string or a list of them.
func textList(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, data.Str(e))
		}
		return out
	case string:
		return []string{x}
	}
	return []string{data.Str(v)}
}

// sourceTexts is Salt's _get_template_texts: the (rendered) texts of
// source/sources.
func (r *run) sourceTexts(ctx context.Context, c *host.Call) ([]string, string, error) {
	var srcs []string
	if s := c.Get("source"); s != nil {
		srcs = append(srcs, data.Str(s))
	}
	if l, ok := c.Get("sources").([]any); ok {
		if len(srcs) > 0 && len(l) > 0 {
			return nil, "source and sources are mutually exclusive", nil
		}
		for _, s := range l {
			srcs = append(srcs, data.Str(s))
		}
	}
	if len(srcs) == 0 {
		return nil, "", nil
	}
	src, err := r.source()
	if err != nil {
		return nil, "", err
	}
	ctxMap, msg := mergeContext(c.Get("defaults"), c.Get("context"))
	if msg != "" {
		return nil, msg, nil
	}
	var out []string
	for _, s := range srcs {
		p, err := src.Cache(ctx, s)
		if err != nil || p == "" {
			return nil, fmt.Sprintf("Failed to cache %s", s), nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, "", err
		}
		if t := c.Str("template"); t != "" {
			b, err = r.renderer(s, ctxMap)(ctx, b)
			if err != nil {
				return nil, fmt.Sprintf("Failed to load template file %s", s), nil
			}
		}
		out = append(out, string(b))
	}
	return out, "", nil
}

func appendState(ctx context.Context, c *host.Call, r *run) error {
	name := r.name
	r.res.Result = false
	if name == "" {
		return r.fail("Must provide name to file.append")
	}
	if c.Bool("makedirs") {
		dir := filepath.Dir(name)
		if r.test() {
			r.res.Comment, r.res.Result = fmt.Sprintf("Directory %s is set to be updated", dir), nil
		} else if !isDir(dir) {
			if _, err := filemod.Makedirs(name, nil, nil, ""); err != nil {
				return r.fail(err.Error())
			}
		}
	}
	if ok, msg := checkFile(name); !ok {
		if r.test() {
			return touch(ctx, c, r)
		}
		if !filepath.IsAbs(name) {
			return r.fail(msg)
		}
		if !isDir(filepath.Dir(name)) {
			return r.fail(msg)
		}
		if err := filemod.Touch(name, nil, nil); err != nil {
			return r.fail(msg)
		}
	}
	texts, msg, err := r.sourceTexts(ctx, c)
	if err != nil {
		return r.fail(err.Error())
	}
	if msg != "" {
		return r.fail(msg)
	}
	text := textList(c.Get("text"))
	if texts != nil {
		text = texts
	}
	if len(text) == 0 && c.Get("text") == nil && texts == nil {
		return r.fail("No text found to append. Nothing appended")
	}
	before, err := os.ReadFile(name)
	if err != nil {
		return r.fail(err.Error())
	}
	slines := filemod.SplitLines(string(before))
	var add []string
	for _, chunk := range text {
		// Salt searches for the text as a regex (file.search, multiline).
		pat := "(?m)" + chunk
		if c.Bool("ignore_whitespace") {
			pat = filemod.WhitespaceSplitRegex(chunk)
		}
		re, err := regexp.Compile(pat)
		if err != nil {
			return host.Errorf("%v", err)
		}
		if re.Match(before) {
			continue
		}
		add = append(add, filemod.SplitLines(chunk)...)
	}
	diff := func(after []string) {
		if strings.Join(slines, "\x00") == strings.Join(after, "\x00") && len(slines) == len(after) {
			return
		}
		if !filemod.IsText(before) {
			r.res.Changes.Set("diff", "Replace binary file")
			return
		}
		r.res.Changes.Set("diff", strings.Join(filemod.UnifiedDiff(slines, after, "\n"), "\n"))
	}
	if r.test() {
		r.res.Comment, r.res.Result = fmt.Sprintf("File %s is set to be updated", name), nil
		nlines := append(append([]string{}, slines...), add...)
		if len(add) > 0 {
			diff(nlines)
		} else {
			r.res.Comment, r.res.Result = fmt.Sprintf("File %s is in correct state", name), true
		}
		return nil
	}
	if len(add) > 0 {
		if _, err := filemod.AppendLines(name, add); err != nil {
			return r.fail(err.Error())
		}
		r.res.Comment = fmt.Sprintf("Appended %d lines", len(add))
	} else {
		r.res.Comment = fmt.Sprintf("File %s is in correct state", name)
	}
	after, _ := os.ReadFile(name)
	diff(filemod.SplitLines(string(after)))
	r.res.Result = true
	return nil
}

func prepend(ctx context.Context, c *host.Call, r *run) error {
	name := r.name
	r.res.Result = false
	if name == "" {
		return r.fail("Must provide name to file.prepend")
	}
	if c.Bool("makedirs") && !r.test() && !isDir(filepath.Dir(name)) {
		if _, err := filemod.Makedirs(name, nil, nil, ""); err != nil {
			return r.fail(err.Error())
		}
	}
	if ok, msg := checkFile(name); !ok {
		if r.test() {
			return touch(ctx, c, r)
		}
		if !filepath.IsAbs(name) || !isDir(filepath.Dir(name)) || filemod.Touch(name, nil, nil) != nil {
			return r.fail(msg)
		}
	}
	texts, msg, err := r.sourceTexts(ctx, c)
	if err != nil {
		return r.fail(err.Error())
	}
	if msg != "" {
		return r.fail(msg)
	}
	text := textList(c.Get("text"))
	if texts != nil {
		text = texts
	}
	before, err := os.ReadFile(name)
	if err != nil {
		return r.fail(err.Error())
	}
	slines := filemod.SplitLinesKeep(string(before))
	var pre []string
	count := 0
	for _, chunk := range text {
		if re, err := regexp.Compile(filemod.WhitespaceSplitRegex(chunk)); err == nil && re.Match(before) && !c.Bool("header") {
			continue
		}
		lines := filemod.SplitLines(chunk)
		for _, l := range lines {
			pre = append(pre, l+"\n")
		}
		count += len(lines)
	}
	if c.Bool("header") {
		// header: the text must be the first lines of the file.
		joined := strings.Join(pre, "")
		if strings.HasPrefix(string(before), joined) {
			pre, count = nil, 0
		}
	}
	nlines := append(append([]string{}, pre...), slines...)
	if r.test() {
		if count > 0 {
			r.res.Comment, r.res.Result = fmt.Sprintf("File %s is set to be updated", name), nil
			r.res.Changes.Set("diff", strings.Join(filemod.UnifiedDiff(slines, nlines, "\n"), ""))
		} else {
			r.res.Comment, r.res.Result = fmt.Sprintf("File %s is in correct state", name), true
		}
		return nil
	}
	if count > 0 {
		if err := filemod.CommitFile(name, strings.NewReader(strings.Join(nlines, "")), "", ""); err != nil {
			return r.fail(err.Error())
		}
		r.res.Comment = fmt.Sprintf("Prepended %d lines", count)
		r.res.Changes.Set("diff", strings.Join(filemod.UnifiedDiff(slines, nlines, "\n"), ""))
	} else {
		r.res.Comment = fmt.Sprintf("File %s is in correct state", name)
	}
	r.res.Result = true
	return nil
}

func blockreplace(ctx context.Context, c *host.Call, r *run) error {
	name := r.name
	r.res.Result = false
	if name == "" {
		return r.fail("Must provide name to file.blockreplace")
	}
	if ok, msg := checkFile(name); !ok {
		return r.fail(msg)
	}
	content := c.Str("content")
	texts, msg, err := r.sourceTexts(ctx, c)
	if err != nil {
		return r.fail(err.Error())
	}
	if msg != "" {
		return r.fail(msg)
	}
	for _, t := range texts {
		content += t
	}
	o := filemod.BlockOpts{
		MarkerStart: c.Str("marker_start"), MarkerEnd: c.Str("marker_end"), Content: content,
		AppendIfNotFound: c.Bool("append_if_not_found"), PrependIfNotFound: c.Bool("prepend_if_not_found"),
		InsertBeforeMatch: c.Str("insert_before_match"), InsertAfterMatch: c.Str("insert_after_match"),
		Backup: backupArg(c.Get("backup")), DryRun: r.test(), ShowChanges: c.Bool("show_changes"),
	}
	if v := c.Get("append_newline"); v != nil {
		b := data.Truthy(v)
		o.AppendNewline = &b
	}
	ch, err := filemod.BlockReplace(name, o)
	if err != nil {
		r.res.Comment = fmt.Sprintf("Encountered error managing block: %v. See the log for details.", err)
		return nil
	}
	if data.Truthy(ch) {
		r.res.Changes.Set("diff", ch)
		if r.test() {
			r.res.Result, r.res.Comment = nil, "Changes would be made"
		} else {
			r.res.Result, r.res.Comment = true, "Changes were made"
		}
		return nil
	}
	r.res.Result, r.res.Comment = true, "No changes needed to be made"
	return nil
}

func line(_ context.Context, c *host.Call, r *run) error {
	name := r.name
	if name == "" {
		return r.fail("Must provide name to file.line")
	}
	// Salt first runs file.managed(name, create, user, group,
	// mode=file_mode, replace=False).
	if c.Bool("create") || exists(name) {
		sub := r.subState(context.Background(), "file.managed", "name", name, "create", c.Get("create"),
			"user", c.Get("user"), "group", c.Get("group"), "mode", c.Get("file_mode"), "replace", false)
		_ = sub
	}
	if ok, msg := checkFile(name); !ok {
		return r.fail(msg)
	}
	mode := strings.ToLower(c.Str("mode"))
	if c.Get("mode") == nil {
		return r.fail("Mode was not defined. How to process the file?")
	}
	if mode != "delete" && c.Get("content") == nil {
		return r.fail("Content can only be empty if mode is ['delete']")
	}
	o := filemod.LineOpts{
		Match: c.Str("match"), Mode: mode, Location: c.Str("location"), Before: c.Str("before"), After: c.Str("after"),
		ShowChanges: c.Bool("show_changes"), Backup: c.Bool("backup"), Quiet: c.Bool("quiet"), Indent: c.Bool("indent"),
		DryRun: r.test(),
	}
	if v := c.Get("content"); v != nil {
		s := data.Str(v)
		o.Content = &s
	}
	ch, err := filemod.Line(name, o)
	if err != nil {
		// Salt does not catch file.line's errors: the state fails with
		// the exception.
		return host.Errorf("%v", err)
	}
	if data.Truthy(ch) {
		r.res.Changes.Set("diff", ch)
		if r.test() {
			r.res.Result, r.res.Comment = nil, "Changes would be made"
		} else {
			r.res.Comment = "Changes were made"
		}
		return nil
	}
	r.res.Comment = "No changes needed to be made"
	return nil
}
