// Package discovery implements what turns a diaspora ID into a person (§1):
// WebFinger (RFC 7033 JRD) and hCard documents, both built for our own users
// and parsed from others, NodeInfo 2.0/2.1 documents, and a Client that
// discovers user@host over HTTP (WebFinger, then hCard) and fetches public
// entities.
package discovery

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/entity"
)

// MaxDocumentSize bounds a WebFinger, hCard or NodeInfo document.
const MaxDocumentSize = 256 << 10

// Link relations used in diaspora WebFinger documents.
const (
	RelHCard        = "http://microformats.org/profile/hcard"
	RelSeedLocation = "http://joindiaspora.com/seed_location"
	RelProfilePage  = "http://webfinger.net/rel/profile-page"
	RelUpdatesFrom  = "http://schemas.google.com/g/2010#updates-from"
	RelSalmon       = "salmon"
	RelSubscribe    = "http://ostatus.org/schema/1.0/subscribe"
)

// WebFingerContentType is the content type to serve WebFinger with.
const WebFingerContentType = "application/jrd+json; charset=utf-8"

// JRD is a JSON Resource Descriptor (RFC 7033).
type JRD struct {
	Subject    string             `json:"subject"`
	Aliases    []string           `json:"aliases,omitempty"`
	Properties map[string]*string `json:"properties,omitempty"`
	Links      []Link             `json:"links"`
}

// Link is a JRD link.
type Link struct {
	Rel      string `json:"rel"`
	Type     string `json:"type,omitempty"`
	Href     string `json:"href,omitempty"`
	Template string `json:"template,omitempty"`
}

// Account describes one of our users, the input of the WebFinger and hCard
// builders.
type Account struct {
	DiasporaID string // alice@pod.example
	GUID       string // person GUID
	// PodURL is the pod's base URL, e.g. "https://pod.example/". All
	// federation endpoints live at its root.
	PodURL         string
	FullName       string
	FirstName      string
	LastName       string
	Searchable     bool
	PublicKeyPEM   string // SPKI "PUBLIC KEY" PEM (federation.MarshalPublicKey)
	ImageURL       string // 300×300 avatar URL (absolute preferred)
	ImageURLMedium string // 100×100
	ImageURLSmall  string // 50×50
	// ExtraLinks are appended to the WebFinger links (diaspora adds an
	// OpenID issuer link, for example).
	ExtraLinks []Link
}

// Username returns the part of the diaspora ID before "@".
func (a *Account) Username() string {
	u, _, _ := strings.Cut(a.DiasporaID, "@")
	return u
}

func (a *Account) base() string {
	b := a.PodURL
	if !strings.HasSuffix(b, "/") {
		b += "/"
	}
	return b
}

// WebFinger returns the JRD for an account with all six links diaspora
// emits and Friendica expects (§1.1), plus a.ExtraLinks.
func WebFinger(a *Account) *JRD {
	b, user := a.base(), a.Username()
	links := []Link{
		{Rel: RelHCard, Type: "text/html", Href: b + "hcard/users/" + a.GUID},
		{Rel: RelSeedLocation, Type: "text/html", Href: b},
		{Rel: RelProfilePage, Type: "text/html", Href: b + "u/" + user},
		{Rel: RelUpdatesFrom, Type: "application/atom+xml", Href: b + "public/" + user + ".atom"},
		{Rel: RelSalmon, Href: b + "receive/users/" + a.GUID},
		{Rel: RelSubscribe, Template: b + "people?q={uri}"},
	}
	return &JRD{
		Subject: "acct:" + a.DiasporaID,
		Aliases: []string{b + "people/" + a.GUID},
		Links:   append(links, a.ExtraLinks...),
	}
}

// Marshal returns the JRD as indented JSON (the gem's layout).
func (j *JRD) Marshal() []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(j) // cannot fail: only strings
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// WebFingerInfo is what a diaspora receiver takes from a WebFinger document.
type WebFingerInfo struct {
	DiasporaID        string // subject without "acct:", lowercased
	Aliases           []string
	HCardURL          string
	SeedURL           string // seed_location href
	PodURL            string // scheme://host[:port]/ of SeedURL (§1.6)
	ProfileURL        string
	UpdatesURL        string
	SalmonURL         string
	SubscribeTemplate string
}

