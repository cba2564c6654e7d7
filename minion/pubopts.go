package minion

import (
	"errors"
	"fmt"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/transport/crypt"
	"github.com/saltgo/saltgo/transport/payload"
)

// signReturn adds minion_sign_messages' "sig" to a _return load about to be
// encrypted (spec 3.11): PKCS1v15-SHA1 with minion.pem over the msgpack of
// the load as the master re-serialises it to verify, that is without sig
// and without the nonce and tok its request server pops. Other loads, and
// every load when the option is off, are left alone.
func (m *Minion) signReturn(l *data.Map) error {
	if !m.s.MinionSignMessages || cmdOf(l) != "_return" {
		return nil
	}
	signed := l.Copy()
	for _, k := range []string{"sig", "nonce", "tok"} {
		signed.Delete(k)
	}
	b, err := payload.Encode(signed)
	if err != nil {
		return fmt.Errorf("minion_sign_messages: %w", err)
	}
	sig, err := crypt.Sign(m.priv.key, crypt.PKCS1v15SHA1, b)
	if err != nil {
		return fmt.Errorf("minion_sign_messages: %w", err)
	}
	l.Set("sig", sig)
	return nil
}

// errAlwaysVerifyNeedsPubSig refuses always_verify_signature without
// verify_master_pubkey_sign: there would be no pub_sig to verify.
var errAlwaysVerifyNeedsPubSig = errors.New("minion: always_verify_signature needs verify_master_pubkey_sign: True (and master_sign_pubkey on the master): without it there is no master public-key signature to verify")

// checkPublishOptions refuses security options that cannot be honoured,
// never ignoring them silently. always_verify_signature (Salt: verify the
// master's pub_sig with master_sign.pub at every sign-in, not only when the
// master key changes) needs the pub_sig of verify_master_pubkey_sign.
func checkPublishOptions(s *Settings) error {
	if s.AlwaysVerifySignature && !s.VerifyMasterPubkeySign {
		return errAlwaysVerifyNeedsPubSig
	}
	return nil
}
