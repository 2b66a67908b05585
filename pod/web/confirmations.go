package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
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
	s.mailRequest(c, "confirmation_new", s.app.Accounts.ResendConfirmation)
}
