// Package liblxc is saltgo's LXC driver: a Client that runs each liblxc
// operation in a short-lived child process of the helper binary
// saltgo-lxc-helper (cmd/saltgo-lxc-helper, package liblxc/helper, the
// only code that links liblxc through go-lxc), and the JSON wire protocol
// between the two (Request, Response, Plan, ConfigChange, the sentinel
// errors and their codes).
//
// This package is pure Go: saltgo itself is built without cgo and finds the
// helper at run time (FindHelper). When the helper is missing, every
// operation fails with ErrUnavailable and a reason that says where it was
// looked for. What to do with containers (images, node set-up, VM steps)
// lives in package provision.
package liblxc
