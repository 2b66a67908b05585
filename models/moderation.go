package models

import (
	"context"
	"strings"
	"time"
)

// Moderation and running a pod: reports, staff roles, locking, the
// admins' user search, the dashboard's counts, pod blocks and silences,
// and the settings admins change at runtime (migration 00015).

// Report states.
const (
	ReportOpen     = "open"
	ReportReviewed = "reviewed"
	ReportDeleted  = "deleted"
)

// Report is one person's report of a post or a comment.
type Report struct {
	ID           int64
	ReporterID   int64
	ItemType     string // "post" or "comment"
	ItemGUID     string `gorm:"column:item_guid"`
	PostID       *int64
	CommentID    *int64
	AuthorID     int64
	Reason       string
	State        string
	ReviewedByID *int64
	ReviewedAt   *time.Time
	CreatedAt    time.Time
}

// CreateReport stores a report; a second report of the same item by the
// same person is ErrConflict.
func (s *Store) CreateReport(ctx context.Context, r *Report) error {
	if r.State == "" {
		r.State = ReportOpen
	}
	return translate(s.conn(ctx).Create(r).Error, "create report")
}

// ReportByID finds a report.
func (s *Store) ReportByID(ctx context.Context, id int64) (*Report, error) {
	var r Report
	err := s.conn(ctx).Where("id = ?", id).Take(&r).Error
	return &r, translate(err, "report")
}

// SetReportState closes one report (reviewed) as reviewer.
func (s *Store) SetReportState(ctx context.Context, id int64, state string, reviewerID int64) error {
	res := s.conn(ctx).Exec(`UPDATE reports SET state = ?, reviewed_by_id = ?, reviewed_at = now() WHERE id = ?`, state, reviewerID, id)
	return rowsOrNotFound(res.Error, res.RowsAffected, "set report state")
}

// CloseItemReports marks every open report of an item deleted (the item
// was removed by a moderator).
func (s *Store) CloseItemReports(ctx context.Context, itemType, guid string, reviewerID int64) error {
	return translate(s.conn(ctx).Exec(`UPDATE reports SET state = 'deleted', reviewed_by_id = ?, reviewed_at = now()
		WHERE item_type = ? AND item_guid = ? AND state = 'open'`, reviewerID, itemType, guid).Error, "close item reports")
}

// ReportRow is a report as the moderators' queue shows it: the item's text
// (while it exists), its author and the reporter.
type ReportRow struct {
	Report
	PostGUID         *string `gorm:"column:post_guid"`
	PostPublic       *bool
	ItemText         *string
	AuthorDiasporaID string
	AuthorGUID       string `gorm:"column:author_guid"`
	AuthorLocal      bool
	ReporterUsername string
	ReviewerUsername *string
}

// Reports lists reports newest first, open ones only unless all, before
// the keyset cursor (created_at, id) when given, at most limit.
func (s *Store) Reports(ctx context.Context, all bool, before *time.Time, beforeID int64, limit int) ([]ReportRow, error) {
	where := "r.state = 'open'"
	if all {
		where = "true"
	}
	args := map[string]any{"limit": limit, "bt": time.Now().Add(time.Hour), "bid": int64(1 << 62)}
	if before != nil {
		args["bt"], args["bid"] = *before, beforeID
	}
	var rows []ReportRow
	err := s.conn(ctx).Raw(`SELECT r.*, p.guid AS post_guid, p.public AS post_public,
			CASE WHEN r.item_type = 'comment' THEN c.text ELSE p.text END AS item_text,
			a.diaspora_id AS author_diaspora_id, a.guid AS author_guid, a.owner_id IS NOT NULL AS author_local,
			ru.username AS reporter_username, rv.username AS reviewer_username
		FROM reports r
		JOIN people a ON a.id = r.author_id
		JOIN users ru ON ru.id = r.reporter_id
		LEFT JOIN users rv ON rv.id = r.reviewed_by_id
		LEFT JOIN posts p ON p.id = r.post_id
		LEFT JOIN comments c ON c.id = r.comment_id
		WHERE `+where+` AND (r.created_at, r.id) < (@bt, @bid)
		ORDER BY r.created_at DESC, r.id DESC LIMIT @limit`, args).Scan(&rows).Error
	return rows, translate(err, "reports")
}

// StaffMail is a moderator's or admin's address for report mails.
type StaffMail struct {
	Username string
	Email    string
}

