package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/pod"
)

// Cookie names.
const (
	sessionCookie = "_aspen_session"
	csrfCookie    = "_aspen_csrf"
	flashCookie   = "_aspen_flash"
)

// Keys in the gin context.
const (
	ctxSession   = "session"
	ctxToken     = "session_token"
	ctxCSRFToken = "csrf_token"
	ctxNonce     = "csp_nonce"
)

func (s *Server) recover(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			if err, ok := r.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(r)
			}
			s.log.Error("panic while serving a request", "path", c.Request.URL.Path, "panic", fmt.Sprint(r))
			if !c.Writer.Written() {
				s.fail(c, fmt.Errorf("panic: %v", r))
			}
			c.Abort()
		}
	}()
	c.Next()
}

func (s *Server) logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	status := c.Writer.Status()
	level := s.log.Debug
	if status >= 500 {
		level = s.log.Error
	}
	level("request", "method", c.Request.Method, "path", c.Request.URL.Path, "status", status,
		"took", time.Since(start), "ip", c.ClientIP())
}

func (s *Server) securityHeaders(c *gin.Context) {
	buf := make([]byte, 16)
	rand.Read(buf)
	nonce := base64.RawStdEncoding.EncodeToString(buf)
	c.Set(ctxNonce, nonce)
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' https: data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self' 'nonce-"+nonce+"'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
	c.Next()
}

// limitBody bounds every request body; uploads get the avatar limit plus
// room for the other fields.
func (s *Server) limitBody(c *gin.Context) {
	limit := int64(formBodyLimit)
	if strings.HasPrefix(c.Request.URL.Path, "/receive/") {
		c.Next() // the receive handler applies its own limit (and answers 202)
		return
	}
	if l := uploadLimit(c); l > 0 {
		limit = l
	} else if strings.HasPrefix(c.ContentType(), "multipart/") {
		limit = s.app.Core.Options().AvatarMaxBytes + formBodyLimit
	}
	if c.Request.ContentLength > limit {
		s.fail(c, errTooLarge)
		c.Abort()
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	c.Next()
}

var errTooLarge = errors.New("the request is too large")

func (s *Server) loadSession(c *gin.Context) {
	token, err := c.Cookie(sessionCookie)
	if err == nil && token != "" {
		sess, err := s.app.Core.SessionByToken(c.Request.Context(), token)
		switch {
		case err == nil:
			c.Set(ctxSession, sess)
			c.Set(ctxToken, token)
			if !strings.HasPrefix(c.Request.URL.Path, "/assets/") {
				s.app.Core.Seen(c.Request.Context(), sess.UserID)
			}
		case errors.Is(err, pod.ErrUnauthenticated):
			s.clearCookie(c, sessionCookie)
		default:
			s.fail(c, err)
			c.Abort()
			return
		}
	}
	c.Next()
}

// session returns the signed-in user's session, or nil.
func session(c *gin.Context) *pod.Session {
	if v, ok := c.Get(ctxSession); ok {
		return v.(*pod.Session)
	}
	return nil
}

func (s *Server) requireUser(c *gin.Context) {
	if session(c) == nil {
		s.fail(c, pod.ErrUnauthenticated)
		c.Abort()
		return
	}
	c.Next()
}

// csrf implements signed double-submit tokens: every browser gets a random
// cookie, and state-changing requests must carry HMAC(secret, cookie) in the
// authenticity_token field or the X-CSRF-Token header (either one valid
// token is enough). Nothing is stored
// server-side, so signed-out forms (sign-in, sign-up) are protected too.
func (s *Server) csrf(c *gin.Context) {
	seed, err := c.Cookie(csrfCookie)
	if err != nil || len(seed) < 20 || len(seed) > 64 {
		buf := make([]byte, 24)
		rand.Read(buf)
		seed = base64.RawURLEncoding.EncodeToString(buf)
		s.setCookie(c, csrfCookie, seed, 0)
		seed = "\x00" + seed // a fresh cookie can't have been submitted with
	}
	token := s.csrfToken(strings.TrimPrefix(seed, "\x00"))
	c.Set(ctxCSRFToken, token)
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		c.Next()
		return
	}
	if csrfExempt(c.Request.URL.Path) {
		// The API and the OpenID endpoints apps call (oidc.go) carry
		// tokens or client credentials, not cookies.
		c.Next()
		return
	}
	if strings.HasPrefix(c.Request.URL.Path, "/receive/") {
		// Federation deliveries are signed envelopes from other pods, not
		// browser forms.
		c.Next()
		return
	}
	if jobsPath(c.Request.URL.Path) && s.opt.Jobs != nil {
		if sess := session(c); sess != nil && sess.Admin {
			// The job dashboard's script sends no token: its writes must
			// come from this site, as the browser's Sec-Fetch-Site or
			// Origin header says. Others meet the token check below, and
			// so the same answer as on any other path.
			if err := s.crossOrigin.Check(c.Request); err != nil {
				s.fail(c, errCSRF)
				c.Abort()
				return
			}
			c.Next()
			return
		}
	}
	// Either token may be the valid one, as on diaspora*: a client that
	// keeps a stale X-CSRF-Token header while sending a fresh form token
	// (diaspy with two connections in one process) is accepted.
	valid := func(sent string) bool {
		return sent != "" && subtle.ConstantTimeCompare([]byte(sent), []byte(token)) == 1
	}
	if strings.HasPrefix(seed, "\x00") || !(valid(c.GetHeader("X-CSRF-Token")) || valid(c.PostForm("authenticity_token"))) {
		s.fail(c, errCSRF)
		c.Abort()
		return
	}
	c.Next()
}

var errCSRF = errors.New("your form has expired or did not come from this site: please reload the page and try again")

func (s *Server) csrfToken(seed string) string {
	m := hmac.New(sha256.New, []byte(s.opt.Secret))
	m.Write([]byte("csrf|" + seed))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *Server) setCookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.opt.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearCookie(c *gin.Context, name string) { s.setCookie(c, name, "", -1) }

// flash keeps a one-time message for the next page.
func (s *Server) flash(c *gin.Context, kind, msg string) {
	s.setCookie(c, flashCookie, kind+":"+base64.RawURLEncoding.EncodeToString([]byte(msg)), 60)
}

// base builds the layout's part of every page, consuming any flash message.
func (s *Server) base(c *gin.Context) BasePage {
	b := BasePage{PodName: s.opt.PodName, CSRFToken: c.GetString(ctxCSRFToken), Nonce: c.GetString(ctxNonce)}
	if c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead {
		b.Here = c.Request.URL.RequestURI()
	}
	if sess := session(c); sess != nil {
		b.User = &CurrentUser{Username: sess.Username, GUID: sess.GUID, Admin: sess.Admin, Moderator: sess.Moderator}
		if n, err := s.app.Notifications.UnreadNotifications(c.Request.Context(), sess); err == nil {
			b.Unread = n
		}
		if n, err := s.app.Conversations.UnreadCount(c.Request.Context(), sess); err == nil {
			b.UnreadMessages = n
		}
	}
	if v, err := c.Cookie(flashCookie); err == nil && v != "" {
		kind, enc, _ := strings.Cut(v, ":")
		if msg, err := base64.RawURLEncoding.DecodeString(enc); err == nil && len(msg) < 500 {
			if kind == "notice" {
				b.Notice = string(msg)
			} else {
				b.Alert = string(msg)
			}
		}
		s.clearCookie(c, flashCookie)
	}
	return b
}
