package settings

import "strings"

// ProfileTypes are the valid profile types (spec 3.5): X clones
// from_container with backing X, X-scratch creates from the image template.
var ProfileTypes = []string{"lvm", "lvm-scratch", "dir", "dir-scratch", "overlayfs", "overlayfs-scratch"}

// LegacyProfileTypes are accepted misspellings: the LXC documentation (and
// the generated salt-cloud profile file) spell lvm-scratch "lvm-sratch".
// It behaves exactly as it did in the original (an lvm clone type whose
// profile name carries the size, matching the salt-cloud profile file).
var LegacyProfileTypes = []string{"lvm-sratch"}

// ValidProfileType reports whether t is a known profile type.
func ValidProfileType(t string) bool {
	for _, l := range [][]string{ProfileTypes, LegacyProfileTypes} {
		for _, p := range l {
			if p == t {
				return true
			}
		}
	}
	return false
}

// GenID is mc_cloud_controller.gen_id: every dot becomes a dash.
func GenID(name string) string { return strings.ReplaceAll(name, ".", "-") }

// ProfileName is the salt-cloud profile name get_settings_for_vm computes:
// ms-<target with dots as dashes>[-<size>]-<ptype>. The size appears only
// for types that contain none of "overlayfs", "scratch" and "dir" (the lvm
// clone type), as in the original's substring tests.
func ProfileName(target, size, ptype string) string {
	suffix := ""
	if !forcedBacking(ptype) {
		suffix = "-" + size
	}
	return GenID("ms-" + target + suffix + "-" + ptype)
}

// forcedBacking reports whether the profile type forces the backing, and
// ForcedBacking gives it: overlayfs for *overlayfs* and *scratch* types,
// dir for *dir* types.
func forcedBacking(ptype string) bool { return ForcedBacking(ptype) != "" }

// ForcedBacking returns the backing a profile type forces ("" for none).
func ForcedBacking(ptype string) string {
	switch {
	case strings.Contains(ptype, "overlayfs") || strings.Contains(ptype, "scratch"):
		return "overlayfs"
	case strings.Contains(ptype, "dir"):
		return "dir"
	}
	return ""
}

// HasLVMKeys reports whether size, vgname and lvname are kept for ptype.
func HasLVMKeys(ptype string) bool {
	return !strings.Contains(ptype, "overlayfs") && !strings.Contains(ptype, "dir")
}

// SizeProfile returns the size profile called name.
func (l *LXC) SizeProfile(name string) (SizeProfile, bool) {
	for _, p := range l.Profiles {
		if p.Name == name {
			return p, true
		}
	}
	return SizeProfile{}, false
}

func (l *LXC) sizeNames() []string {
	out := make([]string, len(l.Profiles))
	for i, p := range l.Profiles {
		out[i] = p.Name
	}
	return out
}

// sizeIn returns the size profile named by a dash-separated segment of
// the profile name prof (ms-<cn>-<size>-lvm), else def.
func (l *LXC) sizeIn(prof, def string) string {
	segs := strings.Split(prof, "-")
	for i := len(segs) - 1; i >= 0; i-- {
		if _, ok := l.SizeProfile(segs[i]); ok {
			return segs[i]
		}
	}
	return def
}
