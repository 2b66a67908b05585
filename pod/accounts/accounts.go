package accounts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/tasks"
)

// Limits on account fields, as diaspora* sets them.
const (
	UsernameMaxLen = 32
	PasswordMinLen = 6
	PasswordMaxLen = 128
	EmailMaxLen    = 255
)

// reservedNames cannot be registered: diaspora*'s default blacklist plus
// names that would be confusing next to our routes.
var reservedNames = map[string]bool{
	"admin": true, "administrator": true, "hostmaster": true, "info": true, "postmaster": true,
	"root": true, "ssladmin": true, "ssladministrator": true, "sslwebmaster": true, "sysadmin": true,
	"webmaster": true, "support": true, "contact": true, "abuse": true, "security": true,
	"moderator": true, "podmin": true, "noreply": true, "no-reply": true, "system": true,
	"api": true, "assets": true, "uploads": true, "users": true, "people": true, "public": true,
	"receive": true, "fetch": true, "stream": true, "aspects": true, "tags": true, "posts": true,
	"help": true, "about": true, "nodeinfo": true, "well-known": true, ".well-known": true,
}

// DefaultAspects are the aspects every new user starts with, as on diaspora*.
var DefaultAspects = []string{"Family", "Friends", "Work", "Acquaintances"}

// SignUpInput is what the sign-up form sends.
type SignUpInput struct {
	Username             string
	Email                string
	Password             string
	PasswordConfirmation string
	InviteCode           string
	// Admin makes the new user an administrator (operator tools only).
	Admin bool
	// BypassRegistrations ignores closed registrations and POD_CONFIRM_SIGNUPS
	// (operator tools only).
	BypassRegistrations bool
	// AllowReserved lets the operator create an account with a reserved
	// name such as "podmin" or "admin" (operator tools only): the names are
	// kept from strangers signing up, not from the pod's own operator.
	AllowReserved bool
}

// validate checks the fields that need no database.
func (in *SignUpInput) validate() *pod.InvalidError {
	in.Username = pod.NormalizeUsername(in.Username)
	in.Email = strings.TrimSpace(in.Email)
	inv := pod.Invalid()
	switch {
	case in.Username == "":
		inv.Add("username", "can't be blank")
	case utf8.RuneCountInString(in.Username) > UsernameMaxLen:
		inv.Add("username", fmt.Sprintf("is too long (at most %d characters)", UsernameMaxLen))
	case !pod.UsernameRE.MatchString(in.Username):
		inv.Add("username", "may contain only letters, digits, '_', '.' and '-'")
	case reservedNames[in.Username] && !in.AllowReserved:
		inv.Add("username", "is reserved, please choose another")
	}
	if msg := checkEmail(in.Email); msg != "" {
		inv.Add("email", msg)
	}
	if field, msg := checkPassword(in.Password, in.PasswordConfirmation); msg != "" {
		inv.Add(field, msg)
	}
	return inv
}

