package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/accounts"
)

// The mailed links: "forgot your password" and the confirmation of a new
// mail address (routes as diaspora*'s Devise has them).

func (s *Server) passwordRequestPage(c *gin.Context) passwordRequestPage {
	return passwordRequestPage{Base: s.base(c), MailEnabled: s.app.Accounts.MailEnabled(), Errors: map[string]string{}}
}

// passwordRequestForm is GET /users/password/new.
func (s *Server) passwordRequestForm(c *gin.Context) {
	s.render(c, http.StatusOK, "password_new", s.passwordRequestPage(c))
}

// passwordRequest is POST /users/password: it mails a reset link, and
// answers the same whether or not the address has an account.
func (s *Server) passwordRequest(c *gin.Context) {
	s.mailRequest(c, "password_new", s.app.Accounts.RequestPasswordReset)
}

// mailRequest handles a form that asks for a link by mail (a password
// reset, a new confirmation): send(ctx, address, client IP) mails it, and
// the page answers the same whether or not the address has an account.
func (s *Server) mailRequest(c *gin.Context, page string, send func(ctx context.Context, email, ip string) error) {
	p := s.passwordRequestPage(c)
	p.Email = strings.TrimSpace(c.PostForm("user[email]"))
	err := send(c.Request.Context(), p.Email, c.ClientIP())
	var inv *pod.InvalidError
	switch {
	case err == nil:
		p.Sent = true
		s.render(c, http.StatusOK, page, p)
	case errors.As(err, &inv):
		p.Errors = inv.Fields
		s.render(c, http.StatusUnprocessableEntity, page, p)
	case errors.Is(err, accounts.ErrMailDisabled):
		s.render(c, http.StatusServiceUnavailable, page, p)
	case errors.Is(err, pod.ErrRateLimited):
		p.Message = err.Error()
		s.render(c, http.StatusTooManyRequests, page, p)
	default:
		s.fail(c, err)
	}
}

// passwordResetForm is GET /users/password/edit, the page a reset mail
// links to.
func (s *Server) passwordResetForm(c *gin.Context) {
	s.render(c, http.StatusOK, "password_edit", passwordResetPage{Base: s.base(c), Token: c.Query("reset_password_token"), Errors: map[string]string{}})
}

// passwordReset is POST /users/password/edit: it sets the new password
// and ends every session of the account.
func (s *Server) passwordReset(c *gin.Context) {
	in := accounts.ResetPasswordInput{
		Token:                c.PostForm("user[reset_password_token]"),
		Password:             c.PostForm("user[password]"),
		PasswordConfirmation: c.PostForm("user[password_confirmation]"),
	}
	err := s.app.Accounts.ResetPasswordWithToken(c.Request.Context(), in)
	p := passwordResetPage{Base: s.base(c), Token: in.Token, Errors: map[string]string{}}
	var inv *pod.InvalidError
	switch {
	case err == nil:
		s.flash(c, "notice", "Your password was changed and you were signed out everywhere. Sign in with the new password.")
		c.Redirect(http.StatusFound, "/users/sign_in")
	case errors.As(err, &inv):
		p.Errors = inv.Fields
		s.render(c, http.StatusUnprocessableEntity, "password_edit", p)
	case errors.Is(err, accounts.ErrBadToken):
		p.Message, p.Expired = err.Error(), true
		s.render(c, http.StatusUnprocessableEntity, "password_edit", p)
	default:
		s.fail(c, err)
	}
}

// confirmEmail is GET /users/confirmation, the link a mail sent to a new
// address carries.
func (s *Server) confirmEmail(c *gin.Context) {
	err := s.app.Accounts.ConfirmEmail(c.Request.Context(), c.Query("confirmation_token"))
	var inv *pod.InvalidError
	switch {
	case err == nil:
		s.flash(c, "notice", "Your mail address is confirmed.")
		if session(c) != nil {
			c.Redirect(http.StatusFound, "/user/edit")
		} else {
			c.Redirect(http.StatusFound, "/users/sign_in")
		}
	case errors.Is(err, accounts.ErrBadToken):
		s.render(c, http.StatusUnprocessableEntity, "error", errorPage{Base: s.base(c), Heading: "Link not valid",
			Message: err.Error() + ". Change the address again in your account settings to get a new link."})
	case errors.As(err, &inv):
		s.render(c, http.StatusUnprocessableEntity, "error", errorPage{Base: s.base(c), Heading: "Address not confirmed", Message: inv.Error()})
	default:
		s.fail(c, err)
	}
}
