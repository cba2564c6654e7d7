package optparse

import (
	"strings"
	"testing"
)

// testParser has one option of every kind, with long names sharing
// prefixes (the shape of Salt's CLIs).
func testParser() *Parser {
	return &Parser{Prog: "salt-call", Usage: "%prog [options] <function> [arguments]", Options: []*Option{
		{Short: "c", Long: "config-dir", Kind: String, Help: "config dir"},
		{Long: "local", Kind: Flag, Help: "local"},
		{Long: "log-level", Short: "l", Kind: String, Help: "log level"},
		{Long: "log-file", Kind: String, Help: "log file"},
		{Long: "timeout", Short: "t", Kind: Int, Help: "timeout"},
		{Short: "v", Long: "verbose", Kind: Count, Help: "verbose"},
		{Long: "return", Short: "r", Kind: Append, Help: "returners"},
		{Long: "out", Kind: String, Help: "outputter"},
		{Long: "out-file", Kind: String, Help: "output file"},
	}}
}

// FuzzParse feeds arbitrary command lines to the optparse rules: a result
// or an optparse error text, never a panic; help and usage render.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"--local test.ping", "-c /etc/salt --out=json test.arg 1 two kw=3", "-vvv --lo", "--log", "--timeout=x",
		"-t", "-lc debug", "-- --local", "--out-file= -r a -r b", "-", "--=", "-l", "--timeout=99999999999999999999",
	} {
		f.Add(s)
	}
	p := testParser()
	f.Fuzz(func(t *testing.T, line string) {
		r, err := p.Parse(strings.Fields(line))
		if err != nil {
			if r != nil {
				t.Fatalf("error %v with a result", err)
			}
			_ = p.UsageError(err)
			return
		}
		if r == nil {
			t.Fatal("no result and no error")
		}
		_ = p.Help("fuzz")
	})
}

// TestParseInvalidUTF8 is the input FuzzParse found: a short-option
// cluster with an invalid UTF-8 byte sliced past its end.
func TestParseInvalidUTF8(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-\xff0"}, "no such option: -\xff"},
		{[]string{"-v\xff"}, "no such option: -\xff"},
		{[]string{"-é"}, "no such option: -é"},
	}
	for _, tt := range tests {
		_, err := testParser().Parse(tt.args)
		if err == nil || err.Error() != tt.wantErr {
			t.Errorf("Parse(%q) = %v, want %q", tt.args, err, tt.wantErr)
		}
	}
}
