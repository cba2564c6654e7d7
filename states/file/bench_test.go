package file_test

import (
	"testing"
)

// BenchmarkManagedUnchanged is the common case of a highstate: a salt://
// file already in place (one hash request, no download).
func BenchmarkManagedUnchanged(b *testing.B) {
	fx := newFixture(b, map[string]string{"app/motd": "line1\nline2\n"})
	name := fx.p("motd")
	fx.apply("file.managed", false, "name", name, "source", "salt://app/motd", "mode", "0644")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ret := fx.apply("file.managed", false, "name", name, "source", "salt://app/motd", "mode", "0644")
		if get(ret, "comment") == "" {
			b.Fatal("no comment")
		}
	}
}

// BenchmarkManagedTemplate renders a small Jinja template each time.
func BenchmarkManagedTemplate(b *testing.B) {
	fx := newFixture(b, map[string]string{"t.j2": "id={{ grains['id'] }}\n{% for i in range(20) %}{{ i }}\n{% endfor %}"})
	name := fx.p("t")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fx.apply("file.managed", false, "name", name, "source", "salt://t.j2", "template", "jinja")
	}
}
