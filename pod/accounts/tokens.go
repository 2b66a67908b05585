package accounts

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/mail"
	"github.com/aspenpod/aspen/pod/tasks"
)

// How long mailed links work.
const (
	ResetValidFor   = 2 * time.Hour
	ConfirmValidFor = 48 * time.Hour
)

// Password reset requests allowed per client address (and per mail
// address) and window; more get ErrRateLimited.
const (
	ResetRequests = 5
	ResetWindow   = 15 * time.Minute
)

// ErrMailDisabled: the pod has no SMTP server, so it cannot mail a link.
var ErrMailDisabled = errors.New("this pod cannot send mail, so it cannot mail you a link: ask the pod's admin to reset your password")

// ErrBadToken: a mailed link that is unknown, used or expired.
var ErrBadToken = errors.New("this link is not valid any more: it has expired or was used already")

// MailEnabled reports whether the pod can mail links.
func (a *Service) MailEnabled() bool { return a.core.MailEnabled() }

// RequestPasswordReset mails a single-use link to the account with this
// address. The answer is the same whether or not such an account exists
// (only a rate limit or a pod without mail say otherwise), so the form
// cannot be used to find out who has an account here.
func (a *Service) RequestPasswordReset(ctx context.Context, email, clientIP string) error {
	if !a.core.MailEnabled() {
		return ErrMailDisabled
	}
	email = strings.TrimSpace(email)
	if checkEmail(email) != "" {
		return &pod.InvalidError{Fields: map[string]string{"email": "is not a mail address"}}
	}
	if err := a.core.Allow(ctx, "reset", clientIP, ResetRequests, ResetWindow); err != nil {
		return err
	}
	user, err := a.store.UserByEmail(ctx, email)
	if errors.Is(err, models.ErrNotFound) || err == nil && user.Locked {
		return nil
	} else if err != nil {
		return err
	}
	// A second limit per account: a stream of requests from many
	// addresses must not fill someone's mailbox.
	if err := a.core.Allow(ctx, "reset-user", user.Email, ResetRequests, ResetWindow); err != nil {
		return nil
	}
	return a.mailToken(ctx, user, models.TokenPasswordReset, user.Email, ResetValidFor,
		"/users/password/edit?reset_password_token=", "password_reset", "Reset your password on "+a.opt.PodName)
}

// ResetPasswordInput is the form behind a mailed reset link.
type ResetPasswordInput struct {
	Token                string
	Password             string
	PasswordConfirmation string
}

// ResetPasswordWithToken sets the password of the account a mailed token
// belongs to, once: the token is used up, and every session of the user
// ends. A wrong password leaves the token valid; a bad token is
// ErrBadToken.
func (a *Service) ResetPasswordWithToken(ctx context.Context, in ResetPasswordInput) error {
	if field, msg := checkPassword(in.Password, in.PasswordConfirmation); msg != "" {
		return &pod.InvalidError{Fields: map[string]string{field: msg}}
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return err
	}
	var userID int64
	err = a.store.Tx(ctx, func(tx *models.Store) error {
		t, err := tx.TakeAccountToken(ctx, models.TokenPasswordReset, tokenHash(in.Token), time.Now())
		if errors.Is(err, models.ErrNotFound) {
			return ErrBadToken
		} else if err != nil {
			return err
		}
		userID = t.UserID
		return tx.UpdateUserPassword(ctx, t.UserID, hash)
	})
	if err != nil {
		return err
	}
	return a.core.EndUserSessions(ctx, userID, "")
}

// ConfirmEmail makes the address a mailed token confirms the account's
// address, once; that also confirms an account made under
// POD_CONFIRM_SIGNUPS, which may sign in from then on.
func (a *Service) ConfirmEmail(ctx context.Context, token string) error {
	return a.store.Tx(ctx, func(tx *models.Store) error {
		t, err := tx.TakeAccountToken(ctx, models.TokenConfirmEmail, tokenHash(token), time.Now())
		if errors.Is(err, models.ErrNotFound) {
			return ErrBadToken
		} else if err != nil {
			return err
		}
		if taken, err := tx.EmailTaken(ctx, t.Email, t.UserID); err != nil {
			return err
		} else if taken {
			return &pod.InvalidError{Message: t.Email + " belongs to another account by now"}
		}
		if err := tx.UpdateUserEmail(ctx, t.UserID, t.Email); err != nil {
			return err
		}
		return tx.ConfirmUser(ctx, t.UserID)
	})
}

// mailToken stores a new token of purpose for user and, in the same
// transaction, queues the mail that carries its link (path + token) to
// address.
func (a *Service) mailToken(ctx context.Context, user *models.User, purpose, address string, validFor time.Duration, path, tmpl, subject string) error {
	return a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		return a.addMailToken(ctx, tx, out, user, purpose, address, validFor, path, tmpl, subject)
	})
}

// addMailToken is mailToken inside the caller's transaction.
func (a *Service) addMailToken(ctx context.Context, tx *models.Store, out *pod.Outbox, user *models.User, purpose, address string, validFor time.Duration, path, tmpl, subject string) error {
	token := pod.NewSecret()
	link := a.opt.BaseURL + path + url.QueryEscape(token)
	text, html, err := mail.Render(tmpl, map[string]string{
		"Username": user.Username, "PodName": a.opt.PodName, "BaseURL": a.opt.BaseURL,
		"Link": link, "Email": address, "ValidFor": humanFor(validFor),
	})
	if err != nil {
		return err
	}
	host, _, _ := strings.Cut(a.opt.Host, ":") // a Message-ID's right side has no port
	msg := mail.Message{To: address, Subject: subject, Text: text, HTML: html, MessageID: pod.NewGUID() + "@" + host}
	if err := tx.ReplaceAccountToken(ctx, &models.AccountToken{UserID: user.ID, Purpose: purpose, TokenHash: tokenHash(token),
		Email: address, ExpiresAt: time.Now().Add(validFor)}); err != nil {
		return err
	}
	out.AddTask(tasks.NewMail(msg))
	return nil
}

// tokenHash is what the database keeps of a token.
func tokenHash(token string) []byte {
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return sum[:]
}

// humanFor says a link's lifetime in words ("2 hours", "2 days").
func humanFor(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return fmt.Sprintf("%d hours", d/time.Hour)
}

// MailPasswordReset mails a user a password reset link, as "forgot your
// password?" does (an admin's action on the user's page). It needs mail.
func (a *Service) MailPasswordReset(ctx context.Context, userID int64) error {
	if !a.core.MailEnabled() {
		return ErrMailDisabled
	}
	user, err := a.store.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	return a.mailToken(ctx, user, models.TokenPasswordReset, user.Email, ResetValidFor,
		"/users/password/edit?reset_password_token=", "password_reset", "Reset your password on "+a.opt.PodName)
}
