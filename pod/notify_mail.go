package pod

import (
	"context"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod/tasks"
)

// QueueNotificationMail queues, in the transaction tx, the mail that tells
// a user of one notification event: nothing when the pod sends no mail or
// the user does not want this type (models.Store.MailAddressFor). The job
// (notifications.Service.NotificationMail) checks everything again when
// it runs and reads the post and comment then, so a mail never quotes
// what the user may not read by that time.
//
// It is the one call every notification type goes through. For a type
// whose content is no post, such as a private message, the caller fills
// Thread (threads the mails of one conversation), Subject, Excerpt (what
// the recipient may read) and Link (a path on this pod):
//
//	core.QueueNotificationMail(ctx, tx, tasks.NotificationMail{UserID: uid,
//		Type: models.NotifyPrivateMessage, ActorID: authorPersonID,
//		Thread: "conversation-" + conv.GUID, Subject: conv.Subject,
//		Excerpt: message.Text, Link: "/conversations/" + id})
func (a *Core) QueueNotificationMail(ctx context.Context, tx *models.Store, m tasks.NotificationMail) error {
	if !a.MailEnabled() {
		return nil
	}
	if _, ok, err := tx.MailAddressFor(ctx, m.UserID, m.Type); err != nil || !ok {
		return err
	}
	if m.Key == "" {
		m.Key = NewGUID()
	}
	row, err := OutboxRow(tasks.NewNotificationMail(m))
	if err != nil {
		return err
	}
	_, err = tx.AddOutbox(ctx, []models.OutboxRow{row})
	return err
}
