package federation_test

import (
	"errors"
	"testing"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/internal/vectors"
)

func TestParseKeys(t *testing.T) {
	pkcs1, err := federation.ParsePublicKey(vectors.Read(t, "keys/pkcs1_512.pub.pkcs1.pem"))
	if err != nil {
		t.Fatal(err)
	}
	spki, err := federation.ParsePublicKey(vectors.Read(t, "keys/pkcs1_512.pub.spki.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if pkcs1.N.Cmp(spki.N) != 0 {
		t.Error("PKCS#1 and SPKI armors give different moduli")
	}
	priv, err := federation.ParsePrivateKey(vectors.Read(t, "keys/pkcs1_512.key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if priv.N.Cmp(spki.N) != 0 {
		t.Error("private key does not match")
	}
	for _, name := range []string{"alice_pod_a", "bob_pod_b", "alice_pod_c"} {
		k := vectors.PrivateKey(t, name)
		if !k.PublicKey.Equal(vectors.PublicKey(t, name)) {
			t.Errorf("%s: key pair mismatch", name)
		}
		pem, err := federation.MarshalPublicKey(&k.PublicKey)
		if err != nil || string(pem) != string(vectors.Read(t, "keys/"+name+".pub.pem")) {
			t.Errorf("%s: SPKI PEM differs: %v", name, err)
		}
	}
	if k := vectors.PublicKey(t, "docs_hcard_alice_example_org"); k.N.BitLen() != 4096 {
		t.Errorf("docs key has %d bits", k.N.BitLen())
	}
	for name, in := range map[string]string{
		"garbage":     "not a key",
		"wrong armor": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
		"bad der":     "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
	} {
		if _, err := federation.ParsePublicKey([]byte(in)); !errors.Is(err, federation.ErrInvalidKey) {
			t.Errorf("%s: %v", name, err)
		}
		if _, err := federation.ParsePrivateKey([]byte(in)); !errors.Is(err, federation.ErrInvalidKey) {
			t.Errorf("%s (private): %v", name, err)
		}
	}
}

func TestPermanent(t *testing.T) {
	for err, want := range map[error]bool{
		federation.Errorf(federation.ErrInvalidSignature, "x"):                  true,
		federation.Errorf(federation.ErrParentNotFound, "x"):                    false,
		federation.Wrap(federation.ErrValidation, federation.ErrDiscovery, "x"): false,
		errors.New("database down"):                                             false,
		nil:                                                                     false,
	} {
		if got := federation.Permanent(err); got != want {
			t.Errorf("Permanent(%v) = %v", err, got)
		}
	}
}
