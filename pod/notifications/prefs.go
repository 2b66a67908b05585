package notifications

import (
	"context"

	"github.com/aspenpod/aspen/pod"
)

// MailSwitch is one notification type's mail switch.
type MailSwitch struct {
	Type string
	// Label says when the mail comes ("someone likes your post").
	Label string
	On    bool
}

// MailSettings are a user's notification mail switches, as the settings
// page shows them.
type MailSettings struct {
	// MailEnabled: the pod can send mail at all (POD_SMTP_HOST).
	MailEnabled bool
	// DisableAll switches every notification mail off.
	DisableAll bool
	Types      []MailSwitch
}

// MailSettings loads the user's notification mail switches.
func (a *Service) MailSettings(ctx context.Context, s *pod.Session) (*MailSettings, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	p, err := a.store.MailPreferencesOf(ctx, s.UserID)
	if err != nil {
		return nil, err
	}
	out := &MailSettings{MailEnabled: a.core.MailEnabled(), DisableAll: p.DisableAll}
	for _, t := range MailTypes {
		out.Types = append(out.Types, MailSwitch{Type: t, Label: mailTypeNames[t], On: !p.Disabled[t]})
	}
	return out, nil
}

// UpdateMailSettings stores the user's switches: disableAll, and for each
// type in set whether to mail it (types not in set keep their switch;
// names that are no mail type are an InvalidError).
func (a *Service) UpdateMailSettings(ctx context.Context, s *pod.Session, disableAll bool, set map[string]bool) error {
	if err := pod.RequireUser(s); err != nil {
		return err
	}
	for t := range set {
		if mailTypeNames[t] == "" {
			return &pod.InvalidError{Fields: map[string]string{"email_preferences": t + " is not a notification type"}}
		}
	}
	p, err := a.store.MailPreferencesOf(ctx, s.UserID)
	if err != nil {
		return err
	}
	var off []string
	for _, t := range MailTypes {
		on, given := set[t]
		if given && !on || !given && p.Disabled[t] {
			off = append(off, t)
		}
	}
	return a.store.SetMailPreferences(ctx, s.UserID, disableAll, off)
}
