package streams

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// Stream names.
const (
	StreamMain         = "stream"
	StreamAspects      = "aspects"
	StreamPublic       = "public"
	StreamTag          = "tag"
	StreamFollowedTags = "followed_tags"
	StreamMentions     = "mentions"
	StreamActivity     = "activity"
	StreamLiked        = "liked"
	StreamCommented    = "commented"
	StreamPerson       = "person"
)

// StreamQuery asks for one page of a stream.
type StreamQuery struct {
	Kind string
	// Before is the page cursor: an opaque "older than" position from
	// EncodeCursor, or empty for the newest page.
	Before string
	// MaxTime is diaspora*'s page parameter (epoch seconds); used when
	// Before is empty.
	MaxTime int64
	// BeforeTime, when set and Before is empty, asks for the items
	// strictly older than it (the API's before=, diaspora*'s time pager).
	BeforeTime time.Time
	// AspectIDs selects aspects for the aspects stream (none: all).
	AspectIDs []int64
	// Tag names the tag of a tag stream.
	Tag string
	// PersonGUID names the person of a person stream.
	PersonGUID string
	// Limit is the page size (default 15).
	Limit int
}

// StreamPage is one page of posts.
type StreamPage struct {
	Posts []pod.PostView
	// Next is the cursor of the following (older) page, empty at the end.
	Next string
	// NextMaxTime is the same as diaspora*'s max_time.
	NextMaxTime int64
}

// cursorOf is the position q asks for: older than its Before cursor, its
// BeforeTime or its MaxTime (the zero Cursor: the newest page).
func cursorOf(q StreamQuery) (models.Cursor, error) {
	switch {
	case q.Before != "":
		return pod.DecodeCursor(q.Before)
	case !q.BeforeTime.IsZero():
		return models.Cursor{Time: q.BeforeTime.UTC(), ID: math.MinInt64}, nil // (t, id) < (T, min): t < T
	case q.MaxTime > 0:
		return models.Cursor{Time: time.Unix(q.MaxTime, 0).UTC()}, nil
	}
	return models.Cursor{}, nil
}

// Stream reads one page of a stream for viewer (nil: signed out, who may
// read only the public, tag and person streams). It costs three SQL
// statements: the page with authors and reshared originals, the last
// comments, and the viewer's own likes and reshares.
func (a *Service) Stream(ctx context.Context, sess *pod.Session, q StreamQuery) (*StreamPage, error) {
	v := pod.Viewer(sess)
	cur, err := cursorOf(q)
	if err != nil {
		return nil, err
	}
	switch q.Kind {
	case StreamPublic, StreamTag, StreamPerson:
	default:
		if sess == nil {
			return nil, pod.ErrUnauthenticated
		}
	}
	var rows []models.PostRow
	switch q.Kind {
	case StreamMain:
		rows, err = a.store.MainStream(ctx, v, cur, q.Limit)
	case StreamAspects:
		if len(q.AspectIDs) == 0 {
			rows, err = a.store.MainStream(ctx, v, cur, q.Limit)
			break
		}
		// The stream query only ever reads the viewer's own contacts and
		// posts, so another user's aspect yields nothing; the ownership
		// check (for a clear error) runs only when a page comes back empty.
		slices.Sort(q.AspectIDs)
		q.AspectIDs = slices.Compact(q.AspectIDs) // a repeated ID must not empty the page
		rows, err = a.store.AspectStream(ctx, v, q.AspectIDs, cur, q.Limit)
		if err == nil && len(rows) == 0 {
			for _, id := range q.AspectIDs {
				if _, err := a.store.AspectOf(ctx, sess.UserID, id); err != nil {
					return nil, pod.NotFoundAs(err, &pod.InvalidError{Message: fmt.Sprintf("aspect %d is not one of yours", id)})
				}
			}
		}
	case StreamPublic:
		rows, err = a.store.PublicStream(ctx, v, cur, q.Limit)
	case StreamTag:
		name, ok := pod.NormalizeTag(q.Tag)
		if !ok {
			return nil, &pod.InvalidError{Message: "a tag may contain only letters, digits, '_' and '-'"}
		}
		rows, err = a.store.TagStreamByName(ctx, v, name, cur, q.Limit)
	case StreamFollowedTags:
		rows, err = a.store.FollowedTagsStream(ctx, v, cur, q.Limit)
	case StreamMentions:
		rows, err = a.store.MentionsStream(ctx, v, cur, q.Limit)
	case StreamActivity:
		rows, err = a.store.ActivityStream(ctx, v, cur, q.Limit)
	case StreamLiked:
		rows, err = a.store.LikedStream(ctx, v, cur, q.Limit)
	case StreamCommented:
		rows, err = a.store.CommentedStream(ctx, v, cur, q.Limit)
	case StreamPerson:
		person, perr := a.store.PersonByGUID(ctx, q.PersonGUID)
		if perr != nil {
			return nil, pod.NotFoundAs(perr, pod.ErrNotFound)
		}
		rows, err = a.store.PersonStream(ctx, v, person.ID, cur, q.Limit)
	default:
		return nil, pod.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	posts, err := a.core.Hydrate(ctx, v, rows)
	if err != nil {
		return nil, err
	}
	page := &StreamPage{Posts: posts}
	limit := q.Limit
	if limit <= 0 {
		limit = models.PageSize
	}
	if len(rows) == limit {
		last := rows[len(rows)-1]
		page.Next = pod.EncodeCursor(models.Cursor{Time: last.SortAt, ID: last.ID})
		page.NextMaxTime = last.SortAt.Unix()
	}
	return page, nil
}
