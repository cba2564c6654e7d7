// Package sysctl is Salt's sysctl state module (salt/states/sysctl.py):
// present sets a kernel parameter live and persists it in a sysctl
// configuration file, through modules/sysctl.
package sysctl

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	sysctlmod "github.com/saltgo/saltgo/modules/sysctl"
	"github.com/saltgo/saltgo/state"
)

func init() {
	host.Register(&host.Module{Kind: host.State, Name: "sysctl", Doc: "Configuration of the kernel using sysctl", Funcs: []*host.Func{
		{Name: "present", Params: []host.Param{host.Req("name"), host.Req("value"), host.Opt("config", nil)},
			VarKwargs: true, Fn: present, Doc: "Ensure that the named sysctl value is set in memory and persisted to the named configuration file."},
	}})
}

var spaces = regexp.MustCompile(" +|\t+")

func present(ctx context.Context, c *host.Call) (any, error) {
	name := c.Str("name")
	value := data.Str(c.Get("value"))
	ret := data.M("name", name, "changes", data.NewMap(), "result", true, "comment", "")
	config := sysctlmod.DefaultConfig(ctx)
	if v := c.Get("config"); v != nil {
		config = data.Str(v)
	}
	done := func(result any, comment string) (any, error) {
		ret.Set("result", result)
		ret.Set("comment", comment)
		return ret, nil
	}
	if state.IsTest(c) {
		configured, err := sysctlmod.ShowConfig(config)
		if err != nil {
			return done(nil, fmt.Sprintf("Sysctl option %s might be changed, we failed to check config file at %s. The file is either unreadable, or missing.", name, config))
		}
		inConfig := configured != nil && configured.Has(name)
		current, err := sysctlmod.Get(ctx, name)
		if err != nil {
			return done(false, err.Error())
		}
		switch {
		case current != "" && inConfig:
			if strings.Join(strings.Fields(value), " ") == strings.Join(strings.Fields(current), " ") {
				return done(true, fmt.Sprintf("Sysctl value %s = %s is already set", name, value))
			}
		case current != "":
			if spaces.ReplaceAllString(current, " ") != spaces.ReplaceAllString(value, " ") {
				return done(nil, fmt.Sprintf("Sysctl option %s set to be changed to %s", name, value))
			}
			return done(nil, fmt.Sprintf("Sysctl value is currently set on the running system but not in a config file. Sysctl option %s set to be changed to %s in config file.", name, value))
		case inConfig:
			return done(nil, fmt.Sprintf("Sysctl value %[1]s is present in configuration file but is not present in the running config. The value %[1]s is set to be changed to %[2]s", name, value))
		}
		return done(nil, fmt.Sprintf("Sysctl option %s would be changed to %s", name, value))
	}
	update, err := sysctlmod.Persist(ctx, name, value, config)
	if err != nil {
		return done(false, fmt.Sprintf("Failed to set %s to %s: %s", name, value, err.Error()))
	}
	switch update {
	case "Updated":
		ret.Set("changes", data.M(name, c.Get("value")))
		ret.Set("comment", fmt.Sprintf("Updated sysctl value %s = %s", name, value))
	case "Already set":
		ret.Set("comment", fmt.Sprintf("Sysctl value %s = %s is already set", name, value))
	}
	return ret, nil
}
