package rsapub

import (
	"crypto"
	"crypto/fips140"
	"crypto/rsa"
	"io"
	"sync"
)

// EncryptPKCS1v15 is rsa.EncryptPKCS1v15 with pub's modulus prepared once
// (see Prepared); keys this package does not handle, and FIPS 140 mode, go
// to crypto/rsa.
func EncryptPKCS1v15(random io.Reader, pub *rsa.PublicKey, msg []byte) ([]byte, error) {
	if k := Prepared(pub); k != nil {
		return k.EncryptPKCS1v15(random, msg)
	}
	return rsa.EncryptPKCS1v15(random, pub, msg)
}

// VerifyPKCS1v15SHA256 is rsa.VerifyPKCS1v15(pub, crypto.SHA256, hashed,
// sig) with pub's modulus prepared once (see Prepared); keys this package
// does not handle, and FIPS 140 mode, go to crypto/rsa.
func VerifyPKCS1v15SHA256(pub *rsa.PublicKey, hashed, sig []byte) error {
	if k := Prepared(pub); k != nil {
		return k.VerifyPKCS1v15SHA256(hashed, sig)
	}
	return rsa.VerifyPKCS1v15(pub, crypto.SHA256, hashed, sig)
}

// Prepared returns pub with its modulus prepared, from a cache of the last
// keys used (by modulus: a *rsa.PublicKey changed or reused by the caller
// is never used with another key's modulus), or nil when crypto/rsa must
// decide: a key this package does not handle, or FIPS 140 mode.
func Prepared(pub *rsa.PublicKey) *PublicKey {
	if pub == nil || pub.N == nil || pub.E != 65537 || fips140.Enabled() {
		return nil
	}
	return prepared.get(pub)
}

// prepared holds up to 2,000 prepared keys (about 1.5 kB each at 4096
// bits), emptied when full.
var prepared = &keyCache{max: 2000, m: map[string]*PublicKey{}}

type keyCache struct {
	max int
	mu  sync.Mutex
	m   map[string]*PublicKey // modulus bytes -> key (exponent 65537)
}

// get returns pub prepared, or nil when this package does not handle it.
func (c *keyCache) get(pub *rsa.PublicKey) *PublicKey {
	id := string(pub.N.Bytes())
	c.mu.Lock()
	k, ok := c.m[id]
	c.mu.Unlock()
	if ok {
		return k
	}
	k, err := NewPublicKey(pub)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[id] = k
	c.mu.Unlock()
	return k
}
