package receive

import (
	"context"
	"crypto/rsa"
	"errors"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/federation/envelope"
)

// Result is a verified delivery.
type Result struct {
	Entity        entity.Entity
	Sender        string // diaspora ID of the envelope signer
	RecipientGUID string // "" on the public route
	Envelope      *envelope.Envelope
}

// Public reports whether the delivery came in on the public route.
func (r *Result) Public() bool { return r.RecipientGUID == "" }

// EntityReceiver is what the host does with a verified entity (store it,
// relay it, notify…). It is optional: Processor returns the Result either
// way.
type EntityReceiver interface {
	ReceiveEntity(ctx context.Context, r *Result) error
}

// EntityReceiverFunc adapts a function to the EntityReceiver interface.
type EntityReceiverFunc func(ctx context.Context, r *Result) error

// ReceiveEntity calls f.
func (f EntityReceiverFunc) ReceiveEntity(ctx context.Context, r *Result) error { return f(ctx, r) }

// Processor verifies deliveries in a background job.
type Processor struct {
	// Keys returns public keys of senders and authors (discovering unknown
	// people). Required.
	Keys federation.KeyStore
	// RecipientKeys returns private keys of local users; required for the
	// private route.
	RecipientKeys federation.RecipientKeys
	// Objects finds the parents of relayables and the targets of
	// retractions for the sender rules. Without it relayables and
	// retractions fail with ErrParentNotFound / ErrTargetNotFound.
	Objects federation.ObjectLookup
	// Receiver, if set, is called with every verified result.
	Receiver EntityReceiver
}

// Process verifies a delivery from the Handler's queue.
func (p *Processor) Process(ctx context.Context, d Delivery) (*Result, error) {
	if d.Public() {
		return p.ProcessPublic(ctx, d.Body)
	}
	return p.ProcessPrivate(ctx, d.Body, d.RecipientGUID)
}

// ProcessPublic verifies a magic envelope received on /receive/public (or
// fetched from /fetch): signature, entity, public flag, sender rules.
func (p *Processor) ProcessPublic(ctx context.Context, body []byte) (*Result, error) {
	env, err := envelope.Parse(body)
	if err != nil {
		return nil, err
	}
	return p.ProcessEnvelope(ctx, env, "")
}

// ProcessPrivate decrypts a private envelope for the local person
// recipientGUID and verifies it like ProcessPublic, except that any entity
// is accepted whatever its public flag.
func (p *Processor) ProcessPrivate(ctx context.Context, body []byte, recipientGUID string) (*Result, error) {
	if p.RecipientKeys == nil {
		return nil, federation.Errorf(federation.ErrUnknownRecipient, "no RecipientKeys configured")
	}
	key, err := p.RecipientKeys.RecipientKey(ctx, recipientGUID)
	if err != nil {
		return nil, err
	}
	if key == nil {
		return nil, federation.Errorf(federation.ErrUnknownRecipient, "no key for recipient %s", recipientGUID)
	}
	env, err := envelope.OpenAndParse(body, key)
	if err != nil {
		return nil, err
	}
	return p.ProcessEnvelope(ctx, env, recipientGUID)
}

func (p *Processor) key(ctx context.Context, id, role string) (pub *rsa.PublicKey, err error) {
	if p.Keys == nil {
		return nil, federation.Errorf(federation.ErrKeyNotFound, "no KeyStore configured")
	}
	pub, err = p.Keys.PublicKey(ctx, id)
	if err != nil {
		return nil, err
	}
	if pub == nil {
		return nil, federation.Errorf(federation.ErrKeyNotFound, "no public key for %s %s", role, id)
	}
	return pub, nil
}

