package mastertest

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/saltgo/saltgo/atomicfile"
	"github.com/saltgo/saltgo/transport/crypt"
)

// AcceptMinion accepts a minion key the way salt-key does: pubPEM becomes
// pkiDir/minions/<id> (Salt's pki layout, mode 0644; the directory is
// created when missing). It is the one place tests and test masters
// accept a key.
func AcceptMinion(pkiDir, id string, pubPEM []byte) error {
	return writeKey(pkiDir, crypt.MinionsDir, id, pubPEM)
}

// writeKey stores a minion key in one of the pki key-state directories.
func writeKey(pkiDir, state, id string, pubPEM []byte) error {
	if !validID(id) {
		return fmt.Errorf("mastertest: invalid minion id %q", id)
	}
	p := filepath.Join(pkiDir, state, id)
	if err := atomicfile.WriteMkdir(p, pubPEM, crypt.PubKeyMode, crypt.SubDirMode); err != nil {
		return fmt.Errorf("mastertest: store key of %s in %s: %w", id, state, err)
	}
	return nil
}

// AcceptedMinions lists the ids whose keys are accepted in pkiDir, sorted.
func AcceptedMinions(pkiDir string) []string {
	ents, _ := os.ReadDir(filepath.Join(pkiDir, crypt.MinionsDir))
	var ids []string
	for _, e := range ents {
		if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			ids = append(ids, e.Name())
		}
	}
	sort.Strings(ids)
	return ids
}

// SamplePublicKey is a fixed RSA public key (PEM) for tests that need a
// key's bytes (a master.pub on disk, a VM minion's key read back) but
// never its private half.
const SamplePublicKey = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvgaR5kjWTKlJ3zEBy6bc
pgPSDDnu9dl3nCZYvXfumYtRcj5oDA4M1vfg+5DfHAwT1ut17mwWP5Wo7i5z7cS4
mCLGp4qdUfNgqwAv2WQBoSTpnvW8VELdGPDgVvU8bNSDk1Y8BnxJg5CnFvsIV8U8
nGGq4ySZOdm+AXqkAS0IAQ/N3Vn9DQtVRCD0srZlMVB5MbP95ELHwwmcAmlQpL3Y
E9M/h5Y/ArzqUqBG0jD8kSHlOU7i6z6IJtHzp7tl3obqM4CGQ8pnjwEc2F5TV8dc
IIUcq+zJC6y46itTK63AXBHFVnPEJJyYDjbZ/cWk35SjZRlsDXz51U4vYuO7w9yK
oQIDAQAB
-----END PUBLIC KEY-----
`
