package federation

import (
	"context"
	"crypto/rsa"
)

// KeyStore returns the public key of a person by diaspora ID. A host
// typically answers from its person table and runs discovery (WebFinger +
// hCard) once for people it does not know. Return an error wrapping
// ErrKeyNotFound when the person has no usable key (permanent) and one
// wrapping ErrDiscovery when discovery failed and may succeed later.
type KeyStore interface {
	PublicKey(ctx context.Context, diasporaID string) (*rsa.PublicKey, error)
}

// KeyStoreFunc adapts a function to the KeyStore interface.
type KeyStoreFunc func(ctx context.Context, diasporaID string) (*rsa.PublicKey, error)

// PublicKey calls f.
func (f KeyStoreFunc) PublicKey(ctx context.Context, diasporaID string) (*rsa.PublicKey, error) {
	return f(ctx, diasporaID)
}

// RecipientKeys returns the private key of the local user who owns the person
// GUID a private delivery was posted to. Return an error wrapping
// ErrUnknownRecipient if no local user owns it.
type RecipientKeys interface {
	RecipientKey(ctx context.Context, personGUID string) (*rsa.PrivateKey, error)
}

// RecipientKeysFunc adapts a function to the RecipientKeys interface.
type RecipientKeysFunc func(ctx context.Context, personGUID string) (*rsa.PrivateKey, error)

// RecipientKey calls f.
func (f RecipientKeysFunc) RecipientKey(ctx context.Context, personGUID string) (*rsa.PrivateKey, error) {
	return f(ctx, personGUID)
}

// Person is what discovery learns about a diaspora ID (§1).
type Person struct {
	ID             string         // diaspora ID, user@host[:port], lowercase
	GUID           string         // person GUID (hCard .uid)
	PublicKey      *rsa.PublicKey // from the hCard .key element
	PodURL         string         // scheme://host[:port]/ taken from seed_location
	HCardURL       string         // the hCard document's URL
	ProfileURL     string         // profile-page link, if any
	FullName       string         // hCard .fn
	FirstName      string         // hCard .given_name
	LastName       string         // hCard .family_name
	Nickname       string         // hCard .nickname
	Searchable     bool           // hCard .searchable
	ImageURL       string         // 300×300 avatar
	ImageURLMedium string         // 100×100 avatar
	ImageURLSmall  string         // 50×50 avatar
}

// PersonResolver turns a diaspora ID into a Person. discovery.Client
// implements it with WebFinger and hCard; a host usually wraps it with its
// person table so that discovery runs once per person.
type PersonResolver interface {
	ResolvePerson(ctx context.Context, diasporaID string) (*Person, error)
}

// ObjectInfo describes an object (post, comment, poll, …) already known to the
// host, as needed by the sender rules of §2.4 and §5.3.
type ObjectInfo struct {
	// Author is the diaspora ID of the object's author.
	Author string
	// RootAuthor is the author of the top-most post above the object (the
	// post itself for a post; the post's author for a comment or a poll).
	RootAuthor string
	// RootLocal reports whether that root post belongs to this pod (its
	// author is a local user), which allows relayables to arrive from their
	// own author.
	RootLocal bool
	// Public reports whether the root post is public.
	Public bool
}

// ObjectLookup finds a known object by type and GUID. Types are the
// reference's CamelCase names: "Post" (status message or reshare), "Comment",
// "Like", "Poll", "PollParticipation", "Event", "Photo", "Conversation", …
// Return an error wrapping ErrParentNotFound (or ErrTargetNotFound) when the
// object is unknown; the receive step will report it as retryable. A host
// may fetch a missing parent from its pod (§6) before answering.
type ObjectLookup interface {
	LookupObject(ctx context.Context, objectType, guid string) (*ObjectInfo, error)
}

// ObjectLookupFunc adapts a function to the ObjectLookup interface.
type ObjectLookupFunc func(ctx context.Context, objectType, guid string) (*ObjectInfo, error)

// LookupObject calls f.
func (f ObjectLookupFunc) LookupObject(ctx context.Context, objectType, guid string) (*ObjectInfo, error) {
	return f(ctx, objectType, guid)
}
