package federate

import (
	"context"
	"time"

	"github.com/aspenpod/aspen/pod"
)

// What the pod's admins see of federation: the remote pods this pod knows,
// their health and the state of the deliveries to them.

// Pod states on the admin's pods page.
const (
	// PodUp: the last exchange with the pod succeeded.
	PodUp = "up"
	// PodFailing: deliveries to the pod fail and are being retried.
	PodFailing = "failing"
	// PodGivenUp: the pod has failed for longer than PodGiveUpAfter;
	// deliveries to it are given up until the hourly check finds it up.
	PodGivenUp = "given_up"
	// PodUnknown: nothing was exchanged with the pod yet.
	PodUnknown = "unknown"
)

// PodView is a remote pod as the admin's pods page shows it.
type PodView struct {
	Host     string `json:"host"`
	URL      string `json:"url"`
	Software string `json:"software"`
	Version  string `json:"version"`
	// People counts the remote people of this pod known here.
	People        int64      `json:"people"`
	LastSuccessAt *time.Time `json:"last_success_at"`
	LastFailureAt *time.Time `json:"last_failure_at"`
	LastError     string     `json:"last_error"`
	// OfflineSince is the first failure since the last success (nil while
	// the pod is up).
	OfflineSince *time.Time `json:"offline_since"`
	// CheckedAt is when the periodic check last asked the pod's NodeInfo.
	CheckedAt *time.Time `json:"checked_at"`
	// State is PodUp, PodFailing, PodGivenUp or PodUnknown.
	State string `json:"state"`
	// Moderation is the admins' decision about the pod ("block",
	// "silence" or ""), with their reason.
	Moderation       string `json:"moderation,omitempty"`
	ModerationReason string `json:"moderation_reason,omitempty"`
	// Deliveries: queued or being retried, given up, and sent (the last
	// 30 days' records are kept).
	Queued int64 `json:"queued"`
	Failed int64 `json:"failed"`
	Sent   int64 `json:"sent"`
}

// OutboxView is what waits in the outbox: federation tasks written by
// committed changes and not yet moved into the job queue (the worker's
// relay does that; a backlog that stays means Redis is away or no worker
// runs).
type OutboxView struct {
	Unsent    int64      `json:"unsent"`
	Oldest    *time.Time `json:"oldest"`
	LastError string     `json:"last_error"`
	// SetAside counts the tasks that could never be queued (see the worker's
	// log, "outbox: row cannot be queued").
	SetAside int64 `json:"set_aside"`
}

// OutboxOverview shows the outbox backlog to admins.
func (a *Service) OutboxOverview(ctx context.Context, s *pod.Session) (*OutboxView, error) {
	if err := pod.RequireAdmin(s); err != nil {
		return nil, err
	}
	b, err := a.store.OutboxBacklog(ctx)
	if err != nil {
		return nil, err
	}
	return &OutboxView{Unsent: b.Unsent, Oldest: b.Oldest, LastError: b.LastError, SetAside: b.SetAside}, nil
}

// PodsOverview lists every remote pod this pod knows with its health and
// delivery counts, pods in trouble first. Only admins may see it.
func (a *Service) PodsOverview(ctx context.Context, s *pod.Session) ([]PodView, error) {
	if err := pod.RequireAdmin(s); err != nil {
		return nil, err
	}
	rows, err := a.store.PodsOverview(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := make([]PodView, 0, len(rows))
	for _, r := range rows {
		v := PodView{
			Host: r.Host, URL: r.URL, Software: r.Software, Version: r.Version, People: r.People,
			LastSuccessAt: r.LastSuccessAt, LastFailureAt: r.LastFailureAt, LastError: r.LastError,
			OfflineSince: r.OfflineSince, CheckedAt: r.CheckedAt,
			Queued: r.Queued, Failed: r.Failed, Sent: r.Sent,
		}
		switch {
		case r.OfflineSince != nil && now.Sub(*r.OfflineSince) > a.opt.PodGiveUpAfter:
			v.State = PodGivenUp
		case r.OfflineSince != nil:
			v.State = PodFailing
		case r.LastSuccessAt != nil:
			v.State = PodUp
		default:
			v.State = PodUnknown
		}
		v.Moderation, v.ModerationReason = a.decisionAbout(ctx, r.Host)
		out = append(out, v)
	}
	return out, nil
}
