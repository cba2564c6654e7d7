package grains

import (
	"context"
	"log/slog"

	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/version"
)

// OptionsFromConfig fills the Options a minion derives from its loaded
// configuration: id, master, the `grains` option, the grains file next to
// conf_file, grains_blacklist and enable_gpu_grains.
func OptionsFromConfig(c *config.Config, saltgoVersion string) Options {
	o := Options{
		ID:              c.ID,
		GrainsFile:      c.GrainsFile(),
		Blacklist:       c.GrainsBlacklist,
		EnableGPUGrains: c.EnableGPUGrains,
		SaltgoVersion:   saltgoVersion,
	}
	o.Master, _ = c.Get("master")
	if g, ok := c.Get("grains"); ok {
		if m, ok := g.(*data.Map); ok {
			o.ConfigGrains = m
		}
	}
	return o
}

// CollectFromConfig gathers the grains of the minion configured by cfg:
// what the minion sends to its master and what salt-call shows.
func CollectFromConfig(ctx context.Context, cfg *config.Config, log *slog.Logger) (*data.Map, error) {
	o := OptionsFromConfig(cfg, version.Version)
	o.Logger = log
	r, err := Collect(ctx, o)
	if r == nil {
		return nil, err
	}
	return r.Grains, err
}
