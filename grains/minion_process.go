package grains

import (
	"context"
	"strconv"
	"strings"

	"github.com/saltgo/saltgo/data"
)

// lookupName finds the name of id in a passwd/group style file.
func lookupName(e *Env, file string, id int) any {
	b, err := e.ReadFile(file)
	if err != nil {
		return nil
	}
	want := strconv.Itoa(id)
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 3 && f[2] == want {
			return f[0]
		}
	}
	return nil
}

// collectProcess is salt.grains.minion_process: username, groupname, pid,
// gid and uid of the running process (names from /etc/passwd and
// /etc/group).
func collectProcess(_ context.Context, e *Env) (*data.Map, error) {
	p := e.Sys.Process()
	return data.M(
		"username", lookupName(e, "/etc/passwd", p.UID),
		"groupname", lookupName(e, "/etc/group", p.GID),
		"pid", int64(p.PID),
		"gid", int64(p.GID),
		"uid", int64(p.UID),
	), nil
}
