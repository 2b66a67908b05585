package web

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/accounts"
)

func (s *Server) home(c *gin.Context) {
	p := homePage{Base: s.base(c), RegistrationsOpen: s.app.Accounts.RegistrationsOpen(c.Request.Context())}
	if sess := session(c); sess != nil {
		p.DiasporaID = sess.Username + "@" + s.app.Core.Options().Host
	} else {
		n, err := s.app.Accounts.UserCount(c.Request.Context())
		if err != nil {
			s.fail(c, err)
			return
		}
		p.Users = n
	}
	s.render(c, http.StatusOK, "home", p)
}

func (s *Server) signUpPage(c *gin.Context) signUpPage {
	p := signUpPage{Base: s.base(c), Host: s.app.Core.Options().Host, Errors: map[string]string{}}
	if info, err := s.app.Moderation.About(c.Request.Context()); err == nil {
		p.Description, p.HasTerms, p.Approval = info.Description, info.Terms != "", info.Registrations == pod.RegistrationsApproval
	}
	return p
}

func (s *Server) signUpForm(c *gin.Context) {
	if session(c) != nil {
		c.Redirect(http.StatusFound, "/")
		return
	}
	p := s.signUpPage(c)
	p.InviteCode = c.Query("invite")
	if p.InviteCode != "" && !s.app.Accounts.InviteValid(c.Request.Context(), p.InviteCode) {
		p.Message = "This invite link is not valid or has been used up."
		p.InviteCode = ""
	}
	p.Closed = !s.app.Accounts.RegistrationsOpen(c.Request.Context()) && p.InviteCode == ""
	code := http.StatusOK
	if p.Closed {
		code = http.StatusForbidden
	}
	s.render(c, code, "sign_up", p)
}

func (s *Server) invite(c *gin.Context) {
	code := c.Param("code")
	if !s.app.Accounts.InviteValid(c.Request.Context(), code) {
		s.flash(c, "alert", "This invite link is not valid or has been used up.")
		c.Redirect(http.StatusFound, "/users/sign_up")
		return
	}
	c.Redirect(http.StatusFound, "/users/sign_up?invite="+code)
}

func (s *Server) signUp(c *gin.Context) {
	in := accounts.SignUpInput{
		Username:             c.PostForm("user[username]"),
		Email:                c.PostForm("user[email]"),
		Password:             c.PostForm("user[password]"),
		PasswordConfirmation: c.PostForm("user[password_confirmation]"),
		InviteCode:           c.PostForm("invite[token]"),
	}
	ctx := c.Request.Context()
	user, err := s.app.Accounts.SignUp(ctx, in)
	if err != nil {
		p := s.signUpPage(c)
		p.Username, p.Email, p.InviteCode = in.Username, in.Email, in.InviteCode
		var inv *pod.InvalidError
		switch {
		case errors.As(err, &inv):
			p.Errors, p.Message = inv.Fields, inv.Message
			if p.Message == "" {
				p.Message = "Your account could not be created: please correct the fields marked below."
			}
			s.render(c, http.StatusUnprocessableEntity, "sign_up", p)
		case errors.Is(err, pod.ErrRegistrationsClosed):
			p.Closed = true
			s.render(c, http.StatusForbidden, "sign_up", p)
		default:
			s.fail(c, err)
		}
		return
	}
	if user.Unconfirmed { // POD_CONFIRM_SIGNUPS: first the mailed link
		s.flash(c, "notice", "Your account was created. We mailed a link to "+user.Email+": open it to confirm your address, then sign in.")
		c.Redirect(http.StatusFound, "/users/sign_in")
		return
	}
	// Sign the new user in straight away, as diaspora* does.
	sess, token, err := s.app.Accounts.SignInNewUser(ctx, user, c.ClientIP(), c.Request.UserAgent())
	if errors.Is(err, accounts.ErrAwaitingApproval) {
		s.flash(c, "notice", "Your account was created. An admin of this pod will look at it soon; you can sign in once they have approved it.")
		c.Redirect(http.StatusFound, "/users/sign_in")
		return
	}
	if err != nil {
		s.flash(c, "notice", "Your account was created. Please sign in.")
		c.Redirect(http.StatusFound, "/users/sign_in")
		return
	}
	s.startSession(c, sess, token)
	s.flash(c, "notice", "Welcome! Your account was created. Tell people about yourself.")
	c.Redirect(http.StatusFound, "/profile/edit")
}

func (s *Server) startSession(c *gin.Context, sess *pod.Session, token string) {
	maxAge := 0 // a browser-session cookie
	if sess.Remember {
		maxAge = int(pod.RememberFor.Seconds())
	}
	s.setCookie(c, sessionCookie, token, maxAge)
}

