package file_test

import (
	"io/fs"

	filemod "github.com/saltgo/saltgo/modules/file"
)

func currentUmask() fs.FileMode { return filemod.Umask() }
