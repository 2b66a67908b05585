// Package entity implements the diaspora* federated objects (§4 of the
// protocol digest): their XML form as the reference emits it, their JSON
// form (used for archives), validation with the reference's rules (§9) and
// the signatures carried by relayables (§5) and account migrations (§4.19).
//
// Every entity is a plain struct. ParseXML and ParseJSON return the right
// struct for the root element; MarshalXML writes the exact bytes the
// reference writes (element order, value formats, escaping, omitted
// optionals). Relayables (Comment, Like, PollParticipation,
// EventParticipation) remember the order and the unknown elements they were
// received with, so that relaying them reproduces the signed bytes.
package entity

import (
	"reflect"
	"time"
)

// Entity is a diaspora* federated object.
type Entity interface {
	// EntityName returns the snake_case name used as XML root element and
	// JSON entity_type, e.g. "status_message".
	EntityName() string
	// Validate checks the entity against the reference's rules (§9) and
	// returns an error wrapping federation.ErrValidation naming the first
	// problem.
	Validate() error
}

// Size limits for entities read from the network.
const (
	// MaxEntitySize bounds an entity payload (the bytes inside me:data). Texts
	// are limited to 65535 characters; this leaves room for escaping,
	// photos and nested objects.
	MaxEntitySize = 1 << 20
	// MaxDepth bounds element nesting in an entity payload.
	MaxDepth = 16
	// MaxElements bounds the number of elements in an entity payload.
	MaxElements = 10000
)

// StatusMessage is a post (§4.2).
type StatusMessage struct {
	Author              string    `fed:"author,req,id"`
	GUID                string    `fed:"guid,req,guid"`
	CreatedAt           time.Time `fed:"created_at,now"`
	Public              bool      `fed:"public"`
	ProviderDisplayName string    `fed:"provider_display_name,opt,max=255"`
	Text                string    `fed:"text,req,max=65535"`
	EditedAt            time.Time `fed:"edited_at,opt"`
	Photos              []*Photo  `fed:"photo,json=photos"`
	Location            *Location `fed:"location"`
	Poll                *Poll     `fed:"poll"`
	Event               *Event    `fed:"event"`
	Embed               *Embed    `fed:"embed"`
}

// Photo is a photo, nested in a status message or standalone (§4.3).
type Photo struct {
	GUID              string    `fed:"guid,req,guid"`
	Author            string    `fed:"author,req,id"`
	Public            bool      `fed:"public"`
	CreatedAt         time.Time `fed:"created_at,now"`
	EditedAt          time.Time `fed:"edited_at,opt"`
	RemotePhotoPath   string    `fed:"remote_photo_path,req,nonempty,url=path"`
	RemotePhotoName   string    `fed:"remote_photo_name,req,nonempty"`
	Text              string    `fed:"text,opt,max=65535"`
	StatusMessageGUID string    `fed:"status_message_guid,opt,guid"`
	Height            int       `fed:"height,opt"`
	Width             int       `fed:"width,opt"`
}

// Location is a place attached to a post or an event (§4.4).
type Location struct {
	Address string `fed:"address,req,max=255"`
	Lat     string `fed:"lat,req,nonempty"`
	Lng     string `fed:"lng,req,nonempty"`
}

// Poll is a poll attached to a post (§4.5).
type Poll struct {
	GUID     string        `fed:"guid,req,guid"`
	Question string        `fed:"question,req,nonempty,max=255"`
	Answers  []*PollAnswer `fed:"poll_answer,json=poll_answers"`
}

// PollAnswer is one answer of a poll (§4.5).
type PollAnswer struct {
	GUID   string `fed:"guid,req,guid"`
	Answer string `fed:"answer,req,nonempty,max=255"`
}

// Event is an event attached to a post (§4.6; the diaspora pod ignores it).
type Event struct {
	Author      string    `fed:"author,req,id"`
	GUID        string    `fed:"guid,req,guid"`
	EditedAt    time.Time `fed:"edited_at,opt"`
	Summary     string    `fed:"summary,req,nonempty,max=255"`
	Description string    `fed:"description,opt,max=65535"`
	Start       time.Time `fed:"start,req"`
	End         time.Time `fed:"end,opt"`
	AllDay      bool      `fed:"all_day"`
	Timezone    string    `fed:"timezone,opt"`
	Location    *Location `fed:"location"`
}

// Embed is link preview data attached to a post (§4.7).
type Embed struct {
	URL         string `fed:"url,opt,url=host"`
	Title       string `fed:"title,opt,max=255"`
	Description string `fed:"description,opt,max=65535"`
	Image       string `fed:"image,opt,url=hostpath"`
	Nothing     bool   `fed:"nothing,opt"`
}

