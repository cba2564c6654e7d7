package provision

import (
	"fmt"

	"github.com/saltgo/saltgo/lxc/liblxc"

	"github.com/saltgo/saltgo/data"
)

// stepWire is a StepResult (and its error) on the helper protocol: the
// changes keep their order and their Go types (int64, string, lists,
// nested maps, nil) across the JSON hop.
type stepWire struct {
	Name    string   `json:"name"`
	Result  bool     `json:"result"`
	Comment string   `json:"comment"`
	Changes []wireKV `json:"changes"`
	Error   string   `json:"error,omitempty"`
	Code    string   `json:"code,omitempty"`
}

type wireKV struct {
	Key   string  `json:"k"`
	Value wireVal `json:"v"`
}

// wireVal is one tagged value; exactly one field is set, none for nil.
type wireVal struct {
	S *string   `json:"s,omitempty"`
	I *int64    `json:"i,omitempty"`
	B *bool     `json:"b,omitempty"`
	L []wireVal `json:"l,omitempty"`
	// IsList marks an empty list (L is omitted when empty).
	IsList bool     `json:"il,omitempty"`
	M      []wireKV `json:"m,omitempty"`
	IsMap  bool     `json:"im,omitempty"`
}

func toWireVal(v any) wireVal {
	switch x := v.(type) {
	case nil:
		return wireVal{}
	case string:
		return wireVal{S: &x}
	case int64:
		return wireVal{I: &x}
	case int:
		n := int64(x)
		return wireVal{I: &n}
	case bool:
		return wireVal{B: &x}
	case []any:
		l := make([]wireVal, len(x))
		for i, e := range x {
			l[i] = toWireVal(e)
		}
		return wireVal{L: l, IsList: true}
	case []string:
		l := make([]wireVal, len(x))
		for i := range x {
			l[i] = wireVal{S: &x[i]}
		}
		return wireVal{L: l, IsList: true}
	case *data.Map:
		return wireVal{M: toWireKVs(x), IsMap: true}
	}
	s := fmt.Sprint(v)
	return wireVal{S: &s}
}

func (w wireVal) value() any {
	switch {
	case w.S != nil:
		return *w.S
	case w.I != nil:
		return *w.I
	case w.B != nil:
		return *w.B
	case w.IsList:
		l := make([]any, len(w.L))
		for i, e := range w.L {
			l[i] = e.value()
		}
		return l
	case w.IsMap:
		return fromWireKVs(w.M)
	}
	return nil
}

func toWireKVs(m *data.Map) []wireKV {
	var out []wireKV
	m.Range(func(k, v any) bool {
		out = append(out, wireKV{Key: fmt.Sprint(k), Value: toWireVal(v)})
		return true
	})
	return out
}

func fromWireKVs(kvs []wireKV) *data.Map {
	m := data.NewMap()
	for _, kv := range kvs {
		m.Set(kv.Key, kv.Value.value())
	}
	return m
}

func toStepWire(r *StepResult, err error) *stepWire {
	w := &stepWire{Name: r.Name, Result: r.Result, Comment: r.Comment, Changes: toWireKVs(r.Changes)}
	if err != nil {
		w.Error, w.Code = err.Error(), liblxc.ErrorCode(err)
	}
	return w
}

// fromStepWire rebuilds the StepResult and error a helper step returned;
// sentinel errors survive (errors.Is works on the caller's side).
func fromStepWire(w *stepWire) (*StepResult, error) {
	r := &StepResult{Name: w.Name, Result: w.Result, Comment: w.Comment, Changes: fromWireKVs(w.Changes)}
	if w.Error == "" {
		return r, nil
	}
	return r, liblxc.CodeError(w.Code, w.Error)
}
