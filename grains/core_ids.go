package grains

import (
	"context"
	"crypto/sha256"
	"encoding/binary"

	"github.com/saltgo/saltgo/data"
)

// collectMachineID reads /etc/machine-id, else /var/lib/dbus/machine-id.
func collectMachineID(_ context.Context, e *Env) (*data.Map, error) {
	for _, p := range []string{"/etc/machine-id", "/var/lib/dbus/machine-id"} {
		if s := e.ReadString(p); s != "" {
			return data.M("machine_id", s), nil
		}
	}
	return nil, nil
}

// collectMaster reports the master option as is (a string or a list).
func collectMaster(_ context.Context, e *Env) (*data.Map, error) {
	m := e.Opts.Master
	if m == nil {
		m = ""
	}
	return data.M("master", data.Normalize(m)), nil
}

// ServerID is Salt's server_id grain: the SHA-256 of the id modulo 2**31.
func ServerID(id string) int64 {
	sum := sha256.Sum256([]byte(id))
	return int64(binary.BigEndian.Uint32(sum[28:]) & 0x7fffffff)
}

func collectServerID(_ context.Context, e *Env) (*data.Map, error) {
	return data.M("server_id", ServerID(e.Opts.ID)), nil
}

func collectID(_ context.Context, e *Env) (*data.Map, error) {
	return data.M("id", e.Opts.ID), nil
}