// ProcessEnvelope verifies a parsed envelope: the envelope signature with the
// sender's key, the entity, the public flag (public route, recipientGUID
// ""), the sender rules and entity signatures. On success it calls the
// Receiver, if any.
func (p *Processor) ProcessEnvelope(ctx context.Context, env *envelope.Envelope, recipientGUID string) (*Result, error) {
	pub, err := p.key(ctx, env.Sender, "sender")
	if err != nil {
		return nil, err
	}
	if err := env.Verify(pub); err != nil {
		return nil, err
	}
	e, err := entity.ParseXML(env.Payload)
	if err != nil {
		return nil, err
	}
	if recipientGUID == "" {
		if err := CheckPublic(e); err != nil {
			return nil, err
		}
	}
	if err := p.CheckSender(ctx, e, env.Sender); err != nil {
		return nil, err
	}
	res := &Result{Entity: e, Sender: env.Sender, RecipientGUID: recipientGUID, Envelope: env}
	if p.Receiver != nil {
		if err := p.Receiver.ReceiveEntity(ctx, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// CheckPublic applies the public-route rule (§3.1): entities with a public
// property must have it true, except a profile that carries none of the
// extended fields (bio, birthday, gender, location).
func CheckPublic(e entity.Entity) error {
	has, public := entity.PublicFlag(e)
	if !has || public {
		return nil
	}
	if pr, ok := e.(*entity.Profile); ok && pr.Bio == "" && pr.Birthday == "" && pr.Gender == "" && pr.Location == "" {
		return nil
	}
	return federation.Errorf(federation.ErrNotPublic, "received entity %s:%s should be public", e.EntityName(), idOf(e))
}

func idOf(e entity.Entity) string {
	if g := entity.GUIDOf(e); g != "" {
		return g
	}
	return entity.AuthorOf(e)
}

// CheckSender applies the sender rules of §2.4 and §5.3 and verifies the
// signatures inside the entity (relayable author_signature, migration
// signature):
//
//   - relayables: the sender is the root author, or the relayable's author
//     when the root post is local; author_signature is verified with the
//     author's key unless the author is the root author;
//   - retractions of comments, likes and poll participations: the target's
//     author or its root author; other retractions: the target's author;
//   - everything else: the entity's author.
func (p *Processor) CheckSender(ctx context.Context, e entity.Entity, sender string) error {
	switch x := e.(type) {
	case entity.Relayable:
		return p.checkRelayable(ctx, x, sender)
	case *entity.Retraction:
		return p.checkRetraction(ctx, x, sender)
	case *entity.AccountMigration:
		if x.Author != sender {
			return invalidSender(sender, e)
		}
		pub, err := p.key(ctx, x.Signer(), "migration signer")
		if err != nil {
			return err
		}
		return entity.VerifyMigration(x, pub)
	}
	author := entity.AuthorOf(e)
	if author == "" {
		return federation.Errorf(federation.ErrInvalidSender, "%s cannot be received on its own", e.EntityName())
	}
	if author != sender {
		return invalidSender(sender, e)
	}
	return nil
}

func invalidSender(sender string, e entity.Entity) error {
	return federation.Errorf(federation.ErrInvalidSender, "invalid sender: %s may not send %s by %s", sender, e.EntityName(), entity.AuthorOf(e))
}

func (p *Processor) lookup(ctx context.Context, typ, guid string, notFound error) (*federation.ObjectInfo, error) {
	if p.Objects == nil {
		return nil, federation.Errorf(notFound, "%s %s: no ObjectLookup configured", typ, guid)
	}
	info, err := p.Objects.LookupObject(ctx, typ, guid)
	if err != nil {
		if errors.Is(err, federation.ErrNotFound) {
			return nil, federation.Wrap(notFound, err, "%s %s", typ, guid)
		}
		return nil, err
	}
	if info == nil {
		return nil, federation.Errorf(notFound, "%s %s", typ, guid)
	}
	return info, nil
}

func (p *Processor) checkRelayable(ctx context.Context, r entity.Relayable, sender string) error {
	typ, guid := r.Parent()
	info, err := p.lookup(ctx, typ, guid, federation.ErrParentNotFound)
	if err != nil {
		return err
	}
	root := info.RootAuthor
	if root == "" {
		root = info.Author
	}
	author := entity.AuthorOf(r)
	if sender != root && !(sender == author && info.RootLocal) {
		return federation.Errorf(federation.ErrInvalidSender, "invalid sender: %s is neither the root author %s nor the author of %s on a local root", sender, root, r.EntityName())
	}
	if author == root {
		return nil // the envelope signature suffices (§5.1 step 6)
	}
	pub, err := p.key(ctx, author, "author")
	if err != nil {
		return err
	}
	return entity.VerifyAuthorSignature(r, pub)
}

func (p *Processor) checkRetraction(ctx context.Context, x *entity.Retraction, sender string) error {
	info, err := p.lookup(ctx, x.TargetType, x.TargetGUID, federation.ErrTargetNotFound)
	if err != nil {
		return err
	}
	if info.Author != "" && info.Author != x.Author {
		return federation.Errorf(federation.ErrInvalidAuthor, "retraction author %s is not the author %s of %s %s", x.Author, info.Author, x.TargetType, x.TargetGUID)
	}
	if sender == info.Author || sender == x.Author && info.Author == "" {
		return nil
	}
	switch x.TargetType {
	case "Comment", "Like", "PollParticipation":
		root := info.RootAuthor
		if sender == root && root != "" {
			return nil
		}
	}
	return federation.Errorf(federation.ErrInvalidSender, "invalid sender: %s may not retract %s %s", sender, x.TargetType, x.TargetGUID)
}
