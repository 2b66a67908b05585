package fedhost

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/models"
)

// RemotePerson turns what discovery learnt about a remote person into their
// person row, the public fields of their profile and their pod (host as in
// the diaspora ID, base URL with trailing slash).
func RemotePerson(p *federation.Person) (*models.Person, *models.Profile, string, string, error) {
	id := strings.ToLower(p.ID)
	_, host, ok := strings.Cut(id, "@")
	if !ok || host == "" {
		return nil, nil, "", "", federation.Errorf(federation.ErrValidation, "diaspora ID %q has no host", p.ID)
	}
	if p.PublicKey == nil {
		return nil, nil, "", "", federation.Errorf(federation.ErrKeyNotFound, "%s publishes no public key", id)
	}
	pemText, err := federation.MarshalPublicKey(p.PublicKey)
	if err != nil {
		return nil, nil, "", "", federation.Wrap(federation.ErrInvalidKey, err, "key of %s", id)
	}
	podURL := p.PodURL
	if u, err := url.Parse(podURL); err != nil || u.Host == "" || !strings.EqualFold(u.Host, host) {
		// The pod URL must be the diaspora ID's host: a person cannot make
		// us deliver their mail to somebody else's server.
		scheme := "https"
		if err == nil && u.Scheme == "http" {
			scheme = "http"
		}
		podURL = scheme + "://" + host + "/"
	}
	podURL = strings.TrimSuffix(podURL, "/") + "/"
	now := time.Now().UTC()
	person := &models.Person{GUID: strings.ToLower(p.GUID), DiasporaID: id, SerializedPublicKey: string(pemText), PodHost: host, FetchedAt: &now}
	profile := &models.Profile{
		FirstName: truncateRunes(p.FirstName, 32), LastName: truncateRunes(p.LastName, 32),
		ImageURL: p.ImageURL, ImageURLMedium: p.ImageURLMedium, ImageURLSmall: p.ImageURLSmall,
		Searchable: p.Searchable,
	}
	if profile.FirstName == "" && profile.LastName == "" && p.FullName != "" {
		profile.FirstName = truncateRunes(p.FullName, 32)
	}
	return person, profile, host, podURL, nil
}

// ApplyProfile copies a received profile entity onto a stored profile. The
// extended fields (bio, birthday, gender, location) are taken only when
// withPrivate: a profile that arrived on the public route without them must
// not erase what the person told us privately.
func ApplyProfile(e *entity.Profile, p *models.Profile, withPrivate bool) {
	p.FirstName, p.LastName = truncateRunes(e.FirstName, 32), truncateRunes(e.LastName, 32)
	if p.FirstName == "" && p.LastName == "" && e.FullName != "" {
		p.FirstName = truncateRunes(e.FullName, 32)
	}
	p.ImageURL, p.ImageURLMedium, p.ImageURLSmall = e.ImageURL, e.ImageURLMedium, e.ImageURLSmall
	p.Searchable, p.NSFW, p.PublicDetails = e.Searchable, e.NSFW, e.Public
	if withPrivate {
		p.Bio, p.Gender, p.Location = e.Bio, truncateRunes(e.Gender, 255), truncateRunes(e.Location, 255)
		p.Birthday = nil
		if t, err := time.Parse("2006-01-02", e.Birthday); err == nil {
			p.Birthday = &t
		}
	}
}

// StatusMessagePost returns the post row of a received status message
// (text not yet rendered).
func StatusMessagePost(e *entity.StatusMessage, authorID int64) *models.Post {
	created := receivedTime(e.CreatedAt)
	return &models.Post{
		GUID: strings.ToLower(e.GUID), AuthorID: authorID, Type: models.TypeStatusMessage, Public: e.Public,
		Text: e.Text, ProviderDisplayName: truncateRunes(e.ProviderDisplayName, 255),
		CreatedAt: created, UpdatedAt: created, InteractedAt: created,
	}
}

// LeftOut says what of a received status message this pod does not keep
// yet (an embed), e.g. "1 embed"; "" when nothing is left out. The post is
// stored without it, and the receiver logs this so that the loss is not
// silent.
func LeftOut(e *entity.StatusMessage) string {
	var parts []string
	if e.Embed != nil && !e.Embed.Nothing {
		parts = append(parts, "1 embed")
	}
	return strings.Join(parts, ", ")
}

// ResharePost returns the post row of a received reshare of root.
func ResharePost(e *entity.Reshare, authorID int64, root *models.Post) *models.Post {
	created := receivedTime(e.CreatedAt)
	p := &models.Post{GUID: strings.ToLower(e.GUID), AuthorID: authorID, Type: models.TypeReshare, Public: true,
		CreatedAt: created, UpdatedAt: created, InteractedAt: created}
	if root != nil {
		p.RootID, p.RootGUID = &root.ID, &root.GUID
	}
	return p
}

// SignedXML returns a received relayable as it must be stored: its XML with
// the received order, unknown elements and author_signature.
func SignedXML(r entity.Relayable) (string, error) {
	b, err := entity.MarshalXML(r)
	if err != nil {
		return "", fmt.Errorf("%s: %w", r.EntityName(), err)
	}
	return string(b), nil
}

// ParseRelayable parses a stored signed relayable.
func ParseRelayable(signedXML string) (entity.Relayable, error) {
	e, err := entity.ParseXML([]byte(signedXML))
	if err != nil {
		return nil, err
	}
	r, ok := entity.AsRelayable(e)
	if !ok {
		return nil, fmt.Errorf("stored %s is not a relayable", e.EntityName())
	}
	return r, nil
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// receivedTime is a received timestamp, or now when it is missing or in the
// future (which would pin the object to the top of every list).
func receivedTime(t time.Time) time.Time {
	t = t.UTC()
	if t.IsZero() || t.After(time.Now().Add(time.Hour)) {
		return time.Now().UTC()
	}
	return t
}

// CommentRow returns the row of a received comment on post postID, keeping
// its signed XML for relaying and /fetch (text not yet rendered).
func CommentRow(e *entity.Comment, postID, authorID int64) (*models.Comment, error) {
	signed, err := SignedXML(e)
	if err != nil {
		return nil, err
	}
	created := receivedTime(e.CreatedAt)
	return &models.Comment{GUID: strings.ToLower(e.GUID), PostID: postID, AuthorID: authorID, Text: e.Text,
		SignedXML: &signed, CreatedAt: created, UpdatedAt: created}, nil
}

// LikeRow returns the row of a received like of post postID, or of comment
// commentID when it is not nil, keeping its signed XML.
func LikeRow(e *entity.Like, postID int64, commentID *int64, authorID int64) (*models.Like, error) {
	signed, err := SignedXML(e)
	if err != nil {
		return nil, err
	}
	return &models.Like{GUID: strings.ToLower(e.GUID), PostID: postID, CommentID: commentID, AuthorID: authorID,
		Positive: e.Positive, SignedXML: &signed, CreatedAt: time.Now().UTC()}, nil
}
