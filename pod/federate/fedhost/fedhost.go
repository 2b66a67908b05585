// Package fedhost is the bridge between the pod's models and the federation
// library: the one place that turns people, profiles, posts, comments and
// likes into protocol entities and discovery documents (and, later, the
// other way round). It holds no state and does no I/O; the use cases in
// package pod load the rows and call it.
//
// Private keys are opened here, used and dropped: SignedEnvelope takes the
// sealed key as stored and returns only the signed bytes, so a clear key
// never reaches package pod or the web layer.
package fedhost

import (
	"encoding/xml"
	"strings"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/discovery"
	"github.com/aspenpod/aspen/models"
)

// DefaultAvatar is the picture published for people without one. It is the
// path pod.DefaultAvatar names (a test keeps the two equal).
const DefaultAvatar = "/assets/img/user-default.svg"

// PodURL returns the pod's base URL with the trailing slash discovery
// documents use ("https://pod.example/").
func PodURL(baseURL string) string {
	return strings.TrimSuffix(baseURL, "/") + "/"
}

// Account describes a local person for the WebFinger and hCard builders.
// baseURL is the pod's public URL (with or without trailing slash). The
// public key is published as SPKI PEM ("PUBLIC KEY"), converted from PKCS#1
// if it was stored that way; relative avatar paths are made absolute.
func Account(person *models.Person, profile *models.Profile, baseURL string) discovery.Account {
	base := PodURL(baseURL)
	return discovery.Account{
		DiasporaID:     strings.ToLower(person.DiasporaID),
		GUID:           person.GUID,
		PodURL:         base,
		FullName:       strings.TrimSpace(profile.FirstName + " " + profile.LastName),
		FirstName:      profile.FirstName,
		LastName:       profile.LastName,
		Searchable:     profile.Searchable,
		PublicKeyPEM:   spkiPEM(person.SerializedPublicKey),
		ImageURL:       avatarURL(base, profile.ImageURL),
		ImageURLMedium: avatarURL(base, profile.ImageURLMedium),
		ImageURLSmall:  avatarURL(base, profile.ImageURLSmall),
	}
}

// spkiPEM returns a stored public key as SPKI PEM, the form diaspora*
// publishes. A key that cannot be parsed is returned unchanged (receivers
// will refuse it, which is the honest outcome).
func spkiPEM(stored string) string {
	if strings.HasPrefix(strings.TrimSpace(stored), "-----BEGIN PUBLIC KEY-----") {
		return stored
	}
	pub, err := federation.ParsePublicKey([]byte(stored))
	if err != nil {
		return stored
	}
	out, err := federation.MarshalPublicKey(pub)
	if err != nil {
		return stored
	}
	return string(out)
}

func avatarURL(base, u string) string {
	if u == "" {
		u = DefaultAvatar
	}
	if strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//") {
		return strings.TrimSuffix(base, "/") + u
	}
	return u
}

// Content types of the discovery documents.
const (
	WebFingerContentType         = discovery.WebFingerContentType // application/jrd+json
	HCardContentType             = discovery.HCardContentType     // text/html
	WellKnownNodeInfoContentType = "application/json; charset=utf-8"
)

// WebFinger returns the WebFinger JRD of a local account (all six links
// diaspora* emits, §1.1).
func WebFinger(a *discovery.Account) []byte {
	return discovery.WebFinger(a).Marshal()
}

// HCard returns the hCard page of a local account in the reference layout.
func HCard(a *discovery.Account) []byte {
	return discovery.HCard(a)
}

// HostMetaContentType is the content type of the host-meta document.
const HostMetaContentType = "application/xrd+xml; charset=utf-8"

// HostMeta returns the /.well-known/host-meta XRD (§1.4). Current diaspora*
// no longer reads it; it carries the lrdd template that older Friendica
// versions use to find WebFinger.
func HostMeta(baseURL string) []byte {
	var tmpl strings.Builder
	xml.EscapeText(&tmpl, []byte(PodURL(baseURL)+".well-known/webfinger?resource={uri}"))
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">` + "\n" +
		`  <Link rel="lrdd" type="application/jrd+json" template="` + tmpl.String() + `"/>` + "\n" +
		`</XRD>` + "\n")
}
