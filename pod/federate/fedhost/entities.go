package fedhost

import (
	"fmt"
	"strings"
	"time"

	"github.com/aspenpod/aspen/federation/discovery"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/federation/envelope"
	"github.com/aspenpod/aspen/federation/receive"
	"github.com/aspenpod/aspen/models"
)

// Entity type names as they appear in /fetch/:type/:guid (§6).
const (
	FetchPost          = "post" // a status message or a reshare
	FetchStatusMessage = "status_message"
	FetchReshare       = "reshare"
	FetchComment       = "comment"
	FetchLike          = "like"
)

// ValidGUID reports whether s is a GUID as the reference accepts it.
func ValidGUID(s string) bool { return entity.ValidGUID(s) }

func diasporaID(p *models.Person) string { return strings.ToLower(p.DiasporaID) }

func timestamp(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// StatusMessage returns the status_message entity of a post of type
// StatusMessage written by author.
func StatusMessage(post *models.Post, author *models.Person) *entity.StatusMessage {
	return &entity.StatusMessage{
		Author:              diasporaID(author),
		GUID:                post.GUID,
		CreatedAt:           timestamp(post.CreatedAt),
		Public:              post.Public,
		ProviderDisplayName: post.ProviderDisplayName,
		Text:                post.Text,
	}
}

// Reshare returns the reshare entity of a post of type Reshare. root and
// rootAuthor are the reshared post and its author, nil when the root was
// deleted (the reshare is then sent without root, as diaspora* does).
func Reshare(post *models.Post, author *models.Person, root *models.Post, rootAuthor *models.Person) *entity.Reshare {
	r := &entity.Reshare{Author: diasporaID(author), GUID: post.GUID, CreatedAt: timestamp(post.CreatedAt)}
	if root != nil && rootAuthor != nil {
		r.RootGUID, r.RootAuthor = root.GUID, diasporaID(rootAuthor)
	}
	return r
}

// Post returns the entity of a post: a status_message or a reshare (see
// Reshare for root and rootAuthor, which status messages ignore).
func Post(post *models.Post, author *models.Person, root *models.Post, rootAuthor *models.Person) (entity.Entity, error) {
	switch post.Type {
	case models.TypeStatusMessage:
		return StatusMessage(post, author), nil
	case models.TypeReshare:
		return Reshare(post, author, root, rootAuthor), nil
	}
	return nil, fmt.Errorf("post %s has unknown type %q", post.GUID, post.Type)
}

// Comment returns the comment entity of a comment on post. It is not
// signed yet: SignedEnvelope adds the author_signature.
func Comment(c *models.Comment, author *models.Person, post *models.Post) *entity.Comment {
	return &entity.Comment{
		Author:     diasporaID(author),
		GUID:       c.GUID,
		ParentGUID: post.GUID,
		Text:       c.Text,
		CreatedAt:  timestamp(c.CreatedAt),
	}
}

// Like returns the like entity of a like of post, or of comment when the
// like is on a comment (comment non-nil). It is not signed yet.
func Like(l *models.Like, author *models.Person, post *models.Post, comment *models.Comment) *entity.Like {
	e := &entity.Like{Author: diasporaID(author), GUID: l.GUID, ParentGUID: post.GUID, ParentType: "Post", Positive: l.Positive}
	if comment != nil {
		e.ParentGUID, e.ParentType = comment.GUID, "Comment"
	}
	return e
}

// FetchURL returns the /fetch/:type/:guid URL of an object on a remote
// person's pod: scheme ("https", or "http" in development) and the
// person's pod host.
func FetchURL(scheme string, author *models.Person, entityType, guid string) string {
	return discovery.FetchURL(scheme+"://"+author.PodHost+"/", entityType, guid)
}

// FetchContentType is the content type of a /fetch answer.
const FetchContentType = envelope.ContentType

// SignedEnvelope validates a public entity by a local author and signs it
// into a magic envelope with the author's key, opened from sealedKey (the
// user's stored serialized_private_key) with sealer. Relayables get their
// author_signature first. The clear key lives only inside this call.
func SignedEnvelope(e entity.Entity, author *models.Person, sealedKey string, sealer *models.KeySealer) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("%s %s: %w", e.EntityName(), entity.GUIDOf(e), err)
	}
	key, err := sealer.Open(sealedKey)
	if err != nil {
		return nil, fmt.Errorf("key of %s: %w", author.DiasporaID, err)
	}
	if r, ok := entity.AsRelayable(e); ok {
		if err := entity.SignRelayable(r, key); err != nil {
			return nil, fmt.Errorf("sign %s %s: %w", e.EntityName(), entity.GUIDOf(e), err)
		}
	}
	return receive.FetchResponse(e, diasporaID(author), key)
}

// Profile returns the profile entity of a local person. With private
// false the extended fields (bio, birthday, gender, location) are left out,
// for people the user does not share with (DESIGN.md, Privacy); the public
// flag says whether the user made those fields public. baseURL makes
// avatar paths absolute.
func Profile(person *models.Person, p *models.Profile, baseURL string, private bool) *entity.Profile {
	base := PodURL(baseURL)
	e := &entity.Profile{
		Author:         diasporaID(person),
		EditedAt:       timestamp(p.UpdatedAt),
		FullName:       strings.TrimSpace(p.FirstName + " " + p.LastName),
		FirstName:      p.FirstName,
		LastName:       p.LastName,
		ImageURL:       avatarURL(base, p.ImageURL),
		ImageURLMedium: avatarURL(base, p.ImageURLMedium),
		ImageURLSmall:  avatarURL(base, p.ImageURLSmall),
		Searchable:     p.Searchable,
		Public:         p.PublicDetails,
		NSFW:           p.NSFW,
	}
	if private || p.PublicDetails {
		e.Bio, e.Gender, e.Location = p.Bio, p.Gender, p.Location
		if p.Birthday != nil {
			e.Birthday = p.Birthday.Format("2006-01-02")
		}
	}
	return e
}

// Contact returns the contact entity a local person sends to a remote one
// when they start or stop sharing, or block (§7.3): diaspora* sets
// following and sharing to the same value.
func Contact(author, recipient *models.Person, sharing, blocking bool) *entity.Contact {
	return &entity.Contact{Author: diasporaID(author), Recipient: diasporaID(recipient),
		Following: sharing && !blocking, Sharing: sharing && !blocking, Blocking: blocking}
}

// Retraction returns the retraction of a target ("Post", "Comment",
// "Like") whose author has the diaspora ID targetAuthor (§7.1: the author
// field is the target's author, not the retracting person).
func Retraction(targetType, targetGUID, targetAuthor string) *entity.Retraction {
	return &entity.Retraction{Author: strings.ToLower(targetAuthor), TargetGUID: targetGUID, TargetType: targetType}
}

// Participation returns the participation of a local person in a remote
// post (§7.4).
func Participation(guid string, author *models.Person, post *models.Post) *entity.Participation {
	return &entity.Participation{Author: diasporaID(author), GUID: guid, ParentGUID: post.GUID, ParentType: "Post"}
}
