package tasks

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// Events: what happened here that other pods must hear of. A use case puts
// its events into its transaction's outbox; the relay queues each as a task
// of its own type, and the federation layer's handler for that type turns
// it into entities, envelopes and deliveries. Every event carries a key,
// unique per event (a new GUID), so an event relayed or run twice is sent
// once: its task ID, and its deliveries' task IDs, derive from the key.
const (
	// TypePostPublished: a local status message or reshare to federate.
	TypePostPublished = "federation:post-published"
	// TypeCommentAdded: a local comment, or a remote one on a local post to
	// relay to the post's audience.
	TypeCommentAdded = "federation:comment-added"
	// TypeLikeAdded: a local like, or a remote one on a local post to relay.
	TypeLikeAdded = "federation:like-added"
	// TypeRetracted: something deleted here (or a remote retraction to
	// relay) that its recipients must delete too.
	TypeRetracted = "federation:retracted"
	// TypeProfileChanged: a local user's profile changed.
	TypeProfileChanged = "federation:profile-changed"
	// TypeContactChanged: a local user started or stopped sharing with, or
	// blocked, a remote person.
	TypeContactChanged = "federation:contact-changed"
	// TypeParticipated: a local user (or the pod's representative) asks a
	// remote post's pod to relay what happens under it.
	TypeParticipated = "federation:participated"
)

// Event is one of the event payloads below.
type Event interface {
	// TaskType is the event's own task type.
	TaskType() string
	// key gives access to the event's key (EventKey).
	key() *string
}

// EventKey is the key every event carries.
type EventKey struct {
	Key string `json:"key"`
}

func (k *EventKey) key() *string { return &k.Key }

// PostPublished: PostID, a local status message or reshare.
type PostPublished struct {
	EventKey
	PostID int64 `json:"post_id"`
}

// CommentAdded: CommentID, local, or remote on a local post (relayed).
type CommentAdded struct {
	EventKey
	CommentID int64 `json:"comment_id"`
}

// LikeAdded: LikeID, local, or remote on a local post (relayed).
type LikeAdded struct {
	EventKey
	LikeID int64 `json:"like_id"`
}

// Retracted says who sends a retraction, what it retracts and, when the
// target is already deleted with its audience, the recipients resolved
// before. For a comment or like, PersonID is the target's author, who gets
// the retraction too, unless RelayedFrom is set: then the retraction came
// from that remote person and is relayed to the others, and their pod
// (public route) or they (private route) get nothing. Relaying is always
// said, never inferred from PersonID.
type Retracted struct {
	EventKey
	SenderID     int64   `json:"sender_id"`
	TargetType   string  `json:"target_type"`
	TargetGUID   string  `json:"target_guid"`
	TargetAuthor string  `json:"target_author,omitempty"`
	PostID       int64   `json:"post_id,omitempty"`
	PersonID     int64   `json:"person_id,omitempty"`
	RelayedFrom  int64   `json:"relayed_from,omitempty"`
	Public       bool    `json:"public,omitempty"`
	Recipients   []int64 `json:"recipients,omitempty"`
}

// ProfileChanged: UserID's profile; PersonID, if set, is the one person
// to send it to (a new contact), else everyone it goes to.
type ProfileChanged struct {
	EventKey
	UserID   int64 `json:"user_id"`
	PersonID int64 `json:"person_id,omitempty"`
}

// ContactChanged: UserID now shares (Sharing) or not with PersonID, or
// blocks them (Blocking).
type ContactChanged struct {
	EventKey
	UserID   int64 `json:"user_id"`
	PersonID int64 `json:"person_id"`
	Sharing  bool  `json:"sharing,omitempty"`
	Blocking bool  `json:"blocking,omitempty"`
}

// Participated: UserID takes part in the remote post PostID.
type Participated struct {
	EventKey
	UserID int64 `json:"user_id"`
	PostID int64 `json:"post_id"`
}

// TaskType implements Event.
func (*PostPublished) TaskType() string { return TypePostPublished }

// TaskType implements Event.
func (*CommentAdded) TaskType() string { return TypeCommentAdded }

// TaskType implements Event.
func (*LikeAdded) TaskType() string { return TypeLikeAdded }

// TaskType implements Event.
func (*Retracted) TaskType() string { return TypeRetracted }

// TaskType implements Event.
func (*ProfileChanged) TaskType() string { return TypeProfileChanged }

// TaskType implements Event.
func (*ContactChanged) TaskType() string { return TypeContactChanged }

// TaskType implements Event.
func (*Participated) TaskType() string { return TypeParticipated }

// newEvent makes an empty event of a task type (nil for other types).
var newEvent = map[string]func() Event{
	TypePostPublished:  func() Event { return new(PostPublished) },
	TypeCommentAdded:   func() Event { return new(CommentAdded) },
	TypeLikeAdded:      func() Event { return new(LikeAdded) },
	TypeRetracted:      func() Event { return new(Retracted) },
	TypeProfileChanged: func() Event { return new(ProfileChanged) },
	TypeContactChanged: func() Event { return new(ContactChanged) },
	TypeParticipated:   func() Event { return new(Participated) },
}

// IsEvent reports whether a task type is an event's.
func IsEvent(typ string) bool { return newEvent[typ] != nil }

// KeyOf returns an event's key.
func KeyOf(e Event) string { return *e.key() }

// SetKey gives an event its key when it has none yet.
func SetKey(e Event, key string) {
	if k := e.key(); *k == "" {
		*k = key
	}
}

// EventTaskID is the task ID of an event's task.
func EventTaskID(key string) string { return "dispatch:" + key }

// NewEventTask builds the task of an event: its own type, on the delivery
// queue, identified by its key.
func NewEventTask(e Event) *asynq.Task {
	b, _ := json.Marshal(e)
	return asynq.NewTask(e.TaskType(), b, asynq.Queue(QueueDelivery), asynq.MaxRetry(MaxDeliveryRetries),
		asynq.Timeout(5*time.Minute), asynq.TaskID(EventTaskID(KeyOf(e))), asynq.Retention(0))
}

// DecodeEvent reads the payload of an event task of type typ.
func DecodeEvent(typ string, payload []byte) (Event, error) {
	mk := newEvent[typ]
	if mk == nil {
		return nil, fmt.Errorf("%q is not an event's task type", typ)
	}
	e := mk()
	if err := json.Unmarshal(payload, e); err != nil {
		return nil, fmt.Errorf("bad %s payload: %v", typ, err)
	}
	if KeyOf(e) == "" {
		return nil, fmt.Errorf("%s payload without a key", typ)
	}
	return e, nil
}
