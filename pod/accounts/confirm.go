package accounts

import (
	"context"
	"errors"
	"strings"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// Optional confirmation at sign-up (POD_CONFIRM_SIGNUPS): the new account
// is stored as unconfirmed, and a link (the confirm_email token of
// tokens.go, for the account's own address) is mailed in the sign-up's
// transaction. Until it is opened the account cannot sign in and is
// mailed nothing else; "resend" mails a new link.

// ErrUnconfirmed: the right password, but the account's address is not
// confirmed yet.
var ErrUnconfirmed = errors.New("please confirm your mail address first: open the link we mailed you when you signed up, or ask for a new one")

// ConfirmsSignUps reports whether new accounts must confirm their address.
func (a *Service) ConfirmsSignUps() bool { return a.opt.ConfirmSignups && a.core.MailEnabled() }

// confirmsSignUp reports whether the account signing up with in must
// confirm its address (accounts made by operator tools need not).
func (a *Service) confirmsSignUp(in SignUpInput) bool {
	return a.ConfirmsSignUps() && !in.BypassRegistrations
}

// mailSignUpConfirmation queues the confirmation link of a new account.
func (a *Service) mailSignUpConfirmation(ctx context.Context, tx *models.Store, out *pod.Outbox, user *models.User) error {
	return a.addMailToken(ctx, tx, out, user, models.TokenConfirmEmail, user.Email, ConfirmValidFor,
		"/users/confirmation?confirmation_token=", "confirm_signup", "Confirm your mail address on "+a.opt.PodName)
}

// ResendConfirmation mails a new confirmation link to the unconfirmed
// account with this address (the old link stops working). The answer is
// the same whether or not there is such an account, and requests are
// limited like password resets.
func (a *Service) ResendConfirmation(ctx context.Context, email, clientIP string) error {
	if !a.core.MailEnabled() {
		return ErrMailDisabled
	}
	email = strings.TrimSpace(email)
	if checkEmail(email) != "" {
		return &pod.InvalidError{Fields: map[string]string{"email": "is not a mail address"}}
	}
	if err := a.core.Allow(ctx, "confirm", clientIP, ResetRequests, ResetWindow); err != nil {
		return err
	}
	user, err := a.store.UserByEmail(ctx, email)
	if errors.Is(err, models.ErrNotFound) || err == nil && (!user.Unconfirmed || user.Locked) {
		return nil
	} else if err != nil {
		return err
	}
	if err := a.core.Allow(ctx, "confirm-user", user.Email, ResetRequests, ResetWindow); err != nil {
		return nil
	}
	return a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		return a.mailSignUpConfirmation(ctx, tx, out, user)
	})
}
