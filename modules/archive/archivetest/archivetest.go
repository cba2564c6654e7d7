// Package archivetest builds real archives for the archive module and
// state tests: tar (plain, gzip, bzip2, xz) and zip, byte for byte the
// same on every run (fixed times, owners and compression settings), so
// that their hashes can stand in golden files. Test support only.
package archivetest

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Entry is one member: a name ending in "/" is a directory, Link makes a
// symlink, Hardlink a hard link, Body is a file's content.
type Entry struct {
	Name     string
	Body     string
	Link     string
	Hardlink string
	Mode     int64
}

// When is the time every entry carries.
var When = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// Tar returns a tar archive of entries, compressed with comp ("", "gz",
// "bz2" or "xz"; bz2 and xz through the bzip2 and xz commands).
func Tar(t testing.TB, entries []Entry, comp string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.Name, Mode: e.Mode, ModTime: When, Uname: "root", Gname: "root", Format: tar.FormatGNU}
		switch {
		case strings.HasSuffix(e.Name, "/"):
			h.Typeflag = tar.TypeDir
			if h.Mode == 0 {
				h.Mode = 0o755
			}
		case e.Link != "":
			h.Typeflag, h.Linkname = tar.TypeSymlink, e.Link
			h.Mode = 0o777
		case e.Hardlink != "":
			h.Typeflag, h.Linkname = tar.TypeLink, e.Hardlink
			if h.Mode == 0 {
				h.Mode = 0o644
			}
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.Body))
			if h.Mode == 0 {
				h.Mode = 0o644
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(e.Body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	switch comp {
	case "":
		return buf.Bytes()
	case "gz":
		var z bytes.Buffer
		zw, err := gzip.NewWriterLevel(&z, gzip.BestCompression)
		if err != nil {
			t.Fatal(err)
		}
		zw.ModTime = When
		if _, err := zw.Write(buf.Bytes()); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return z.Bytes()
	case "bz2":
		return filter(t, buf.Bytes(), "bzip2", "bzip2", "-9", "-c")
	case "xz":
		return filter(t, buf.Bytes(), "xz-utils", "xz", "-6", "-c", "--check=crc64")
	}
	t.Fatalf("archivetest: unknown compression %q", comp)
	return nil
}

func filter(t testing.TB, in []byte, pkg string, argv ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath(argv[0]); err != nil {
		t.Fatalf("%s is needed to build the test archive (apt-get install %s): %v", argv[0], pkg, err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", strings.Join(argv, " "), err)
	}
	return out
}

// Zip returns a zip archive of entries (Unix modes, symlinks as Info-ZIP
// stores them).
func Zip(t testing.TB, entries []Entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.Name, Method: zip.Deflate, Modified: When}
		body := e.Body
		switch {
		case strings.HasSuffix(e.Name, "/"):
			h.Method = zip.Store
			h.SetMode(os.ModeDir | 0o755)
		case e.Link != "":
			h.SetMode(os.ModeSymlink | 0o777)
			body = e.Link
		default:
			m := os.FileMode(e.Mode)
			if m == 0 {
				m = 0o644
			}
			h.SetMode(m)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Write writes b at path and returns path.
func Write(t testing.TB, path string, b []byte) string {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(fmt.Errorf("archivetest: %w", err))
	}
	return path
}

// App is a small archive layout with one top-level directory.
func App(prefix string) []Entry {
	return []Entry{
		{Name: prefix + "/"},
		{Name: prefix + "/README", Body: "hello\n"},
		{Name: prefix + "/bin/"},
		{Name: prefix + "/bin/run.sh", Body: "#!/bin/sh\necho run\n", Mode: 0o755},
		{Name: prefix + "/current", Link: "README"},
	}
}
