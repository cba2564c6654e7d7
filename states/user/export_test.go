package user

// SetRoot makes the states pass root=dir to the execution modules.
func SetRoot(dir string) (restore func()) {
	old := root
	root = dir
	return func() { root = old }
}
