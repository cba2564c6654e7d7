package data

// SplitLines is Python's str.splitlines(keepends): lines end at "\n",
// "\r", "\r\n", "\v", "\f", "\x1c", "\x1d", "\x1e", U+0085, U+2028 and
// U+2029; with keepends each line keeps its ending. An empty string has
// no lines.
func SplitLines(s string, keepends bool) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		w := 0
		switch {
		case c == '\r' && i+1 < len(s) && s[i+1] == '\n':
			w = 2
		case c == '\n' || c == '\r' || c == '\v' || c == '\f' || (c >= 0x1c && c <= 0x1e):
			w = 1
		case c == 0xc2 && i+1 < len(s) && s[i+1] == 0x85:
			w = 2
		case c == 0xe2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xa8 || s[i+2] == 0xa9):
			w = 3
		}
		if w == 0 {
			i++
			continue
		}
		if keepends {
			out = append(out, s[start:i+w])
		} else {
			out = append(out, s[start:i])
		}
		i += w
		start = i
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}
