// Package fedbench holds helpers for the federation benchmarks: RSA keys
// generated once per process and size, and a paired timer that reports the
// protocol's overhead over the bare RSA operation it wraps.
package fedbench

import (
	"crypto/rand"
	"crypto/rsa"
	"sync"
	"testing"
	"time"
)

// keyName is a generated key's name and size.
type keyName struct {
	name string
	bits int
}

var (
	mu   sync.Mutex
	keys = map[keyName]*rsa.PrivateKey{}
)

// Key returns an RSA key of the given size, generated once per process (a
// 4096-bit key takes seconds to generate).
func Key(tb testing.TB, bits int) *rsa.PrivateKey {
	tb.Helper()
	return NamedKey(tb, "", bits)
}

// NamedKey returns an RSA key per name and size, generated once per
// process: tests that need several identities give each a name. It is the
// one test-key cache of the project (federation/fedtest re-exports it).
func NamedKey(tb testing.TB, name string, bits int) *rsa.PrivateKey {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	if k := keys[keyName{name, bits}]; k != nil {
		return k
	}
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		tb.Fatalf("generate %d-bit key: %v", bits, err)
	}
	k.Precompute()
	keys[keyName{name, bits}] = k
	return k
}

// Sizes are the key sizes every benchmark runs at.
var Sizes = []int{2048, 4096}

// Pair runs proto and bare alternately b.N times (alternating cancels drift
// in CPU frequency and load), timing each separately, and reports
// proto-ns/op (the protocol operation), rsa-ns/op (the bare crypto/rsa
// call it wraps) and overhead-% = (proto - rsa) / rsa × 100.
func Pair(b *testing.B, proto, bare func()) {
	b.Helper()
	proto()
	bare()
	var tp, tr time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		proto()
		t1 := time.Now()
		bare()
		tr += time.Since(t1)
		tp += t1.Sub(t0)
	}
	n := float64(b.N)
	b.ReportMetric(float64(tp.Nanoseconds())/n, "proto-ns/op")
	b.ReportMetric(float64(tr.Nanoseconds())/n, "rsa-ns/op")
	b.ReportMetric(100*float64(tp-tr)/float64(tr), "overhead-%")
}
