package models

import (
	"context"
	"time"
)

// MailPreferences are a user's notification mail switches: DisableAll
// (users.disable_mail) and the types switched off one by one
// (user_preferences rows, as diaspora* keeps them).
type MailPreferences struct {
	DisableAll bool
	Disabled   map[string]bool
}

// MailPreferencesOf loads a user's notification mail switches.
func (s *Store) MailPreferencesOf(ctx context.Context, userID int64) (*MailPreferences, error) {
	var u User
	if err := s.conn(ctx).Select("disable_mail").Where("id = ?", userID).Take(&u).Error; err != nil {
		return nil, translate(err, "mail preferences")
	}
	var types []string
	if err := s.conn(ctx).Raw(`SELECT email_type FROM user_preferences WHERE user_id = ?`, userID).Scan(&types).Error; err != nil {
		return nil, translate(err, "mail preferences")
	}
	p := &MailPreferences{DisableAll: u.DisableMail, Disabled: map[string]bool{}}
	for _, t := range types {
		p.Disabled[t] = true
	}
	return p, nil
}

// SetMailPreferences replaces a user's notification mail switches: the
// "disable all" flag and the set of types not to mail.
func (s *Store) SetMailPreferences(ctx context.Context, userID int64, disableAll bool, disabled []string) error {
	return s.Tx(ctx, func(tx *Store) error {
		db := tx.conn(ctx)
		res := db.Model(&User{}).Where("id = ?", userID).Updates(map[string]any{"disable_mail": disableAll, "updated_at": time.Now()})
		if err := rowsOrNotFound(res.Error, res.RowsAffected, "mail preferences"); err != nil {
			return err
		}
		if err := db.Exec(`DELETE FROM user_preferences WHERE user_id = ?`, userID).Error; err != nil {
			return translate(err, "mail preferences")
		}
		if len(disabled) == 0 {
			return nil
		}
		return translate(db.Exec(`INSERT INTO user_preferences (user_id, email_type) SELECT ?, unnest(?::text[]) ON CONFLICT DO NOTHING`,
			userID, textArray(disabled)).Error, "mail preferences")
	})
}

// MailAddressFor returns the address to mail a notification of type typ
// to, and false when the user gets no such mail: they switched it (or all
// notification mail) off, their account is locked, or their address is
// not confirmed yet.
func (s *Store) MailAddressFor(ctx context.Context, userID int64, typ string) (string, bool, error) {
	var emails []string
	err := s.conn(ctx).Raw(`SELECT u.email FROM users u WHERE u.id = ? AND NOT u.disable_mail AND NOT u.unconfirmed AND NOT u.locked
		AND NOT EXISTS (SELECT 1 FROM user_preferences up WHERE up.user_id = u.id AND up.email_type = ?)`, userID, typ).Scan(&emails).Error
	if err != nil || len(emails) == 0 {
		return "", false, translate(err, "mail address")
	}
	return emails[0], true, nil
}

// ConfirmUser marks a user's mail address confirmed (an account made
// under POD_CONFIRM_SIGNUPS may sign in from now on).
func (s *Store) ConfirmUser(ctx context.Context, userID int64) error {
	res := s.conn(ctx).Model(&User{}).Where("id = ?", userID).Updates(map[string]any{"unconfirmed": false, "updated_at": time.Now()})
	return rowsOrNotFound(res.Error, res.RowsAffected, "confirm user")
}
