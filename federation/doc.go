// Package federation is the diaspora* federation protocol as a library,
// byte-compatible with the reference implementation (the diaspora_federation
// gem).
//
// The library is split into small packages:
//
//   - entity: the federated objects (status_message, comment, like, …), their
//     XML and JSON forms, validation and relayable signatures;
//   - envelope: magic envelopes (signed, public route) and private (encrypted)
//     envelopes;
//   - discovery: WebFinger, hCard and NodeInfo documents, and a client that
//     discovers a person from a diaspora ID;
//   - transport: the outbound HTTP client (timeouts, size limits, redirect
//     limits, a guard against private and loopback addresses);
//   - receive: net/http handlers for /receive/public and /receive/users/{guid},
//     the background processing step that verifies a delivery, and the
//     /fetch/:type/:guid response builder;
//   - fedtest: fakes and fixtures for tests;
//   - cli: the operator tool behind `pod federation <verb>`.
//
// This root package holds what they share: the error kinds (errors.go), the
// interfaces a host application implements (host.go) and RSA key helpers
// (keys.go). It imports only the standard library; the library as a whole
// imports only the standard library and golang.org/x/crypto.
package federation
