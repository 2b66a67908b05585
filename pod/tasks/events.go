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
	// TypePollVoted: a local vote in a poll, or a remote one in a local
	// post's poll to relay to the post's audience.
	TypePollVoted = "federation:poll-voted"
	// TypeConversationStarted: a local user started a private
	// conversation, to send (with its first message) to its remote
	// participants.
	TypeConversationStarted = "federation:conversation-started"
	// TypeMessageSent: a local user wrote in a conversation, to send to
	// its remote participants.
	TypeMessageSent = "federation:message-sent"
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

// PollVoted: ParticipationID, a vote (poll_participation), local, or
// remote in a local post's poll (relayed).
type PollVoted struct {
	EventKey
	ParticipationID int64 `json:"participation_id"`
}

// TaskType implements Event.
func (*PollVoted) TaskType() string { return TypePollVoted }

// ConversationStarted: ConversationID, started by a local user.
type ConversationStarted struct {
	EventKey
	ConversationID int64 `json:"conversation_id"`
}

// TaskType implements Event.
func (*ConversationStarted) TaskType() string { return TypeConversationStarted }

// MessageSent: MessageID, written by a local user in a conversation.
type MessageSent struct {
	EventKey
	MessageID int64 `json:"message_id"`
}

// TaskType implements Event.
func (*MessageSent) TaskType() string { return TypeMessageSent }

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
	TypePostPublished:       func() Event { return new(PostPublished) },
	TypeCommentAdded:        func() Event { return new(CommentAdded) },
	TypeLikeAdded:           func() Event { return new(LikeAdded) },
	TypeRetracted:           func() Event { return new(Retracted) },
	TypeProfileChanged:      func() Event { return new(ProfileChanged) },
	TypeContactChanged:      func() Event { return new(ContactChanged) },
	TypeParticipated:        func() Event { return new(Participated) },
	TypePollVoted:           func() Event { return new(PollVoted) },
	TypeConversationStarted: func() Event { return new(ConversationStarted) },
	TypeMessageSent:         func() Event { return new(MessageSent) },
	TypeAccountMigrated:     func() Event { return new(AccountMigrated) },
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

// TypeLegacyDispatch is the one task type of every event before events had
// types of their own. A pod upgraded with such tasks still queued (or
// retrying) in Redis runs them as the events they describe; drop it once
// no pod can have one left (their retries end after about a day).
const TypeLegacyDispatch = "federation:dispatch"

// LegacyDispatch is the payload of a TypeLegacyDispatch task: one struct
// for every event, told apart by Kind.
type LegacyDispatch struct {
	Kind         string  `json:"kind"`
	Key          string  `json:"key"`
	UserID       int64   `json:"user_id,omitempty"`
	PersonID     int64   `json:"person_id,omitempty"`
	PostID       int64   `json:"post_id,omitempty"`
	CommentID    int64   `json:"comment_id,omitempty"`
	LikeID       int64   `json:"like_id,omitempty"`
	Sharing      bool    `json:"sharing,omitempty"`
	Blocking     bool    `json:"blocking,omitempty"`
	RelayedFrom  int64   `json:"relayed_from,omitempty"`
	SenderID     int64   `json:"sender_id,omitempty"`
	TargetType   string  `json:"target_type,omitempty"`
	TargetGUID   string  `json:"target_guid,omitempty"`
	TargetAuthor string  `json:"target_author,omitempty"`
	Public       bool    `json:"public,omitempty"`
	Recipients   []int64 `json:"recipients,omitempty"`
}

// Event is the typed event a legacy dispatch describes.
func (d *LegacyDispatch) Event() (Event, error) {
	if d.Key == "" {
		return nil, fmt.Errorf("%s payload without a key", TypeLegacyDispatch)
	}
	k := EventKey{Key: d.Key}
	switch d.Kind {
	case "post":
		return &PostPublished{EventKey: k, PostID: d.PostID}, nil
	case "comment":
		return &CommentAdded{EventKey: k, CommentID: d.CommentID}, nil
	case "like":
		return &LikeAdded{EventKey: k, LikeID: d.LikeID}, nil
	case "retraction":
		return &Retracted{EventKey: k, SenderID: d.SenderID, TargetType: d.TargetType, TargetGUID: d.TargetGUID,
			TargetAuthor: d.TargetAuthor, PostID: d.PostID, PersonID: d.PersonID, RelayedFrom: d.RelayedFrom,
			Public: d.Public, Recipients: d.Recipients}, nil
	case "profile":
		return &ProfileChanged{EventKey: k, UserID: d.UserID, PersonID: d.PersonID}, nil
	case "contact":
		return &ContactChanged{EventKey: k, UserID: d.UserID, PersonID: d.PersonID, Sharing: d.Sharing, Blocking: d.Blocking}, nil
	case "participation":
		return &Participated{EventKey: k, UserID: d.UserID, PostID: d.PostID}, nil
	}
	return nil, fmt.Errorf("%s of unknown kind %q", TypeLegacyDispatch, d.Kind)
}
