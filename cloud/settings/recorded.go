package settings

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"

	"github.com/saltgo/saltgo/cloud/alloc"
	"github.com/saltgo/saltgo/data"
)

// RecordedSetting is the per compute node file of the allocation store
// (<root>/<T>/settings/saltgo_cloud_vms.pack) where salt-cloud -p records
// the VMs it created from a profile without a pillar declaration, so that
// get_settings_for_vm, provision and destroy know them afterwards. It
// holds {'value': {'target': <cn>, 'vms': {<vm>: {per-VM settings}}}}.
// makina-states never reads it.
const RecordedSetting = "saltgo_cloud_vms"

// recordedKey is the declaration key shown in messages for a recorded VM.
func recordedKey(st *alloc.Store, target string) string {
	return "recorded by salt-cloud -p in " + st.CNSettingPath(target, RecordedSetting)
}

// RecordVM records vm with its per-VM settings entry (the pillar form's
// keys) for compute node target. An existing record of vm is replaced.
func RecordVM(ctx context.Context, st *alloc.Store, target, vm string, entry *data.Map) error {
	if entry == nil {
		entry = data.NewMap()
	}
	return st.UpdateCNSetting(ctx, target, RecordedSetting, func(v any, ok bool) (any, error) {
		vms, err := recordedMap(v, ok, st.CNSettingPath(target, RecordedSetting))
		if err != nil {
			return nil, err
		}
		vms.Set(vm, entry)
		return data.M("target", target, "vms", vms), nil
	})
}

// ForgetVM removes vm's record from target's file (the file goes with
// its last VM); found says whether there was one.
func ForgetVM(ctx context.Context, st *alloc.Store, target, vm string) (found bool, err error) {
	err = st.UpdateCNSetting(ctx, target, RecordedSetting, func(v any, ok bool) (any, error) {
		vms, err := recordedMap(v, ok, st.CNSettingPath(target, RecordedSetting))
		if err != nil {
			return nil, err
		}
		found = vms.Has(vm)
		vms.Delete(vm)
		if vms.Len() == 0 {
			return nil, nil
		}
		return data.M("target", target, "vms", vms), nil
	})
	return found, err
}

func recordedMap(v any, ok bool, path string) (*data.Map, error) {
	if !ok {
		return data.NewMap(), nil
	}
	m, isMap := v.(*data.Map)
	if !isMap {
		return nil, &alloc.CorruptError{Path: path, Err: fmt.Errorf("want a mapping with target and vms, got %s", describe(v))}
	}
	vms, _ := m.Get("vms")
	vm, isMap := vms.(*data.Map)
	if !isMap {
		return nil, &alloc.CorruptError{Path: path, Err: fmt.Errorf("vms must be a mapping, got %s", describe(vms))}
	}
	return vm.Copy(), nil
}

// recordedVMs reads every compute node's record file under the store.
func recordedVMs(st *alloc.Store) ([]vmEntry, error) {
	files, err := filepath.Glob(filepath.Join(st.Root, "*", "settings", RecordedSetting+".pack"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []vmEntry
	for _, f := range files {
		v, ok, err := alloc.ReadValue(f)
		if err != nil || !ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		vms, err := recordedMap(v, ok, f)
		if err != nil {
			return nil, err
		}
		target, _ := v.(*data.Map).String("target")
		if target == "" {
			return nil, &alloc.CorruptError{Path: f, Err: fmt.Errorf("no target")}
		}
		vms.Range(func(k, e any) bool {
			out = append(out, vmEntry{CN: target, VM: fmt.Sprint(k), Value: e, Key: recordedKey(st, target)})
			return true
		})
	}
	return out, nil
}

// addRecorded adds the recorded VMs that the pillar does not declare (a
// pillar declaration wins over a record).
func (idx *vmIndex) addRecorded(rec []vmEntry) {
	declared := map[string]bool{}
	for _, l := range idx.byCN {
		for _, e := range l {
			declared[e.VM] = true
		}
	}
	for _, e := range rec {
		if declared[e.VM] {
			continue
		}
		declared[e.VM] = true
		if _, ok := idx.byCN[e.CN]; !ok {
			idx.order = append(idx.order, e.CN)
		}
		idx.byCN[e.CN] = append(idx.byCN[e.CN], e)
	}
}

// Recorded reports whether vm of target is known from a salt-cloud -p
// record rather than from the pillar.
func (s *Settings) Recorded(target, vm string) bool {
	for _, e := range s.vms.byCN[target] {
		if e.VM == vm {
			return e.Key == recordedKey(s.store, target)
		}
	}
	return false
}
