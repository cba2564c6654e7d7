package cron

import (
	"strconv"
	"testing"

	"github.com/saltgo/saltgo/data"
)

// TestParseRender: a crontab parsed as list_tab does renders back as
// _render_tab writes it (the lines before the marker kept, comments and
// identifiers, disabled jobs, specials, empty env values).
func TestParseRender(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", Tag + "\n"},
		{"pre only", "# mine\n0 0 * * * /bin/mine\n", "# mine\n0 0 * * * /bin/mine\n" + Tag + "\n"},
		{"managed", "# mine\n" + Tag + "\nMAILTO=\nA=b c\n# hello SALT_CRON_IDENTIFIER:id1\n5 2 * * * /bin/x --y\n" +
			"# SALT_CRON_IDENTIFIER:sp\n#DISABLED#@reboot /bin/boot\n#DISABLED#* * * * 1 /bin/true\n",
			"# mine\n" + Tag + "\nMAILTO=\"\"\nA=b c\n# hello SALT_CRON_IDENTIFIER:id1\n5 2 * * * /bin/x --y\n" +
				"#DISABLED#* * * * 1 /bin/true\n# SALT_CRON_IDENTIFIER:sp\n#DISABLED#@reboot /bin/boot\n"},
		{"multi-line comment", Tag + "\n# one\n# two SALT_CRON_IDENTIFIER:x\n1 2 3 4 5 cmd\n", Tag + "\n# one\n# two SALT_CRON_IDENTIFIER:x\n1 2 3 4 5 cmd\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Parse(tc.in).Render(); got != tc.want {
				t.Errorf("render:\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestMatched(t *testing.T) {
	job := func(cmd string, id any) *Job { return &Job{Cmd: cmd, Identifier: id} }
	for i, tc := range []struct {
		j    *Job
		cmd  string
		id   any
		want bool
	}{
		{job("/bin/a", nil), "/bin/a", nil, true},
		{job("/bin/a", nil), "/bin/b", nil, false},
		{job("/bin/a", "x"), "/bin/b", "x", true},
		{job("/bin/a", "x"), "/bin/a", "y", false},
		{job("/bin/a", nil), "/bin/a", "y", true},
		{job("/bin/a", "x"), "/bin/a", nil, false},
	} {
		if got := Matched(tc.j, tc.cmd, tc.id); got != tc.want {
			t.Errorf("%d: Matched(%+v, %q, %v) = %v", i, tc.j, tc.cmd, tc.id, got)
		}
	}
}

func TestNeedsChange(t *testing.T) {
	for i, tc := range []struct {
		old, new any
		want     bool
	}{
		{"1", "1", false}, {"1", "2", true}, {"1", nil, false}, {nil, "x", true},
		{"*", "random", true}, {"5", "random", false}, {false, false, false}, {true, false, true},
	} {
		if got := NeedsChange(tc.old, tc.new); got != tc.want {
			t.Errorf("%d: NeedsChange(%v, %v) = %v", i, tc.old, tc.new, got)
		}
	}
}

// TestDateTime: "random" and "a:b" ranges land in their fields' bounds.
func TestDateTime(t *testing.T) {
	in := func(s string, lo, hi int) bool {
		n, err := strconv.Atoi(s)
		return err == nil && n >= lo && n <= hi
	}
	for range 200 {
		mi, h, dm, mo, dw := dateTime(Spec{Minute: "random", Hour: "3:5", Daymonth: "random", Month: "2", Dayweek: "random"})
		if !in(mi, 0, 59) || !in(h, 3, 5) || !in(dm, 1, 28) || mo != "2" || !in(dw, 0, 6) {
			t.Fatalf("dateTime = %s %s %s %s %s", mi, h, dm, mo, dw)
		}
	}
	if mi, _, _, _, _ := dateTime(Spec{Minute: "*/5"}); mi != "*/5" {
		t.Errorf("minute */5 became %q", mi)
	}
}

func TestTabMap(t *testing.T) {
	m := Parse(Tag + "\n@daily /bin/d\n").Map()
	sp, _ := m.Get("special")
	l, _ := sp.([]any)
	if len(l) != 1 {
		t.Fatalf("special = %v", sp)
	}
	want := data.M("spec", "@daily", "cmd", "/bin/d", "identifier", nil, "comment", nil, "commented", false)
	if !data.Equal(l[0], want) {
		t.Errorf("special[0] = %v, want %v", l[0], want)
	}
}
