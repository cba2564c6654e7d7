package mastertest

import "github.com/saltgo/saltgo/data"

// SetRefuse installs a hook that makes the master answer "bad load" (as a
// real master does to a load it will not take) to every AES request whose
// decrypted load f returns true for; nil removes it.
func (m *Master) SetRefuse(f func(load *data.Map) bool) {
	m.mu.Lock()
	m.refuse = f
	m.mu.Unlock()
}

func (m *Master) refused(load *data.Map) bool {
	m.mu.Lock()
	f := m.refuse
	m.mu.Unlock()
	return f != nil && f(load)
}
