package file

import (
	"os/user"
	"strconv"
)

// primaryGroup is the name of a user's primary group.
func primaryGroup(uid int64) (string, error) {
	u, err := user.LookupId(strconv.FormatInt(uid, 10))
	if err != nil {
		return "", err
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		return "", err
	}
	return g.Name, nil
}

// currentUser is the name of the user running the minion (Salt's default
// for the "user" option).
func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "root"
}
