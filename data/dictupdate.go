package data

import "slices"

// DictUpdate is salt.utils.dictupdate.update(dest, upd,
// recursive_update=True, merge_lists=mergeLists): every key of upd is set
// in dest, a dict into a dict recursively (the nested dict is a copy),
// and with mergeLists a list into a list by appending the items dest lacks.
// dest is changed in place and returned.
func DictUpdate(dest, upd *Map, mergeLists bool) *Map {
	upd.Range(func(k, v any) bool {
		cur, _ := dest.Get(k)
		cm, ok1 := cur.(*Map)
		um, ok2 := v.(*Map)
		if ok1 && ok2 {
			dest.Set(k, DictUpdate(cm.Copy(), um, mergeLists))
			return true
		}
		cl, ok1 := cur.([]any)
		ul, ok2 := v.([]any)
		if ok1 && ok2 && mergeLists {
			merged := append([]any(nil), cl...)
			for _, e := range ul {
				if !slices.ContainsFunc(merged, func(x any) bool { return Equal(x, e) }) {
					merged = append(merged, e)
				}
			}
			dest.Set(k, merged)
			return true
		}
		dest.Set(k, v)
		return true
	})
	return dest
}
