package moderation

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// Limits on the pod's texts.
const (
	DescriptionMaxLen = 2000
	TermsMaxLen       = 50000
)

// About is what everyone may know about the pod: its description and
// terms and how it takes new people.
type About struct {
	Name          string `json:"name"`
	Description   string `json:"description"`
	Terms         string `json:"terms"`
	Registrations string `json:"registrations"`
}

// About returns the pod's description, terms and registration mode.
func (a *Service) About(ctx context.Context) (*About, error) {
	ps, err := a.core.PodSettings(ctx)
	if err != nil {
		return nil, err
	}
	mode, err := a.core.Registrations(ctx)
	if err != nil {
		return nil, err
	}
	return &About{Name: a.opt.PodName, Description: ps.Description, Terms: ps.Terms, Registrations: mode}, nil
}

// SettingsInput is the admins' settings form.
type SettingsInput struct {
	Registrations     string
	Description       string
	Terms             string
	PublishStatistics bool
}

// SaveSettings stores the registration mode, description, terms and the
// statistics choice; they apply at once on every process. Admins only.
func (a *Service) SaveSettings(ctx context.Context, s *pod.Session, in SettingsInput) error {
	if err := pod.RequireAdmin(s); err != nil {
		return err
	}
	inv := pod.Invalid()
	in.Registrations = strings.ToLower(strings.TrimSpace(in.Registrations))
	if !pod.ValidRegistrations(in.Registrations) {
		inv.Add("registrations", "must be open, closed or approval")
	}
	in.Description, in.Terms = strings.TrimSpace(in.Description), strings.TrimSpace(in.Terms)
	if utf8.RuneCountInString(in.Description) > DescriptionMaxLen {
		inv.Add("description", fmt.Sprintf("is too long (at most %d characters)", DescriptionMaxLen))
	}
	if utf8.RuneCountInString(in.Terms) > TermsMaxLen {
		inv.Add("terms", fmt.Sprintf("is too long (at most %d characters)", TermsMaxLen))
	}
	if err := inv.OrNil(); err != nil {
		return err
	}
	mode := in.Registrations
	if err := a.store.SavePodSettings(ctx, &models.PodSettings{Registrations: &mode, Description: in.Description, Terms: in.Terms,
		PublishStatistics: in.PublishStatistics}); err != nil {
		return err
	}
	a.core.Redis().Del(ctx, a.opt.RedisPrefix+"statistics")
	a.log.Info("moderation: pod settings changed", "registrations", mode, "publish_statistics", in.PublishStatistics, "by", s.Username)
	return nil
}

// SetRegistrations switches the registration mode (operator tool, `pod
// admin registrations`).
func (a *Service) SetRegistrations(ctx context.Context, mode string) error {
	mode = strings.ToLower(strings.TrimSpace(mode))
	if !pod.ValidRegistrations(mode) {
		return &pod.InvalidError{Fields: map[string]string{"registrations": "must be open, closed or approval"}}
	}
	ps, err := a.core.PodSettings(ctx)
	if err != nil {
		return err
	}
	ps.Registrations = &mode
	return a.store.SavePodSettings(ctx, ps)
}