func checkEmail(email string) string {
	if email == "" {
		return "can't be blank"
	}
	if len(email) > EmailMaxLen {
		return fmt.Sprintf("is too long (at most %d characters)", EmailMaxLen)
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || !strings.Contains(email[strings.LastIndex(email, "@")+1:], ".") && !strings.HasSuffix(email, "@localhost") {
		return "is not a valid e-mail address"
	}
	return ""
}

// checkPassword says what is wrong with a new password and its
// confirmation, and which form field the problem belongs to ("password"
// or "password_confirmation"); an empty msg means nothing is.
func checkPassword(pw, confirmation string) (field, msg string) {
	switch n := utf8.RuneCountInString(pw); {
	case n < PasswordMinLen:
		return "password", fmt.Sprintf("is too short (at least %d characters)", PasswordMinLen)
	case n > PasswordMaxLen:
		return "password", fmt.Sprintf("is too long (at most %d characters)", PasswordMaxLen)
	case pw != confirmation:
		return "password_confirmation", "doesn't match the password"
	}
	return "", ""
}

// SignUp creates an account: the user, their person with a diaspora ID,
// GUID and RSA key pair (taken from the pre-generated pool), an empty
// profile, the four default aspects and an invite code. Nothing is stored
// when any check fails.
func (a *Service) SignUp(ctx context.Context, in SignUpInput) (*models.User, error) {
	inv := in.validate()
	in.InviteCode = strings.TrimSpace(in.InviteCode)
	mode, err := a.core.Registrations(ctx)
	if err != nil {
		return nil, err
	}
	if in.BypassRegistrations {
		mode = pod.RegistrationsOpen
	}
	if mode == pod.RegistrationsClosed && in.InviteCode == "" {
		return nil, pod.ErrRegistrationsClosed
	}
	// With approval required, a sign-up without an invite waits, locked,
	// for an admin (an invite link is the inviter's word for them).
	pending := mode == pod.RegistrationsApproval && in.InviteCode == ""
	if inv.Fields["username"] == "" {
		if taken, err := a.usernameTaken(ctx, in.Username); err != nil {
			return nil, err
		} else if taken {
			inv.Add("username", "is already taken")
		}
	}
	if inv.Fields["email"] == "" {
		if taken, err := a.store.EmailTaken(ctx, in.Email, 0); err != nil {
			return nil, err
		} else if taken {
			inv.Add("email", "is already taken")
		}
	}
	if err := inv.OrNil(); err != nil {
		return nil, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return nil, err
	}

	var user *models.User
	now := time.Now().UTC()
	err = a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		var inviter *int64
		if in.InviteCode != "" {
			code, err := tx.InvitationCodeByToken(ctx, in.InviteCode)
			if errors.Is(err, models.ErrNotFound) {
				return &pod.InvalidError{Fields: map[string]string{}, Message: "this invite link is not valid"}
			} else if err != nil {
				return err
			}
			// As on diaspora*, a code's counter is spent only while
			// registrations are closed.
			if mode != pod.RegistrationsOpen {
				if _, err := tx.UseInvitationCode(ctx, in.InviteCode); errors.Is(err, models.ErrNotFound) {
					return &pod.InvalidError{Fields: map[string]string{}, Message: "this invite link has been used up"}
				} else if err != nil {
					return err
				}
			}
			inviter = &code.UserID
		}
		pub, sealed, err := a.keyPair(ctx, tx)
		if err != nil {
			return err
		}
		user = &models.User{
			Username: in.Username, Email: in.Email, EncryptedPassword: hash,
			SerializedPrivateKey: sealed, Admin: in.Admin, InvitedByID: inviter,
			Unconfirmed: a.confirmsSignUp(in),
			Locked:      pending, PendingApproval: pending, LastSeenAt: &now,
		}
		if err := tx.CreateUser(ctx, user); err != nil {
			return err
		}
		if user.Unconfirmed {
			if err := a.mailSignUpConfirmation(ctx, tx, out, user); err != nil {
				return err
			}
		}
		person := &models.Person{
			GUID: pod.NewGUID(), DiasporaID: in.Username + "@" + a.opt.Host,
			SerializedPublicKey: pub, PodHost: a.opt.Host, OwnerID: &user.ID,
		}
		if err := tx.CreatePerson(ctx, person); err != nil {
			return err
		}
		if err := tx.CreateProfile(ctx, &models.Profile{PersonID: person.ID, Searchable: true}); err != nil {
			return err
		}
		aspects := make([]models.Aspect, len(DefaultAspects))
		for i, name := range DefaultAspects {
			aspects[i] = models.Aspect{UserID: user.ID, Name: name, OrderID: i}
		}
		if err := tx.CreateAspects(ctx, aspects); err != nil {
			return err
		}
		return tx.CreateInvitationCode(ctx, &models.InvitationCode{Token: newInviteToken(), UserID: user.ID, Count: a.opt.InviteCount})
	})
	if errors.Is(err, models.ErrConflict) {
		// Lost a race with a concurrent sign-up of the same name or address.
		inv := pod.Invalid()
		inv.Add("username", "or e-mail is already taken")
		return nil, inv
	}
	if err != nil {
		return nil, fmt.Errorf("sign up: %w", err)
	}
	a.core.EnqueueBestEffort(ctx, tasks.NewKeysRefill(a.opt.RSABits, a.opt.KeyPoolSize))
	a.log.Info("user signed up", "username", user.Username, "user_id", user.ID)
	return user, nil
}

// usernameTaken checks both local users and every diaspora ID ever seen
// with this pod's host: deleted names stay reserved.
func (a *Service) usernameTaken(ctx context.Context, name string) (bool, error) {
	if taken, err := a.store.UsernameTaken(ctx, name); err != nil || taken {
		return taken, err
	}
	return a.store.DiasporaIDTaken(ctx, name+"@"+a.opt.Host)
}

func newInviteToken() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// SignInInput is what the sign-in form sends.
type SignInInput struct {
	Login     string // username or e-mail
	Password  string
	Remember  bool
	ClientIP  string
	UserAgent string
}

