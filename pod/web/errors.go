package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/accounts"
	"github.com/aspenpod/aspen/pod/federate"
	"github.com/aspenpod/aspen/pod/posts"
)

// status maps an error to its HTTP status and the message a user may see.
// This is the one place that does so; internal errors become a generic 500
// and are logged.
func status(err error) (int, string, string) {
	var inv *pod.InvalidError
	var maxBytes *http.MaxBytesError
	var disc *federate.DiscoveryError
	var state *pod.StateError
	switch {
	case errors.As(err, &state) && state.Gone:
		return http.StatusNotFound, "Nothing to undo", upperFirst(state.Message)
	case errors.As(err, &state):
		return http.StatusUnprocessableEntity, "Already done", upperFirst(state.Message)
	case pod.IsNotFound(err):
		return http.StatusNotFound, "Page not found", "The page you asked for does not exist, or you are not allowed to see it."
	case errors.Is(err, pod.ErrForbidden), errors.Is(err, pod.ErrRegistrationsClosed), errors.Is(err, posts.ErrIgnored),
		errors.Is(err, accounts.ErrUnconfirmed), errors.Is(err, accounts.ErrAwaitingApproval):
		return http.StatusForbidden, "Not allowed", err.Error()
	case errors.Is(err, pod.ErrUnauthenticated):
		return http.StatusUnauthorized, "Please sign in", err.Error()
	case errors.Is(err, pod.ErrRateLimited):
		return http.StatusTooManyRequests, "Slow down", err.Error()
	case errors.Is(err, pod.ErrBadCredentials):
		return http.StatusUnauthorized, "Sign-in failed", err.Error()
	case errors.Is(err, errCSRF):
		return http.StatusUnprocessableEntity, "Form expired", err.Error()
	case errors.Is(err, errTooLarge), errors.As(err, &maxBytes):
		return http.StatusRequestEntityTooLarge, "Too large", "The request is too large. Uploads may be at most a few megabytes."
	case errors.As(err, &disc):
		// Someone on another pod could not be found there: their pod's
		// answer (or silence) is the reason, not a fault of ours.
		return http.StatusNotFound, "Person not found", upperFirst(disc.Error())
	case errors.As(err, &inv):
		return http.StatusUnprocessableEntity, "Please check your input", inv.Error()
	case errors.Is(err, errBadRequest):
		return http.StatusBadRequest, "Bad request", err.Error()
	}
	return http.StatusInternalServerError, "Something went wrong", "Something went wrong on our side. It has been logged; please try again later."
}

var errBadRequest = errors.New("the request could not be understood")

// fail answers a request with the status and page (or JSON) that err maps
// to. Signed-out visitors who must sign in are sent to the sign-in page.
func (s *Server) fail(c *gin.Context, err error) {
	code, heading, msg := status(err)
	if wait := pod.RetryAfter(err); wait > 0 {
		c.Header("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
	}
	if code == http.StatusInternalServerError {
		s.log.Error("request failed", "method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
	}
	if wantsJSON(c) {
		c.AbortWithStatusJSON(code, gin.H{"error": msg})
		return
	}
	if code == http.StatusUnauthorized && errors.Is(err, pod.ErrUnauthenticated) && c.Request.Method == http.MethodGet {
		s.flash(c, "alert", msg)
		c.Redirect(http.StatusFound, "/users/sign_in?return_to="+url.QueryEscape(c.Request.URL.RequestURI()))
		c.Abort()
		return
	}
	page := errorPage{Base: s.base(c), Heading: heading, Message: msg}
	if rerr := s.pages.html(c, code, "error", page); rerr != nil {
		s.log.Error("render error page", "err", rerr)
		c.String(code, msg)
	}
	c.Abort()
}

// render renders a page or fails with the rendering error.
func (s *Server) render(c *gin.Context, code int, page string, data any) {
	if err := s.pages.html(c, code, page, data); err != nil {
		s.fail(c, err)
	}
}

// upperFirst capitalises the first letter of a message for display.
func upperFirst(msg string) string {
	r, size := utf8.DecodeRuneInString(msg)
	if r == utf8.RuneError {
		return msg
	}
	return string(unicode.ToUpper(r)) + msg[size:]
}
