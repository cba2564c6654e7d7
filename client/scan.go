package client

import (
	"errors"
	"fmt"

	"github.com/saltgo/saltgo/transport/payload"
)

// errIncomplete means the buffer ends inside a msgpack value: read more.
var errIncomplete = errors.New("incomplete msgpack value")

// msgpackLen returns the length in bytes of the first msgpack value in b,
// without decoding it. It returns errIncomplete when b ends inside the
// value, and another error for bytes that are not msgpack (0xc1), nesting
// deeper than maxDepth or a value announced larger than max bytes. It lets
// the event reader cut frames out of a msgpack stream before handing each
// one to payload.Decode.
//
// With errIncomplete, want is the buffer length known to be needed before
// a new scan can make progress (at least len(b)+1).
func msgpackLen(b []byte, limit int) (n, want int, err error) {
	s := scanner{b: b, max: limit}
	if err := s.value(0); err != nil {
		if errors.Is(err, errIncomplete) {
			return 0, max(s.want, len(b)+1), err
		}
		return 0, 0, err
	}
	return s.off, 0, nil
}

const maxDepth = 512

type scanner struct {
	b    []byte
	off  int
	max  int
	want int
}

func (s *scanner) need(n uint64) error {
	if n > uint64(s.max) {
		return fmt.Errorf("msgpack value of %d bytes exceeds the %d-byte limit", n, s.max)
	}
	if n > uint64(len(s.b)-s.off) {
		s.want = s.off + int(n)
		return errIncomplete
	}
	return nil
}

func (s *scanner) skip(n uint64) error {
	if err := s.need(n); err != nil {
		return err
	}
	s.off += int(n)
	return nil
}

func (s *scanner) uint(n int) (uint64, error) {
	if err := s.need(uint64(n)); err != nil {
		return 0, err
	}
	p := s.b[s.off : s.off+n]
	s.off += n
	return payload.BigEndianUint(p), nil
}

func (s *scanner) items(n uint64, depth int) error {
	if n > uint64(s.max) {
		return fmt.Errorf("msgpack container of %d items exceeds the limit", n)
	}
	for i := uint64(0); i < n; i++ {
		if err := s.value(depth + 1); err != nil {
			return err
		}
	}
	return nil
}

func (s *scanner) value(depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("msgpack nesting deeper than %d", maxDepth)
	}
	if s.off >= len(s.b) {
		return errIncomplete
	}
	c := s.b[s.off]
	s.off++
	switch {
	case c <= 0x7f, c >= 0xe0, c == 0xc0, c == 0xc2, c == 0xc3:
		return nil
	case c >= 0x80 && c <= 0x8f:
		return s.items(2*uint64(c&0x0f), depth)
	case c >= 0x90 && c <= 0x9f:
		return s.items(uint64(c&0x0f), depth)
	case c >= 0xa0 && c <= 0xbf:
		return s.skip(uint64(c & 0x1f))
	}
	switch c {
	case 0xcc, 0xd0:
		return s.skip(1)
	case 0xcd, 0xd1:
		return s.skip(2)
	case 0xca, 0xce, 0xd2:
		return s.skip(4)
	case 0xcb, 0xcf, 0xd3:
		return s.skip(8)
	case 0xc4, 0xd9: // bin8, str8
		n, err := s.uint(1)
		if err != nil {
			return err
		}
		return s.skip(n)
	case 0xc5, 0xda:
		n, err := s.uint(2)
		if err != nil {
			return err
		}
		return s.skip(n)
	case 0xc6, 0xdb:
		n, err := s.uint(4)
		if err != nil {
			return err
		}
		return s.skip(n)
	case 0xd4:
		return s.skip(2)
	case 0xd5:
		return s.skip(3)
	case 0xd6:
		return s.skip(5)
	case 0xd7:
		return s.skip(9)
	case 0xd8:
		return s.skip(17)
	case 0xc7, 0xc8, 0xc9: // ext8/16/32: length, type, data
		n, err := s.uint(map[byte]int{0xc7: 1, 0xc8: 2, 0xc9: 4}[c])
		if err != nil {
			return err
		}
		return s.skip(n + 1)
	case 0xdc:
		n, err := s.uint(2)
		if err != nil {
			return err
		}
		return s.items(n, depth)
	case 0xdd:
		n, err := s.uint(4)
		if err != nil {
			return err
		}
		return s.items(n, depth)
	case 0xde:
		n, err := s.uint(2)
		if err != nil {
			return err
		}
		return s.items(2*n, depth)
	case 0xdf:
		n, err := s.uint(4)
		if err != nil {
			return err
		}
		return s.items(2*n, depth)
	}
	return fmt.Errorf("byte 0x%02x at offset %d is not msgpack", c, s.off-1)
}