// Reshare is a reshare of a public post (§4.8).
type Reshare struct {
	Author     string    `fed:"author,req,id"`
	GUID       string    `fed:"guid,req,guid"`
	CreatedAt  time.Time `fed:"created_at,now"`
	RootAuthor string    `fed:"root_author,opt,id"`
	RootGUID   string    `fed:"root_guid,opt,guid"`
}

// Comment is a comment on a post; a relayable (§4.9).
type Comment struct {
	Author     string    `fed:"author,req,id"`
	GUID       string    `fed:"guid,req,guid"`
	ParentGUID string    `fed:"parent_guid,req,guid"`
	Text       string    `fed:"text,req,nonempty,max=65535"`
	CreatedAt  time.Time `fed:"created_at,now"`
	EditedAt   time.Time `fed:"edited_at,opt"`
	RelayFields
}

// Like is a like (or dislike) of a post or comment; a relayable (§4.10).
type Like struct {
	Author     string `fed:"author,req,id"`
	GUID       string `fed:"guid,req,guid"`
	ParentGUID string `fed:"parent_guid,req,guid"`
	ParentType string `fed:"parent_type,req,nonempty"`
	Positive   bool   `fed:"positive,req"`
	RelayFields
}

// PollParticipation is a vote in a poll; a relayable (§4.11).
type PollParticipation struct {
	Author         string `fed:"author,req,id"`
	GUID           string `fed:"guid,req,guid"`
	ParentGUID     string `fed:"parent_guid,req,guid"`
	PollAnswerGUID string `fed:"poll_answer_guid,req,guid"`
	RelayFields
}

// EventParticipation is an answer to an event; a relayable (§4.12).
type EventParticipation struct {
	Author     string    `fed:"author,req,id"`
	GUID       string    `fed:"guid,req,guid"`
	ParentGUID string    `fed:"parent_guid,req,guid"`
	Status     string    `fed:"status,req,nonempty"`
	EditedAt   time.Time `fed:"edited_at,opt"`
	RelayFields
}

// Participation subscribes the author's pod to a post's interactions (§4.13).
type Participation struct {
	Author     string `fed:"author,req,id"`
	GUID       string `fed:"guid,req,guid"`
	ParentGUID string `fed:"parent_guid,req,guid"`
	ParentType string `fed:"parent_type,req,nonempty"`
}

// Contact starts or stops sharing, or blocks (§4.14, §7.3).
type Contact struct {
	Author    string `fed:"author,req,id"`
	Recipient string `fed:"recipient,req,id"`
	Following bool   `fed:"following,def=true"`
	Sharing   bool   `fed:"sharing,def=true"`
	Blocking  bool   `fed:"blocking"`
}

// Profile is a person's profile (§4.15).
type Profile struct {
	Author         string    `fed:"author,req,id"`
	EditedAt       time.Time `fed:"edited_at,opt"`
	FullName       string    `fed:"full_name,opt,max=70,nosemi"`
	FirstName      string    `fed:"first_name,opt,max=32,nosemi"`
	LastName       string    `fed:"last_name,opt,max=32,nosemi"`
	ImageURL       string    `fed:"image_url,opt,url=path"`
	ImageURLMedium string    `fed:"image_url_medium,opt,url=path"`
	ImageURLSmall  string    `fed:"image_url_small,opt,url=path"`
	Bio            string    `fed:"bio,opt,max=65535"`
	Birthday       string    `fed:"birthday,opt"`
	Gender         string    `fed:"gender,opt,max=255"`
	Location       string    `fed:"location,opt,max=255"`
	Searchable     bool      `fed:"searchable,def=true"`
	Public         bool      `fed:"public"`
	NSFW           bool      `fed:"nsfw"`
	TagString      string    `fed:"tag_string,opt"`
}

// Retraction deletes an object (§4.16). Author is the target's author.
type Retraction struct {
	Author     string `fed:"author,req,id"`
	TargetGUID string `fed:"target_guid,req,guid"`
	TargetType string `fed:"target_type,req,nonempty"`
}

// Conversation starts a private conversation (§4.17).
type Conversation struct {
	Author       string     `fed:"author,req,id"`
	GUID         string     `fed:"guid,req,guid"`
	Subject      string     `fed:"subject,req,nonempty,max=255"`
	CreatedAt    time.Time  `fed:"created_at,now"`
	Participants string     `fed:"participants,req,nonempty"`
	Messages     []*Message `fed:"message,json=messages"`
}

