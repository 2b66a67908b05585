package pod

import (
	"errors"
	"sort"
	"strings"

	"github.com/aspenpod/aspen/models"
)

// Error kinds returned by use cases. pod/web maps them to HTTP statuses in
// one place; the messages are safe to show to users.
var (
	// ErrNotFound: the thing does not exist or the caller may not know it does.
	ErrNotFound = errors.New("not found")
	// ErrForbidden: the caller is known and may not do this.
	ErrForbidden = errors.New("you are not allowed to do that")
	// ErrUnauthenticated: the caller must sign in first.
	ErrUnauthenticated = errors.New("please sign in first")
	// ErrRateLimited: too many attempts; try again later.
	ErrRateLimited = errors.New("too many attempts, please wait a few minutes and try again")
	// ErrBadCredentials: sign-in with a wrong login or password.
	ErrBadCredentials = errors.New("invalid username, e-mail or password")
	// ErrRegistrationsClosed: sign-up needs an invite.
	ErrRegistrationsClosed = errors.New("registrations are closed on this pod: you need an invite link")
)

// StateError is an action that does not fit the current state: doing
// again what was done (liking twice, following a tag twice: Gone false)
// or undoing what is not there (unliking what was never liked: Gone
// true). The web answers 422 or 404; the API answers 409 or 410, as
// diaspora*'s does and its clients expect.
type StateError struct {
	Message string
	Gone    bool
}

func (e *StateError) Error() string { return e.Message }

// AlreadyDone is a StateError for doing something twice (API: 409).
func AlreadyDone(msg string) error { return &StateError{Message: msg} }

// NothingToUndo is a StateError for removing what is not there (API: 410).
func NothingToUndo(msg string) error { return &StateError{Message: msg, Gone: true} }

// IsNotFound reports an error that means "no such thing" to the caller:
// ErrNotFound, or a lookup in the store that matched no row.
func IsNotFound(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, models.ErrNotFound)
}

// InvalidError is bad input: one message per form field (keyed by the
// field's form name without the "user[" wrapping, e.g. "username"), plus an
// optional general message.
type InvalidError struct {
	Fields  map[string]string
	Message string
}

// Invalid starts an empty InvalidError.
func Invalid() *InvalidError { return &InvalidError{Fields: map[string]string{}} }

// Add records a problem with one field; the first problem per field wins.
func (e *InvalidError) Add(field, msg string) {
	if _, ok := e.Fields[field]; !ok {
		e.Fields[field] = msg
	}
}

// Empty reports whether no problem was recorded.
func (e *InvalidError) Empty() bool { return len(e.Fields) == 0 && e.Message == "" }

// OrNil returns e when it holds a problem and nil otherwise.
func (e *InvalidError) OrNil() error {
	if e.Empty() {
		return nil
	}
	return e
}

func (e *InvalidError) Error() string {
	if e.Message != "" && len(e.Fields) == 0 {
		return e.Message
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys)+1)
	if e.Message != "" {
		parts = append(parts, e.Message)
	}
	for _, k := range keys {
		parts = append(parts, k+" "+e.Fields[k])
	}
	return strings.Join(parts, "; ")
}

// NotFoundAs maps a store's ErrNotFound to err and passes others through.
func NotFoundAs(storeErr, err error) error {
	if errors.Is(storeErr, models.ErrNotFound) {
		return err
	}
	return storeErr
}

// RequireUser fails for signed-out callers.
func RequireUser(s *Session) error {
	if s == nil {
		return ErrUnauthenticated
	}
	return nil
}

// RequireAdmin lets admins through. Everyone else, signed out included,
// gets ErrNotFound: admin pages do not admit that they exist.
func RequireAdmin(s *Session) error {
	if s == nil || !s.Admin {
		return ErrNotFound
	}
	return nil
}

// RequireModerator lets moderators and admins through. Everyone else,
// signed out included, gets ErrNotFound, as on the admin pages.
func RequireModerator(s *Session) error {
	if s == nil || !(s.Admin || s.Moderator) {
		return ErrNotFound
	}
	return nil
}
