package tasks

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// Accounts that close (pod/accounts, pod/federate): the account_deletion
// entity a closed local account sends, and the job that deletes a closed
// person's data in bounded rounds.
const (
	// TypeAccountDeleted: a local user closed their account; its
	// account_deletion goes to every pod that knew them.
	TypeAccountDeleted = "federation:account-deleted"
	// TypeAccountPurge deletes the data of a closed person (local or
	// remote), one bounded round per task.
	TypeAccountPurge = "accounts:purge"
)

// AccountDeleted: PersonID (a local person) closed their account; PodIDs
// are the remote pods that knew them, resolved when the account closed
// (before its contacts were deleted).
type AccountDeleted struct {
	EventKey
	PersonID int64   `json:"person_id"`
	PodIDs   []int64 `json:"pod_ids,omitempty"`
}

// TaskType implements Event.
func (*AccountDeleted) TaskType() string { return TypeAccountDeleted }

func init() {
	newEvent[TypeAccountDeleted] = func() Event { return new(AccountDeleted) }
}

// AccountPurge is the payload of a purge round: the closed person and the
// round's number (each round is a task of its own ID).
type AccountPurge struct {
	PersonID int64 `json:"person_id"`
	Round    int   `json:"round,omitempty"`
}

// NewAccountPurge builds one round of a closed person's purge.
func NewAccountPurge(p AccountPurge) *asynq.Task {
	b, _ := json.Marshal(p)
	return asynq.NewTask(TypeAccountPurge, b, asynq.Queue(QueueLow), asynq.MaxRetry(10),
		asynq.Timeout(5*time.Minute), asynq.TaskID(AccountPurgeTaskID(p)), asynq.Retention(0))
}

// AccountPurgeTaskID is the task ID of a purge round.
func AccountPurgeTaskID(p AccountPurge) string {
	return fmt.Sprintf("%s:%d:%d", TypeAccountPurge, p.PersonID, p.Round)
}

// outboxedAccount rebuilds an account task from the outbox (see Outboxed).
func outboxedAccount(typ string, payload []byte) (*asynq.Task, string, bool, error) {
	if typ != TypeAccountPurge {
		return nil, "", false, nil
	}
	var p AccountPurge
	if err := json.Unmarshal(payload, &p); err != nil || p.PersonID == 0 {
		return nil, "", true, fmt.Errorf("outbox: bad %s payload: %v", typ, err)
	}
	return NewAccountPurge(p), AccountPurgeTaskID(p), true, nil
}
