package models

import (
	"context"
	"strings"
	"time"
)

// Pod is a remote pod this pod knows, with its health as seen from the
// outcome of deliveries and periodic checks.
type Pod struct {
	ID   int64
	Host string // host[:port], as in diaspora IDs
	// URL is the pod's base URL with trailing slash (scheme://host[:port]/).
	URL           string `gorm:"column:url"`
	Software      string
	Version       string
	LastSuccessAt *time.Time
	LastFailureAt *time.Time
	LastError     string
	// OfflineSince is the first failure since the last success.
	OfflineSince *time.Time
	CheckedAt    *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// EnsurePod returns the pod row of a host, creating it with its base URL if
// it is new. An existing row keeps its URL unless url differs in scheme
// (discovery learnt a better one), in which case it is updated.
func (s *Store) EnsurePod(ctx context.Context, host, url string) (*Pod, error) {
	var p Pod
	err := s.conn(ctx).Raw(`INSERT INTO pods (host, url) VALUES (lower(@host), @url)
		ON CONFLICT (lower(host)) DO UPDATE SET url = EXCLUDED.url, updated_at = now() WHERE pods.url <> EXCLUDED.url
		RETURNING *`, map[string]any{"host": host, "url": url}).Scan(&p).Error
	if err != nil {
		return nil, translate(err, "ensure pod")
	}
	if p.ID == 0 { // unchanged row: RETURNING gives nothing
		return s.PodByHost(ctx, host)
	}
	return &p, nil
}

// PodByHost finds a pod by host[:port].
func (s *Store) PodByHost(ctx context.Context, host string) (*Pod, error) {
	var p Pod
	err := s.conn(ctx).Where("lower(host) = ?", strings.ToLower(host)).Take(&p).Error
	return &p, translate(err, "pod")
}

// PodByID finds a pod by ID.
func (s *Store) PodByID(ctx context.Context, id int64) (*Pod, error) {
	var p Pod
	err := s.conn(ctx).Where("id = ?", id).Take(&p).Error
	return &p, translate(err, "pod")
}

// PodSucceeded records a successful exchange with a pod: it is up. To keep
// a busy pod's row from becoming a hot spot, a pod already up is touched at
// most every ten seconds.
func (s *Store) PodSucceeded(ctx context.Context, id int64, now time.Time) error {
	return translate(s.conn(ctx).Exec(`UPDATE pods SET last_success_at = @now, offline_since = NULL, updated_at = @now
		WHERE id = @id AND (offline_since IS NOT NULL OR last_success_at IS NULL OR last_success_at < CAST(@now AS timestamptz) - interval '10 seconds')`,
		map[string]any{"id": id, "now": now}).Error, "pod succeeded")
}

// PodFailed records a failed exchange with a pod and the error.
func (s *Store) PodFailed(ctx context.Context, id int64, now time.Time, msg string) error {
	return translate(s.conn(ctx).Exec(`UPDATE pods SET last_failure_at = @now, last_error = @msg,
		offline_since = COALESCE(offline_since, @now), updated_at = @now WHERE id = @id`,
		map[string]any{"id": id, "now": now, "msg": truncateString(msg, 500)}).Error, "pod failed")
}

// SetPodSoftware records what a pod's NodeInfo says it runs and that it was
// checked now.
func (s *Store) SetPodSoftware(ctx context.Context, id int64, software, version string, now time.Time) error {
	return translate(s.conn(ctx).Exec(`UPDATE pods SET software = ?, version = ?, checked_at = ?, updated_at = ? WHERE id = ?`,
		truncateString(software, 255), truncateString(version, 255), now, now, id).Error, "pod software")
}

// PodsToCheck lists the pods that are offline or were never checked, least
// recently checked first, at most limit.
func (s *Store) PodsToCheck(ctx context.Context, checkedBefore time.Time, limit int) ([]Pod, error) {
	var pods []Pod
	err := s.conn(ctx).Where("(offline_since IS NOT NULL OR checked_at IS NULL) AND (checked_at IS NULL OR checked_at < ?)", checkedBefore).
		Order("checked_at NULLS FIRST, id").Limit(limit).Find(&pods).Error
	return pods, translate(err, "pods to check")
}

// PodRow is a pod with its queued deliveries, for the admin's list.
type PodRow struct {
	Pod
	People  int64 // known people on the pod
	Queued  int64 // deliveries queued or being retried
	Failed  int64 // deliveries given up
	Sent    int64 // deliveries sent
	Pending bool  `gorm:"-"`
}

// PodsOverview lists every known pod with its delivery counts, pods with
// trouble first.
func (s *Store) PodsOverview(ctx context.Context) ([]PodRow, error) {
	var rows []PodRow
	err := s.conn(ctx).Raw(`SELECT po.*,
			(SELECT count(*) FROM people pe WHERE lower(pe.pod_host) = lower(po.host) AND pe.owner_id IS NULL) AS people,
			COALESCE(d.queued, 0) AS queued, COALESCE(d.failed, 0) AS failed, COALESCE(d.sent, 0) AS sent
		FROM pods po LEFT JOIN (
			SELECT pod_id, count(*) FILTER (WHERE state IN ('queued', 'retrying')) AS queued,
				count(*) FILTER (WHERE state = 'failed') AS failed, count(*) FILTER (WHERE state = 'sent') AS sent
			FROM deliveries GROUP BY pod_id) d ON d.pod_id = po.id
		ORDER BY po.offline_since IS NULL, po.offline_since, lower(po.host)`).Scan(&rows).Error
	return rows, translate(err, "pods overview")
}

func truncateString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
