package cloud

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"

	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
)

// Config is salt-cloud's configuration: the cloud file, the providers
// and the profiles, merged by Salt's rules (salt.config.cloud_config,
// apply_cloud_providers_config, apply_vm_profiles_config).
type Config struct {
	// Main is the cloud file with its cloud.conf.d/*.conf includes.
	Main *data.Map
	// MainRaw is the cloud file alone (salt-cloud's run_profile starts a
	// VM's configuration from it).
	MainRaw *data.Map
	// Providers maps alias -> driver -> settings (each with "profiles"
	// removed); Aliases lists the aliases in file order.
	Providers map[string]map[string]*data.Map
	Aliases   []string
	// Profiles maps a profile name to its settings, "provider" being
	// "alias:driver" and "extends" resolved; Names lists them in order.
	Profiles map[string]*data.Map
	Names    []string
	// Files lists the files read.
	Files []string
}

// LoadConfig reads <dir>/cloud, the providers (<dir>/cloud.providers and
// cloud.providers.d/*.conf, or the providers_config option) and the
// profiles (cloud.profiles and cloud.profiles.d/*.conf, or
// profiles_config).
func LoadConfig(dir string, log *slog.Logger) (*Config, error) {
	c := &Config{Providers: map[string]map[string]*data.Map{}, Profiles: map[string]*data.Map{}}
	mainPath := filepath.Join(dir, "cloud")
	raw, _, err := config.ReadWithIncludes(mainPath, "", log)
	if err != nil {
		return nil, err
	}
	c.MainRaw = raw.Copy()
	var files []string
	c.Main, files, err = config.ReadWithIncludes(mainPath, "cloud.conf.d/*.conf", log)
	if err != nil {
		return nil, err
	}
	c.Files = append(c.Files, files...)
	path := func(key, def string) string {
		p, _ := c.Main.String(key)
		if p == "" {
			p = def
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		return p
	}
	pv, files, err := config.ReadWithIncludes(path("providers_config", "cloud.providers"), "cloud.providers.d/*.conf", log)
	if err != nil {
		return nil, err
	}
	c.Files = append(c.Files, files...)
	if err := c.applyProviders(pv, log); err != nil {
		return nil, err
	}
	pf, files, err := config.ReadWithIncludes(path("profiles_config", "cloud.profiles"), "cloud.profiles.d/*.conf", log)
	if err != nil {
		return nil, err
	}
	c.Files = append(c.Files, files...)
	if err := c.applyProfiles(pf, log); err != nil {
		return nil, err
	}
	return c, nil
}

var skipKeys = map[string]bool{"conf_file": true, "include": true, "default_include": true, "user": true}

// applyProviders is apply_cloud_providers_config: an entry needs a
// "driver" (an entry with only "extends" may lend its data; one with
// neither is dropped with Salt's error line), "extends: alias[:driver]"
// merges the named entry under it (dictupdate), two entries of one alias
// may not name the same driver.
func (c *Config) applyProviders(m *data.Map, log *slog.Logger) error {
	type entry struct {
		alias, driver string
		conf          *data.Map
	}
	var entries []*entry
	var err error
	m.Range(func(k, v any) bool {
		alias := fmt.Sprint(k)
		if skipKeys[alias] {
			return true
		}
		var list []any
		isList := false
		switch x := v.(type) {
		case []any:
			list, isList = x, true
		default:
			list = []any{x}
		}
		seen := map[string]bool{}
		for _, e := range list {
			em, ok := e.(*data.Map)
			if !ok {
				err = fmt.Errorf("the cloud provider alias '%s' is not a mapping", alias)
				return false
			}
			em = data.Deep(em).(*data.Map)
			d, _ := em.String("driver")
			if d == "" {
				// A lone entry without driver is kept to be dropped below
				// (Salt's "-only-extendable-" entries), silently.
				if !em.Has("extends") && isList {
					log.Error("Please check your cloud providers configuration. There's no 'driver' nor 'extends' definition referenced.")
					continue
				}
			} else if seen[d] && len(list) > 1 {
				err = fmt.Errorf("The cloud provider alias '%s' has multiple entries for the '%s' driver.", alias, d)
				return false
			}
			seen[d] = true
			entries = append(entries, &entry{alias: alias, driver: d, conf: em})
		}
		return true
	})
	if err != nil {
		return err
	}
	find := func(alias, driver string) *entry {
		for _, e := range entries {
			if e.alias == alias && (driver == "" || e.driver == driver) && e.driver != "" {
				return e
			}
		}
		return nil
	}
	var resolve func(e *entry, depth int) error
	resolve = func(e *entry, depth int) error {
		ext, ok := e.conf.String("extends")
		if !ok {
			return nil
		}
		if depth > 16 {
			return fmt.Errorf("the cloud provider entry in '%s' extends in a loop", e.alias)
		}
		alias, driver, _ := strings.Cut(ext, ":")
		if driver == "" {
			driver = e.driver
		}
		base := find(alias, driver)
		if base == nil && e.driver == "" {
			base = find(alias, "")
		}
		if base == nil || base == e {
			return fmt.Errorf("The '%s' cloud provider entry in '%s' is trying to extend data from '%s' though '%s' is not defined in the salt cloud providers loaded data.", e.driver, e.alias, ext, ext)
		}
		if err := resolve(base, depth+1); err != nil {
			return err
		}
		e.conf.Delete("extends")
		merged := data.DictUpdate(data.Deep(base.conf).(*data.Map), e.conf, false)
		e.conf = merged
		if e.driver == "" {
			e.driver = base.driver
		}
		return nil
	}
	for _, e := range entries {
		if err := resolve(e, 0); err != nil {
			return err
		}
	}
	for _, e := range entries {
		if e.driver == "" {
			log.Info(fmt.Sprintf("There's at least one cloud driver under the '%s' cloud provider alias which does not have the required 'driver' setting. Removing it from the available providers listing.", e.alias))
			continue
		}
		if _, ok := c.Providers[e.alias]; !ok {
			c.Providers[e.alias] = map[string]*data.Map{}
			c.Aliases = append(c.Aliases, e.alias)
		}
		if _, dup := c.Providers[e.alias][e.driver]; !dup {
			c.Providers[e.alias][e.driver] = e.conf
		}
	}
	return nil
}

// applyProfiles is apply_vm_profiles_config: a profile names its provider
// as "alias" (the alias' first driver) or "alias:driver" and is dropped
// when that provider is not configured; "extends: <profile>" merges the
// named profile under it.
func (c *Config) applyProfiles(m *data.Map, log *slog.Logger) error {
	raw := map[string]*data.Map{}
	var order []string
	var err error
	m.Range(func(k, v any) bool {
		name := fmt.Sprint(k)
		if skipKeys[name] {
			return true
		}
		pm, ok := v.(*data.Map)
		if !ok {
			err = fmt.Errorf("The VM profiles configuration found in '%s' is not in the proper format", name)
			return false
		}
		pm = data.Deep(pm).(*data.Map)
		pm.Set("profile", name)
		raw[name] = pm
		order = append(order, name)
		return true
	})
	if err != nil {
		return err
	}
	resolved := map[string]*data.Map{}
	var resolve func(name string, depth int) *data.Map
	resolve = func(name string, depth int) *data.Map {
		if r, ok := resolved[name]; ok {
			return r
		}
		p := raw[name]
		if p == nil || depth > 16 {
			return nil
		}
		ext, ok := p.String("extends")
		if !ok {
			resolved[name] = p
			return p
		}
		base := resolve(ext, depth+1)
		if base == nil {
			log.Error(fmt.Sprintf("The '%s' profile is trying to extend data from '%s' though '%s' is not defined in the salt profiles loaded data. Not extending and removing from listing!", name, ext, ext))
			resolved[name] = nil
			return nil
		}
		m := data.Deep(base).(*data.Map)
		m.Delete("profile")
		q := p.Copy()
		q.Delete("extends")
		m = data.DictUpdate(m, q, false)
		resolved[name] = m
		return m
	}
	for _, name := range order {
		p := resolve(name, 0)
		if p == nil {
			continue
		}
		p = p.Copy()
		prov, _ := p.String("provider")
		alias, driver, hasDriver := strings.Cut(prov, ":")
		drivers := c.Providers[alias]
		if !hasDriver && len(drivers) > 0 {
			driver = c.firstDriver(alias)
		}
		if prov == "" || drivers == nil || drivers[driver] == nil {
			log.Debug(fmt.Sprintf("The profile '%s' is defining '%s' as the provider. Since there is no valid configuration for that provider, the profile will be removed from the available listing", name, prov))
			continue
		}
		p.Set("provider", alias+":"+driver)
		p.Set("profile", name)
		c.Profiles[name] = p
		c.Names = append(c.Names, name)
	}
	return nil
}

// firstDriver is the first driver of an alias (Salt takes the first key).
func (c *Config) firstDriver(alias string) string {
	var ds []string
	for d := range c.Providers[alias] {
		ds = append(ds, d)
	}
	sort.Strings(ds)
	if len(ds) == 0 {
		return ""
	}
	return ds[0]
}

// VMConfig is salt-cloud's vm_config: the cloud file, the provider's
// settings, the profile's, then the map file's overrides of that VM
// (dictupdate in that order), plus name.
func (c *Config) VMConfig(name, profile string, overrides *data.Map) *data.Map {
	p := c.Profiles[profile]
	alias, driver, _ := strings.Cut(mustString(p, "provider"), ":")
	vm := data.Deep(c.MainRaw).(*data.Map)
	vm = data.DictUpdate(vm, data.Deep(c.Providers[alias][driver]).(*data.Map), false)
	vm = data.DictUpdate(vm, data.Deep(p).(*data.Map), false)
	if overrides != nil {
		vm = data.DictUpdate(vm, data.Deep(overrides).(*data.Map), false)
	}
	vm.Set("name", name)
	vm.Set("driver", alias+":"+driver)
	return vm
}

func mustString(m *data.Map, k string) string {
	if m == nil {
		return ""
	}
	s, _ := m.String(k)
	return s
}
