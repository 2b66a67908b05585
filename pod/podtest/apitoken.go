package podtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// APIToken gives s's user an API v1 access token with these scopes for a
// test app of its own, written straight to the store: the rows the
// consent page and the token endpoint write, without the browser flow
// (pod/web's tests run that flow; tests of other packages that only need
// to call the API use this). public:read is added, as diaspora* does.
func (p *Pod) APIToken(t testing.TB, s *pod.Session, scopes ...string) string {
	t.Helper()
	ctx := context.Background()
	raw := make([]byte, 32)
	rand.Read(raw)
	token := hex.EncodeToString(raw)
	if !slices.Contains(scopes, "public:read") {
		scopes = append(scopes, "public:read")
	}
	joined := strings.Join(scopes, " ")
	client := &models.OIDCClient{ClientID: "test-" + token[:16], ClientName: "test app", RedirectURIs: `["https://app.example/cb"]`,
		ResponseTypes: `["code"]`, GrantTypes: `["authorization_code"]`, Contacts: `[]`, ApplicationType: "web",
		TokenEndpointAuthMethod: "none", SubjectType: "public"}
	if err := p.Store.CreateOIDCClient(ctx, client); err != nil {
		t.Fatal(err)
	}
	if client.ID == 0 {
		c, err := p.Store.OIDCClientByClientID(ctx, client.ClientID)
		if err != nil {
			t.Fatal(err)
		}
		client = c
	}
	authz, err := p.Store.GrantOIDCAuthorization(ctx, s.UserID, client.ID, joined)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(token))
	if err := p.Store.CreateOIDCAccessToken(ctx, &models.OIDCAccessToken{TokenHash: sum[:], AuthorizationID: authz.ID,
		Scopes: joined, ExpiresAt: time.Now().Add(time.Hour).UTC()}); err != nil {
		t.Fatal(err)
	}
	return token
}