// Message is a message in a conversation (§4.17).
type Message struct {
	Author           string    `fed:"author,req,id"`
	GUID             string    `fed:"guid,req,guid"`
	Text             string    `fed:"text,req,nonempty,max=65535"`
	CreatedAt        time.Time `fed:"created_at,now"`
	EditedAt         time.Time `fed:"edited_at,opt"`
	ConversationGUID string    `fed:"conversation_guid,req,guid"`
}

// AccountDeletion announces that an account was closed (§4.18).
type AccountDeletion struct {
	Author string `fed:"author,req,id"`
}

// AccountMigration moves an account to a new identity (§4.19).
type AccountMigration struct {
	Author          string   `fed:"author,req,id"`
	Profile         *Profile `fed:"profile,req"`
	Signature       string   `fed:"signature,req,nonempty"`
	OldIdentity     string   `fed:"old_identity,opt,id"`
	RemotePhotoPath string   `fed:"remote_photo_path,opt,url=path"`
}

// EntityName implements Entity.
func (*StatusMessage) EntityName() string { return "status_message" }

// EntityName implements Entity.
func (*Photo) EntityName() string { return "photo" }

// EntityName implements Entity.
func (*Location) EntityName() string { return "location" }

// EntityName implements Entity.
func (*Poll) EntityName() string { return "poll" }

// EntityName implements Entity.
func (*PollAnswer) EntityName() string { return "poll_answer" }

// EntityName implements Entity.
func (*Event) EntityName() string { return "event" }

// EntityName implements Entity.
func (*Embed) EntityName() string { return "embed" }

// EntityName implements Entity.
func (*Reshare) EntityName() string { return "reshare" }

// EntityName implements Entity.
func (*Comment) EntityName() string { return "comment" }

// EntityName implements Entity.
func (*Like) EntityName() string { return "like" }

// EntityName implements Entity.
func (*PollParticipation) EntityName() string { return "poll_participation" }

// EntityName implements Entity.
func (*EventParticipation) EntityName() string { return "event_participation" }

// EntityName implements Entity.
func (*Participation) EntityName() string { return "participation" }

// EntityName implements Entity.
func (*Contact) EntityName() string { return "contact" }

// EntityName implements Entity.
func (*Profile) EntityName() string { return "profile" }

// EntityName implements Entity.
func (*Retraction) EntityName() string { return "retraction" }

// EntityName implements Entity.
func (*Conversation) EntityName() string { return "conversation" }

// EntityName implements Entity.
func (*Message) EntityName() string { return "message" }

// EntityName implements Entity.
func (*AccountDeletion) EntityName() string { return "account_deletion" }

// EntityName implements Entity.
func (*AccountMigration) EntityName() string { return "account_migration" }

// Parent implements Relayable: comments belong to posts.
func (c *Comment) Parent() (string, string) { return "Post", c.ParentGUID }

// Parent implements Relayable: a like names its parent type.
func (l *Like) Parent() (string, string) { return l.ParentType, l.ParentGUID }

// Parent implements Relayable: poll participations belong to polls.
func (p *PollParticipation) Parent() (string, string) { return "Poll", p.ParentGUID }

// Parent implements Relayable: event participations belong to events.
func (p *EventParticipation) Parent() (string, string) { return "Event", p.ParentGUID }

var allEntities = []Entity{
	&StatusMessage{}, &Photo{}, &Location{}, &Poll{}, &PollAnswer{}, &Event{}, &Embed{},
	&Reshare{}, &Comment{}, &Like{}, &PollParticipation{}, &EventParticipation{},
	&Participation{}, &Contact{}, &Profile{}, &Retraction{}, &Conversation{}, &Message{},
	&AccountDeletion{}, &AccountMigration{},
}

// Names returns the entity names this package knows, in a fixed order.
func Names() []string {
	out := make([]string, len(allEntities))
	for i, e := range allEntities {
		out[i] = e.EntityName()
	}
	return out
}

// New returns a new zero entity for a name, or nil if the name is unknown.
func New(name string) Entity {
	s := specs[name]
	if s == nil {
		return nil
	}
	return reflect.New(s.typ).Interface().(Entity)
}

// AuthorOf returns the diaspora ID in the entity's author property, or "" for
// entities without one (location, poll, poll_answer, embed).
func AuthorOf(e Entity) string {
	v := reflect.ValueOf(e)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return ""
	}
	f := v.Elem().FieldByName("Author")
	if !f.IsValid() || f.Kind() != reflect.String {
		return ""
	}
	return f.String()
}

// PublicFlag reports whether the entity has a public property
// (status_message, photo, profile) and its value.
func PublicFlag(e Entity) (has, public bool) {
	switch x := e.(type) {
	case *StatusMessage:
		return true, x.Public
	case *Photo:
		return true, x.Public
	case *Profile:
		return true, x.Public
	}
	return false, false
}
