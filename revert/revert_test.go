package revert

import (
	"errors"
	"strings"
	"testing"
)

func TestReverterRunsInReverseOnce(t *testing.T) {
	var log []string
	r := New()
	r.Add("a", func() error { log = append(log, "a"); return nil })
	r.Add("b", func() error { log = append(log, "b"); return nil })
	_ = r.Fail()
	_ = r.Fail()
	if strings.Join(log, "") != "ba" {
		t.Fatalf("log %v", log)
	}
	r2 := New()
	r2.Add("c", func() error { t.Fatal("ran after Success"); return nil })
	r2.Success()
	_ = r2.Fail()
}

func TestFailJoinsErrors(t *testing.T) {
	r := New()
	r.Add("first", func() error { return errors.New("boom1") })
	r.Add("second", func() error { return nil })
	r.Add("third", func() error { return errors.New("boom3") })
	err := r.Fail()
	if err == nil || !strings.Contains(err.Error(), "revert first: boom1") || !strings.Contains(err.Error(), "revert third: boom3") {
		t.Fatalf("Fail() = %v", err)
	}
	if r.Err() != err {
		t.Fatalf("Err() = %v, want %v", r.Err(), err)
	}
}
