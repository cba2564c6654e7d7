package minion

import (
	"errors"
	"fmt"

	"github.com/saltgo/saltgo/data"
)

// unsupportedOption is a Salt minion security option that saltgo does not
// implement: setting it to anything but its harmless default is refused at
// start, never silently ignored (a minion that ignores, say,
// cmd_blacklist_glob runs what its owner meant to forbid).
type unsupportedOption struct {
	name string
	// harmless reports whether v (the option's value, present) may be
	// ignored.
	harmless func(v any) bool
	why      string
}

func isNone(v any) bool { return v == nil }

func isFalse(v any) bool { return !data.Truthy(v) }

func isEmpty(v any) bool { return v == nil || !data.Truthy(v) }

// unsupportedOptions are Salt 3007's minion "Security Settings" (and the
// master_type variants) that saltgo does not implement. master_finger,
// keysize, verify_master_pubkey_sign and master_sign_key_name are
// implemented; always_verify_signature, sign_pub_messages and
// minion_sign_messages belong to the publish side.
var unsupportedOptions = []unsupportedOption{
	{"open_mode", isFalse, "saltgo always checks the master key against minion_master.pub; delete that file to trust a new master"},
	{"master_type", func(v any) bool { s, _ := v.(string); return v == nil || s == "str" }, "saltgo talks to one master (master_type: str); failover, func and disable are not implemented"},
	{"autosign_grains", isEmpty, "saltgo does not send autosign grains in its sign-in request; accept the key on the master"},
	{"cmd_blacklist_glob", isEmpty, "saltgo does not filter shell commands"},
	{"cmd_whitelist_glob", isEmpty, "saltgo does not filter shell commands"},
	{"ssl", isNone, "saltgo speaks ZeroMQ only (no TLS transport)"},
}

// checkUnsupportedOptions refuses the security options saltgo does not
// implement (unsupportedOptions), naming each one set and why.
func checkUnsupportedOptions(opts *data.Map) error {
	if opts == nil {
		return nil
	}
	var errs []error
	for _, o := range unsupportedOptions {
		v, ok := opts.Get(o.name)
		if !ok || o.harmless(v) {
			continue
		}
		errs = append(errs, fmt.Errorf("minion: option %s is set (%s) but saltgo does not implement it: %s; remove it from the configuration",
			o.name, data.Repr(v), o.why))
	}
	return errors.Join(errs...)
}
