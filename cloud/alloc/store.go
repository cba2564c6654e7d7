// Package alloc holds the makina-states compute-node allocators (MAC, IPv4,
// password, SSH and SNMP reverse ports) and their on-disk store.
//
// The store keeps the layout and file format of makina-states'
// mc_cloud_compute_node module (spec section 5.1) so that a controller's
// existing allocations are read back unchanged:
//
//	<root>/<T>/settings/{allocated_ips,ssh_map,snmp_map}.pack
//	<root>/<T>/<virt_type>/<V>/settings/{mac,ip4,password,<T>_<V>_<i>_aip_fo}.pack
//
// where T and V are the compute node and VM ids with every dot removed and
// each file holds msgpack.packb({'value': X}). Root is the controller's
// compute_node_pillar_dir, typically
// /srv/mastersalt-pillar/cloud-controller/compute_node.
//
// Unlike the original, every allocation runs under an exclusive per compute
// node file lock, computes everything before writing anything, writes each
// file atomically (temp file, fsync, rename, directory fsync) and refuses to
// touch a corrupt file instead of silently deleting it.
package alloc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/saltgo/saltgo/atomicfile"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/transport/payload"
)

// Setting names of the files kept by the original module.
const (
	SettingAllocatedIPs = "allocated_ips"
	SettingSSHMap       = "ssh_map"
	SettingSNMPMap      = "snmp_map"
	SettingMAC          = "mac"
	SettingIP4          = "ip4"
	SettingPassword     = "password"
)

// The files hold msgpack.packb({'value': X}) as msgpack-python 0.4 wrote it
// under Python 2 (use_bin_type=False): text in the raw/str family without
// str8, integers in their smallest form. transport/payload encodes exactly
// that and decodes every form a Python 2 or 3 writer may have produced.

// lockName is the per compute node lock file, created next to the CN's
// settings directory. The original module never reads it.
const lockName = ".saltgo-alloc.lock"

// Store reads and writes allocation files under Root.
type Store struct {
	// Root is the persistence root (compute_node_pillar_dir).
	Root string
	// Rand is the randomness source for MACs and passwords; nil means
	// crypto/rand.
	Rand io.Reader
}

// New returns a Store rooted at root.
func New(root string) *Store { return &Store{Root: root} }

// StripDots removes every dot from id, as the original path builder did
// ("devhost10.local" becomes "devhost10local").
func StripDots(id string) string { return strings.ReplaceAll(id, ".", "") }

// CNSettingPath is the file holding a per compute node setting.
func (s *Store) CNSettingPath(target, setting string) string {
	return filepath.Join(s.Root, StripDots(target), "settings", setting+".pack")
}

// VMSettingPath is the file holding a per VM setting.
func (s *Store) VMSettingPath(target, virtType, vm, setting string) string {
	return filepath.Join(s.Root, StripDots(target), virtType, StripDots(vm), "settings", setting+".pack")
}

// AdditionalIPSetting is the setting name holding the generated MAC of the
// VM's additional IP number i.
func AdditionalIPSetting(target, vm string, i int) string {
	return fmt.Sprintf("%s_%s_%d_aip_fo", target, vm, i)
}

// CorruptError reports an allocation file that cannot be used. Nothing is
// written while such a file is in the way.
type CorruptError struct {
	Path string
	Err  error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("alloc: allocation file %s is corrupt: %v (nothing was changed; repair or remove the file by hand)", e.Path, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// ReadValue returns the value stored in an allocation file. A missing file
// gives ok == false and no error; a file that is not msgpack of a mapping
// with a 'value' key gives a *CorruptError.
func ReadValue(path string) (v any, ok bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("alloc: read %s: %w", path, err)
	}
	obj, err := payload.Decode(b)
	if err != nil {
		return nil, false, &CorruptError{Path: path, Err: err}
	}
	m, isMap := obj.(*data.Map)
	if !isMap {
		return nil, false, &CorruptError{Path: path, Err: fmt.Errorf("top-level object is %s, want a mapping with a 'value' key", typeName(obj))}
	}
	v, ok = m.Get("value")
	if !ok {
		return nil, false, &CorruptError{Path: path, Err: errors.New("no 'value' key")}
	}
	return v, true, nil
}

// EncodeValue returns the file content for value: msgpack of {'value': value}.
func EncodeValue(value any) ([]byte, error) {
	return payload.Encode(data.M("value", value))
}

// WriteValue atomically replaces path with msgpack {'value': value}: it
// writes a temporary file in the same directory, fsyncs it, renames it over
// path and fsyncs the directory. Files are mode 0700 like the original's.
func WriteValue(path string, value any) error {
	b, err := EncodeValue(value)
	if err != nil {
		return fmt.Errorf("alloc: encode %s: %w", path, err)
	}
	if err := atomicfile.WriteMkdir(path, b, 0o700, 0o755); err != nil {
		return fmt.Errorf("alloc: %w", err)
	}
	return nil
}

// lock takes the exclusive lock of a compute node. It polls a non-blocking
// flock so that ctx can cancel the wait. flock locks belong to the open file
// description, so two goroutines of one process exclude each other too.
func (s *Store) lock(ctx context.Context, target string) (unlock func(), err error) {
	dir := filepath.Join(s.Root, StripDots(target))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("alloc: %w", err)
	}
	path := filepath.Join(dir, lockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("alloc: %w", err)
	}
	delay := time.Millisecond
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("alloc: lock %s: %w", path, err)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			f.Close()
			return nil, fmt.Errorf("alloc: waiting for lock %s: %w", path, ctx.Err())
		case <-t.C:
		}
		if delay < 5*time.Millisecond {
			delay *= 2
		}
	}
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "nil"
	case bool:
		return "a bool"
	case int64, uint64:
		return "an int"
	case float64:
		return "a float"
	case string:
		return "a str"
	case []byte:
		return "bytes"
	case []any:
		return "a list"
	case *data.Map:
		return "a mapping"
	}
	return fmt.Sprintf("%T", v)
}

// UpdateCNSetting rewrites a per compute node setting file under the
// compute node's lock: f gets the stored value (ok is false when the file
// does not exist) and returns the new one, which is written atomically; a
// nil new value removes the file. An error from f changes nothing.
func (s *Store) UpdateCNSetting(ctx context.Context, target, setting string, f func(v any, ok bool) (any, error)) error {
	unlock, err := s.lock(ctx, target)
	if err != nil {
		return err
	}
	defer unlock()
	path := s.CNSettingPath(target, setting)
	cur, ok, err := ReadValue(path)
	if err != nil {
		return err
	}
	next, err := f(cur, ok)
	if err != nil {
		return err
	}
	if next == nil {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("alloc: %w", err)
		}
		return nil
	}
	return WriteValue(path, next)
}
