package archive

import (
	"io/fs"
	"syscall"
)

// statIDs returns a file's owner and group ids.
func statIDs(st fs.FileInfo) (int, int) {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return int(s.Uid), int(s.Gid)
	}
	return -1, -1
}
