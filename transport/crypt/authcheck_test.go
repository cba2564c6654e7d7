package crypt

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"
)

func TestVerifyPubKeySig(t *testing.T) {
	sign := specKey(t)
	other, err := GenerateKey(2048)
	if err != nil {
		t.Fatal(err)
	}
	const pub = "-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----"
	good, err := PubKeySig(sign, "", pub)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(good), "\n") {
		t.Errorf("pub_sig %q lacks b2a_base64's newline", good)
	}
	forged, _ := PubKeySig(other, "", pub)
	cases := []struct {
		name   string
		pubKey string
		sig    []byte
		algo   string
		ok     bool
	}{
		{"good", pub, good, "", true},
		{"good, no newline (pre-computed file, clean_key'd)", pub, []byte(strings.TrimSpace(string(good))), PKCS1v15SHA1, true},
		{"another signing key", pub, forged, "", false},
		{"another master key", pub + "\n", good, "", false},
		{"other algorithm", pub, good, PKCS1v15SHA224, false},
		{"not base64", pub, []byte("!!!"), "", false},
		{"empty", pub, nil, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := VerifyPubKeySig(&sign.PublicKey, c.algo, c.pubKey, c.sig)
			if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrSignature)) {
				t.Fatalf("VerifyPubKeySig: %v, want ok=%v", err, c.ok)
			}
		})
	}
}

func TestCheckMasterKeySize(t *testing.T) {
	for _, bits := range []int{1024, 2048} {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			t.Fatal(err)
		}
		err = CheckMasterKeySize(&k.PublicKey)
		if bits < MinKeySize {
			if !errors.Is(err, ErrWeakKey) || !strings.Contains(err.Error(), "1024 bits") {
				t.Errorf("%d bits: %v", bits, err)
			}
		} else if err != nil {
			t.Errorf("%d bits: %v", bits, err)
		}
	}
}

// A minion that sent a token requires its echo (Salt's extract_aes).
func TestKeysRequireTokenEcho(t *testing.T) {
	master := specKey(t)
	minion, err := GenerateKey(2048)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, _ := PublicKeyOf(master)
	token := mustKey(t)
	for _, withToken := range []bool{true, false} {
		a := AuthAccept{MasterPubPEM: CleanKey(string(pubPEM)), PublishPort: 4505, AESKey: mustKey(t), Nonce: "n"}
		if withToken {
			a.Token = token
		}
		r, err := AuthAcceptLoad(master, &minion.PublicKey, a)
		if err != nil {
			t.Fatal(err)
		}
		ar := &AuthReply{Accepted: true, Load: r, PubKey: a.MasterPubPEM}
		if _, err := ar.Keys(minion, &master.PublicKey, "", ""); err != nil {
			t.Errorf("token %v, none expected: %v", withToken, err)
		}
		_, err = ar.Keys(minion, &master.PublicKey, "", token)
		if withToken != (err == nil) || (err != nil && !errors.Is(err, ErrToken)) {
			t.Errorf("token %v, expected: %v", withToken, err)
		}
	}
}
