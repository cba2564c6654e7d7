package provision

import (
	"strings"
	"testing"

	"github.com/saltgo/saltgo/internal/golden"
)

func TestClassifyInit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		facts InitFacts
		want  InitSystem
		err   string
	}{
		{"debian systemd", InitFacts{Exists: true, Link: "/lib/systemd/systemd", InitD: true, PID1: "systemd"}, InitSystemd, ""},
		{"usr lib systemd", InitFacts{Exists: true, Link: "../lib/systemd/systemd"}, InitSystemd, ""},
		{"busybox link", InitFacts{Exists: true, Link: "/bin/busybox", Inittab: true, PID1: "init"}, InitBusybox, ""},
		{"busybox hard link", InitFacts{Exists: true, Busybox: true}, InitBusybox, ""},
		{"busybox relative link", InitFacts{Exists: true, Link: "../bin/busybox", Busybox: true}, InitBusybox, ""},
		{"sysvinit", InitFacts{Exists: true, Inittab: true, InitD: true, PID1: "init"}, InitSysV, ""},
		{"no init", InitFacts{}, "", "the guest has no /sbin/init"},
		{"upstart", InitFacts{Exists: true, Link: "/sbin/upstart", Inittab: true, InitD: true}, "", "/sbin/init is a link to /sbin/upstart, an init saltgo does not know"},
		{"dangling link", InitFacts{Link: "/lib/systemd/systemd"}, "", "the guest has no /sbin/init"},
		{"bare binary", InitFacts{Exists: true, InitD: true}, "", "neither systemd, busybox, nor sysvinit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ClassifyInit(tc.facts)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ClassifyInit(%+v) = %q, %v; want error %q", tc.facts, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ClassifyInit(%+v) = %q, %v; want %q", tc.facts, got, err, tc.want)
			}
		})
	}
}

func TestParseInitFacts(t *testing.T) {
	got := parseInitFacts("exists=1\nlink=/bin/busybox\nbusybox=1\ninittab=1\npid1=init\n")
	want := InitFacts{Exists: true, Link: "/bin/busybox", Busybox: true, Inittab: true, PID1: "init"}
	if got != want {
		t.Fatalf("parseInitFacts = %+v, want %+v", got, want)
	}
	if got := parseInitFacts("pid1=\n"); got != (InitFacts{}) {
		t.Fatalf("empty probe: %+v", got)
	}
}

func TestVMServicesByMode(t *testing.T) {
	for _, tc := range []struct {
		mode string
		want []string
	}{
		{"salt", []string{"saltgo-salt-minion=/usr/local/bin/saltgo minion"}},
		{"mastersalt", []string{"saltgo-mastersalt-minion=/usr/local/bin/saltgo mastersalt-minion", "saltgo-salt-minion=/usr/local/bin/saltgo minion"}},
		{"", []string{"saltgo-salt-minion=/usr/local/bin/saltgo minion"}},
	} {
		var got []string
		for _, s := range VMServices(&Settings{Name: "vm1", Mode: tc.mode}) {
			got = append(got, s.Name+"="+s.Command())
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("mode %q: %v, want %v", tc.mode, got, tc.want)
		}
	}
}

// The files MinionServices writes, as golden files.
func TestServiceFilesGolden(t *testing.T) {
	s := &Settings{Name: "vm1.example.test", Mode: "mastersalt"}
	svcs := VMServices(s)
	for _, svc := range svcs {
		golden.Text(t, "services/"+svc.Name+".service", SystemdUnit(svc))
		golden.Text(t, "services/"+svc.Name+".init", InitScript(svc))
	}
	var links []string
	for _, l := range SysVLinks("saltgo-salt-minion") {
		links = append(links, l[0]+" -> "+l[1])
	}
	golden.Text(t, "services/sysv-links.txt", strings.Join(links, "\n")+"\n")
	golden.Text(t, "services/local-minion.conf", LocalMinionConfig(s))
	// The inittab block is appended once, replaced in place after.
	tab := "::sysinit:/etc/init.d/rcS\ntty1::respawn:/bin/getty -L tty1 115200 vt100"
	once := withInittabBlock(tab, InittabLines(svcs))
	golden.Text(t, "services/inittab", once)
	if again := withInittabBlock(once, InittabLines(svcs)); again != once {
		t.Errorf("inittab not stable:\n%s", again)
	}
	salt := withInittabBlock(once, InittabLines(VMServices(&Settings{Name: "vm1", Mode: "salt"})))
	if strings.Contains(salt, "mastersalt-minion") || strings.Count(salt, inittabBegin) != 1 || !strings.HasPrefix(salt, tab+"\n") {
		t.Errorf("inittab after a mode change:\n%s", salt)
	}
}

func TestBinaryVersionMarker(t *testing.T) {
	v := binaryVersion("ab12")
	if !strings.HasPrefix(v, "sha256=ab12\nversion=") || !strings.HasSuffix(v, "\n") {
		t.Errorf("marker %q", v)
	}
}
