package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/oidcp"
)

// The OpenID Connect provider (pod/oidcp) at diaspora*'s paths. The
// library (zitadel/oidc) answers the authorization endpoint and its
// callback, the token endpoint and jwks.json; the pod answers discovery,
// dynamic registration, user_info, the consent page and the settings page
// of authorised apps.

const (
	oidcDecidePath = "/api/openid_connect/authorizations"
	oidcAppsPath   = "/api/openid_connect/user_applications"
)

// csrfExempt lists the paths apps call with tokens or client credentials
// instead of a browser's cookies: the API and the provider's endpoints
// (the consent and revoke forms keep their CSRF check).
func csrfExempt(path string) bool {
	switch path {
	case oidcp.TokenPath, oidcp.RegistrationPath, oidcp.UserInfoPath, oidcp.AuthorizationPath:
		return true
	}
	return strings.HasPrefix(path, "/api/v1/")
}

func (s *Server) oidcRoutes() {
	p := s.app.OIDC
	if p == nil {
		return
	}
	e := s.engine
	lib := gin.WrapH(p.Handler())
	e.GET("/.well-known/openid-configuration", s.oidcDiscovery)
	e.GET(oidcp.AuthorizationPath, lib)
	e.POST(oidcp.AuthorizationPath, lib)
	e.GET(oidcp.CallbackPath, lib)
	e.POST(oidcp.TokenPath, lib)
	e.GET(oidcp.JWKSPath, lib)
	e.POST(oidcp.RegistrationPath, s.oidcRegister)
	e.GET(oidcp.UserInfoPath, s.apiAuth, s.oidcUserInfo)
	e.POST(oidcp.UserInfoPath, s.apiAuth, s.oidcUserInfo)
	e.GET(oidcp.ConsentPath, s.requireUser, s.oidcConsent)
	e.POST(oidcDecidePath, s.requireUser, s.oidcDecide)
	e.GET(oidcAppsPath, s.requireUser, s.oidcApps)
	e.DELETE(oidcDecidePath+"/:id", s.requireUser, s.oidcRevoke)
}

func (s *Server) oidcDiscovery(c *gin.Context) {
	c.Header("Access-Control-Allow-Origin", "*")
	c.JSON(http.StatusOK, s.app.OIDC.Discovery(c.Request.Context()))
}

// oidcRegister is dynamic client registration (RFC 7591): a JSON body, or
// a form as Rails accepts. The answer is 201 with the client's
// credentials, or 400 with RFC 7591's error.
func (s *Server) oidcRegister(c *gin.Context) {
	var in oidcp.ClientMetadata
	var err error
	if mediaType(c.GetHeader("Content-Type")) == "application/json" {
		dec := json.NewDecoder(c.Request.Body)
		err = dec.Decode(&in)
	} else {
		err = c.ShouldBind(&in)
	}
	if err != nil {
		c.JSON(http.StatusBadRequest, oidcp.RegistrationError{Code: "invalid_client_metadata", Description: "the registration request is not valid JSON or form data: " + err.Error()})
		return
	}
	out, err := s.app.OIDC.Register(c.Request.Context(), in, c.ClientIP())
	var re *oidcp.RegistrationError
	switch {
	case errors.As(err, &re):
		c.JSON(http.StatusBadRequest, re)
	case errors.Is(err, pod.ErrRateLimited):
		code, _, msg := status(err)
		c.Header("Retry-After", strconv.Itoa(int(pod.RetryAfter(err).Seconds())+1))
		c.JSON(code, gin.H{"error": "slow_down", "error_description": msg})
	case err != nil:
		s.log.Error("oidc registration failed", "err", err)
		c.JSON(http.StatusInternalServerError, gin.H{"error": "server_error", "error_description": "the registration failed on our side"})
	default:
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusCreated, out)
	}
}

func (s *Server) oidcUserInfo(c *gin.Context) {
	info, err := s.app.OIDC.UserInfo(c.Request.Context(), apiGrant(c))
	if err != nil {
		s.apiFail(c, err)
		return
	}
	c.JSON(http.StatusOK, info)
}

// oidcConsentPage is the consent page: which app, where it sends the user
// back and the scopes in plain words, with Approve and Deny.
type oidcConsentPage struct {
	Base    BasePage
	Consent *oidcp.Consent
	Message string
}

func (s *Server) oidcConsent(c *gin.Context) {
	consent, redirect, err := s.app.OIDC.Consent(c.Request.Context(), session(c), c.Query("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if redirect != "" {
		c.Redirect(http.StatusFound, redirect)
		return
	}
	s.renderConsent(c, http.StatusOK, consent, "")
}

func (s *Server) renderConsent(c *gin.Context, code int, consent *oidcp.Consent, msg string) {
	// The approval redirects (through the library's callback) to the
	// app's redirect URI, and browsers apply this page's form-action to
	// the whole redirect chain: the form may lead there.
	if o := consent.RedirectOrigin; o != "" && !strings.ContainsAny(o, " ;,'\"") {
		csp := c.Writer.Header().Get("Content-Security-Policy")
		c.Header("Content-Security-Policy", strings.Replace(csp, "form-action 'self'", "form-action 'self' "+o, 1))
	}
	c.Header("Cache-Control", "no-store")
	s.render(c, code, "oidc_consent", oidcConsentPage{Base: s.base(c), Consent: consent, Message: msg})
}

// oidcDecide is the consent form's submission (diaspora*'s POST
// /api/openid_connect/authorizations with approve=true|false).
func (s *Server) oidcDecide(c *gin.Context) {
	approve := c.PostForm("approve") == "true"
	id := c.PostForm("id")
	to, err := s.app.OIDC.Decide(c.Request.Context(), session(c), id, approve, c.PostForm("password"))
	if errors.Is(err, oidcp.ErrWrongPassword) {
		consent, redirect, cerr := s.app.OIDC.Consent(c.Request.Context(), session(c), id)
		if cerr == nil && redirect == "" {
			s.renderConsent(c, http.StatusUnprocessableEntity, consent, "Wrong password: please try again.")
			return
		}
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	// 303: the browser GETs the next address.
	c.Redirect(http.StatusSeeOther, to)
}

// oidcAppsPage lists the apps a user authorised, with Revoke buttons.
type oidcAppsPage struct {
	Base BasePage
	Apps []oidcAppView
}

type oidcAppView struct {
	oidcp.App
	AuthorizedAt string
	LastUsed     string
}

func (s *Server) oidcApps(c *gin.Context) {
	apps, err := s.app.OIDC.Apps(c.Request.Context(), session(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	views := make([]oidcAppView, len(apps))
	for i, a := range apps {
		views[i] = oidcAppView{App: a, AuthorizedAt: a.AuthorizedAt.UTC().Format("January 2, 2006"), LastUsed: "never"}
		if a.LastUsedAt != nil {
			views[i].LastUsed = a.LastUsedAt.UTC().Format("January 2, 2006 15:04 UTC")
		}
	}
	s.render(c, http.StatusOK, "oidc_apps", oidcAppsPage{Base: s.base(c), Apps: views})
}

func (s *Server) oidcRevoke(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		s.fail(c, pod.ErrNotFound)
		return
	}
	if err := s.app.OIDC.Revoke(c.Request.Context(), session(c), id); err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "notice", "The app's access is revoked: it can no longer use your account.")
	c.Redirect(http.StatusSeeOther, oidcAppsPath)
}
