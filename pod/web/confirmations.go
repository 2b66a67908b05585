package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/accounts"
)

// "Resend the confirmation" of a new account's address (POD_CONFIRM_SIGNUPS),
// at Devise's routes as diaspora* would have them.

// confirmationRequestForm is GET /users/confirmation/new.
func (s *Server) confirmationRequestForm(c *gin.Context) {
	s.render(c, http.StatusOK, "confirmation_new", s.passwordRequestPage(c))
}

// confirmationRequest is POST /users/confirmation: it mails a new link to
// an unconfirmed account, and answers the same whatever the address.
func (s *Server) confirmationRequest(c *gin.Context) {
	p := s.passwordRequestPage(c)
	p.Email = strings.TrimSpace(c.PostForm("user[email]"))
	err := s.app.Accounts.ResendConfirmation(c.Request.Context(), p.Email, c.ClientIP())
	var inv *pod.InvalidError
	switch {
	case err == nil:
		p.Sent = true
		s.render(c, http.StatusOK, "confirmation_new", p)
	case errors.As(err, &inv):
		p.Errors = inv.Fields
		s.render(c, http.StatusUnprocessableEntity, "confirmation_new", p)
	case errors.Is(err, accounts.ErrMailDisabled):
		s.render(c, http.StatusServiceUnavailable, "confirmation_new", p)
	case errors.Is(err, pod.ErrRateLimited):
		p.Message = err.Error()
		s.render(c, http.StatusTooManyRequests, "confirmation_new", p)
	default:
		s.fail(c, err)
	}
}
