package jid

import (
	"testing"
	"time"
)

func TestIs(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"20261203103041123456", true},
		{"20261203103041123456_1", true},
		{"20261203103041123456_", false},
		{"2026120310304112345", false},
		{"2026120310304112345a", false},
		{"", false},
		{"req", false},
	}
	for _, tt := range tests {
		if got := Is(tt.in); got != tt.want {
			t.Errorf("Is(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestNewIncreasing(t *testing.T) {
	prev := New()
	for i := 0; i < 1000; i++ {
		j := New()
		if !Is(j) || j <= prev {
			t.Fatalf("jid %q after %q", j, prev)
		}
		prev = j
	}
}

func TestFormatTime(t *testing.T) {
	ts := time.Date(2026, 12, 3, 10, 30, 41, 123456789, time.UTC)
	j := Format(ts)
	if j != "20261203103041123456" {
		t.Fatalf("Format = %q", j)
	}
	back, err := Time(j)
	if err != nil || !back.Equal(ts.Truncate(time.Microsecond)) {
		t.Fatalf("Time(%q) = %v, %v", j, back, err)
	}
	if _, err := Time("nope"); err == nil {
		t.Fatal("Time(nope): no error")
	}
}
