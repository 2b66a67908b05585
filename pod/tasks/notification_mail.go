package tasks

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// TypeNotificationMail mails a user about one notification event. The
// task carries IDs only: the job loads the post, comment and people when
// it runs and checks again that the user still wants the mail and may
// still read what it quotes (README, Mail).
const TypeNotificationMail = "mail:notification"

// NotificationMail is the payload of a notification mail: who is told,
// of what (a notification type of models), by whom, about which post and
// comment. A type without a post (private_message) carries its thread,
// subject, excerpt and link instead; see pod.Core.QueueNotificationMail.
type NotificationMail struct {
	// Key is the event's unique key: the task's ID and the mail's
	// Message-ID, so a retry sends the same message.
	Key     string `json:"key"`
	UserID  int64  `json:"user_id"`
	Type    string `json:"type"`
	ActorID int64  `json:"actor_id"`
	// PostID is the post the event is about (for reshared the original
	// post); 0 for started_sharing and private_message.
	PostID int64 `json:"post_id,omitempty"`
	// CommentID is the comment of comment_on_post, also_commented,
	// mentioned_in_comment and liked_comment.
	CommentID int64 `json:"comment_id,omitempty"`
	// Thread threads the mails of one conversation (In-Reply-To and
	// References <Thread@host>); Subject, Excerpt and Link are what the
	// mail says, for types whose content is not a post.
	Thread  string `json:"thread,omitempty"`
	Subject string `json:"subject,omitempty"`
	Excerpt string `json:"excerpt,omitempty"`
	Link    string `json:"link,omitempty"`
}

// NewNotificationMail builds the task. Its ID is the event's key, so the
// outbox relay queueing it twice sends one mail; a mail server away is
// retried for about a day, as for the other mails.
func NewNotificationMail(m NotificationMail) *asynq.Task {
	b, _ := json.Marshal(m)
	return asynq.NewTask(TypeNotificationMail, b, asynq.Queue(QueueLow), asynq.MaxRetry(12), asynq.Timeout(2*time.Minute),
		asynq.TaskID(NotificationMailTaskID(m)), asynq.Retention(0))
}

// NotificationMailTaskID is the task ID of a notification mail.
func NotificationMailTaskID(m NotificationMail) string { return "mail:n:" + m.Key }

// DecodeNotificationMail reads a notification mail task's payload.
func DecodeNotificationMail(payload []byte) (NotificationMail, error) {
	var m NotificationMail
	if err := json.Unmarshal(payload, &m); err != nil {
		return m, err
	}
	if m.Key == "" || m.UserID == 0 || m.Type == "" {
		return m, fmt.Errorf("notification mail without key, user or type")
	}
	return m, nil
}

// outboxedNotificationMail is Outboxed for notification mails.
func outboxedNotificationMail(typ string, payload []byte) (*asynq.Task, string, bool, error) {
	if typ != TypeNotificationMail {
		return nil, "", false, nil
	}
	m, err := DecodeNotificationMail(payload)
	if err != nil {
		return nil, "", true, fmt.Errorf("outbox: bad %s payload: %v", typ, err)
	}
	return NewNotificationMail(m), NotificationMailTaskID(m), true, nil
}