// SignIn checks a login and password, within the per-address rate limit,
// and starts a session. It returns the session and its secret token.
func (a *Service) SignIn(ctx context.Context, in SignInInput) (*pod.Session, string, error) {
	if err := a.core.Allow(ctx, "signin", in.ClientIP, pod.SignInAttempts, pod.SignInWindow); err != nil {
		return nil, "", err
	}
	login := strings.TrimSpace(in.Login)
	if login == "" || in.Password == "" || len(in.Password) > PasswordMaxLen*4 {
		return nil, "", pod.ErrBadCredentials
	}
	user, err := a.store.UserByLogin(ctx, login)
	if errors.Is(err, models.ErrNotFound) {
		// Spend the same time as a real check so that timing does not tell
		// which names exist.
		CheckPassword(dummyHash, in.Password)
		return nil, "", pod.ErrBadCredentials
	}
	if err != nil {
		return nil, "", err
	}
	ok, err := CheckPassword(user.EncryptedPassword, in.Password)
	if err != nil {
		return nil, "", fmt.Errorf("check password of user %d: %w", user.ID, err)
	}
	if ok && user.PendingApproval {
		return nil, "", ErrAwaitingApproval
	}
	if !ok || user.Locked {
		return nil, "", pod.ErrBadCredentials
	}
	if user.Unconfirmed {
		return nil, "", ErrUnconfirmed
	}
	return a.newSession(ctx, user, in)
}

// SignInNewUser starts a session for an account SignUp just created, without
// counting against the sign-in rate limit.
func (a *Service) SignInNewUser(ctx context.Context, user *models.User, clientIP, userAgent string) (*pod.Session, string, error) {
	if user.PendingApproval {
		return nil, "", ErrAwaitingApproval
	}
	return a.newSession(ctx, user, SignInInput{ClientIP: clientIP, UserAgent: userAgent})
}

func (a *Service) newSession(ctx context.Context, user *models.User, in SignInInput) (*pod.Session, string, error) {
	person, err := a.store.PersonOfUser(ctx, user.ID)
	if err != nil {
		return nil, "", err
	}
	s := &pod.Session{
		UserID: user.ID, PersonID: person.ID, Username: user.Username, GUID: person.GUID,
		Admin: user.Admin, Moderator: user.Moderator, Remember: in.Remember, CreatedAt: time.Now().UTC(),
		IP: in.ClientIP, UserAgent: pod.Truncate(in.UserAgent, 200),
	}
	token, err := a.core.StartSession(ctx, s)
	if err != nil {
		return nil, "", err
	}
	a.core.Seen(ctx, user.ID)
	return s, token, nil
}

var dummyHash, _ = HashPassword("not a real password")

// ChangePasswordInput is the password part of the account settings form.
type ChangePasswordInput struct {
	Current              string
	Password             string
	PasswordConfirmation string
	// KeepToken is the caller's own session, which stays signed in.
	KeepToken string
	// KeepOtherSessions is the user's "sign out everywhere" left
	// unchecked: the user's other browser sessions and the apps they
	// authorised keep working with the new password. By default (false)
	// they all end.
	KeepOtherSessions bool
}

// ChangePassword checks the current password, stores the new one and ends
// every other session of the user and every app authorization, unless
// in.KeepOtherSessions.
func (a *Service) ChangePassword(ctx context.Context, userID int64, in ChangePasswordInput) error {
	user, err := a.store.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	inv := pod.Invalid()
	if ok, _ := CheckPassword(user.EncryptedPassword, in.Current); !ok {
		inv.Add("current_password", "is not correct")
	}
	if field, msg := checkPassword(in.Password, in.PasswordConfirmation); msg != "" {
		inv.Add(field, msg)
	}
	if err := inv.OrNil(); err != nil {
		return err
	}
	if in.KeepOtherSessions {
		hash, err := HashPassword(in.Password)
		if err != nil {
			return err
		}
		return a.store.UpdateUserPasswordKeepingApps(ctx, user.ID, hash)
	}
	return a.setPassword(ctx, user.ID, in.Password, in.KeepToken)
}

func (a *Service) setPassword(ctx context.Context, userID int64, password, keepToken string) error {
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	if err := a.store.UpdateUserPassword(ctx, userID, hash); err != nil {
		return err
	}
	return a.core.EndUserSessions(ctx, userID, keepToken)
}

// ResetPassword sets a new password without the old one (operator tool) and
// signs the user out everywhere.
func (a *Service) ResetPassword(ctx context.Context, username, password string) error {
	user, err := a.store.UserByUsername(ctx, pod.NormalizeUsername(username))
	if errors.Is(err, models.ErrNotFound) {
		return fmt.Errorf("no user named %q: %w", username, pod.ErrNotFound)
	} else if err != nil {
		return err
	}
	if _, msg := checkPassword(password, password); msg != "" {
		return &pod.InvalidError{Fields: map[string]string{"password": msg}}
	}
	return a.setPassword(ctx, user.ID, password, "")
}