// StaffMails lists the mail addresses of the pod's active moderators and
// admins.
func (s *Store) StaffMails(ctx context.Context) ([]StaffMail, error) {
	var out []StaffMail
	err := s.conn(ctx).Raw(`SELECT username, email FROM users WHERE (admin OR moderator) AND NOT locked ORDER BY id LIMIT 100`).Scan(&out).Error
	return out, translate(err, "staff mails")
}

// SetModerator grants or revokes the moderator role.
func (s *Store) SetModerator(ctx context.Context, id int64, on bool) error {
	res := s.conn(ctx).Model(&User{}).Where("id = ?", id).Updates(map[string]any{"moderator": on, "updated_at": time.Now()})
	return rowsOrNotFound(res.Error, res.RowsAffected, "set moderator")
}

// SetLocked locks or unlocks an account; unlocking also approves a
// pending sign-up.
func (s *Store) SetLocked(ctx context.Context, id int64, locked bool) error {
	defer s.touchAll(ctx) // broad: every cached stream page is stale
	u := map[string]any{"locked": locked, "updated_at": time.Now()}
	if !locked {
		u["pending_approval"] = false
	}
	res := s.conn(ctx).Model(&User{}).Where("id = ?", id).Updates(u)
	return rowsOrNotFound(res.Error, res.RowsAffected, "set locked")
}

// TouchLastSeen records that a user was active at now.
func (s *Store) TouchLastSeen(ctx context.Context, id int64, now time.Time) error {
	return translate(s.conn(ctx).Exec(`UPDATE users SET last_seen_at = ? WHERE id = ? AND (last_seen_at IS NULL OR last_seen_at < ?)`,
		now, id, now).Error, "touch last seen")
}

// UserRow is a user as the admins' user pages show them.
type UserRow struct {
	ID              int64
	Username        string
	Email           string
	GUID            string `gorm:"column:guid"`
	DiasporaID      string
	Admin           bool
	Moderator       bool
	Locked          bool
	PendingApproval bool
	Closed          bool
	CreatedAt       time.Time
	LastSeenAt      *time.Time
	Posts           int64
	Comments        int64
	Contacts        int64
	InvitesLeft     *int64
}

const userRowCols = `u.id, u.username, u.email, pe.guid, pe.diaspora_id, u.admin, u.moderator, u.locked, u.pending_approval,
	pe.closed_account AS closed, u.created_at, u.last_seen_at`

// SearchUsers finds users by username or e-mail (prefix, ignoring case)
// or by their person's GUID (exactly), at most limit, by username;
// pendingOnly lists the sign-ups waiting for approval.
func (s *Store) SearchUsers(ctx context.Context, q string, pendingOnly bool, limit int) ([]UserRow, error) {
	q = strings.ToLower(strings.TrimSpace(q))
	like := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q) + "%"
	where := `(@q = '' OR lower(u.username) LIKE @like OR lower(u.email) LIKE @like OR pe.guid = @q)`
	if pendingOnly {
		where += " AND u.pending_approval"
	}
	var rows []UserRow
	err := s.conn(ctx).Raw(`SELECT `+userRowCols+` FROM users u JOIN people pe ON pe.owner_id = u.id
		WHERE `+where+` ORDER BY lower(u.username) LIMIT @limit`, map[string]any{"q": q, "like": like, "limit": limit}).Scan(&rows).Error
	return rows, translate(err, "search users")
}

// UserDetails loads one user with their counts.
func (s *Store) UserDetails(ctx context.Context, id int64) (*UserRow, error) {
	var rows []UserRow
	err := s.conn(ctx).Raw(`SELECT `+userRowCols+`,
			(SELECT count(*) FROM posts p WHERE p.author_id = pe.id) AS posts,
			(SELECT count(*) FROM comments c WHERE c.author_id = pe.id) AS comments,
			(SELECT count(*) FROM contacts ct WHERE ct.user_id = u.id) AS contacts,
			(SELECT ic.count FROM invitation_codes ic WHERE ic.user_id = u.id LIMIT 1) AS invites_left
		FROM users u JOIN people pe ON pe.owner_id = u.id WHERE u.id = ?`, id).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "user details")
	}
	if len(rows) == 0 {
		return nil, translate(ErrNotFound, "user details")
	}
	return &rows[0], nil
}

