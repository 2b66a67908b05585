package notifications

import (
	"context"
	"strings"
	"time"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// APITypes are the notification types diaspora*'s API v1 names (its
// NOTIFICATIONS_JSON_TYPES), by API name. The documentation's
// "commented_on_post" is read as diaspora*'s "comment_on_post". There is
// no private_message: those notifications belong to conversations and
// are left out of the API, as diaspora*'s schema has no type for them.
var APITypes = map[string]string{
	"also_commented": models.NotifyAlsoCommented, "comment_on_post": models.NotifyCommentOnPost,
	"commented_on_post": models.NotifyCommentOnPost, "liked": models.NotifyLiked,
	"liked_comment": models.NotifyLikedComment, "mentioned": models.NotifyMentioned,
	"mentioned_in_comment": models.NotifyMentionedInComment, "reshared": models.NotifyReshared,
	"started_sharing": models.NotifyStartedSharing,
	// The pod has no birthday notifications; the type is still known.
	"contacts_birthday": "contacts_birthday",
}

// APINotification is a notification as diaspora*'s API shows it.
type APINotification struct {
	GUID      string
	Type      string
	Unread    bool
	CreatedAt time.Time
	// UpdatedAt is the time of the newest event (the list's paging key).
	UpdatedAt time.Time
	Actors    []pod.PersonView
	// Target is the post the notification is about; nil for
	// started_sharing, and nil when the session may not read the post:
	// a token without private:read never learns a limited post's GUID or
	// author, though the notification itself (its type and who acted) is
	// the user's own and stays listed.
	Target *APITarget
}

// APITarget is the post a notification is about.
type APITarget struct {
	GUID   string
	Author *pod.PersonView
}

// APIQuery selects a page of notifications: unread only, one type ("" for
// all; an API type name), updated at or after Since (zero: any time), in
// a time window.
type APIQuery struct {
	UnreadOnly bool
	Type       string
	Since      time.Time
	// The page: items strictly older (Descending) or newer than Time, at
	// most Limit (1 to 100; else 15).
	Time       time.Time
	Descending bool
	Limit      int
	// GUID places the bound among notifications of the same Time ("":
	// before, when Descending, or after all of them).
	GUID string
}

// APINotifications lists the user's notifications for the API. An
// unknown type is an InvalidError.
func (a *Service) APINotifications(ctx context.Context, s *pod.Session, q APIQuery) ([]APINotification, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	f := models.NotificationFilter{UnreadOnly: q.UnreadOnly, UpdatedSince: q.Since}
	if q.Type != "" {
		typ, ok := APITypes[q.Type]
		if !ok {
			return nil, &pod.InvalidError{Fields: map[string]string{"type": "is not a notification type"}}
		}
		f.Type = typ
	}
	w := models.TimeWindow{Time: q.Time, GUID: q.GUID, Descending: q.Descending, Limit: q.Limit}
	if w.Limit <= 0 || w.Limit > 100 {
		w.Limit = 15
	}
	return a.apiNotifications(ctx, s, f, w)
}

// APINotification shows one of the user's notifications by GUID; anything
// else (another user's, one about a post the user may no longer see, a
// private_message one) is ErrNotFound.
func (a *Service) APINotification(ctx context.Context, s *pod.Session, guid string) (*APINotification, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	if guid == "" {
		return nil, pod.ErrNotFound
	}
	list, err := a.apiNotifications(ctx, s, models.NotificationFilter{GUID: guid}, models.TimeWindow{Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, pod.ErrNotFound
	}
	return &list[0], nil
}

// MarkAPINotification marks one of the user's notifications (by GUID)
// read or unread, as APINotification finds it.
func (a *Service) MarkAPINotification(ctx context.Context, s *pod.Session, guid string, read bool) error {
	if _, err := a.APINotification(ctx, s, guid); err != nil {
		return err
	}
	return pod.NotFoundAs(a.store.SetNotificationUnreadByGUID(ctx, s.UserID, guid, !read), pod.ErrNotFound)
}

// apiTypeNames maps the pod's types to the API's names.
var apiTypeNames = map[string]string{}

func init() {
	for name, typ := range APITypes {
		if name != "commented_on_post" {
			apiTypeNames[typ] = name
		}
	}
}

func (a *Service) apiNotifications(ctx context.Context, s *pod.Session, f models.NotificationFilter, w models.TimeWindow) ([]APINotification, error) {
	// The notifications are the user's whatever the token: the query
	// checks that the user may read each one's post (as on the web); what
	// the token may read is decided below, per target.
	v := pod.Viewer(s)
	v.PublicOnly = false
	rows, err := a.store.APINotifications(ctx, v, f, w)
	if err != nil {
		return nil, err
	}
	var authors []int64
	for _, r := range rows {
		if r.PostAuthor != nil {
			authors = append(authors, *r.PostAuthor)
		}
	}
	people, err := a.store.PeopleByIDs(ctx, authors)
	if err != nil {
		return nil, err
	}
	out := make([]APINotification, 0, len(rows))
	for _, r := range rows {
		n := APINotification{GUID: r.GUID, Type: apiTypeNames[r.Type], Unread: r.Unread, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
			Actors: []pod.PersonView{}}
		if n.Type == "" {
			n.Type = r.Type
		}
		for _, line := range strings.Split(r.ActorsRaw, "\n") {
			fs := strings.SplitN(line, models.ActorFieldSep, 6)
			if len(fs) == 6 {
				n.Actors = append(n.Actors, pod.PersonView{GUID: fs[0], DiasporaID: fs[1], Name: pod.PersonName(fs[3], fs[4], fs[1]),
					Avatar: pod.AvatarOf("", fs[5], fs[2])})
			}
		}
		if r.PostGUID != nil && (r.PostPublic || !s.PublicOnly) {
			n.Target = &APITarget{GUID: *r.PostGUID}
			if r.PostAuthor != nil {
				if p, ok := people[*r.PostAuthor]; ok {
					pv := pod.PersonViewOf(p)
					n.Target.Author = &pv
				}
			}
		}
		out = append(out, n)
	}
	return out, nil
}
