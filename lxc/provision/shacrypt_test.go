package provision

import "testing"

func TestSHA512Crypt(t *testing.T) {
	// The first vector is from Drepper's SHA-crypt specification, the second
	// was checked against busybox mkpasswd -m sha512 and glibc crypt(3).
	for _, tc := range []struct{ pw, salt, want string }{
		{"Hello world!", "saltstring", "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"},
		{"we have a short salt string but not a short password", "short", "$6$short$qmfj2meTBr5G2EAGIJ4vjX7RpefsD4JzpEyTAeEUJdzdxlBS6pe8gdMHm5zFftaFSj/2p2bjBwyVS9ZhWpLZt."},
	} {
		if got := SHA512Crypt(tc.pw, tc.salt); got != tc.want {
			t.Errorf("SHA512Crypt(%q, %q) = %s, want %s", tc.pw, tc.salt, got, tc.want)
		}
	}
}