// NormalizeResource turns a WebFinger resource parameter into a diaspora ID
// as diaspora's server does: trim whitespace, lowercase, drop "acct:".
func NormalizeResource(resource string) string {
	r := strings.ToLower(strings.TrimSpace(resource))
	return strings.TrimPrefix(r, "acct:")
}

// ParseWebFinger parses a WebFinger JRD with the receiver's rules (§1.1):
// the subject, stripped of "acct:" and lowercased, must equal wantID (unless
// wantID is empty); the hcard and seed_location links are required; the
// hcard, profile-page, updates-from and salmon links, when present, must be
// absolute URLs with a host and a path. Errors wrap federation.ErrDiscovery
// (and ErrTooLarge, ErrMalformed or ErrValidation).
func ParseWebFinger(data []byte, wantID string) (*WebFingerInfo, error) {
	if len(data) > MaxDocumentSize {
		return nil, discErr(federation.ErrTooLarge, "WebFinger document is %d bytes, limit %d", len(data), MaxDocumentSize)
	}
	var j JRD
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, &federation.Error{Kind: federation.ErrMalformed, Msg: "WebFinger JSON", Err: joinErr(federation.ErrDiscovery, err)}
	}
	info := &WebFingerInfo{DiasporaID: NormalizeResource(j.Subject), Aliases: j.Aliases}
	if j.Subject == "" {
		return nil, discErr(federation.ErrValidation, "WebFinger has no subject")
	}
	if wantID != "" && info.DiasporaID != strings.ToLower(wantID) {
		return nil, discErr(federation.ErrValidation, "WebFinger subject %q does not match %q", j.Subject, wantID)
	}
	if !entity.ValidDiasporaID(info.DiasporaID) {
		return nil, discErr(federation.ErrValidation, "WebFinger subject %q is not a diaspora ID", j.Subject)
	}
	if j.Links == nil {
		return nil, discErr(federation.ErrValidation, "WebFinger has no links")
	}
	first := func(rel string) *Link {
		for i := range j.Links {
			if j.Links[i].Rel == rel {
				return &j.Links[i]
			}
		}
		return nil
	}
	for _, r := range []struct {
		rel string
		dst *string
		req bool
	}{
		{RelHCard, &info.HCardURL, true},
		{RelProfilePage, &info.ProfileURL, false},
		{RelUpdatesFrom, &info.UpdatesURL, false},
		{RelSalmon, &info.SalmonURL, false},
	} {
		l := first(r.rel)
		if l == nil {
			if r.req {
				return nil, discErr(federation.ErrValidation, "WebFinger lacks the %s link", r.rel)
			}
			continue
		}
		if !absURLWithPath(l.Href) {
			return nil, discErr(federation.ErrValidation, "WebFinger %s link %q is not an absolute URL with host and path", r.rel, l.Href)
		}
		*r.dst = l.Href
	}
	seed := first(RelSeedLocation)
	if seed == nil {
		return nil, discErr(federation.ErrValidation, "WebFinger lacks the %s link", RelSeedLocation)
	}
	u, err := url.Parse(seed.Href)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, discErr(federation.ErrValidation, "WebFinger seed_location %q is not an absolute http(s) URL", seed.Href)
	}
	info.SeedURL = seed.Href
	info.PodURL = PodURL(u)
	if l := first(RelSubscribe); l != nil {
		info.SubscribeTemplate = l.Template
	}
	return info, nil
}

// PodURL reduces a URL to the pod it names: scheme://host[:port]/, default
// ports dropped (§1.6).
func PodURL(u *url.URL) string {
	host := u.Hostname()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if p := u.Port(); p != "" && !(u.Scheme == "https" && p == "443") && !(u.Scheme == "http" && p == "80") {
		host += ":" + p
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(host) + "/"
}

func absURLWithPath(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.IsAbs() && u.Host != "" && u.Path != ""
}

// discErr returns an error of the given kind that also matches
// federation.ErrDiscovery.
func discErr(kind error, format string, args ...any) error {
	e := federation.Errorf(kind, format, args...).(*federation.Error)
	e.Err = federation.ErrDiscovery
	return e
}

func joinErr(kind, err error) error {
	return &federation.Error{Kind: kind, Err: err}
}
