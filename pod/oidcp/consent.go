package oidcp

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/accounts"
)

// Consent is what the consent page shows: which app asks, where it will
// send the user back, and the scopes in plain words.
type Consent struct {
	RequestID    string
	ClientName   string
	RedirectHost string
	// RedirectOrigin is where the approved form finally leads (the
	// page's Content-Security-Policy must allow it as a form target).
	RedirectOrigin string
	ClientURI      string
	TosURI         string
	PolicyURI      string
	Scopes         []Scope
	// NeedPassword: the app asked the user to sign in again
	// (prompt=login, or max_age has passed): the form asks for the
	// password.
	NeedPassword bool
}

// Consent decides what happens with a pending authorization request for a
// signed-in user: either the consent page (a Consent) or a redirect (an
// error to the app, or straight on when the user already granted exactly
// these scopes), as diaspora* does.
func (a *Service) Consent(ctx context.Context, s *pod.Session, id string) (*Consent, string, error) {
	r, c, granted, redirect, err := a.check(ctx, s, id)
	if err != nil || redirect != "" {
		return nil, redirect, err
	}
	needPassword := slices.Contains(r.Prompt, oidc.PromptLogin) ||
		(r.MaxAge != nil && a.now().Sub(s.CreatedAt) > time.Duration(*r.MaxAge)*time.Second)
	if slices.Contains(r.Prompt, "select_account") {
		return nil, errorURL(r, "account_selection_required", "This pod has one account per browser session"), nil
	}
	var existing []string
	if auth, err := a.store.OIDCAuthorizationOf(ctx, s.UserID, c.row.ID); err == nil {
		existing = splitScopes(auth.Scopes)
	}
	if slices.Contains(r.Prompt, oidc.PromptNone) {
		if needPassword {
			return nil, errorURL(r, "login_required", "The user must sign in again"), nil
		}
		if existing == nil || !containsAll(existing, granted) {
			return nil, errorURL(r, "consent_required", "The user has not authorised these scopes"), nil
		}
		u, err := a.approve(ctx, s, r, c, granted)
		return nil, u, err
	}
	if !needPassword && !slices.Contains(r.Prompt, oidc.PromptConsent) && existing != nil && sameScopes(existing, granted) {
		u, err := a.approve(ctx, s, r, c, granted)
		return nil, u, err
	}
	shown := make([]Scope, 0, len(granted))
	for _, g := range granted {
		if d, ok := DescribeScope(g); ok {
			shown = append(shown, d)
		}
	}
	host, origin := r.RedirectURI, ""
	if u, err := url.Parse(r.RedirectURI); err == nil {
		host, origin = u.Host, u.Scheme+"://"+u.Host
		if host == "" {
			host, origin = u.Scheme+":", u.Scheme+":"
		}
	}
	return &Consent{RequestID: r.ID, ClientName: c.row.ClientName, RedirectHost: host, RedirectOrigin: origin, ClientURI: c.row.ClientURI,
		TosURI: c.row.TosURI, PolicyURI: c.row.PolicyURI, Scopes: shown, NeedPassword: needPassword}, "", nil
}

// ErrWrongPassword is a wrong password on the consent form.
var ErrWrongPassword = &pod.InvalidError{Fields: map[string]string{"password": "wrong password"}}

// Decide handles the consent form: approve (after checking the password
// if the app asked for a fresh sign-in) or deny. It returns where the
// browser goes next: the library's callback, which sends the code to the
// app, or the app with error=access_denied.
func (a *Service) Decide(ctx context.Context, s *pod.Session, id string, approve bool, password string) (string, error) {
	r, c, granted, redirect, err := a.check(ctx, s, id)
	if err != nil || redirect != "" {
		return redirect, err
	}
	if !approve {
		a.core.Redis().Del(ctx, a.redisKey("areq", r.ID))
		return errorURL(r, "access_denied", "The user denied the request"), nil
	}
	needPassword := slices.Contains(r.Prompt, oidc.PromptLogin) ||
		(r.MaxAge != nil && a.now().Sub(s.CreatedAt) > time.Duration(*r.MaxAge)*time.Second)
	if needPassword {
		if err := a.core.Allow(ctx, "signin", fmt.Sprint(s.UserID), pod.SignInAttempts, pod.SignInWindow); err != nil {
			return "", err
		}
		u, err := a.store.UserByID(ctx, s.UserID)
		if err != nil {
			return "", err
		}
		if ok, _ := accounts.CheckPassword(u.EncryptedPassword, password); !ok || len(password) > 4*accounts.PasswordMaxLen {
			return "", ErrWrongPassword
		}
	}
	return a.approve(ctx, s, r, c, granted)
}

