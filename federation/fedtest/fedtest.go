// Package fedtest provides test fixtures for code using the federation
// library: an in-memory Host implementing every host interface, the
// conformance-vector identities, and cached generated keys.
package fedtest

import (
	"context"
	"crypto/rsa"
	"sync"
	"testing"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/internal/fedbench"
	"github.com/aspenpod/aspen/federation/internal/vectors"
	"github.com/aspenpod/aspen/federation/receive"
)

// Host is an in-memory fake of everything the federation packages ask of
// the application: KeyStore, RecipientKeys, ObjectLookup, receive.Enqueuer,
// receive.Recipients, receive.EntityReceiver and receive.FetchSource. It is
// safe for concurrent use. Fill its maps before use.
type Host struct {
	mu sync.Mutex
	// PublicKeys by diaspora ID.
	PublicKeys map[string]*rsa.PublicKey
	// RecipientPrivateKeys by local person GUID.
	RecipientPrivateKeys map[string]*rsa.PrivateKey
	// Objects by ObjectKey(type, guid).
	Objects map[string]*federation.ObjectInfo
	// Fetchable by ObjectKey(type, guid).
	Fetchable map[string]*receive.FetchResult
	// Deliveries records what Enqueue received.
	Deliveries []receive.Delivery
	// Received records what ReceiveEntity received.
	Received []*receive.Result
	// EnqueueErr, if set, is returned by Enqueue.
	EnqueueErr error
}

// NewHost returns an empty Host.
func NewHost() *Host {
	return &Host{
		PublicKeys:           map[string]*rsa.PublicKey{},
		RecipientPrivateKeys: map[string]*rsa.PrivateKey{},
		Objects:              map[string]*federation.ObjectInfo{},
		Fetchable:            map[string]*receive.FetchResult{},
	}
}

// VectorHost returns a Host that knows the public keys of the conformance
// vector identities (alice@pod-a.org, bob@pod-b.org, alice@pod-c.org).
func VectorHost(tb testing.TB) *Host {
	tb.Helper()
	h := NewHost()
	for id, pub := range vectors.PublicKeys(tb) {
		h.PublicKeys[id] = pub
	}
	return h
}

// VectorKey returns the private key of a vector identity by diaspora ID.
func VectorKey(tb testing.TB, diasporaID string) *rsa.PrivateKey {
	tb.Helper()
	name, ok := vectors.Identity[diasporaID]
	if !ok {
		tb.Fatalf("no vector identity %s", diasporaID)
	}
	return vectors.PrivateKey(tb, name)
}

// ObjectKey is the key of Host.Objects and Host.Fetchable.
func ObjectKey(typ, guid string) string { return typ + ":" + guid }

// PublicKey implements federation.KeyStore.
func (h *Host) PublicKey(_ context.Context, id string) (*rsa.PublicKey, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if k := h.PublicKeys[id]; k != nil {
		return k, nil
	}
	return nil, federation.Errorf(federation.ErrKeyNotFound, "unknown person %s", id)
}

// RecipientKey implements federation.RecipientKeys.
func (h *Host) RecipientKey(_ context.Context, guid string) (*rsa.PrivateKey, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if k := h.RecipientPrivateKeys[guid]; k != nil {
		return k, nil
	}
	return nil, federation.Errorf(federation.ErrUnknownRecipient, "no local user %s", guid)
}

// HasRecipient implements receive.Recipients.
func (h *Host) HasRecipient(_ context.Context, guid string) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.RecipientPrivateKeys[guid] != nil, nil
}

// LookupObject implements federation.ObjectLookup.
func (h *Host) LookupObject(_ context.Context, typ, guid string) (*federation.ObjectInfo, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if o := h.Objects[ObjectKey(typ, guid)]; o != nil {
		c := *o
		return &c, nil
	}
	return nil, federation.Errorf(federation.ErrNotFound, "%s %s", typ, guid)
}

// Enqueue implements receive.Enqueuer.
func (h *Host) Enqueue(_ context.Context, d receive.Delivery) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.EnqueueErr != nil {
		return h.EnqueueErr
	}
	h.Deliveries = append(h.Deliveries, d)
	return nil
}

// ReceiveEntity implements receive.EntityReceiver.
func (h *Host) ReceiveEntity(_ context.Context, r *receive.Result) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.Received = append(h.Received, r)
	return nil
}

// FetchEntity implements receive.FetchSource.
func (h *Host) FetchEntity(_ context.Context, typ, guid string) (*receive.FetchResult, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r := h.Fetchable[ObjectKey(typ, guid)]; r != nil {
		return r, nil
	}
	return nil, federation.Errorf(federation.ErrNotFound, "%s %s", typ, guid)
}

// Processor returns a receive.Processor wired to the host.
func (h *Host) Processor() *receive.Processor {
	return &receive.Processor{Keys: h, RecipientKeys: h, Objects: h, Receiver: h}
}

// Key returns an RSA key of the given size, generated once per process and
// size (4096-bit generation takes seconds).
func Key(tb testing.TB, bits int) *rsa.PrivateKey {
	tb.Helper()
	return fedbench.Key(tb, bits)
}

// NamedKey returns an RSA key per name and size, generated once per
// process, for tests that need several identities.
func NamedKey(tb testing.TB, name string, bits int) *rsa.PrivateKey {
	tb.Helper()
	return fedbench.NamedKey(tb, name, bits)
}

// VectorsDir returns the folder of the conformance vectors copied into the
// repository (federation/testdata/vectors), failing tb if it is missing.
// Tests outside federation/ use it, as they cannot import its internal
// locator.
func VectorsDir(tb testing.TB) string {
	tb.Helper()
	return vectors.Dir(tb)
}

// Vector returns the bytes of one conformance vector file given relative to
// the vectors folder, e.g. "keys/alice_pod_a.pub.pem".
func Vector(tb testing.TB, rel string) []byte {
	tb.Helper()
	return vectors.Read(tb, rel)
}
