package moderation

import (
	"context"
	"encoding/json"
	"io/fs"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/media"
)

// DashboardView is what the admins' dashboard shows.
type DashboardView struct {
	Users          int64      `json:"users"`
	NewThisWeek    int64      `json:"new_this_week"`
	ActiveMonth    int64      `json:"active_month"`
	Pending        int64      `json:"pending_approval"`
	Locked         int64      `json:"locked"`
	LocalPosts     int64      `json:"local_posts"`
	LocalComments  int64      `json:"local_comments"`
	OpenReports    int64      `json:"open_reports"`
	Deliveries     int64      `json:"deliveries_waiting"`
	FailingPods    int64      `json:"failing_pods"`
	BlockedPods    int64      `json:"blocked_pods"`
	SilencedPods   int64      `json:"silenced_pods"`
	Admins         int64      `json:"admins"`
	Moderators     int64      `json:"moderators"`
	UnsentOutbox   int64      `json:"outbox_unsent"`
	OldestUnsentAt *time.Time `json:"outbox_oldest,omitempty"`
	// UploadBytes is the disk used by uploads (-1: unknown, e.g. the
	// uploads are not in a local folder).
	UploadBytes   int64  `json:"upload_bytes"`
	Version       string `json:"version"`
	Registrations string `json:"registrations"`
	MailEnabled   bool   `json:"mail_enabled"`
}

// Dashboard counts users, content, queue health, reports and uploads.
// Admins only.
func (a *Service) Dashboard(ctx context.Context, s *pod.Session) (*DashboardView, error) {
	if err := pod.RequireAdmin(s); err != nil {
		return nil, err
	}
	now := time.Now()
	d, err := a.store.DashboardCounts(ctx, now.AddDate(0, 0, -7), now.AddDate(0, 0, -30))
	if err != nil {
		return nil, err
	}
	mode, err := a.core.Registrations(ctx)
	if err != nil {
		return nil, err
	}
	v := &DashboardView{Users: d.Users, NewThisWeek: d.NewThisWeek, ActiveMonth: d.ActiveMonth, Pending: d.Pending, Locked: d.Locked,
		LocalPosts: d.LocalPosts, LocalComments: d.LocalComments, OpenReports: d.OpenReports, Deliveries: d.Deliveries,
		FailingPods: d.FailingPods, BlockedPods: d.BlockedPods, SilencedPods: d.SilencedPods, Admins: d.Admins, Moderators: d.Moderators,
		UnsentOutbox: d.UnsentOutbox, OldestUnsentAt: d.OldestUnsentAt, UploadBytes: a.uploadBytes(ctx),
		Version: a.opt.Version, Registrations: mode, MailEnabled: a.core.MailEnabled()}
	if v.Version == "" {
		v.Version = pod.SoftwareVersion()
	}
	return v, nil
}

// uploadsCacheTTL: walking the uploads folder is done at most this often.
const uploadsCacheTTL = 10 * time.Minute

// uploadBytes sums the files of a local uploads folder, cached in Redis.
func (a *Service) uploadBytes(ctx context.Context) int64 {
	local, ok := a.core.Media().(*media.LocalStore)
	if !ok {
		return -1
	}
	key := a.opt.RedisPrefix + "admin:upload_bytes"
	if n, err := a.core.Redis().Get(ctx, key).Int64(); err == nil {
		return n
	}
	var total int64
	err := filepath.WalkDir(local.Dir(), func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // a file removed while walking
		}
		if d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				total += info.Size()
			}
		}
		return nil
	})
	if err != nil {
		return -1
	}
	a.core.Redis().Set(ctx, key, strconv.FormatInt(total, 10), uploadsCacheTTL)
	return total
}

// Statistics is /statistics(.json) as diaspora* publishes it.
type Statistics struct {
	Name                string          `json:"name"`
	Network             string          `json:"network"`
	Version             string          `json:"version"`
	RegistrationsOpen   bool            `json:"registrations_open"`
	TotalUsers          int64           `json:"total_users"`
	ActiveUsersHalfyear int64           `json:"active_users_halfyear"`
	ActiveUsersMonthly  int64           `json:"active_users_monthly"`
	LocalPosts          int64           `json:"local_posts"`
	LocalComments       int64           `json:"local_comments"`
	Services            []string        `json:"services"`
	ServicesDetails     map[string]bool `json:"-"`
	Description         string          `json:"-"`
}

// Statistics counts what /statistics shows, when the admins publish it;
// otherwise ErrNotFound.
func (a *Service) Statistics(ctx context.Context) (*Statistics, error) {
	ps, err := a.core.PodSettings(ctx)
	if err != nil {
		return nil, err
	}
	if !ps.PublishStatistics {
		return nil, pod.ErrNotFound
	}
	key := a.opt.RedisPrefix + "statistics"
	ttl := a.opt.NodeInfoCacheTTL
	if ttl > 0 {
		if b, err := a.core.Redis().Get(ctx, key).Bytes(); err == nil {
			var st Statistics
			if json.Unmarshal(b, &st) == nil {
				return &st, nil
			}
		}
	}
	now := time.Now()
	u, err := a.store.PodUsage(ctx, now.AddDate(0, 0, -180), now.AddDate(0, 0, -30))
	if err != nil {
		return nil, err
	}
	mode, _ := a.core.Registrations(ctx)
	st := &Statistics{Name: a.opt.PodName, Network: "Diaspora", Version: a.opt.Version, RegistrationsOpen: mode == pod.RegistrationsOpen,
		TotalUsers: u.Users, ActiveUsersHalfyear: u.ActiveHalfyear, ActiveUsersMonthly: u.ActiveMonth,
		LocalPosts: u.LocalPosts, LocalComments: u.LocalComments, Services: []string{}}
	if st.Version == "" {
		st.Version = pod.SoftwareVersion()
	}
	if ttl > 0 {
		if b, err := json.Marshal(st); err == nil {
			a.core.Redis().Set(ctx, key, b, ttl)
		}
	}
	return st, nil
}
