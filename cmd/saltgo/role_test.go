package main

import "testing"

// TestRole: argv[0] names and "saltgo <command>" words map to a role and
// the Salt program name its front door prints.
func TestRole(t *testing.T) {
	tests := []struct{ name, role, prog string }{
		{"salt-call", "call", "salt-call"},
		{"/usr/bin/mastersalt-call", "call", "mastersalt-call"},
		{"salt-run", "run", "salt-run"},
		{"salt", "salt", "salt"},
		{"mastersalt", "salt", "mastersalt"},
		{"salt-cloud", "cloud", "salt-cloud"},
		{"/usr/local/bin/mastersalt-cloud", "cloud", "mastersalt-cloud"},
		{"cloud", "cloud", "salt-cloud"},
		{"mastersalt-cloud", "cloud", "mastersalt-cloud"},
		{"minion", "minion", "salt-minion"},
		{"saltgo", "", "saltgo"},
		{"salt-key", "", "salt-key"},
	}
	for _, tc := range tests {
		r, p := role(tc.name)
		if r != tc.role || (r != "" && p != tc.prog) {
			t.Errorf("role(%q) = %q, %q; want %q, %q", tc.name, r, p, tc.role, tc.prog)
		}
	}
}