// MakeAdmin grants (or revokes) admin rights; the user's sessions end so the
// change takes effect at once.
func (a *Service) MakeAdmin(ctx context.Context, username string, admin bool) error {
	user, err := a.store.UserByUsername(ctx, pod.NormalizeUsername(username))
	if errors.Is(err, models.ErrNotFound) {
		return fmt.Errorf("no user named %q: %w", username, pod.ErrNotFound)
	} else if err != nil {
		return err
	}
	if err := a.store.SetAdmin(ctx, user.ID, admin); err != nil {
		return err
	}
	return a.core.EndUserSessions(ctx, user.ID, "")
}

// AccountSettings is what the account settings page shows.
type AccountSettings struct {
	Username       string
	DiasporaID     string
	Email          string
	AutoFollowBack bool
	InviteURL      string
	InvitesLeft    int
	// PendingEmail is a new address waiting for its confirmation.
	PendingEmail string
	// MailEnabled: the pod sends mail (a new address must be confirmed).
	MailEnabled bool
}

// Settings loads a user's account settings.
func (a *Service) Settings(ctx context.Context, userID int64) (*AccountSettings, error) {
	user, err := a.store.UserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	person, err := a.store.PersonOfUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	s := &AccountSettings{Username: user.Username, DiasporaID: person.DiasporaID, Email: user.Email, AutoFollowBack: user.AutoFollowBack,
		MailEnabled: a.core.MailEnabled()}
	if s.PendingEmail, err = a.store.PendingEmail(ctx, userID, time.Now()); err != nil {
		return nil, err
	}
	if code, err := a.store.InvitationCodeOf(ctx, userID); err == nil {
		s.InviteURL = a.opt.BaseURL + "/i/" + code.Token
		s.InvitesLeft = code.Count
	}
	return s, nil
}

// UpdateSettingsInput is the general part of the account settings form.
type UpdateSettingsInput struct {
	Email          string
	AutoFollowBack bool
}

// UpdateSettings changes the preferences and the e-mail address. When the
// pod sends mail, a new address takes effect only once confirmed: a link
// goes to it, and the old address stays until it is opened.
func (a *Service) UpdateSettings(ctx context.Context, userID int64, in UpdateSettingsInput) error {
	in.Email = strings.TrimSpace(in.Email)
	inv := pod.Invalid()
	if msg := checkEmail(in.Email); msg != "" {
		inv.Add("email", msg)
	} else if taken, err := a.store.EmailTaken(ctx, in.Email, userID); err != nil {
		return err
	} else if taken {
		inv.Add("email", "is already taken")
	}
	if err := inv.OrNil(); err != nil {
		return err
	}
	user, err := a.store.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	confirm := a.core.MailEnabled() && !strings.EqualFold(user.Email, in.Email)
	err = a.store.Tx(ctx, func(tx *models.Store) error {
		if !confirm {
			if err := tx.UpdateUserEmail(ctx, userID, in.Email); err != nil {
				return err
			}
		}
		return tx.UpdateUserSettings(ctx, userID, in.AutoFollowBack)
	})
	if err != nil || !confirm {
		return err
	}
	return a.mailToken(ctx, user, models.TokenConfirmEmail, in.Email, ConfirmValidFor,
		"/users/confirmation?confirmation_token=", "confirm_email", "Confirm your mail address on "+a.opt.PodName)
}

// InviteValid reports whether an invite token can still be used.
func (a *Service) InviteValid(ctx context.Context, token string) bool {
	code, err := a.store.InvitationCodeByToken(ctx, token)
	if err != nil {
		return false
	}
	mode, _ := a.core.Registrations(ctx)
	return mode == pod.RegistrationsOpen || code.Count > 0
}

// RegistrationsOpen reports whether anyone may sign up (perhaps to wait
// for an admin's approval).
func (a *Service) RegistrationsOpen(ctx context.Context) bool {
	mode, _ := a.core.Registrations(ctx)
	return mode != pod.RegistrationsClosed
}

// ErrAwaitingApproval: the account was made while registrations needed an
// admin's approval, which it has not had yet.
var ErrAwaitingApproval = errors.New("your account waits for an admin of this pod to approve it: you can sign in once they have")

// UserCount counts the pod's accounts (front page, NodeInfo).
func (a *Service) UserCount(ctx context.Context) (int64, error) { return a.store.CountUsers(ctx) }
