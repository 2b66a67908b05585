package tasks

import (
	"encoding/json"
	"time"

	"github.com/hibiken/asynq"

	"github.com/aspenpod/aspen/pod/mail"
)

// TypeMail sends one mail (pod/mail). Use cases queue it through the
// outbox in the transaction that calls for the mail, so that a reset token
// and its mail exist together or not at all.
const TypeMail = "mail:send"

// NewMail builds the task that sends m. m.MessageID must be set: it is
// the task's ID, so queueing the same mail twice sends it once, and a
// retry sends the same Message-ID. A mail server away for a while is
// retried for about a day.
func NewMail(m mail.Message) *asynq.Task {
	b, _ := json.Marshal(m)
	return asynq.NewTask(TypeMail, b, asynq.Queue(QueueDefault), asynq.MaxRetry(12), asynq.Timeout(2*time.Minute),
		asynq.TaskID(MailTaskID(m)), asynq.Retention(0))
}

// MailTaskID is the task ID of a mail.
func MailTaskID(m mail.Message) string { return "mail:" + m.MessageID }

// DecodeMail reads a mail task's payload.
func DecodeMail(payload []byte) (mail.Message, error) {
	var m mail.Message
	err := json.Unmarshal(payload, &m)
	return m, err
}
