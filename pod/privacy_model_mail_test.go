package pod_test

import (
	"context"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod/tasks"
)

// Notification mails in the privacy model: the model's pod sends mail
// (podtest.WithMail) but runs no worker, so every notification mail an
// operation queued waits in the outbox. After each step checkMails builds
// each of them as the mail job would if it ran now, and fails when a mail
// would go to someone who may not read its post, or quote a deleted
// comment.

// checkMails takes the notification mails queued since the last check and
// builds them.
func (m *model) checkMails() {
	ctx := context.Background()
	var queued []tasks.NotificationMail
	err := m.p.App.Core.Store().Tx(ctx, func(tx *models.Store) error {
		rows, err := tx.ClaimOutbox(ctx, nil, 1<<20)
		if err != nil {
			return err
		}
		var ids []int64
		for _, r := range rows {
			if r.TaskType != tasks.TypeNotificationMail {
				continue
			}
			q, err := tasks.DecodeNotificationMail(r.Payload)
			if err != nil {
				return err
			}
			queued = append(queued, q)
			ids = append(ids, r.ID)
		}
		return tx.MarkOutboxSent(ctx, ids)
	})
	if err != nil {
		m.failf("queued mails: %v", err)
		return
	}
	users := map[int64]int{}
	for x, u := range m.users {
		users[u.s.UserID] = x
	}
	posts := map[int64]int{}
	for pi, p := range m.posts {
		posts[p.id] = pi
	}
	for _, q := range queued {
		u, ok := users[q.UserID]
		if !ok {
			m.failf("a mail queued for an unknown user: %+v", q)
			continue
		}
		msg, err := m.p.App.Notifications.NotificationMail(ctx, q)
		if err != nil {
			m.failf("building %s's %s mail: %v", m.users[u].name, q.Type, err)
			continue
		}
		if msg == nil {
			m.outcomes["mail: not sent any more"]++
			continue
		}
		m.outcomes["mail: "+q.Type]++
		if q.PostID == 0 {
			continue
		}
		pi, ok := posts[q.PostID]
		if !ok {
			m.failf("%s is mailed about an unknown post: %+v", m.users[u].name, q)
			continue
		}
		if !m.canSee(u, m.posts[pi]) {
			m.failf("LEAK: %s would be mailed (%s) about %s, which they may not see", m.users[u].name, q.Type, m.desc(pi))
		}
		for _, c := range m.posts[pi].comments {
			if c.id == q.CommentID && c.deleted {
				m.failf("%s would be mailed (%s) a deleted comment on %s", m.users[u].name, q.Type, m.desc(pi))
			}
		}
	}
}
