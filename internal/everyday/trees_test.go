package everyday_test

// The trees of the suite and their calls, in the order they run (and were
// recorded). Every `check` is a look at the system after the call that
// the golden holds as "system".

const (
	pkgCheck = `dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\n' 'sg*' 2>/dev/null | grep -v '^sgml' | sort; echo "held: $(apt-mark showhold | sort | tr '\n' ' ')"`

	// lockOn holds dpkg's two locks (fcntl, as dpkg and apt take them)
	// from a background process for 1.5 s: the call's first apt-get finds
	// them held and, as Salt's _call_apt does, retries 2 s later.
	lockOn = `nohup python3 -c 'import fcntl, os, time
fs = [open(p, "a") for p in ("/var/lib/dpkg/lock-frontend", "/var/lib/dpkg/lock")]
for f in fs: fcntl.lockf(f, fcntl.LOCK_EX)
open("/run/sglock.pid", "w").write(str(os.getpid()))
time.sleep(1.5)
os.remove("/run/sglock.pid")' >/dev/null 2>&1 </dev/null &
i=0; while [ ! -s /run/sglock.pid ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done; test -s /run/sglock.pid`
	lockOff = `i=0; while [ -e /run/sglock.pid ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done; test ! -e /run/sglock.pid`

	accountsCheck = `getent passwd sgalice sgdaemon sgbob sgcarol sgolduser; getent group sgdevs sgsys sgteam sgoldgrp; ` +
		`id sgalice; getent shadow sgalice | cut -d: -f1,2; ls -d /home/sgalice /home/sgolduser 2>&1; true`

	fixedHosts = `printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n192.0.2.50\tsgkeep.test\n` +
		`192.0.2.20\tsgold.test sgother.test\n192.0.2.30\tsgprev.test\n192.0.2.41\tsgclean.test\n' > /etc/hosts`

	formulasCheck = `getent passwd sgdan sgerin sgformerly; getent group sgops sgweb; ` + pkgCheck + `; ` +
		`grep sg /etc/hosts; cat /etc/salt/grains; ` +
		`cd ` + goldRoot + `/formulas && find . -type f | sort | while read f; do echo "== $f $(stat -c %a "$f")"; cat "$f"; done; true`
)

var trees = []tree{
	{
		name: "pkg", repo: true,
		setup: `dpkg -i ` + shared + `/repo/sgrm_1.0_all.deb ` + shared + `/repo/sgup_1.0_all.deb >/dev/null`,
		calls: []call{
			{name: "install_test", fun: "state.apply", args: []string{"pkg.install"}, test: true, check: pkgCheck},
			{name: "install", fun: "state.apply", args: []string{"pkg.install"}, check: pkgCheck},
			{name: "install_again", fun: "state.apply", args: []string{"pkg.install"}, check: pkgCheck},
			{name: "version", fun: "pkg.version", args: []string{"sgfoo", "sgbar", "sg-no-such-package"}},
			{name: "latest_version", fun: "pkg.latest_version", args: []string{"sgfoo", "sgqux"}},
			{name: "upgrade_available", fun: "pkg.upgrade_available", args: []string{"sgup"}},
			{name: "latest_test", fun: "state.apply", args: []string{"pkg.latest"}, test: true, check: pkgCheck},
			{name: "latest", fun: "state.apply", args: []string{"pkg.latest"}, check: pkgCheck},
			{name: "uptodate_test", fun: "state.apply", args: []string{"pkg.uptodate"}, test: true, check: pkgCheck},
			{name: "uptodate", fun: "state.apply", args: []string{"pkg.uptodate"}, check: pkgCheck},
			{name: "held", fun: "state.apply", args: []string{"pkg.held"}, check: pkgCheck},
			{name: "remove_test", fun: "state.apply", args: []string{"pkg.remove"}, test: true, check: pkgCheck},
			{name: "remove", fun: "state.apply", args: []string{"pkg.remove"}, check: pkgCheck},
			{name: "locked", fun: "state.apply", args: []string{"pkg.locked"}, before: lockOn, after: lockOff, check: pkgCheck,
				stderr: "Waiting for dpkg lock release: retrying... 1/100"},
		},
	},
	{
		name:  "accounts",
		setup: `groupadd sgoldgrp && useradd -m sgolduser`,
		calls: []call{
			{name: "apply_test", fun: "state.apply", args: []string{"accounts"}, test: true, check: accountsCheck},
			{name: "apply", fun: "state.apply", args: []string{"accounts"}, check: accountsCheck},
			{name: "apply_again", fun: "state.apply", args: []string{"accounts"}, check: accountsCheck},
			{name: "change_test", fun: "state.apply", args: []string{"accounts.change"}, test: true, check: accountsCheck},
			{name: "change", fun: "state.apply", args: []string{"accounts.change"}, check: accountsCheck},
			{name: "user_info", fun: "user.info", args: []string{"sgalice"}},
			{name: "group_info", fun: "group.info", args: []string{"sgsys"}},
		},
	},
	{
		name:  "host",
		setup: fixedHosts,
		calls: []call{
			{name: "apply_test", fun: "state.apply", args: []string{"host"}, test: true, check: "cat /etc/hosts"},
			{name: "apply", fun: "state.apply", args: []string{"host"}, check: "cat /etc/hosts"},
			{name: "apply_again", fun: "state.apply", args: []string{"host"}, check: "cat /etc/hosts"},
			{name: "list_hosts", fun: "hosts.list_hosts"},
		},
	},
	{
		name:  "grains",
		setup: `printf 'sgold: x\nsgtmp:\n  a: 1\nsgkeep: same\nsgroles:\n- web\nsgtags:\n- web\n- cache\n' > /etc/salt/grains`,
		calls: []call{
			{name: "apply_test", fun: "state.apply", args: []string{"grains"}, test: true, check: "cat /etc/salt/grains"},
			{name: "apply", fun: "state.apply", args: []string{"grains"}, check: "cat /etc/salt/grains"},
			{name: "apply_again", fun: "state.apply", args: []string{"grains"}, check: "cat /etc/salt/grains"},
			{name: "get", fun: "grains.get", args: []string{"sgnested"}},
		},
	},
	{
		name: "modrun",
		calls: []call{
			{name: "apply_test", fun: "state.apply", args: []string{"modrun"}, test: true},
			{name: "apply", fun: "state.apply", args: []string{"modrun"}},
		},
	},
	{
		name: "formulas", pillar: "formulas", repo: true,
		setup: fixedHosts + ` && useradd sgformerly`,
		calls: []call{
			{name: "apply_test", fun: "state.apply", test: true, check: formulasCheck},
			{name: "apply", fun: "state.apply", check: formulasCheck},
			{name: "apply_again", fun: "state.apply", check: formulasCheck},
			{name: "pillar_items", fun: "pillar.items"},
		},
	},
}
