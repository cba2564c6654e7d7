package file

import (
	"os"
	"syscall"
)

// statOwner returns the uid and gid of a stat result.
func statOwner(st os.FileInfo) ([2]int, bool) {
	s, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return [2]int{}, false
	}
	return [2]int{int(s.Uid), int(s.Gid)}, true
}

// inode identifies a file by device and inode number.
func inode(st os.FileInfo) ([2]uint64, bool) {
	s, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return [2]uint64{}, false
	}
	return [2]uint64{uint64(s.Dev), s.Ino}, true
}
