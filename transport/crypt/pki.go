package crypt

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/saltgo/saltgo/atomicfile"
)

// File and directory names of Salt's pki_dir.
const (
	MinionPrivFile      = "minion.pem"
	MinionPubFile       = "minion.pub"
	MinionMasterPubFile = "minion_master.pub" // cached master key (trust on first use)
	MasterPrivFile      = "master.pem"
	MasterPubFile       = "master.pub"
	MinionsDir          = "minions"          // accepted minion keys
	MinionsPreDir       = "minions_pre"      // pending
	MinionsRejectedDir  = "minions_rejected" // rejected
	MinionsDeniedDir    = "minions_denied"   // key-mismatch attempts
	MinionsAutosignDir  = "minions_autosign"
)

// Permissions Salt gives its key files and directories.
const (
	PKIDirMode  fs.FileMode = 0o700 // pki_dir (0750 is also tolerated)
	SubDirMode  fs.FileMode = 0o755 // minions*/ (made under umask 022)
	PrivKeyMode fs.FileMode = 0o400
	PubKeyMode  fs.FileMode = 0o644
)

// EnsurePKIDir creates dir (mode 0700) when missing and, like Salt's
// verify_env, resets its mode to 0700 unless it is 0700 or 0750.
func EnsurePKIDir(dir string) error {
	if err := os.MkdirAll(dir, PKIDirMode); err != nil {
		return fmt.Errorf("crypt: pki dir: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("crypt: pki dir: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("crypt: pki dir %s is not a directory", dir)
	}
	if m := st.Mode().Perm(); m != 0o700 && m != 0o750 {
		if err := os.Chmod(dir, PKIDirMode); err != nil {
			return fmt.Errorf("crypt: pki dir: %w", err)
		}
	}
	return nil
}

// KeyPair is a key pair loaded (or generated) by OpenKeyPair.
type KeyPair struct {
	Priv      *rsa.PrivateKey
	PubPEM    []byte // the .pub file's text
	Generated bool   // the pair was generated now (no .pem existed)
}

// OpenKeyPair returns the key pair <dir>/<name>.pem and .pub, generating it
// (bits, 0 = 2048) only when no file of that name exists (os.Lstat): .pem
// PKCS#1 mode 0400, .pub SPKI mode 0644, both written atomically. A
// dangling symlink or an unreadable .pem is an error, never a reason to
// make a new key pair (a new identity). A missing .pub next to an existing
// .pem is rewritten; a .pub that does not match the .pem is an error.
func OpenKeyPair(dir, name string, bits int) (*KeyPair, error) {
	if err := EnsurePKIDir(dir); err != nil {
		return nil, err
	}
	privPath := filepath.Join(dir, name+".pem")
	pubPath := filepath.Join(dir, name+".pub")
	_, err := os.Lstat(privPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return generateKeyPair(privPath, pubPath, bits)
	case err != nil:
		return nil, fmt.Errorf("crypt: private key %s: %w", privPath, err)
	}
	priv, err := ReadPrivateKey(privPath)
	if errors.Is(err, fs.ErrNotExist) {
		target, _ := os.Readlink(privPath)
		return nil, fmt.Errorf("crypt: private key %s is a dangling symlink (to %q); refusing to generate a new key pair (a new identity): restore the key or remove the link", privPath, target)
	}
	if err != nil {
		return nil, err
	}
	pub, pubPEM, err := ReadPublicKey(pubPath)
	if errors.Is(err, fs.ErrNotExist) {
		if pubPEM, err = PublicKeyOf(priv); err != nil {
			return nil, err
		}
		if err := atomicfile.Write(pubPath, pubPEM, PubKeyMode); err != nil {
			return nil, err
		}
		return &KeyPair{Priv: priv, PubPEM: pubPEM}, nil
	}
	if err != nil {
		return nil, err
	}
	if !pub.Equal(&priv.PublicKey) {
		return nil, fmt.Errorf("crypt: %s does not match %s", pubPath, privPath)
	}
	return &KeyPair{Priv: priv, PubPEM: pubPEM}, nil
}

func generateKeyPair(privPath, pubPath string, bits int) (*KeyPair, error) {
	priv, err := GenerateKey(bits)
	if err != nil {
		return nil, err
	}
	if err := atomicfile.Write(privPath, MarshalPrivateKeyPEM(priv), PrivKeyMode); err != nil {
		return nil, err
	}
	pubPEM, err := PublicKeyOf(priv)
	if err != nil {
		return nil, err
	}
	if err := atomicfile.Write(pubPath, pubPEM, PubKeyMode); err != nil {
		return nil, err
	}
	return &KeyPair{Priv: priv, PubPEM: pubPEM, Generated: true}, nil
}

// LoadOrGenerateKeyPair is OpenKeyPair without the Generated flag.
func LoadOrGenerateKeyPair(dir, name string, bits int) (priv *rsa.PrivateKey, pubPEM []byte, err error) {
	kp, err := OpenKeyPair(dir, name, bits)
	if err != nil {
		return nil, nil, err
	}
	return kp.Priv, kp.PubPEM, nil
}

// OpenMinionKeys is OpenKeyPair for the minion key pair of pki_dir
// (minion.pem / minion.pub).
func OpenMinionKeys(pkiDir string, bits int) (*KeyPair, error) {
	return OpenKeyPair(pkiDir, "minion", bits)
}

// LoadOrGenerateMinionKeys returns the minion key pair of pki_dir
// (minion.pem / minion.pub), creating the directory and the keys as Salt's
// minion does on first start.
func LoadOrGenerateMinionKeys(pkiDir string, bits int) (*rsa.PrivateKey, []byte, error) {
	return LoadOrGenerateKeyPair(pkiDir, "minion", bits)
}

// ReadCachedMasterKey reads pki_dir/minion_master.pub. The error wraps
// fs.ErrNotExist when no master key has been cached yet.
func ReadCachedMasterKey(pkiDir string) (*rsa.PublicKey, []byte, error) {
	return ReadPublicKey(filepath.Join(pkiDir, MinionMasterPubFile))
}

// WriteCachedMasterKey stores the master's pub_key text (as received, like
// Salt) in pki_dir/minion_master.pub, mode 0644, after checking it parses.
func WriteCachedMasterKey(pkiDir string, pubPEM []byte) error {
	if _, err := ParsePublicKeyPEM(pubPEM); err != nil {
		return fmt.Errorf("crypt: refusing to cache master key: %w", err)
	}
	return atomicfile.Write(filepath.Join(pkiDir, MinionMasterPubFile), pubPEM, PubKeyMode)
}

// EnsureMasterPKI creates a master pki_dir (0700) with its minions,
// minions_pre, minions_rejected, minions_denied and minions_autosign
// subdirectories (0755) and loads or generates master.pem / master.pub.
func EnsureMasterPKI(pkiDir string, bits int) (*rsa.PrivateKey, []byte, error) {
	if err := EnsurePKIDir(pkiDir); err != nil {
		return nil, nil, err
	}
	for _, d := range []string{MinionsDir, MinionsPreDir, MinionsRejectedDir, MinionsDeniedDir, MinionsAutosignDir} {
		p := filepath.Join(pkiDir, d)
		err := os.Mkdir(p, SubDirMode)
		switch {
		case err == nil: // Salt makes them under umask 022 whatever ours is
			if err := os.Chmod(p, SubDirMode); err != nil {
				return nil, nil, fmt.Errorf("crypt: master pki: %w", err)
			}
		case errors.Is(err, fs.ErrExist):
			if st, serr := os.Stat(p); serr != nil || !st.IsDir() {
				return nil, nil, fmt.Errorf("crypt: master pki: %s is not a directory", p)
			}
		default:
			return nil, nil, fmt.Errorf("crypt: master pki: %w", err)
		}
	}
	return LoadOrGenerateKeyPair(pkiDir, "master", bits)
}
