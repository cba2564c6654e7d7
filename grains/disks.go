package grains

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/saltgo/saltgo/data"
)

// collectDisks is salt.grains.disks for Linux: non-virtual block devices,
// split by /sys/block/X/queue/rotational.
func collectDisks(_ context.Context, e *Env) (*data.Map, error) {
	disks, ssds := []any{}, []any{}
	entries, err := os.ReadDir(e.Path("/sys/block"))
	if err != nil {
		return data.M("disks", disks, "ssds", ssds), nil
	}
	for _, ent := range entries {
		p := e.Path("/sys/block/" + ent.Name())
		if link, err := os.Readlink(p); err == nil && strings.HasPrefix(link, "../devices/virtual/") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(p, "queue", "rotational"))
		if err != nil || len(b) == 0 {
			continue
		}
		switch b[0] {
		case '0':
			ssds = append(ssds, ent.Name())
		case '1':
			disks = append(disks, ent.Name())
		}
	}
	return data.M("disks", disks, "ssds", ssds), nil
}
