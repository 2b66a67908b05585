package vectors

import (
	"crypto/rsa"
	"testing"

	"github.com/aspenpod/aspen/federation"
)

// PrivateKey returns the private key keys/<name>.key.pem (for example
// "alice_pod_a"), failing tb on error.
func PrivateKey(tb testing.TB, name string) *rsa.PrivateKey {
	tb.Helper()
	k, err := federation.ParsePrivateKey(Read(tb, "keys/"+name+".key.pem"))
	if err != nil {
		tb.Fatalf("key %s: %v", name, err)
	}
	return k
}

// PublicKey returns the public key keys/<name>.pub.pem, failing tb on error.
func PublicKey(tb testing.TB, name string) *rsa.PublicKey {
	tb.Helper()
	k, err := federation.ParsePublicKey(Read(tb, "keys/"+name+".pub.pem"))
	if err != nil {
		tb.Fatalf("key %s: %v", name, err)
	}
	return k
}

// Identity maps the vector identities to their key names.
var Identity = map[string]string{
	"alice@pod-a.org": "alice_pod_a",
	"bob@pod-b.org":   "bob_pod_b",
	"alice@pod-c.org": "alice_pod_c",
}

// PublicKeys returns the public keys of the vector identities by diaspora ID.
func PublicKeys(tb testing.TB) map[string]*rsa.PublicKey {
	tb.Helper()
	m := map[string]*rsa.PublicKey{}
	for id, name := range Identity {
		m[id] = PublicKey(tb, name)
	}
	return m
}

// TrimFinalNewline removes one trailing "\n": the payload vector files end
// with a newline that is not part of the payload.
func TrimFinalNewline(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		return b[:n-1]
	}
	return b
}
