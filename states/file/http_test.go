package file_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
)

func TestManagedHTTPSource(t *testing.T) {
	body := "served over http\n"
	sum := sha256.Sum256([]byte(body))
	hsum := hex.EncodeToString(sum[:])
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/f.txt":
			fmt.Fprint(w, body)
		case "/SHA256SUMS":
			fmt.Fprintf(w, "%s  other.txt\n%s  f.txt\n", hex.EncodeToString(make([]byte, 32)), hsum)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	url := srv.URL + "/f.txt"
	fx := newFixture(t, nil)
	name := fx.p("h.txt")
	um := fmt.Sprintf("0%o", 0o666&^currentUmask())

	want(t, fx.apply("file.managed", false, "name", name, "source", url), false,
		fmt.Sprintf("Unable to verify upstream hash of source file %s, please set source_hash or set skip_verify to True", url), nil)
	bad := hex.EncodeToString(make([]byte, 32))
	want(t, fx.apply("file.managed", false, "name", name, "source", url, "source_hash", "sha256="+bad), false,
		fmt.Sprintf("Specified sha256 checksum for %s (%s) does not match actual checksum (%s)", name, bad, hsum), nil)
	if _, err := os.Stat(name); err == nil {
		t.Fatal("a file with a wrong hash was installed")
	}
	want(t, fx.apply("file.managed", true, "name", name, "source", url, "source_hash", hsum), nil,
		fmt.Sprintf("The file %s is set to be changed", name)+note, data.M("newfile", name))
	want(t, fx.apply("file.managed", false, "name", name, "source", url, "source_hash", "sha256="+hsum), true,
		fmt.Sprintf("File %s updated", name), data.M("diff", "New file", "mode", um))
	if readFile(t, name) != body {
		t.Fatal("content differs")
	}
	// The existing file matches source_hash: nothing is fetched or changed.
	want(t, fx.apply("file.managed", false, "name", name, "source", url, "source_hash", srv.URL+"/SHA256SUMS"), true,
		fmt.Sprintf("File %s exists with proper permissions. No changes made.", name), nil)
	// A changed file with a wrong hash is refused and kept.
	writeFile(t, name, "local edit\n", 0o644)
	want(t, fx.apply("file.managed", false, "name", name, "source", url, "source_hash", "sha256="+bad), false,
		fmt.Sprintf("Specified sha256 checksum for %s (%s) does not match actual checksum (%s). If the 'source_hash' value refers to a remote file with multiple possible matches, then it may be necessary to set 'source_hash_name'.", url, bad, hsum), nil)
	if readFile(t, name) != "local edit\n" {
		t.Fatal("refused content installed")
	}
	want(t, fx.apply("file.managed", false, "name", name, "source", url, "skip_verify", true), true,
		fmt.Sprintf("File %s updated", name), data.M("diff", "--- \n+++ \n@@ -1 +1 @@\n-local edit\n+served over http\n"))
	want(t, fx.apply("file.managed", false, "name", fx.p("404"), "source", srv.URL+"/missing", "skip_verify", true), false,
		fmt.Sprintf("Failed to cache %s/missing: Error: HTTP 404: '%s/missing'", srv.URL, srv.URL), nil)
}

func TestManagedHTTPSVerifySSL(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "tls\n") }))
	defer srv.Close()
	fx := newFixture(t, nil)
	name := fx.p("tls.txt")
	ret := fx.apply("file.managed", false, "name", name, "source", srv.URL+"/f", "skip_verify", true)
	if r, _ := ret.Get("result"); r != false || !strings.Contains(get(ret, "comment"), "certificate") {
		t.Fatalf("an unverified certificate was accepted: %s", data.Repr(ret))
	}
	want(t, fx.apply("file.managed", false, "name", name, "source", srv.URL+"/f", "skip_verify", true, "verify_ssl", false), true,
		fmt.Sprintf("File %s updated", name), data.M("diff", "New file", "mode", fmt.Sprintf("0%o", 0o666&^currentUmask())))
}
