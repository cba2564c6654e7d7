package file

import (
	"os"
	"path/filepath"
	"sort"

	"github.com/saltgo/saltgo/fileclient"
	filemod "github.com/saltgo/saltgo/modules/file"
)

// includeExclude is salt.utils.stringutils.check_include_exclude for one
// include and one exclude pattern ("" for none); a bad regex matches
// nothing.
func includeExclude(path, include, exclude string) bool {
	ok, err := fileclient.CheckIncludeExclude(path, include, exclude)
	return err == nil && ok
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