// check loads a request for the consent page and applies diaspora*'s
// scope rules and the PKCE rule; a refused request gives a redirect to
// the app with the error.
func (a *Service) check(ctx context.Context, s *pod.Session, id string) (*authRequest, *client, []string, string, error) {
	r, err := a.request(ctx, id)
	if err != nil {
		return nil, nil, nil, "", err
	}
	if r.UserID != 0 && r.UserID != s.UserID {
		return nil, nil, nil, "", fmt.Errorf("authorization request of another user: %w", pod.ErrForbidden)
	}
	c, err := a.client(ctx, r.ClientID)
	if err != nil {
		return nil, nil, nil, "", err
	}
	granted, err := GrantableScopes(r.Requested)
	var se *ScopeError
	if errors.As(err, &se) {
		return nil, nil, nil, errorURL(r, "invalid_scope", se.Message), nil
	} else if err != nil {
		return nil, nil, nil, "", err
	}
	if c.public() && r.Challenge == "" {
		return nil, nil, nil, errorURL(r, "invalid_request", "PKCE (code_challenge with S256) is required for public clients"), nil
	}
	if r.Challenge != "" && r.ChallengeMeth != oidc.CodeChallengeMethodS256 {
		return nil, nil, nil, errorURL(r, "invalid_request", "code_challenge_method must be S256"), nil
	}
	if r.ResponseType != oidc.ResponseTypeCode && r.Nonce == "" {
		return nil, nil, nil, errorURL(r, "invalid_request", "The implicit flow needs a nonce"), nil
	}
	return r, c, granted, "", nil
}

// approve records the authorization and marks the request done; the
// library's callback then issues the code.
func (a *Service) approve(ctx context.Context, s *pod.Session, r *authRequest, c *client, granted []string) (string, error) {
	auth, err := a.store.GrantOIDCAuthorization(ctx, s.UserID, c.row.ID, joinScopes(granted))
	if err != nil {
		return "", err
	}
	person, err := a.store.PersonOfUser(ctx, s.UserID)
	if err != nil {
		return "", err
	}
	sub, err := a.subject(ctx, c, s.UserID, person.DiasporaID)
	if err != nil {
		return "", err
	}
	r.UserID, r.AuthorizationID, r.Subject, r.Granted, r.AuthTime, r.Approved = s.UserID, auth.ID, sub, granted, a.now().UTC(), true
	if err := a.saveRequest(ctx, r); err != nil {
		return "", err
	}
	return a.CallbackURL(ctx, r.ID), nil
}

// errorURL sends an error back to the app (its redirect URI was checked
// when the request was made): in the query for the code flow, in the
// fragment for the implicit flow.
func errorURL(r *authRequest, code, description string) string {
	v := url.Values{"error": {code}, "error_description": {description}}
	if r.State != "" {
		v.Set("state", r.State)
	}
	u, err := url.Parse(r.RedirectURI)
	if err != nil {
		return r.RedirectURI
	}
	if r.ResponseType != oidc.ResponseTypeCode || r.ResponseMode == oidc.ResponseModeFragment {
		u.Fragment = v.Encode()
		return u.String()
	}
	q := u.Query()
	for k, vs := range v {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// hostOf is a redirect URI's host, or its scheme for a custom scheme.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	if u.Host == "" {
		return u.Scheme + ":"
	}
	return u.Host
}
