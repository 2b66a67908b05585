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
	created := e.CreatedAt.UTC()
	if created.IsZero() || created.After(time.Now().Add(time.Hour)) {
		created = time.Now().UTC() // a date in the future would pin the post to the top
	}
	return &models.Post{
		GUID: strings.ToLower(e.GUID), AuthorID: authorID, Type: models.TypeStatusMessage, Public: e.Public,
		Text: e.Text, ProviderDisplayName: truncateRunes(e.ProviderDisplayName, 255),
		CreatedAt: created, UpdatedAt: created, InteractedAt: created,
	}
}

// ReshareWire returns the post row of a received reshare of root.
func ResharePost(e *entity.Reshare, authorID int64, root *models.Post) *models.Post {
	created := e.CreatedAt.UTC()
	if created.IsZero() || created.After(time.Now().Add(time.Hour)) {
		created = time.Now().UTC()
	}
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
