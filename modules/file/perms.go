package file

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileserver"
)

// NormalizeMode is Salt's salt.utils.files.normalize_mode: a mode as a
// string with a leading zero, "" for None. Integers are taken as Python's
// str() of them (a YAML 0640 is the int 416, which becomes "0416", as in
// Salt).
func NormalizeMode(v any) string {
	var s string
	switch x := data.Canonical(v).(type) {
	case nil:
		return ""
	case string:
		s = x
	default:
		s = data.Str(x)
	}
	s = strings.ReplaceAll(s, "0o", "0")
	s = strings.Trim(s, `"`)
	s = strings.Trim(s, `'`)
	s = strings.TrimLeft(s, "0")
	for len(s) < 4 {
		s = "0" + s
	}
	return s
}

// ParseMode turns a normalized mode into permission bits.
func ParseMode(mode string) (fs.FileMode, error) {
	n, err := strconv.ParseUint(mode, 8, 32)
	if err != nil || n > 0o7777 {
		return 0, fmt.Errorf("invalid mode %q", mode)
	}
	m := fs.FileMode(n & 0o777)
	if n&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if n&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if n&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m, nil
}

// modeString is the normalized octal mode of a stat result.
func modeString(st os.FileInfo) string {
	sys := st.Sys().(*syscall.Stat_t)
	return NormalizeMode(strconv.FormatUint(uint64(sys.Mode&0o7777), 8))
}

// UserToUID is Salt's file.user_to_uid: an int passes through, a name is
// looked up; "" when the user does not exist.
func UserToUID(u any) any {
	if n, ok := data.AsInt(u); ok {
		return n
	}
	s := data.Str(u)
	if u == nil || s == "" {
		return int64(os.Getuid())
	}
	usr, err := user.Lookup(s)
	if err != nil {
		return ""
	}
	n, _ := strconv.ParseInt(usr.Uid, 10, 64)
	return n
}

// GroupToGID is Salt's file.group_to_gid ("" when the group is missing).
func GroupToGID(g any) any {
	if n, ok := data.AsInt(g); ok {
		return n
	}
	s := data.Str(g)
	if g == nil || s == "" {
		return nil
	}
	grp, err := user.LookupGroup(s)
	if err != nil {
		return ""
	}
	n, _ := strconv.ParseInt(grp.Gid, 10, 64)
	return n
}

// UIDToUser is Salt's file.uid_to_user: the name, or the uid when unknown.
func UIDToUser(uid int64) any {
	u, err := user.LookupId(strconv.FormatInt(uid, 10))
	if err != nil {
		return uid
	}
	return u.Username
}

// GIDToGroup is Salt's file.gid_to_group: the name, or the gid when unknown.
func GIDToGroup(gid int64) any {
	g, err := user.LookupGroupId(strconv.FormatInt(gid, 10))
	if err != nil {
		return gid
	}
	return g.Name
}

// PathNotFoundError is Stats' error for a missing path ("Path not found: X").
type PathNotFoundError struct{ Path string }

// Error returns Salt's text.
func (e *PathNotFoundError) Error() string { return "Path not found: " + e.Path }

// Stats is Salt's file.stats: inode, uid, gid, group, user, atime, mtime,
// ctime, size, mode, sum (with hashType), type, target.
func Stats(path, hashType string, follow bool) (*data.Map, error) {
	var st os.FileInfo
	var err error
	if follow {
		st, err = os.Stat(path)
		if err != nil {
			st, err = os.Lstat(path) // a broken symlink still has owners
		}
	} else {
		st, err = os.Lstat(path)
	}
	if err != nil {
		return nil, &PathNotFoundError{Path: path}
	}
	sys := st.Sys().(*syscall.Stat_t)
	ts := func(t syscall.Timespec) float64 { return float64(t.Sec) + float64(t.Nsec)/1e9 }
	m := data.M(
		"inode", int64(sys.Ino), "uid", int64(sys.Uid), "gid", int64(sys.Gid),
		"group", GIDToGroup(int64(sys.Gid)), "user", UIDToUser(int64(sys.Uid)),
		"atime", ts(sys.Atim), "mtime", ts(sys.Mtim), "ctime", ts(sys.Ctim),
		"size", st.Size(), "mode", modeString(st))
	if hashType != "" {
		sum, err := GetHash(path, hashType)
		if err != nil {
			return nil, err
		}
		m.Set("sum", sum)
	}
	typ := "file"
	switch mt := st.Mode(); {
	case mt.IsDir():
		typ = "dir"
	case mt&fs.ModeSymlink != 0:
		typ = "link"
	case mt&fs.ModeCharDevice != 0:
		typ = "char"
	case mt&fs.ModeDevice != 0:
		typ = "block"
	case mt&fs.ModeNamedPipe != 0:
		typ = "pipe"
	case mt&fs.ModeSocket != 0:
		typ = "socket"
	}
	m.Set("type", typ)
	if follow {
		if t, err := filepath.EvalSymlinks(path); err == nil {
			m.Set("target", t)
		} else {
			m.Set("target", path)
		}
	} else {
		abs, _ := filepath.Abs(path)
		m.Set("target", abs)
	}
	return m, nil
}

// GetHash is Salt's file.get_hash: the hex digest of a file.
func GetHash(path, form string) (string, error) { return fileserver.HashFile(path, form) }

