package settings

// Declared reports whether vm is declared for compute node target: in the
// pillar (any form), or only by a salt-cloud -p record of the allocation
// store. Allocations are kept while either holds (a re-create gets the
// same address) and released once neither does.
func (s *Settings) Declared(target, vm string) (inPillar, recorded bool) {
	for _, e := range s.vms.byCN[target] {
		if e.VM == vm {
			if e.Key == recordedKey(s.store, target) {
				return false, true
			}
			return true, false
		}
	}
	entries, err := s.forTarget(target)
	if err != nil {
		// A duplicate declaration is still a declaration.
		return true, false
	}
	for _, e := range entries {
		if e.VM == vm {
			return true, false
		}
	}
	return false, false
}
