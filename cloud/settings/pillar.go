package settings

import (
	"fmt"
	"sort"
	"strings"

	"github.com/saltgo/saltgo/data"
)

// Pillar forms that declare VMs (spec 3.1, issue 5 item 2):
//
//	makina-states.cloud.lxc.vms.<cn>: {<vm>: {...}}               (code form)
//	makina-states.services.cloud.lxc.targets.<cn>: {<vm>: {...}}  (documented form)
//	makina-states.cloud.lxc: {vms: {<cn>: {<vm>: {...}}}}          (nested form)
//	makina-states.cloud.lxc.vms: {<cn>: {<vm>: {...}}}             (nested form)
//	makina-states.services.cloud.lxc.targets: {<cn>: {<vm>: {...}}} (documented key, nested)
//	makina-states.cloud.lxc.vms.<cn>.<vm>: {...}                   (per-VM flat form)
//
// All of them are read with their per-VM keys. A VM declared by two forms
// is an error naming both keys.

// vmEntry is one VM declaration found in the pillar.
type vmEntry struct {
	CN, VM string
	Value  any    // the raw per-VM value (mapping, null or junk)
	Key    string // where it was found, for error messages
}

// vmIndex holds every declaration, by compute node.
type vmIndex struct {
	byCN  map[string][]vmEntry
	order []string
}

// DuplicateError reports a VM declared by two pillar forms.
type DuplicateError struct {
	CN, VM     string
	Key, Other string
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("mc_cloud_lxc: compute node %q, vm %q is declared twice, under pillar key %q and under %q; keep only one",
		e.CN, e.VM, e.Other, e.Key)
}

// PillarError is a bad value in a VM's (or compute node's) pillar entry.
type PillarError struct {
	CN, VM string
	// Key is the per-VM key at fault (e.g. "ip"); empty for the entry itself.
	Key string
	// Source is the pillar key the entry was read from.
	Source string
	Err    error
}

func (e *PillarError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mc_cloud_lxc: compute node %q", e.CN)
	if e.VM != "" {
		fmt.Fprintf(&b, ", vm %q", e.VM)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, ", key %q", e.Key)
	}
	if e.Source != "" {
		fmt.Fprintf(&b, " (pillar key %s)", e.Source)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *PillarError) Unwrap() error { return e.Err }

func indexVMs(src *Source) (*vmIndex, error) {
	idx := &vmIndex{byCN: map[string][]vmEntry{}}
	seen := map[[2]string]string{}
	add := func(cn, vm string, v any, key string) error {
		k := [2]string{cn, vm}
		if other, dup := seen[k]; dup {
			return &DuplicateError{CN: cn, VM: vm, Key: key, Other: other}
		}
		seen[k] = key
		if _, ok := idx.byCN[cn]; !ok {
			idx.order = append(idx.order, cn)
			idx.byCN[cn] = nil
		}
		idx.byCN[cn] = append(idx.byCN[cn], vmEntry{CN: cn, VM: vm, Value: v, Key: key})
		return nil
	}
	// addCN adds a compute node mapping {vm: entry}; null means no VMs.
	addCN := func(cn string, v any, key string) error {
		if _, ok := idx.byCN[cn]; !ok {
			idx.order = append(idx.order, cn)
			idx.byCN[cn] = nil
		}
		if v == nil {
			return nil
		}
		m, ok := v.(*data.Map)
		if !ok {
			return &PillarError{CN: cn, Source: key, Err: fmt.Errorf("the compute node's value must be a mapping of vm id to settings, got %s", describe(v))}
		}
		var err error
		m.Range(func(vk, vv any) bool {
			err = add(cn, fmt.Sprint(vk), vv, key)
			return err == nil
		})
		return err
	}
	// addCNs adds a mapping {cn: {vm: entry}}.
	addCNs := func(v any, key string) error {
		m, ok := v.(*data.Map)
		if !ok {
			if v == nil {
				return nil
			}
			return &PillarError{Source: key, Err: fmt.Errorf("want a mapping of compute node id to vms, got %s", describe(v))}
		}
		var err error
		m.Range(func(ck, cv any) bool {
			err = addCN(fmt.Sprint(ck), cv, fmt.Sprintf("%s:%v", key, ck))
			return err == nil
		})
		return err
	}

	if v, ok := src.Get(PrefixLXC); ok {
		if m, ok := v.(*data.Map); ok {
			if vms, ok := m.Get("vms"); ok {
				if err := addCNs(vms, PrefixLXC+":vms"); err != nil {
					return nil, err
				}
			}
		}
	}
	if v, ok := src.Get(PrefixLXC + ".vms"); ok {
		if err := addCNs(v, PrefixLXC+".vms"); err != nil {
			return nil, err
		}
	}
	// The documented key written as nested YAML: targets: {<cn>: {...}}.
	if v, ok := src.Get(PrefixDocTargets); ok {
		if err := addCNs(v, PrefixDocTargets); err != nil {
			return nil, err
		}
	}
	for _, prefix := range []string{PrefixDocTargets + ".", PrefixLXC + ".vms."} {
		keys := src.keysWithPrefix(prefix)
		flat := map[string]bool{}
		for _, k := range keys {
			flat[strings.TrimPrefix(k, prefix)] = true
		}
		var perVM []string
		for _, k := range keys {
			rest := strings.TrimPrefix(k, prefix)
			if rest == "" || strings.HasSuffix(rest, "-overrides") {
				continue
			}
			if cn, _, ok := splitPerVM(rest, flat, idx); ok && cn != rest {
				perVM = append(perVM, k)
				continue
			}
			v, _ := src.Get(k)
			if err := addCN(rest, v, k); err != nil {
				return nil, err
			}
		}
		for _, k := range perVM {
			rest := strings.TrimPrefix(k, prefix)
			cn, vm, _ := splitPerVM(rest, flat, idx)
			v, _ := src.Get(k)
			if err := add(cn, vm, v, k); err != nil {
				return nil, err
			}
		}
	}
	return idx, nil
}