// HashBytes is GetHash of in-memory content.
func HashBytes(b []byte, form string) (string, error) {
	h, err := fileserver.NewHash(form)
	if err != nil {
		return "", err
	}
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ownerMatches is Salt's `user == cur["user"] or user == cur["uid"]`.
func ownerMatches(want any, name any, id int64) bool {
	if n, ok := data.AsInt(want); ok {
		return n == id
	}
	return data.Equal(want, name) || data.Str(want) == data.Str(name)
}

// Chown is Salt's file.chown (lchown when nofollow): user and group may be
// names or ids; nil keeps the current one. It returns Salt's error text
// ("User does not exist\nGroup does not exist\n") as an error.
func Chown(path string, usr, grp any, nofollow bool) error {
	uid, gid := -1, -1
	var msg string
	if usr != nil && data.Str(usr) != "" {
		switch v := UserToUID(usr).(type) {
		case int64:
			uid = int(v)
		default:
			msg += "User does not exist\n"
		}
	}
	if grp != nil && data.Str(grp) != "" {
		switch v := GroupToGID(grp).(type) {
		case int64:
			gid = int(v)
		default:
			msg += "Group does not exist\n"
		}
	}
	if msg != "" {
		return errors.New(msg)
	}
	if _, err := os.Lstat(path); err != nil {
		return errors.New("File not found")
	}
	var err error
	if nofollow {
		err = os.Lchown(path, uid, gid)
	} else {
		err = os.Chown(path, uid, gid)
	}
	if err != nil {
		return fmt.Errorf("chown %s: %w", path, err)
	}
	return nil
}

// SetMode is Salt's file.set_mode.
func SetMode(path, mode string) error {
	m, err := ParseMode(NormalizeMode(mode))
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("%s: File not found", path)
	}
	if err := os.Chmod(path, m); err != nil {
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	return nil
}

// PermResult is what CheckPerms found and did.
type PermResult struct {
	// Changes are the user/group/mode changes (made, or planned in test
	// mode).
	Changes *data.Map
	// Errors are Salt's failure comments ("Failed to change mode to X").
	Errors []string
	// LMode is the mode the path had before ("0644").
	LMode string
}

// CheckPerms is Salt's file.check_perms for POSIX: it sets user, group and
// mode of name as asked (only reports in test mode) and says what changed.
// Changes land in changes (which may be nil, then a new map is made).
func CheckPerms(name string, changes *data.Map, usr, grp any, mode string, follow, test bool) (PermResult, error) {
	if changes == nil {
		changes = data.NewMap()
	}
	res := PermResult{Changes: changes}
	mode = NormalizeMode(nilIfEmpty(mode))
	cur, err := Stats(name, "", follow)
	if err != nil {
		return res, err
	}
	res.LMode, _ = cur.String("mode")
	li, _ := os.Lstat(name)
	isLink := li != nil && li.Mode()&fs.ModeSymlink != 0
	curUser, _ := cur.Get("user")
	curGroup, _ := cur.Get("group")
	curUID, _ := cur.Get("uid")
	curGID, _ := cur.Get("gid")
	uid, _ := data.AsInt(curUID)
	gid, _ := data.AsInt(curGID)
	wantUser := truthy(usr) && !ownerMatches(usr, curUser, uid)
	wantGroup := truthy(grp) && !ownerMatches(grp, curGroup, gid)
	if (wantUser || wantGroup) && !test {
		u, g := usr, grp
		if !truthy(u) {
			u = curUser
		}
		if !truthy(g) {
			g = curGroup
		}
		if err := Chown(name, u, g, isLink && !follow); err != nil {
			res.Errors = append(res.Errors, err.Error())
		} else if !isLink {
			_ = SetMode(name, res.LMode) // chown drops setuid bits
		}
	}
	wantMode := false
	if mode != "" && !test && !(isLink && !follow) && mode != res.LMode {
		wantMode = true
		if err := SetMode(name, mode); err != nil {
			res.Errors = append(res.Errors, err.Error())
		}
	}
	post, err := Stats(name, "", follow)
	if err != nil {
		return res, err
	}
	pUser, _ := post.Get("user")
	pGroup, _ := post.Get("group")
	pUIDv, _ := post.Get("uid")
	pGIDv, _ := post.Get("gid")
	pUID, _ := data.AsInt(pUIDv)
	pGID, _ := data.AsInt(pGIDv)
	if truthy(usr) {
		if !ownerMatches(usr, pUser, pUID) {
			if test {
				changes.Set("user", usr)
			} else {
				res.Errors = append(res.Errors, fmt.Sprintf("Failed to change user to %s", data.Str(usr)))
			}
		} else if wantUser {
			changes.Set("user", usr)
		}
	}
	if truthy(grp) {
		if !ownerMatches(grp, pGroup, pGID) {
			if test {
				changes.Set("group", grp)
			} else {
				res.Errors = append(res.Errors, fmt.Sprintf("Failed to change group to %s", data.Str(grp)))
			}
		} else if wantGroup {
			changes.Set("group", grp)
		}
	}
	if mode != "" && !(isLink && !follow) {
		pm, _ := post.String("mode")
		if mode != pm {
			if test {
				changes.Set("mode", mode)
			} else {
				res.Errors = append(res.Errors, fmt.Sprintf("Failed to change mode to %s", mode))
			}
		} else if wantMode {
			changes.Set("mode", mode)
		}
	}
	return res, nil
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// truthy is Python's `if user:` on an owner argument.
func truthy(v any) bool { return data.Truthy(v) }
