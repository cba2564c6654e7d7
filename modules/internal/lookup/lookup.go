// Package lookup is what the grains and pillar execution modules share:
// reading named, nested keys of their dictionary with Salt's delimiter and
// default conventions.
package lookup

import (
	"fmt"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
)

// Get is grains.get and pillar.get: the value of src under the call's key
// argument, nested with its delimiter argument, else its default argument.
func Get(c *host.Call, src *data.Map) any {
	if v, ok := data.Traverse(src, c.Str("key"), c.Str("delimiter")); ok {
		return v
	}
	return c.Get("default")
}

// Item is grains.item and pillar.item: the keys of src named by the call's
// positional arguments, nested with the delimiter keyword argument (":" by
// default), as a dict; a missing key maps to the default keyword argument
// ("" by default). An argument that is not a string is named with
// fmt.Sprint when sprintOthers is set (grains), else skipped (pillar).
func Item(c *host.Call, src *data.Map, sprintOthers bool) *data.Map {
	delim := ":"
	if d, ok := c.Kwargs().String("delimiter"); ok {
		delim = d
	}
	var def any = ""
	if d, ok := c.Kwargs().Get("default"); ok {
		def = d
	}
	out := data.NewMap()
	for _, a := range c.Args() {
		key, ok := data.AsString(a)
		if !ok {
			if !sprintOthers {
				continue
			}
			key = fmt.Sprint(a)
		}
		if v, ok := data.Traverse(src, key, delim); ok {
			out.Set(key, v)
		} else {
			out.Set(key, def)
		}
	}
	return out
}
