package discovery

import (
	"context"
	"net/url"
	"strings"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/federation/envelope"
	"github.com/aspenpod/aspen/federation/transport"
)

// Client discovers people and fetches public entities over HTTP. It
// implements federation.PersonResolver.
type Client struct {
	http *transport.Client
	// UseHTTP makes WebFinger requests use plain http instead of https
	// (development and tests only; the transport must allow http too).
	UseHTTP bool
}

// NewClient returns a discovery client using t (a default transport if t is
// nil). UseHTTP follows t's AllowHTTP option.
func NewClient(t *transport.Client) *Client {
	if t == nil {
		t = transport.New(transport.Options{})
	}
	return &Client{http: t, UseHTTP: t.Options().AllowHTTP}
}

var _ federation.PersonResolver = (*Client)(nil)

func (c *Client) scheme() string {
	if c.UseHTTP {
		return "http"
	}
	return "https"
}

// WebFinger fetches and parses the WebFinger document of a diaspora ID from
// https://<host>/.well-known/webfinger?resource=acct:<id> (the resource is
// sent unencoded, as diaspora does).
func (c *Client) WebFinger(ctx context.Context, diasporaID string) (*WebFingerInfo, error) {
	diasporaID = strings.ToLower(strings.TrimSpace(diasporaID))
	if !entity.ValidDiasporaID(diasporaID) {
		return nil, discErr(federation.ErrValidation, "%q is not a diaspora ID", diasporaID)
	}
	_, host, _ := strings.Cut(diasporaID, "@")
	u := c.scheme() + "://" + host + "/.well-known/webfinger?resource=acct:" + diasporaID
	resp, err := c.http.Get(ctx, u, "application/jrd+json, application/json", MaxDocumentSize)
	if err != nil {
		return nil, federation.Wrap(federation.ErrDiscovery, err, "WebFinger of %s", diasporaID)
	}
	return ParseWebFinger(resp.Body, diasporaID)
}

// HCard fetches and parses an hCard.
func (c *Client) HCard(ctx context.Context, hcardURL string) (*HCardInfo, error) {
	resp, err := c.http.Get(ctx, hcardURL, "text/html", MaxDocumentSize)
	if err != nil {
		return nil, federation.Wrap(federation.ErrDiscovery, err, "hCard %s", hcardURL)
	}
	return ParseHCard(resp.Body)
}

// Discover runs WebFinger then hCard for a diaspora ID and returns the
// person. Errors wrap federation.ErrDiscovery.
func (c *Client) Discover(ctx context.Context, diasporaID string) (*federation.Person, error) {
	wf, err := c.WebFinger(ctx, diasporaID)
	if err != nil {
		return nil, err
	}
	hc, err := c.HCard(ctx, wf.HCardURL)
	if err != nil {
		return nil, err
	}
	return &federation.Person{
		ID:             wf.DiasporaID,
		GUID:           hc.GUID,
		PublicKey:      hc.PublicKey,
		PodURL:         wf.PodURL,
		HCardURL:       wf.HCardURL,
		ProfileURL:     wf.ProfileURL,
		FullName:       hc.FullName,
		FirstName:      hc.FirstName,
		LastName:       hc.LastName,
		Nickname:       hc.Nickname,
		Searchable:     hc.Searchable,
		ImageURL:       hc.ImageURL,
		ImageURLMedium: hc.ImageURLMedium,
		ImageURLSmall:  hc.ImageURLSmall,
	}, nil
}

// ResolvePerson implements federation.PersonResolver with Discover.
func (c *Client) ResolvePerson(ctx context.Context, diasporaID string) (*federation.Person, error) {
	return c.Discover(ctx, diasporaID)
}

// FetchURL returns the /fetch/:type/:guid URL on a pod.
func FetchURL(podURL, entityType, guid string) string {
	if !strings.HasSuffix(podURL, "/") {
		podURL += "/"
	}
	return podURL + "fetch/" + url.PathEscape(entityType) + "/" + url.PathEscape(guid)
}

// Fetch GETs /fetch/:type/:guid from a pod (following up to 4 redirects to
// the owner's pod) and returns the magic envelope document. The caller
// processes it like a public delivery (signature, sender = author, public).
func (c *Client) Fetch(ctx context.Context, podURL, entityType, guid string) ([]byte, error) {
	if !entity.ValidGUID(guid) {
		return nil, federation.Errorf(federation.ErrValidation, "%q is not a valid GUID", guid)
	}
	resp, err := c.http.Get(ctx, FetchURL(podURL, entityType, guid), envelope.ContentType, envelope.MaxEnvelopeSize)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// FetchFrom discovers the pod of a person and fetches an entity from it.
func (c *Client) FetchFrom(ctx context.Context, diasporaID, entityType, guid string) ([]byte, error) {
	wf, err := c.WebFinger(ctx, diasporaID)
	if err != nil {
		return nil, err
	}
	return c.Fetch(ctx, wf.PodURL, entityType, guid)
}

// NodeInfo fetches /.well-known/nodeinfo from a pod and the highest NodeInfo
// document (2.1 or 2.0) it lists.
func (c *Client) NodeInfo(ctx context.Context, podURL string) (*NodeInfo, error) {
	if !strings.HasSuffix(podURL, "/") {
		podURL += "/"
	}
	resp, err := c.http.Get(ctx, podURL+".well-known/nodeinfo", "application/json", MaxDocumentSize)
	if err != nil {
		return nil, err
	}
	_, href, err := ParseWellKnownNodeInfo(resp.Body)
	if err != nil {
		return nil, err
	}
	resp, err = c.http.Get(ctx, href, "application/json", MaxDocumentSize)
	if err != nil {
		return nil, err
	}
	return ParseNodeInfo(resp.Body)
}