// Dashboard is what the admins' dashboard counts.
type Dashboard struct {
	Users          int64
	NewThisWeek    int64
	ActiveMonth    int64
	Pending        int64
	Locked         int64
	LocalPosts     int64
	LocalComments  int64
	OpenReports    int64
	Deliveries     int64 // queued or being retried
	FailingPods    int64
	BlockedPods    int64
	SilencedPods   int64
	Moderators     int64
	Admins         int64
	UnsentOutbox   int64
	OldestUnsentAt *time.Time
}

// DashboardCounts counts everything the dashboard shows in one statement.
func (s *Store) DashboardCounts(ctx context.Context, weekAgo, monthAgo time.Time) (Dashboard, error) {
	var d Dashboard
	err := s.conn(ctx).Raw(`SELECT
			(SELECT count(*) FROM users WHERE NOT locked) AS users,
			(SELECT count(*) FROM users WHERE created_at >= @week) AS new_this_week,
			(SELECT count(*) FROM users WHERE NOT locked AND last_seen_at >= @month) AS active_month,
			(SELECT count(*) FROM users WHERE pending_approval) AS pending,
			(SELECT count(*) FROM users WHERE locked AND NOT pending_approval) AS locked,
			(SELECT count(*) FROM posts p JOIN people pe ON pe.id = p.author_id WHERE pe.owner_id IS NOT NULL AND p.type = @status) AS local_posts,
			(SELECT count(*) FROM comments c JOIN people pe ON pe.id = c.author_id WHERE pe.owner_id IS NOT NULL) AS local_comments,
			(SELECT count(*) FROM reports WHERE state = 'open') AS open_reports,
			(SELECT count(*) FROM deliveries WHERE state IN ('queued', 'retrying')) AS deliveries,
			(SELECT count(*) FROM pods WHERE offline_since IS NOT NULL) AS failing_pods,
			(SELECT count(*) FROM moderated_pods WHERE severity = 'block') AS blocked_pods,
			(SELECT count(*) FROM moderated_pods WHERE severity = 'silence') AS silenced_pods,
			(SELECT count(*) FROM users WHERE moderator AND NOT admin) AS moderators,
			(SELECT count(*) FROM users WHERE admin) AS admins,
			(SELECT count(*) FROM outbox WHERE sent_at IS NULL) AS unsent_outbox,
			(SELECT min(created_at) FROM outbox WHERE sent_at IS NULL) AS oldest_unsent_at`,
		map[string]any{"week": weekAgo, "month": monthAgo, "status": TypeStatusMessage}).Scan(&d).Error
	return d, translate(err, "dashboard")
}

// Pod moderation severities.
const (
	SeverityBlock   = "block"
	SeveritySilence = "silence"
)

// Pod states copied onto people and posts (aspen_pod_state).
const (
	PodStateNone     = 0
	PodStateSilenced = 1
	PodStateBlocked  = 2
)

