package tasks

import (
	"encoding/json"
	"fmt"

	"github.com/hibiken/asynq"
)

// Outboxed rebuilds a task from what the outbox keeps of it, its type and
// payload: the same constructor runs again, so the task gets the same
// deterministic ID, queue and options it had when it was written. It
// returns the task and its ID. Only the task types that go through the
// outbox are known; others are an error.
func Outboxed(typ string, payload []byte) (*asynq.Task, string, error) {
	if IsEvent(typ) {
		e, err := DecodeEvent(typ, payload)
		if err != nil {
			return nil, "", fmt.Errorf("outbox: %v", err)
		}
		return NewEventTask(e), EventTaskID(KeyOf(e)), nil
	}
	switch typ {
	case TypeLegacyDispatch:
		var d LegacyDispatch
		if err := json.Unmarshal(payload, &d); err != nil {
			return nil, "", fmt.Errorf("outbox: bad %s payload: %v", typ, err)
		}
		e, err := d.Event()
		if err != nil {
			return nil, "", fmt.Errorf("outbox: %v", err)
		}
		return NewEventTask(e), EventTaskID(KeyOf(e)), nil
	case TypeReceive:
		var r Receive
		if err := json.Unmarshal(payload, &r); err != nil {
			return nil, "", fmt.Errorf("outbox: bad %s payload: %v", typ, err)
		}
		return NewReceive(r), ReceiveTaskID(r), nil
	case TypeFetchPublic:
		var f FetchPublic
		if err := json.Unmarshal(payload, &f); err != nil {
			return nil, "", fmt.Errorf("outbox: bad %s payload: %v", typ, err)
		}
		return NewFetchPublic(f.PersonID), FetchPublicTaskID(f.PersonID), nil
	case TypeMail:
		m, err := DecodeMail(payload)
		if err != nil || m.MessageID == "" || m.To == "" {
			return nil, "", fmt.Errorf("outbox: bad %s payload: %v", typ, err)
		}
		return NewMail(m), MailTaskID(m), nil
	}
	if t, id, ok, err := outboxedPhoto(typ, payload); ok {
		return t, id, err
	}
	if t, id, ok, err := outboxedAccount(typ, payload); ok {
		return t, id, err
	}
	if t, id, ok, err := outboxedNotificationMail(typ, payload); ok {
		return t, id, err
	}
	if t, id, ok, err := outboxedArchive(typ, payload); ok {
		return t, id, err
	}
	return nil, "", fmt.Errorf("outbox: task type %q does not go through the outbox", typ)
}
