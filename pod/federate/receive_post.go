package federate

import (
	"context"
	"crypto/rsa"
	"slices"
	"strings"

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
	stored, err := a.store.StoreReceivedPublicPost(ctx, post, tags)
	if err != nil || !stored {
		return nil, err
	}
	return post, nil
}

// senderKeys is the KeyStore of one received message: it finds keys as
// Service.PublicKey does and remembers the person of the last one, so that
// applying the message does not look its author up again (the author is
// the sender, whose key was just checked, for most entities).
type senderKeys struct {
	a      *Service
	person *models.Person
}

// PublicKey implements federation.KeyStore.
func (k *senderKeys) PublicKey(ctx context.Context, diasporaID string) (*rsa.PublicKey, error) {
	p, pub, err := k.a.personKey(ctx, diasporaID)
	if err == nil {
		k.person = p
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

// retractedBefore reports whether an object arriving now was retracted
// before it came: deleted here (pod.Core.MarkRetracted's key), or named by
// a retraction that came first (unknownTarget) whose author is the
// object's author and whose sender was allowed to retract it: the author,
// or for a comment or like the post's author (rootAuthor). Both are read
// in one round trip to Redis; if Redis cannot answer, the object is taken
// as not retracted, as pod.Core.Retracted does.
func (a *Service) retractedBefore(ctx context.Context, guid, author, rootAuthor string) bool {
	guid = strings.ToLower(guid)
	pipe := a.rdb.Pipeline()
	deleted := pipe.Exists(ctx, a.core.RetractedKey(guid))
	unseen := pipe.SMembers(ctx, a.unseenRetractionKey(guid))
	_, _ = pipe.Exec(ctx) // each command's own error is checked below
	if n, err := deleted.Result(); err == nil && n > 0 {
		return true
	}
	vals, err := unseen.Result()
	if err != nil {
		return false
	}
	author, rootAuthor = strings.ToLower(author), strings.ToLower(rootAuthor)
	for _, val := range vals {
		by, sender, _ := strings.Cut(val, " ")
		if by == author && (sender == author || rootAuthor != "" && sender == rootAuthor) {
			return true
		}
	}
	return false
}
