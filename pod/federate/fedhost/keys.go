package fedhost

import (
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/federation/envelope"
	"github.com/aspenpod/aspen/models"
)

// Keys opens sealed private keys and parses public keys once and keeps the
// results, so that signing, sealing and verifying many messages parses no
// PEM and decrypts no stored key per message. Cached private keys stay
// inside this package: callers get signed or opened envelopes, never a key.
// It is safe for concurrent use.
type Keys struct {
	sealer *models.KeySealer
	max    int

	mu   sync.Mutex
	pub  map[[32]byte]*rsa.PublicKey
	priv map[[32]byte]*rsa.PrivateKey
}

// NewKeys returns a key cache over sealer holding at most max keys of each
// kind (it is emptied when full; 0 means 10,000).
func NewKeys(sealer *models.KeySealer, max int) *Keys {
	if max <= 0 {
		max = 10000
	}
	return &Keys{sealer: sealer, max: max, pub: map[[32]byte]*rsa.PublicKey{}, priv: map[[32]byte]*rsa.PrivateKey{}}
}

// Public parses a stored public key PEM (cached by content).
func (k *Keys) Public(pemText string) (*rsa.PublicKey, error) {
	id := sha256.Sum256([]byte(pemText))
	k.mu.Lock()
	pub, ok := k.pub[id]
	k.mu.Unlock()
	if ok {
		return pub, nil
	}
	pub, err := federation.ParsePublicKey([]byte(pemText))
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	if len(k.pub) >= k.max {
		clear(k.pub)
	}
	k.pub[id] = pub
	k.mu.Unlock()
	return pub, nil
}

// private opens a sealed private key (cached by content).
func (k *Keys) private(sealed string) (*rsa.PrivateKey, error) {
	id := sha256.Sum256([]byte(sealed))
	k.mu.Lock()
	priv, ok := k.priv[id]
	k.mu.Unlock()
	if ok {
		return priv, nil
	}
	priv, err := k.sealer.Open(sealed)
	if err != nil {
		return nil, err
	}
	priv.Precompute()
	k.mu.Lock()
	if len(k.priv) >= k.max {
		clear(k.priv)
	}
	k.priv[id] = priv
	k.mu.Unlock()
	return priv, nil
}

// SignAuthor adds the author_signature of a relayable written by a local
// author whose sealed key is given; the author's key never leaves here.
func (k *Keys) SignAuthor(r entity.Relayable, authorSealedKey string) error {
	key, err := k.private(authorSealedKey)
	if err != nil {
		return fmt.Errorf("key of %s: %w", entity.AuthorOf(r), err)
	}
	return entity.SignRelayable(r, key)
}

// Sign builds the magic envelope of an entity's XML payload, signed by the
// local sender (diaspora ID) whose sealed key is given, and returns the
// envelope document. Relayables must be signed by their author before.
func (k *Keys) Sign(payload []byte, sender, senderSealedKey string) ([]byte, error) {
	key, err := k.private(senderSealedKey)
	if err != nil {
		return nil, fmt.Errorf("key of %s: %w", sender, err)
	}
	env, err := envelope.Sign(payload, sender, key)
	if err != nil {
		return nil, err
	}
	return env.Marshal(), nil
}

// Seal encrypts a signed envelope document for one recipient (private
// route), given the recipient's stored public key.
func (k *Keys) Seal(envelopeDoc []byte, recipientPEM string) ([]byte, error) {
	pub, err := k.Public(recipientPEM)
	if err != nil {
		return nil, err
	}
	return envelope.Seal(envelopeDoc, pub)
}

// SealMany seals a signed envelope document for many recipients, given
// their stored public keys: bodies[i] is for recipientPEMs[i], or errs[i]
// says why not. The RSA operations run on up to GOMAXPROCS cores, so that
// a post to many people reaches its first recipients sooner; the CPU
// spent is the same as sealing one after the other. The document is
// encrypted once for all of them (envelope.Sealer).
func (k *Keys) SealMany(envelopeDoc []byte, recipientPEMs []string) (bodies [][]byte, errs []error) {
	bodies, errs = make([][]byte, len(recipientPEMs)), make([]error, len(recipientPEMs))
	sealer, err := envelope.NewSealer(envelopeDoc)
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
		return bodies, errs
	}
	workers := min(runtime.GOMAXPROCS(0), (len(recipientPEMs)+sealPerWorker-1)/sealPerWorker)
	var next atomic.Int64
	seal := func() {
		for {
			i := int(next.Add(1)) - 1
			if i >= len(recipientPEMs) {
				return
			}
			pub, err := k.Public(recipientPEMs[i])
			if err != nil {
				errs[i] = err
				continue
			}
			bodies[i], errs[i] = sealer.Seal(pub)
		}
	}
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seal()
		}()
	}
	seal()
	wg.Wait()
	return bodies, errs
}

// sealPerWorker is the least number of recipients worth another goroutine
// (a 2048-bit seal takes about 30 µs, a 4096-bit one about 250 µs).
const sealPerWorker = 4

// Open decrypts and parses a private delivery for the local recipient whose
// sealed key is given.
func (k *Keys) Open(body []byte, recipientSealedKey string) (*envelope.Envelope, error) {
	key, err := k.private(recipientSealedKey)
	if err != nil {
		return nil, federation.Wrap(federation.ErrUnknownRecipient, err, "recipient key")
	}
	return envelope.OpenAndParse(body, key)
}