// ModeratedPod is an admin's decision about a remote domain.
type ModeratedPod struct {
	ID          int64
	Domain      string
	Subdomains  bool
	Severity    string
	Reason      string
	CreatedByID *int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// ModeratedPods lists every blocked or silenced domain, by domain.
func (s *Store) ModeratedPods(ctx context.Context) ([]ModeratedPod, error) {
	var out []ModeratedPod
	err := s.conn(ctx).Order("lower(domain)").Find(&out).Error
	return out, translate(err, "moderated pods")
}

// SaveModeratedPod blocks or silences a domain (replacing an earlier
// decision about it) and brings people, posts and streams in line.
func (s *Store) SaveModeratedPod(ctx context.Context, m *ModeratedPod) error {
	defer s.touchAll(ctx) // broad: every cached stream page is stale
	err := s.conn(ctx).Raw(`INSERT INTO moderated_pods (domain, subdomains, severity, reason, created_by_id)
		VALUES (lower(@domain), @sub, @sev, @reason, @by)
		ON CONFLICT (lower(domain)) DO UPDATE SET subdomains = EXCLUDED.subdomains, severity = EXCLUDED.severity,
			reason = EXCLUDED.reason, updated_at = now()
		RETURNING id, created_at, updated_at`,
		map[string]any{"domain": m.Domain, "sub": m.Subdomains, "sev": m.Severity, "reason": m.Reason, "by": m.CreatedByID}).
		Row().Scan(&m.ID, &m.CreatedAt, &m.UpdatedAt)
	if err != nil {
		return translate(err, "save moderated pod")
	}
	return s.ApplyPodStates(ctx)
}

// DeleteModeratedPod lifts the decision about a domain and brings people,
// posts and streams back.
func (s *Store) DeleteModeratedPod(ctx context.Context, domain string) error {
	defer s.touchAll(ctx) // broad: every cached stream page is stale
	res := s.conn(ctx).Exec(`DELETE FROM moderated_pods WHERE lower(domain) = lower(?)`, domain)
	if err := rowsOrNotFound(res.Error, res.RowsAffected, "delete moderated pod"); err != nil {
		return err
	}
	return s.ApplyPodStates(ctx)
}

// ApplyPodStates copies the admins' decisions onto remote people whose
// state changed and onto their posts; it drops the main-stream entries of
// posts by newly blocked people and writes them again (by the stream
// rules) for people no longer blocked. Contacts are never touched, so
// lifting a block restores everything.
func (s *Store) ApplyPodStates(ctx context.Context) error {
	defer s.touchAll(ctx) // broad: every cached stream page is stale
	var changed []struct {
		ID       int64
		Old, New int16
	}
	err := s.conn(ctx).Raw(`WITH c AS (
			SELECT id, pod_state AS old, aspen_pod_state(pod_host) AS new FROM people
			WHERE owner_id IS NULL AND pod_state <> aspen_pod_state(pod_host)),
		u AS (UPDATE people pe SET pod_state = c.new FROM c WHERE pe.id = c.id RETURNING pe.id)
		SELECT c.id, c.old, c.new FROM c`).Scan(&changed).Error
	if err != nil {
		return translate(err, "apply pod states")
	}
	if len(changed) == 0 {
		return nil
	}
	var ids, blocked, unblocked []int64
	for _, c := range changed {
		ids = append(ids, c.ID)
		switch {
		case c.New == PodStateBlocked:
			blocked = append(blocked, c.ID)
		case c.Old == PodStateBlocked:
			unblocked = append(unblocked, c.ID)
		}
	}
	if err := s.conn(ctx).Exec(`UPDATE posts p SET pod_state = pe.pod_state FROM people pe
		WHERE pe.id = p.author_id AND p.author_id = ANY(CAST(? AS bigint[]))`, int64Array(ids)).Error; err != nil {
		return translate(err, "apply pod states to posts")
	}
	if len(blocked) > 0 {
		if err := s.conn(ctx).Exec(`DELETE FROM stream_entries WHERE author_id = ANY(CAST(? AS bigint[]))`, int64Array(blocked)).Error; err != nil {
			return translate(err, "drop blocked entries")
		}
	}
	if len(unblocked) > 0 {
		if err := s.conn(ctx).Exec(StreamEntriesSQL(`p.author_id = ANY(CAST(@authors AS bigint[]))`, "true", EntriesReplace),
			map[string]any{"authors": int64Array(unblocked)}).Error; err != nil {
			return translate(err, "restore unblocked entries")
		}
	}
	return nil
}

// PodSettings are the settings admins change at runtime.
type PodSettings struct {
	ID int16
	// Registrations is "open", "closed", "approval", or nil (as configured).
	Registrations     *string
	Description       string
	Terms             string
	PublishStatistics bool
	UpdatedAt         time.Time
}

// TableName is the settings' table.
func (PodSettings) TableName() string { return "pod_settings" }

// LoadPodSettings reads the settings row; without one (never saved),
// the defaults: registrations as configured, statistics published.
func (s *Store) LoadPodSettings(ctx context.Context) (*PodSettings, error) {
	var rows []PodSettings
	if err := s.conn(ctx).Where("id = 1").Limit(1).Find(&rows).Error; err != nil {
		return nil, translate(err, "pod settings")
	}
	if len(rows) == 0 {
		return &PodSettings{ID: 1, PublishStatistics: true}, nil
	}
	return &rows[0], nil
}

// SavePodSettings stores the settings row.
func (s *Store) SavePodSettings(ctx context.Context, p *PodSettings) error {
	p.ID = 1
	return translate(s.conn(ctx).Exec(`INSERT INTO pod_settings (id, registrations, description, terms, publish_statistics)
		VALUES (1, @reg, @desc, @terms, @stats)
		ON CONFLICT (id) DO UPDATE SET registrations = EXCLUDED.registrations, description = EXCLUDED.description,
			terms = EXCLUDED.terms, publish_statistics = EXCLUDED.publish_statistics, updated_at = now()`,
		map[string]any{"reg": p.Registrations, "desc": p.Description, "terms": p.Terms, "stats": p.PublishStatistics}).Error, "save pod settings")
}
