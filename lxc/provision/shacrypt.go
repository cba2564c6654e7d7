package provision

import (
	"crypto/rand"
	"crypto/sha512"
	"strings"
)

const cryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// SHA512Crypt returns the glibc "$6$" crypt(3) hash of password with salt
// (at most 16 characters used, 5000 rounds), the format of /etc/shadow.
func SHA512Crypt(password, salt string) string {
	if len(salt) > 16 {
		salt = salt[:16]
	}
	p, s := []byte(password), []byte(salt)
	hb := sha512.New()
	hb.Write(p)
	hb.Write(s)
	hb.Write(p)
	b := hb.Sum(nil)

	ha := sha512.New()
	ha.Write(p)
	ha.Write(s)
	n := len(p)
	for ; n > 64; n -= 64 {
		ha.Write(b)
	}
	ha.Write(b[:n])
	for n = len(p); n > 0; n >>= 1 {
		if n&1 != 0 {
			ha.Write(b)
		} else {
			ha.Write(p)
		}
	}
	a := ha.Sum(nil)

	ps := cryptSequence(p, len(p))
	ss := cryptSequence(s, 16+int(a[0]))

	c := a
	for i := 0; i < 5000; i++ {
		h := sha512.New()
		if i&1 != 0 {
			h.Write(ps)
		} else {
			h.Write(c)
		}
		if i%3 != 0 {
			h.Write(ss)
		}
		if i%7 != 0 {
			h.Write(ps)
		}
		if i&1 != 0 {
			h.Write(c)
		} else {
			h.Write(ps)
		}
		c = h.Sum(nil)
	}
	var out strings.Builder
	out.WriteString("$6$" + salt + "$")
	enc := func(b2, b1, b0 byte, n int) {
		w := uint(b2)<<16 | uint(b1)<<8 | uint(b0)
		for ; n > 0; n-- {
			out.WriteByte(cryptAlphabet[w&0x3f])
			w >>= 6
		}
	}
	for i := 0; i < 21; i++ {
		t := [3]int{i, i + 21, i + 42}
		r := i % 3 // rotate: (0,21,42) (22,43,1) (44,2,23) ...
		enc(c[t[r]], c[t[(r+1)%3]], c[t[(r+2)%3]], 4)
	}
	enc(0, 0, c[63], 2)
	return out.String()
}

// cryptSequence hashes in written times times over and returns len(in)
// bytes of that digest, repeated as needed: the P and S sequences of the
// SHA-crypt algorithm.
func cryptSequence(in []byte, times int) []byte {
	h := sha512.New()
	for i := 0; i < times; i++ {
		h.Write(in)
	}
	d := h.Sum(nil)
	out := make([]byte, 0, len(in))
	n := len(in)
	for ; n > 64; n -= 64 {
		out = append(out, d...)
	}
	return append(out, d[:n]...)
}

// newSalt returns a random 16-character crypt salt.
func newSalt() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = cryptAlphabet[int(b[i])%len(cryptAlphabet)]
	}
	return string(b)
}
