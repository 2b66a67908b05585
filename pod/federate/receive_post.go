package federate

import (
	"context"
	"crypto/rsa"
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/federate/fedhost"
)

// storePublicPost is receiveStatusMessage's fast path for the commonest
// delivery: a new public post with no mentions, photos, poll, location or
// event, by someone a local user has a contact with. It stores the post,
// its tags and its stream entries as the general path does (Publish), in
// one round trip (models.StoreReceivedPublicPost), and returns the stored
// post; nil, with nothing stored, when the general path must run: the post
// carries more, exists already, or its author has no local contact (then
// the general path asks their pod for the thread, subscribe).
//
// The statement also checks that the post was not retracted before it
// came, that the author's account is open and that their stored key is
// still author.SerializedPublicKey, the key the envelope was verified
// with: the author may come from the sender hints (senderKeys),
// unconfirmed.
func (a *Service) storePublicPost(ctx context.Context, e *entity.StatusMessage, author *models.Person) (*models.Post, error) {
	if !e.Public || len(e.Photos) > 0 || e.Poll != nil || e.Location != nil || e.Event != nil {
		return nil, nil
	}
	if len(pod.ExtractMentions(e.Text)) > 0 {
		return nil, nil // mentions, their stream reason and notifications: the general path
	}
	post := fedhost.StatusMessagePost(e, author.ID)
	tags := pod.ExtractTags(post.Text)
	post.TextHTML, post.NSFW = string(pod.RenderText(post.Text, nil)), slices.Contains(tags, "nsfw")
	stored, err := a.store.StoreReceivedPublicPost(ctx, post, tags, author)
	if err != nil || !stored {
		return nil, err
	}
	return post, nil
}

// senderKeys is the KeyStore of one received message: it finds keys as
// Service.PublicKey does and remembers the person of the last one, so that
// applying the message does not look its author up again (the author is
// the sender, whose key was just checked, for most entities).
//
// With hints, a remote person's key comes from the sender hints when they
// have it, without asking the database: the person is then unconfirmed
// (hinted) until confirm compares them with the stored row. Nothing is
// changed on an unconfirmed key: the public-post fast path checks the key
// in the statement that stores the post, every other change is preceded by
// confirm. A stale hint (errStaleHint, or a check that fails with a hinted
// key) makes the receive job run again without hints.
type senderKeys struct {
	a      *Service
	hints  bool
	person *models.Person
	hinted []*models.Person // from the hints, not confirmed yet
}

// PublicKey implements federation.KeyStore.
func (k *senderKeys) PublicKey(ctx context.Context, diasporaID string) (*rsa.PublicKey, error) {
	if k.hints {
		if p, pub := k.a.senderHints.get(diasporaID); p != nil {
			k.person = p
			k.hinted = append(k.hinted, p)
			return pub, nil
		}
	}
	p, pub, err := k.a.personKey(ctx, diasporaID)
	if err == nil {
		k.person = p
		if !p.Local() {
			k.a.senderHints.put(diasporaID, p, pub)
		}
	}
	return pub, err
}

// author returns the person with a diaspora ID: the one whose key was
// looked up last if it is them, else the stored one.
func (k *senderKeys) author(ctx context.Context, diasporaID string) (*models.Person, error) {
	if k.person != nil && strings.EqualFold(k.person.DiasporaID, diasporaID) {
		return k.person, nil
	}
	return k.a.store.PersonByDiasporaID(ctx, diasporaID)
}

// confirm checks every hinted person against the database: same row, same
// key, account open. It returns errStaleHint, and forgets the hint, when
// one differs.
func (k *senderKeys) confirm(ctx context.Context) error {
	for _, p := range k.hinted {
		stored, err := k.a.store.PersonByDiasporaID(ctx, p.DiasporaID)
		if errors.Is(err, models.ErrNotFound) || err == nil && (stored.ID != p.ID ||
			stored.SerializedPublicKey != p.SerializedPublicKey || stored.ClosedAccount) {
			k.a.senderHints.forget(p.DiasporaID)
			return errStaleHint
		}
		if err != nil {
			return err
		}
	}
	k.hinted = nil
	return nil
}

// errStaleHint: a sender hint no longer matches the stored person.
var errStaleHint = errors.New("sender hint out of date")

// senderHints keeps, for up to maxSenderHints remote people who sent
// something recently, their stored row and parsed key, so that a message
// from them is verified without a database round trip. They are hints:
// another process may have changed the person since (a new key after a
// migration, a closed account), so senderKeys confirms a hint, or lets the
// statement that stores the message check it, before anything changes.
// Emptied when full.
type senderHints struct {
	mu sync.Mutex
	m  map[string]senderHint // lower-case diaspora ID ->
}

type senderHint struct {
	person models.Person
	pub    *rsa.PublicKey
}

// maxSenderHints bounds the hints (about 1.5 kB each).
const maxSenderHints = 2000

// get returns a copy of the hinted person, and their key, or nil.
func (h *senderHints) get(diasporaID string) (*models.Person, *rsa.PublicKey) {
	id := strings.ToLower(diasporaID)
	h.mu.Lock()
	e, ok := h.m[id]
	h.mu.Unlock()
	if !ok {
		return nil, nil
	}
	p := e.person
	return &p, e.pub
}

func (h *senderHints) put(diasporaID string, p *models.Person, pub *rsa.PublicKey) {
	if p.ClosedAccount || pub == nil {
		return
	}
	id := strings.ToLower(diasporaID)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil || len(h.m) >= maxSenderHints {
		h.m = map[string]senderHint{}
	}
	h.m[id] = senderHint{person: *p, pub: pub}
}

func (h *senderHints) forget(diasporaID string) {
	h.mu.Lock()
	delete(h.m, strings.ToLower(diasporaID))
	h.mu.Unlock()
}

// retractedBefore reports whether an object arriving now was retracted
// before it came (models.Store.RetractedBefore): deleted here, or named by
// a retraction that came first (unknownTarget) whose author is the
// object's author and whose sender was allowed to retract it: the author,
// or for a comment or like the post's author (rootAuthor). If the
// database cannot answer, the object is taken as not retracted, as
// pod.Core.Retracted does.
func (a *Service) retractedBefore(ctx context.Context, guid, author, rootAuthor string) bool {
	ok, err := a.store.RetractedBefore(ctx, guid, author, rootAuthor)
	return err == nil && ok
}
