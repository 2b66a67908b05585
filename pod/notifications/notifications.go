package notifications

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// NotificationView is one notification.
type NotificationView struct {
	ID         int64            `json:"id"`
	Type       string           `json:"type"`
	TargetGUID string           `json:"target_guid,omitempty"`
	TargetType string           `json:"target_type"`
	TargetID   int64            `json:"target_id"`
	Unread     bool             `json:"unread"`
	CreatedAt  time.Time        `json:"created_at"`
	UpdatedAt  time.Time        `json:"updated_at"`
	Actors     []pod.PersonView `json:"actors"`
	// ActorCount counts every actor; Actors holds the newest ones
	// (at most models.NotificationActorsShown).
	ActorCount int `json:"actor_count"`
	// Excerpt is the start of the post (or, for liked_comment, the
	// comment) it is about, as plain text; only listed while the user may
	// read the post.
	Excerpt string `json:"excerpt,omitempty"`
	// Text says what happened, e.g. "Alice and 2 others liked your post".
	Text string `json:"text"`
	// Verb is the part after the names, e.g. "liked your post".
	Verb string `json:"-"`
	// Link is where the notification leads.
	Link string `json:"link"`
}

var notificationVerbs = map[string]string{
	models.NotifyMentioned:      "mentioned you in a post",
	models.NotifyCommentOnPost:  "commented on your post",
	models.NotifyAlsoCommented:  "also commented on a post you commented on",
	models.NotifyLiked:          "liked your post",
	models.NotifyReshared:       "reshared your post",
	models.NotifyStartedSharing: "started sharing with you",
	// diaspora*'s other types.
	models.NotifyMentionedInComment: "mentioned you in a comment",
	models.NotifyLikedComment:       "liked your comment",
	models.NotifyPrivateMessage:     "sent you a private message",
}

// ListExcerptLen is how many characters of a post a listed notification
// shows.
const ListExcerptLen = 140

// NotificationTypes lists the notification types, for filters.
var NotificationTypes = []string{models.NotifyAlsoCommented, models.NotifyCommentOnPost, models.NotifyLiked,
	models.NotifyLikedComment, models.NotifyMentioned, models.NotifyMentionedInComment, models.NotifyPrivateMessage, models.NotifyReshared, models.NotifyStartedSharing}

// NotificationList is a page of notifications with unread counts.
type NotificationList struct {
	Items             []NotificationView
	UnreadCount       int
	UnreadCountByType map[string]int
}

// Notifications lists the user's notifications, newest first.
func (a *Service) Notifications(ctx context.Context, s *pod.Session, unreadOnly bool, typ string, page, perPage int) (*NotificationList, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	if typ != "" && notificationVerbs[typ] == "" {
		return nil, &pod.InvalidError{Fields: map[string]string{"type": "is not a notification type"}}
	}
	if perPage <= 0 || perPage > 100 {
		perPage = 25
	}
	if page <= 0 {
		page = 1
	}
	v := pod.Viewer(s)
	rows, err := a.store.Notifications(ctx, v, unreadOnly, typ, perPage, (page-1)*perPage)
	if err != nil {
		return nil, err
	}
	counts, err := a.store.UnreadCounts(ctx, v)
	if err != nil {
		return nil, err
	}
	list := &NotificationList{Items: make([]NotificationView, 0, len(rows)), UnreadCountByType: counts}
	for _, n := range counts {
		list.UnreadCount += n
	}
	for _, r := range rows {
		nv := NotificationView{ID: r.ID, Type: r.Type, Unread: r.Unread, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, ActorCount: r.ActorCount}
		for _, line := range strings.Split(r.ActorsRaw, "\n") {
			f := strings.SplitN(line, models.ActorFieldSep, 5)
			if len(f) == 5 {
				nv.Actors = append(nv.Actors, pod.PersonView{GUID: f[0], DiasporaID: f[1], Name: pod.PersonName(f[3], f[4], f[1]), Avatar: pod.AvatarOf("", "", f[2])})
			}
		}
		if r.CommentText != "" {
			nv.Excerpt = pod.Excerpt(r.CommentText, ListExcerptLen)
		} else if r.PostText != "" {
			nv.Excerpt = pod.Excerpt(r.PostText, ListExcerptLen)
		}
		if r.ConversationID != nil {
			nv.TargetType, nv.TargetID = "Conversation", *r.ConversationID
			nv.Link = "/conversations/" + strconv.FormatInt(*r.ConversationID, 10)
		} else if r.PostID != nil {
			nv.TargetType, nv.TargetID, nv.TargetGUID = "Post", *r.PostID, pod.Deref(r.PostGUID)
			nv.Link = "/posts/" + nv.TargetGUID
		} else if r.PersonID != nil {
			nv.TargetType, nv.TargetID = "Person", *r.PersonID
			if len(nv.Actors) > 0 {
				nv.Link = "/people/" + nv.Actors[0].GUID
			}
		}
		nv.Verb = notificationVerbs[r.Type]
		nv.Text = actorsText(nv.Actors, nv.ActorCount) + " " + nv.Verb
		list.Items = append(list.Items, nv)
	}
	return list, nil
}

// actorsText names who did it: "Alice", "Alice and Bob", or, for more,
// the newest and how many others ("Alice and 2 others").
func actorsText(ps []pod.PersonView, total int) string {
	if total < len(ps) {
		total = len(ps)
	}
	switch {
	case len(ps) == 0:
		return "Someone"
	case total == 1:
		return ps[0].Name
	case total == 2 && len(ps) == 2:
		return ps[0].Name + " and " + ps[1].Name
	case total == 2:
		return ps[0].Name + " and 1 other"
	}
	return ps[0].Name + " and " + strconv.Itoa(total-1) + " others"
}

// UnreadNotifications counts the user's unread notifications.
func (a *Service) UnreadNotifications(ctx context.Context, s *pod.Session) (int, error) {
	if s == nil {
		return 0, nil
	}
	counts, err := a.store.UnreadCounts(ctx, pod.Viewer(s))
	total := 0
	for _, n := range counts {
		total += n
	}
	return total, err
}

// MarkNotification marks one notification read or unread.
func (a *Service) MarkNotification(ctx context.Context, s *pod.Session, id int64, unread bool) error {
	if err := pod.RequireUser(s); err != nil {
		return err
	}
	return pod.NotFoundAs(a.store.SetNotificationUnread(ctx, s.UserID, id, unread), pod.ErrNotFound)
}

// ReadAllNotifications marks all (or one type of) notifications read.
func (a *Service) ReadAllNotifications(ctx context.Context, s *pod.Session, typ string) error {
	if err := pod.RequireUser(s); err != nil {
		return err
	}
	if typ != "" && notificationVerbs[typ] == "" {
		return &pod.InvalidError{Fields: map[string]string{"type": "is not a notification type"}}
	}
	return a.store.ReadAllNotifications(ctx, s.UserID, typ)
}