// splitPerVM recognises the per-VM flat form "<cn>.<vm>": rest starts with
// a compute node id declared elsewhere (another flat key or a nested form)
// followed by a dot. The longest such id wins.
func splitPerVM(rest string, flat map[string]bool, idx *vmIndex) (cn, vm string, ok bool) {
	best := ""
	consider := func(c string) {
		if c != rest && strings.HasPrefix(rest, c+".") && len(c) > len(best) {
			best = c
		}
	}
	for c := range flat {
		consider(c)
	}
	for _, c := range idx.order {
		consider(c)
	}
	if best == "" {
		return "", "", false
	}
	return best, rest[len(best)+1:], true
}

// forTarget returns the declarations of one compute node. The per-VM flat
// key makina-states.cloud.lxc.vms.<target>.<vm> is recognised here even
// when no other form declares the compute node.
func (s *Settings) forTarget(target string) ([]vmEntry, error) {
	entries := append([]vmEntry(nil), s.vms.byCN[target]...)
	seen := map[string]string{}
	for _, e := range entries {
		seen[e.VM] = e.Key
	}
	if _, declared := s.vms.byCN[target]; !declared {
		for _, prefix := range []string{PrefixLXC + ".vms.", PrefixDocTargets + "."} {
			p := prefix + target + "."
			for _, k := range s.src.keysWithPrefix(p) {
				vm := strings.TrimPrefix(k, p)
				if other, dup := seen[vm]; dup {
					return nil, &DuplicateError{CN: target, VM: vm, Key: k, Other: other}
				}
				v, _ := s.src.Get(k)
				seen[vm] = k
				entries = append(entries, vmEntry{CN: target, VM: vm, Value: v, Key: k})
			}
		}
	}
	return entries, nil
}

// VMs returns settings()['vms']: each compute node id with its VM ids, in
// pillar order (a compute node mapped to null has none).
func (s *Settings) VMs() map[string][]string {
	out := map[string][]string{}
	for _, cn := range s.vms.order {
		l := []string{}
		for _, e := range s.vms.byCN[cn] {
			l = append(l, e.VM)
		}
		out[cn] = l
	}
	return out
}

// ComputeNodes returns the declared compute node ids, sorted.
func (s *Settings) ComputeNodes() []string {
	out := append([]string(nil), s.vms.order...)
	sort.Strings(out)
	return out
}
