package grains

import (
	"regexp"
	"strings"
)

// osRelease parses os-release like Python's platform.freedesktop_os_release.
func osRelease(e *Env) (map[string]string, bool) {
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		b, err := e.ReadFile(p)
		if err != nil {
			continue
		}
		m := map[string]string{"NAME": "Linux", "ID": "linux", "PRETTY_NAME": "Linux"}
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			k, v, ok := strings.Cut(line, "=")
			if !ok || strings.HasPrefix(line, "#") || !osReleaseKeyRe.MatchString(k) {
				continue
			}
			m[k] = shellUnquote(v)
		}
		return m, true
	}
	return nil, false
}

// shellUnquote removes one level of shell quoting (as shlex.split does for
// a single word).
func shellUnquote(s string) string {
	var b strings.Builder
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
		case quote != 0 && c == quote:
			quote = 0
		case c == '\\' && quote != '\'' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

var osReleaseKeyRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

var lsbRe = regexp.MustCompile(`^(DISTRIB_(?:ID|RELEASE|CODENAME|DESCRIPTION))=(?:'|")?([\w\s\.\-_]+)(?:'|")?`)

var replaceLinuxRe = regexp.MustCompile(`(?i)\W(?:gnu/)?linux`)

var osNameMap = map[string]string{
	"redhatente": "RedHat", "gentoobase": "Gentoo", "archarm": "Arch ARM", "arch": "Arch",
	"debian": "Debian", "Junos": "Junos", "raspbian": "Raspbian", "fedoraremi": "Fedora",
	"chapeau": "Chapeau", "korora": "Korora", "amazonami": "Amazon", "alt": "ALT",
	"enterprise": "OEL", "oracleserv": "OEL", "cloudserve": "CloudLinux", "cloudlinux": "CloudLinux",
	"almalinux": "AlmaLinux", "pidora": "Fedora", "scientific": "ScientificLinux", "synology": "Synology",
	"nilrt": "NILinuxRT", "poky": "Poky", "manjaro": "Manjaro", "manjarolin": "Manjaro",
	"univention": "Univention", "antergos": "Antergos", "sles": "SUSE", "void": "Void",
	"slesexpand": "RES", "linuxmint": "Mint", "neon": "KDE neon", "pop": "Pop", "rocky": "Rocky",
	"alibabaclo": "Alinux", "mendel": "Mendel", "photon": "VMware Photon OS",
}

var osFamilyMap = map[string]string{
	"Ubuntu": "Debian", "Fedora": "RedHat", "Chapeau": "RedHat", "Korora": "RedHat", "FedBerry": "RedHat",
	"CentOS": "RedHat", "CentOS Stream": "RedHat", "GoOSe": "RedHat", "Scientific": "RedHat", "Amazon": "RedHat",
	"CloudLinux": "RedHat", "AlmaLinux": "RedHat", "OVS": "RedHat", "OEL": "RedHat", "XCP": "RedHat",
	"XCP-ng": "RedHat", "XenServer": "RedHat", "RES": "RedHat", "Sangoma": "RedHat", "VMware Photon OS": "RedHat",
	"Mandrake": "Mandriva", "Mint": "Debian", "VMwareESX": "VMware", "Bluewhite64": "Bluewhite",
	"Slamd64": "Slackware", "SLES": "Suse", "SUSE Enterprise Server": "Suse", "SUSE  Enterprise Server": "Suse",
	"SLED": "Suse", "openSUSE": "Suse", "SUSE": "Suse", "openSUSE Leap": "Suse", "openSUSE Tumbleweed": "Suse",
	"SLES_SAP": "Suse", "Arch ARM": "Arch", "Manjaro": "Arch", "Manjaro ARM": "Arch", "Antergos": "Arch",
	"EndeavourOS": "Arch", "ALT": "RedHat", "Trisquel": "Debian", "GCEL": "Debian", "Linaro": "Debian",
	"elementary OS": "Debian", "elementary": "Debian", "Univention": "Debian", "ScientificLinux": "RedHat",
	"Raspbian": "Debian", "Devuan": "Debian", "antiX": "Debian", "Kali": "Debian", "Parrot OS": "Debian",
	"neon": "Debian", "Cumulus": "Debian", "Deepin": "Debian", "NILinuxRT": "NILinuxRT", "KDE neon": "Debian",
	"Void": "Void", "IDMS": "Debian", "Funtoo": "Gentoo", "TurnKey": "Debian", "Pop": "Debian", "Rocky": "RedHat",
	"AstraLinuxCE": "Debian", "AstraLinuxSE": "Debian", "Alinux": "RedHat", "Mendel": "Debian", "OSMC": "Debian",
}

var idAndNameToOS = map[[2]string]string{
	{"astra", "Astra Linux (Orel)"}:     "AstraLinuxCE",
	{"astra", "Astra Linux (Smolensk)"}: "AstraLinuxSE",
	{"pop", "Pop!_OS"}:                  "Pop",
}

// deriveOS maps a full OS name to Salt's short "os" grain.
func deriveOS(fullname, id string) string {
	if v, ok := idAndNameToOS[[2]string{id, fullname}]; ok {
		return v
	}
	name := strings.TrimSpace(replaceLinuxRe.ReplaceAllString(fullname, ""))
	short := strings.ToLower(strings.ReplaceAll(name, " ", ""))
	if len(short) > 10 {
		short = short[:10]
	}
	if v, ok := osNameMap[short]; ok {
		return v
	}
	return name
}

func familyID(id, idLike string) string {
	if idLike == "" {
		return id
	}
	ids := append([]string{id}, strings.Fields(idLike)...)
	for _, x := range ids {
		if x == "debian" || x == "ubuntu" {
			return "debian"
		}
	}
	return ids[len(ids)-1]
}

func prettyFamily(fid string) string {
	if fid == "fedora" {
		return "RedHat"
	}
	if fid == "" {
		return fid
	}
	return strings.ToUpper(fid[:1]) + strings.ToLower(fid[1:])
}

var versionCodenameRe = regexp.MustCompile(`\d[\d.+\-a-z]* \((?P<codename>.+)\)`)

// distroData returns the distribution grains in Salt's order, following
// the path Salt takes without the python lsb_release module: os-release
// grains, then the legacy lsb_distrib_* completion.
func distroData(e *Env, set func(k string, v any), get func(k string) (any, bool)) {
	lsb := map[string]string{}
	var lsbOrder []string
	if b, err := e.ReadFile("/etc/lsb-release"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if m := lsbRe.FindStringSubmatch(line); m != nil {
				k := "lsb_" + strings.ToLower(m[1])
				if _, dup := lsb[k]; !dup {
					lsbOrder = append(lsbOrder, k)
				}
				lsb[k] = strings.TrimRight(m[2], " \t\r\n")
			}
		}
	}
	for _, k := range lsbOrder {
		set(k, lsb[k])
	}
	osr, ok := osRelease(e)
	if !ok {
		osr = map[string]string{}
	}
	distroName, distroVersion, distroCodename := osr["NAME"], osr["VERSION_ID"], osr["VERSION_CODENAME"]
	if distroCodename == "" {
		if m := versionCodenameRe.FindStringSubmatch(osr["VERSION"]); m != nil {
			distroCodename = m[1]
		}
	}
	hasOS := false
	if ok {
		fid := familyID(osr["ID"], osr["ID_LIKE"])
		set("os", deriveOS(osr["NAME"], osr["ID"]))
		hasOS = true
		set("os_family", prettyFamily(fid))
		codename := any(nil)
		if osr["VERSION_CODENAME"] != "" {
			codename = osr["VERSION_CODENAME"]
		} else if osr["ID"] == "almalinux" || osr["ID"] == "rocky" {
			if m := versionCodenameRe.FindStringSubmatch(osr["VERSION"]); m != nil {
				codename = m[1]
			}
		} else if osr["ID"] == "astra" && osr["VARIANT_ID"] != "" {
			codename = osr["VARIANT_ID"]
		}
		set("oscodename", codename)
		set("osfullname", strings.TrimSpace(osr["NAME"]))
		if _, ok := lsb["lsb_distrib_id"]; !ok {
			set("lsb_distrib_id", strings.TrimSpace(osr["NAME"]))
			if v, ok := osr["VERSION_ID"]; ok {
				set("lsb_distrib_release", v)
			}
			if v, ok := osr["VERSION_CODENAME"]; ok {
				set("lsb_distrib_codename", v)
			} else if v, ok := osr["PRETTY_NAME"]; ok {
				set("lsb_distrib_codename", v)
			}
			if osr["ID"] == "mendel" {
				if f := strings.Fields(osr["PRETTY_NAME"]); len(f) >= 3 {
					set("lsb_distrib_release", f[2])
				}
			}
		}
	}
	gs := func(k string) string {
		v, _ := get(k)
		s, _ := v.(string)
		return s
	}
	if _, ok := get("osfullname"); !ok {
		if id := gs("lsb_distrib_id"); id != "" {
			set("osfullname", strings.TrimSpace(id))
		} else {
			set("osfullname", strings.TrimSpace(distroName))
		}
	}
	rel := distroVersion
	if v, ok := get("lsb_distrib_release"); ok {
		rel, _ = v.(string)
	}
	set("osrelease", strings.TrimSpace(rel))
	code := strings.TrimSpace(gs("lsb_distrib_codename"))
	if code == "" {
		code = distroCodename
	}
	if strings.Contains(code, "Red Hat") {
		code = distroCodename
	}
	set("oscodename", code)
	if !hasOS {
		set("os", deriveOS(gs("osfullname"), ""))
	}
	osName := gs("os")
	if fam, ok := osFamilyMap[osName]; ok {
		set("os_family", fam)
	} else {
		set("os_family", osName)
	}
}
