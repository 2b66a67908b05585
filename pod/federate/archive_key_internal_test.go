package federate

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
)

// TestArchiveKeySizeReadFirst: an archive's private key is sized from its
// DER before it is parsed, so a forged key with a huge modulus (whose
// checks would take minutes) is refused before any arithmetic, and real
// keys pass.
func TestArchiveKeySizeReadFirst(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := x509.MarshalPKCS1PrivateKey(key)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if n := modulusBits(pkcs1); n != 1024 {
		t.Errorf("PKCS#1 modulus: %d bits, want 1024", n)
	}
	if n := modulusBits(pkcs8); n != 1024 {
		t.Errorf("PKCS#8 modulus: %d bits, want 1024", n)
	}
	if _, err := parseArchiveKey(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}))); err != nil {
		t.Errorf("a real PKCS#8 key is refused: %v", err)
	}

	// A PKCS#1 structure whose numbers are 60,000 bits long.
	huge := new(big.Int).Lsh(big.NewInt(1), 60000)
	huge.Add(huge, big.NewInt(1))
	der, err := asn1.Marshal(struct {
		Version               int
		N                     *big.Int
		E                     int
		D, P, Q, Dp, Dq, Qinv *big.Int
	}{0, huge, 65537, huge, huge, huge, huge, huge, huge})
	if err != nil {
		t.Fatal(err)
	}
	_, err = parseArchiveKey(string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: der})))
	if err == nil || !strings.Contains(err.Error(), "8192") {
		t.Fatalf("a key with a 60,000-bit modulus: %v, want a refusal naming the 8192-bit limit", err)
	}
	// Within the DER size bound: a 20,000-bit modulus with small numbers
	// around it, refused by its size alone.
	n20k := new(big.Int).Lsh(big.NewInt(1), 20000)
	small := big.NewInt(3)
	der, err = asn1.Marshal(struct {
		Version               int
		N                     *big.Int
		E                     int
		D, P, Q, Dp, Dq, Qinv *big.Int
	}{0, n20k, 65537, small, small, small, small, small, small})
	if err != nil {
		t.Fatal(err)
	}
	if n := modulusBits(der); n != 20001 {
		t.Errorf("modulus of the forged key: %d bits, want 20001", n)
	}
	if _, err := parseArchiveKey(string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: der}))); err == nil || !strings.Contains(err.Error(), "1024 to 8192") {
		t.Errorf("a key with a 20,001-bit modulus: %v, want a refusal naming the sizes accepted", err)
	}
	if n := modulusBits([]byte{0x30, 0x03, 0x02, 0x01}); n != -1 {
		t.Errorf("truncated DER: %d, want -1", n)
	}
}