func (s *Server) signInForm(c *gin.Context) {
	if session(c) != nil {
		c.Redirect(http.StatusFound, safeReturnTo(signInReturnTo(c)))
		return
	}
	s.render(c, http.StatusOK, "sign_in", signInPage{Base: s.base(c), ReturnTo: signInReturnTo(c), RegistrationsOpen: s.app.Accounts.RegistrationsOpen(c.Request.Context()),
		ConfirmSignups: s.app.Accounts.ConfirmsSignUps()})
}

func (s *Server) signIn(c *gin.Context) {
	in := accounts.SignInInput{
		Login:     c.PostForm("user[username]"),
		Password:  c.PostForm("user[password]"),
		Remember:  c.PostForm("user[remember_me]") == "1" || c.PostForm("user[remember_me]") == "true",
		ClientIP:  c.ClientIP(),
		UserAgent: c.Request.UserAgent(),
	}
	if in.Login == "" {
		in.Login = c.PostForm("user[email]")
	}
	sess, token, err := s.app.Accounts.SignIn(c.Request.Context(), in)
	if err != nil {
		code, _, msg := status(err)
		if code >= 500 {
			s.fail(c, err)
			return
		}
		if wantsJSON(c) {
			c.AbortWithStatusJSON(code, gin.H{"error": msg})
			return
		}
		s.render(c, code, "sign_in", signInPage{Base: s.base(c), Login: in.Login, Remember: in.Remember, Message: msg, ReturnTo: signInReturnTo(c), RegistrationsOpen: s.app.Accounts.RegistrationsOpen(c.Request.Context()),
			ConfirmSignups: s.app.Accounts.ConfirmsSignUps()})
		return
	}
	s.startSession(c, sess, token)
	c.Redirect(http.StatusFound, safeReturnTo(signInReturnTo(c)))
}

func (s *Server) signOut(c *gin.Context) {
	token := c.GetString(ctxToken)
	if err := s.app.Core.SignOut(c.Request.Context(), token); err != nil {
		s.fail(c, err)
		return
	}
	s.clearCookie(c, sessionCookie)
	s.flash(c, "notice", "You have signed out.")
	c.Redirect(http.StatusFound, "/")
}

func (s *Server) settingsPage(c *gin.Context) (*settingsPage, error) {
	st, err := s.app.Accounts.Settings(c.Request.Context(), session(c).UserID)
	if err != nil {
		return nil, err
	}
	ms, err := s.app.Notifications.MailSettings(c.Request.Context(), session(c))
	if err != nil {
		return nil, err
	}
	return &settingsPage{Base: s.base(c), AccountSettings: *st, Mail: ms, Errors: map[string]string{}}, nil
}

func (s *Server) settingsForm(c *gin.Context) {
	p, err := s.settingsPage(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "settings", p)
}

func (s *Server) updateSettings(c *gin.Context) {
	sess := session(c)
	ctx := c.Request.Context()
	var err error
	notice := "Your settings were saved."
	if c.PostForm("form") == "password" || c.PostForm("user[current_password]") != "" {
		// "Sign out everywhere": a hidden 0 before the checkbox, so the
		// last value is the choice; a form without the field signs out
		// everywhere (the safe default).
		everywhere := true
		if v := c.PostFormArray("user[sign_out_everywhere]"); len(v) > 0 {
			everywhere = v[len(v)-1] == "1"
		}
		notice = "Your password was changed. Other devices and apps have been signed out."
		if !everywhere {
			notice = "Your password was changed. Your other devices and apps stay signed in."
		}
		err = s.app.Accounts.ChangePassword(ctx, sess.UserID, accounts.ChangePasswordInput{
			Current:              c.PostForm("user[current_password]"),
			Password:             c.PostForm("user[password]"),
			PasswordConfirmation: c.PostForm("user[password_confirmation]"),
			KeepToken:            c.GetString(ctxToken),
			KeepOtherSessions:    !everywhere,
		})
	} else if c.PostForm("form") == "email_preferences" {
		notice = "Your mail settings were saved."
		err = s.updateMailSettings(c)
	} else {
		err = s.app.Accounts.UpdateSettings(ctx, sess.UserID, accounts.UpdateSettingsInput{
			Email:          c.PostForm("user[email]"),
			AutoFollowBack: c.PostForm("user[auto_follow_back]") == "1",
		})
	}
	var inv *pod.InvalidError
	if errors.As(err, &inv) {
		p, perr := s.settingsPage(c)
		if perr != nil {
			s.fail(c, perr)
			return
		}
		p.Errors = inv.Fields
		if e := c.PostForm("user[email]"); e != "" {
			p.Email = e
		}
		s.render(c, http.StatusUnprocessableEntity, "settings", p)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "notice", notice)
	c.Redirect(http.StatusFound, "/user/edit")
}
