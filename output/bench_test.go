package output

import (
	"fmt"
	"testing"

	"github.com/saltgo/saltgo/data"
)

func bigMap() any {
	m := data.NewMap()
	for i := 0; i < 1000; i++ {
		m.Set(fmt.Sprintf("key-%04d", 999-i), data.M(
			"name", fmt.Sprintf("value %d", i),
			"n", int64(i), "f", float64(i)/3, "ok", i%2 == 0,
			"tags", []any{"a", "b", int64(i)},
		))
	}
	return data.M("local", m)
}

// benchRender measures the outputter out on bigMap.
func benchRender(b *testing.B, out string) {
	v := bigMap()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(out, v, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNested1000(b *testing.B) { benchRender(b, "nested") }

func BenchmarkJSON1000(b *testing.B) { benchRender(b, "json") }

func BenchmarkYAML1000(b *testing.B) { benchRender(b, "yaml") }
