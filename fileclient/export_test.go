package fileclient

// SetDownloadSlack sets the download margin for a test and returns the
// function that restores it.
func SetDownloadSlack(n int64) func() {
	old := downloadSlack
	downloadSlack = n
	return func() { downloadSlack = old }
}
