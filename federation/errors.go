package federation

import (
	"errors"
	"fmt"
)

// Error kinds. Every error returned by the federation packages for bad input
// wraps exactly one of these, so callers can classify failures with
// errors.Is. The names follow the reference implementation's exceptions.
var (
	// ErrInvalidEnvelope: the magic envelope is malformed (not XML, wrong root,
	// missing me:data, me:sig or key_id, wrong namespace prefix, bad base64).
	ErrInvalidEnvelope = errors.New("invalid envelope")
	// ErrInvalidDataType: me:data/@type is not application/xml.
	ErrInvalidDataType = errors.New("invalid data type")
	// ErrInvalidEncoding: me:encoding is not base64url.
	ErrInvalidEncoding = errors.New("invalid encoding")
	// ErrInvalidAlgorithm: me:alg is not RSA-SHA256.
	ErrInvalidAlgorithm = errors.New("invalid algorithm")
	// ErrInvalidSignature: the magic envelope signature does not verify.
	ErrInvalidSignature = errors.New("invalid signature")
	// ErrSignatureVerificationFailed: an entity signature (relayable
	// author_signature, account_migration signature) is missing or invalid.
	ErrSignatureVerificationFailed = errors.New("signature verification failed")
	// ErrInvalidSender: the envelope sender may not send this entity (§2.4).
	ErrInvalidSender = errors.New("invalid sender")
	// ErrInvalidAuthor: the entity's author conflicts with what is known
	// (for example a retraction whose author is not the target's author).
	ErrInvalidAuthor = errors.New("invalid author")
	// ErrNotPublic: a non-public entity arrived on the public route.
	ErrNotPublic = errors.New("entity is not public")
	// ErrUnknownEntity: the payload's root element names no known entity.
	ErrUnknownEntity = errors.New("unknown entity")
	// ErrMalformed: the payload or document cannot be parsed (XML, JSON, HTML).
	ErrMalformed = errors.New("malformed document")
	// ErrValidation: a property is missing or breaks the reference's rules (§9).
	ErrValidation = errors.New("validation failed")
	// ErrTooLarge: the input exceeds a size limit.
	ErrTooLarge = errors.New("input too large")
	// ErrDecryption: a private envelope cannot be decrypted.
	ErrDecryption = errors.New("decryption failed")
	// ErrInvalidKey: a key cannot be parsed or is unusable.
	ErrInvalidKey = errors.New("invalid key")
	// ErrKeyNotFound: no public key is known for the sender or author.
	ErrKeyNotFound = errors.New("public key not found")
	// ErrUnknownRecipient: no local user owns the recipient GUID.
	ErrUnknownRecipient = errors.New("unknown recipient")
	// ErrParentNotFound: the parent of a relayable is not known (yet). Retryable.
	ErrParentNotFound = errors.New("parent not found")
	// ErrTargetNotFound: the target of a retraction is not known (yet). Retryable.
	ErrTargetNotFound = errors.New("target not found")
	// ErrDiscovery: WebFinger/hCard discovery failed. Retryable.
	ErrDiscovery = errors.New("discovery failed")
	// ErrForbiddenAddress: an outbound request was refused by the private
	// address guard.
	ErrForbiddenAddress = errors.New("forbidden address")
	// ErrHTTP: a remote server answered with an unexpected status. Retryable.
	ErrHTTP = errors.New("unexpected HTTP response")
	// ErrNotFound: the requested object does not exist (or is not public).
	ErrNotFound = errors.New("not found")
)

// Error is an error of one Kind with a message saying what exactly is wrong,
// optionally wrapping a cause. errors.Is matches both the kind and the cause.
type Error struct {
	Kind error  // one of the Err* kinds above
	Msg  string // what is wrong, e.g. "comment: text: must not be empty"
	Err  error  // optional cause
}

// Error implements the error interface: "kind: msg: cause".
func (e *Error) Error() string {
	s := e.Kind.Error()
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the kind and the cause, for errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// Errorf returns an *Error of the given kind with a formatted message.
func Errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error of the given kind with a formatted message wrapping
// cause. It returns nil if cause is nil.
func Wrap(kind, cause error, format string, args ...any) error {
	if cause == nil {
		return nil
	}
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...), Err: cause}
}

var permanentKinds = []error{
	ErrInvalidEnvelope, ErrInvalidDataType, ErrInvalidEncoding, ErrInvalidAlgorithm,
	ErrInvalidSignature, ErrSignatureVerificationFailed, ErrInvalidSender, ErrInvalidAuthor,
	ErrNotPublic, ErrUnknownEntity, ErrMalformed, ErrValidation, ErrTooLarge,
	ErrDecryption, ErrInvalidKey, ErrKeyNotFound, ErrUnknownRecipient, ErrForbiddenAddress,
	ErrNotFound,
}

// Permanent reports whether err is a permanent failure that retrying cannot
// fix (bad input, bad signature, forbidden sender…). Missing parents or
// targets, discovery and network failures, and errors of unknown origin (for
// example a database error in a host callback) are not permanent: §8 of the
// protocol digest retries those with backoff.
func Permanent(err error) bool {
	if err == nil {
		return false
	}
	for _, k := range []error{ErrParentNotFound, ErrTargetNotFound, ErrDiscovery, ErrHTTP} {
		if errors.Is(err, k) {
			return false
		}
	}
	for _, k := range permanentKinds {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}
