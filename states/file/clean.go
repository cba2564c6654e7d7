package file

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	filemod "github.com/saltgo/saltgo/modules/file"
)

// fnmatchRe is Python's fnmatch.translate: "*" matches "/" too.
func fnmatchRe(pat string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?s)^")
	for i := 0; i < len(pat); i++ {
		switch c := pat[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			j := i + 1
			if j < len(pat) && pat[j] == '!' {
				j++
			}
			if j < len(pat) && pat[j] == ']' {
				j++
			}
			for j < len(pat) && pat[j] != ']' {
				j++
			}
			if j >= len(pat) {
				b.WriteString(`\[`)
				continue
			}
			set := pat[i+1 : j]
			if strings.HasPrefix(set, "!") {
				set = "^" + set[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(set, `\`, `\\`) + "]")
			i = j
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return regexp.MustCompile("$^")
	}
	return re
}

// patMatch is check_include_exclude's _pat_check: "E@regex" searched, or
// an fnmatch glob.
func patMatch(path, pat string) bool {
	if re, ok := strings.CutPrefix(pat, "E@"); ok {
		rx, err := regexp.Compile(re)
		return err == nil && rx.MatchString(path)
	}
	return fnmatchRe(pat).MatchString(path)
}

// includeExclude is salt.utils.stringutils.check_include_exclude for one
// include and one exclude pattern ("" for none).
func includeExclude(path, include, exclude string) bool {
	switch {
	case include != "" && exclude != "":
		return patMatch(path, include) && !patMatch(path, exclude)
	case include != "":
		return patMatch(path, include)
	case exclude != "":
		return !patMatch(path, exclude)
	}
	return true
}

// cleanDir is Salt's _clean_dir: remove (or, in test mode, list) what is
// under root and not kept (keep's entries and their parents), except what
// exclude_pat protects. It returns the removed paths, sorted.
func cleanDir(root string, keep []string, excludePat string, test bool) []string {
	real := map[string]bool{root: true}
	for _, k := range keep {
		if !filepath.IsAbs(k) {
			continue
		}
		for p := filepath.Clean(k); ; p = filepath.Dir(p) {
			real[p] = true
			if p == "/" || p == "." {
				break
			}
		}
	}
	var removed []string
	var walkDir func(dir string)
	walkDir = func(dir string) {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		var dirs, files []string
		for _, e := range ents {
			if e.IsDir() {
				dirs = append(dirs, e.Name())
			} else {
				files = append(files, e.Name())
			}
		}
		for _, n := range append(append([]string{}, dirs...), files...) {
			p := filepath.Join(dir, n)
			if real[p] {
				continue
			}
			rel, _ := filepath.Rel(root, p)
			if !includeExclude(rel, "", excludePat) {
				continue
			}
			removed = append(removed, p)
			if !test {
				_ = filemod.Remove(p)
			}
		}
		for _, d := range dirs {
			walkDir(filepath.Join(dir, d))
		}
	}
	walkDir(root)
	sort.Strings(removed)
	return removed
}
