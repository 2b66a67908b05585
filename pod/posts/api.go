package posts

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/tasks"
)

// What the API v1 (diaspora*'s /api/v1/posts...) needs beyond the web's use
// cases: posts with the viewer's subscription and report, comments found
// by GUID under their post, and bounded pages of comments, likes and
// reshares. Every one goes through the same visibility rule as the web
// (visiblePost): a post the viewer may not see is ErrNotFound.

// PostState is what the viewer did to a post beyond liking and
// resharing it: subscribed to it, reported it.
type PostState = models.PostState

// PostWithState loads a visible post as streams show it, with the
// viewer's subscription and report of it. Nothing is marked read.
func (a *Service) PostWithState(ctx context.Context, s *pod.Session, key string) (*pod.PostView, PostState, error) {
	p, err := a.visiblePost(ctx, a.store, s, key)
	if err != nil {
		return nil, PostState{}, err
	}
	pv, err := a.PostByID(ctx, s, p.ID)
	if err != nil {
		return nil, PostState{}, err
	}
	if err := a.FillMentions(ctx, []*pod.PostView{pv}); err != nil {
		return nil, PostState{}, err
	}
	var st PostState
	if s != nil {
		if st, err = a.store.PostStateOf(ctx, s.UserID, s.PersonID, p.ID); err != nil {
			return nil, PostState{}, err
		}
	}
	return pv, st, nil
}

// FillMentions fills the MentionedPeople of post views (streams leave
// them empty), in one statement for all of them.
func (a *Service) FillMentions(ctx context.Context, views []*pod.PostView) error {
	ids := make([]int64, len(views))
	for i, v := range views {
		ids[i] = v.ID
	}
	m, err := a.store.MentionsOf(ctx, ids)
	if err != nil {
		return err
	}
	for _, v := range views {
		v.MentionedPeople = make([]pod.PersonView, 0, len(m[v.ID]))
		for _, r := range m[v.ID] {
			v.MentionedPeople = append(v.MentionedPeople, pod.PersonViewOf(r))
		}
	}
	return nil
}

// CheckVisible reports ErrNotFound unless the viewer may see the post.
func (a *Service) CheckVisible(ctx context.Context, s *pod.Session, key string) error {
	_, err := a.visiblePost(ctx, a.store, s, key)
	return err
}

// DeleteOwnPost deletes one of the viewer's posts as the API does: the
// post is found whatever the session's PublicOnly says (its author may
// delete it knowing its GUID), but a limited post needs limitedAllowed
// (the token's private:modify), else ErrForbidden. Someone else's post is
// ErrForbidden when the session may see it, ErrNotFound otherwise.
func (a *Service) DeleteOwnPost(ctx context.Context, s *pod.Session, key string, limitedAllowed bool) error {
	if err := pod.RequireUser(s); err != nil {
		return err
	}
	full := pod.Viewer(s)
	full.PublicOnly = false
	p, err := a.store.VisiblePost(ctx, full, key)
	if err != nil {
		return pod.NotFoundAs(err, pod.ErrNotFound)
	}
	if p.AuthorID != s.PersonID {
		if !p.Public && s.PublicOnly {
			return pod.ErrNotFound
		}
		return pod.ErrForbidden
	}
	if !p.Public && !limitedAllowed {
		return pod.ErrForbidden
	}
	return a.deletePost(ctx, s, p)
}

// CommentOfPost finds a comment by GUID (or ID) under a post the viewer
// may see. An unknown post is ErrNotFound; a comment that does not exist
// or belongs to another post is ErrNoSuchComment.
func (a *Service) CommentOfPost(ctx context.Context, s *pod.Session, postKey, commentKey string) (*pod.CommentView, error) {
	p, err := a.visiblePost(ctx, a.store, s, postKey)
	if err != nil {
		return nil, err
	}
	c, err := a.commentOf(ctx, p, commentKey)
	if err != nil {
		return nil, err
	}
	return &pod.CommentView{ID: c.ID, GUID: c.GUID, Text: c.Text, CreatedAt: c.CreatedAt, LikesCount: c.LikesCount,
		Author:    pod.PersonView{ID: c.AuthorID},
		CanDelete: s != nil && (s.PersonID == c.AuthorID || s.PersonID == p.AuthorID)}, nil
}

// ErrNoSuchComment: the post is visible but has no comment with that
// GUID (diaspora*'s "Comment not found for the given post").
var ErrNoSuchComment = errors.New("comment not found for the given post")

func (a *Service) commentOf(ctx context.Context, p *models.Post, key string) (*models.Comment, error) {
	var c *models.Comment
	var err error
	if id, perr := strconv.ParseInt(key, 10, 64); perr == nil && len(key) < 16 {
		c, err = a.store.CommentByID(ctx, id)
	} else {
		c, err = a.store.CommentByGUID(ctx, key)
	}
	if err != nil {
		return nil, pod.NotFoundAs(err, ErrNoSuchComment)
	}
	if c.PostID != p.ID {
		return nil, ErrNoSuchComment
	}
	return c, nil
}

// APIComment is a comment as the API shows it: with the people it
// mentions and whether the viewer likes and reported it.
type APIComment struct {
	pod.CommentView
	Mentioned []pod.PersonView
	Reported  bool
}

// CommentsPage is a page of a visible post's comments: created before t
// newest first (desc), or after t oldest first; at most limit.
func (a *Service) CommentsPage(ctx context.Context, s *pod.Session, postKey string, t time.Time, desc bool, limit int) ([]APIComment, error) {
	p, err := a.visiblePost(ctx, a.store, s, postKey)
	if err != nil {
		return nil, err
	}
	v := pod.Viewer(s)
	rows, err := a.store.CommentsPage(ctx, v, p.ID, t, desc, limit)
	if err != nil {
		return nil, err
	}
	return a.apiComments(ctx, s, p, rows)
}

// apiComments adds mentions, likes and reports to comment rows: one
// statement for each, whatever the number of comments.
func (a *Service) apiComments(ctx context.Context, s *pod.Session, p *models.Post, rows []models.CommentRow) ([]APIComment, error) {
	v := pod.Viewer(s)
	ids := make([]int64, len(rows))
	var handles []string
	perComment := make([][]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
		for _, m := range pod.ExtractMentions(r.Text) {
			perComment[i] = append(perComment[i], m.DiasporaID)
			handles = append(handles, m.DiasporaID)
		}
	}
	known := map[string]models.PersonRow{}
	if len(handles) > 0 {
		var err error
		if known, err = a.store.PeopleByDiasporaIDs(ctx, handles); err != nil {
			return nil, err
		}
	}
	liked, err := a.store.LikedComments(ctx, v, ids)
	if err != nil {
		return nil, err
	}
	reported, err := a.store.ReportedComments(ctx, v.UserID, ids)
	if err != nil {
		return nil, err
	}
	out := make([]APIComment, len(rows))
	for i, r := range rows {
		c := APIComment{CommentView: pod.CommentViewOf(r, v, p.AuthorID), Mentioned: []pod.PersonView{}, Reported: reported[r.ID]}
		c.Liked = liked[r.ID]
		seen := map[string]bool{}
		for _, h := range perComment[i] {
			if pr, ok := known[h]; ok && !seen[h] {
				seen[h] = true
				c.Mentioned = append(c.Mentioned, pod.PersonViewOf(pr))
			}
		}
		out[i] = c
	}
	return out, nil
}

// APICommentOf is one comment of a visible post as the API shows it
// (the answer to a new comment).
func (a *Service) APICommentOf(ctx context.Context, s *pod.Session, postKey string, commentID int64) (*APIComment, error) {
	p, err := a.visiblePost(ctx, a.store, s, postKey)
	if err != nil {
		return nil, err
	}
	r, err := a.store.CommentRowOf(ctx, pod.Viewer(s), p.ID, commentID)
	if err != nil {
		return nil, pod.NotFoundAs(err, ErrNoSuchComment)
	}
	cs, err := a.apiComments(ctx, s, p, []models.CommentRow{*r})
	if err != nil {
		return nil, err
	}
	return &cs[0], nil
}

// LikesPage is a page of the likes of a visible post (commentKey "") or
// of one of its comments: the viewer's own first, then oldest first.
// more reports that another page follows.
func (a *Service) LikesPage(ctx context.Context, s *pod.Session, postKey, commentKey string, offset, limit int) (likes []pod.LikeView, more bool, err error) {
	p, err := a.visiblePost(ctx, a.store, s, postKey)
	if err != nil {
		return nil, false, err
	}
	if offset < 0 || limit < 1 {
		return []pod.LikeView{}, false, nil // a page number so large it overflowed
	}
	var cid int64
	if commentKey != "" {
		c, err := a.commentOf(ctx, p, commentKey)
		if err != nil {
			return nil, false, err
		}
		cid = c.ID
	}
	rows, err := a.store.LikesPage(ctx, pod.Viewer(s), p.ID, cid, offset, limit+1)
	if err != nil {
		return nil, false, err
	}
	if len(rows) > limit {
		rows, more = rows[:limit], true
	}
	likes = make([]pod.LikeView, len(rows))
	for i, r := range rows {
		lv := pod.LikeViewOf(r.LikeRow)
		lv.Author.Avatar = pod.AvatarOf(r.AuthorImage, r.AuthorImageMed, r.AuthorImageSmall)
		likes[i] = lv
	}
	return likes, more, nil
}

// ReshareView is one reshare of a post: its GUID, time and author.
type ReshareView struct {
	GUID      string
	CreatedAt time.Time
	Author    pod.PersonView
}

// ResharesPage is a page of the reshares of a visible post: the
// viewer's own first, then oldest first. more reports that another page
// follows.
func (a *Service) ResharesPage(ctx context.Context, s *pod.Session, postKey string, offset, limit int) (out []ReshareView, more bool, err error) {
	p, err := a.visiblePost(ctx, a.store, s, postKey)
	if err != nil {
		return nil, false, err
	}
	if offset < 0 || limit < 1 {
		return []ReshareView{}, false, nil // a page number so large it overflowed
	}
	rows, err := a.store.ResharesPage(ctx, pod.Viewer(s), p.ID, offset, limit+1)
	if err != nil {
		return nil, false, err
	}
	if len(rows) > limit {
		rows, more = rows[:limit], true
	}
	out = make([]ReshareView, len(rows))
	for i, r := range rows {
		out[i] = ReshareView{GUID: r.GUID, CreatedAt: r.CreatedAt, Author: pod.PersonViewOf(models.PersonRow{ID: r.AuthorID, GUID: r.AuthorGUID,
			DiasporaID: r.AuthorDiasporaID, FirstName: r.AuthorFirstName, LastName: r.AuthorLastName, ImageURL: r.AuthorImage,
			ImageMed: r.AuthorImageMed, ImageSmall: r.AuthorImageSmall, Closed: r.AuthorClosed})}
	}
	return out, more, nil
}

// Subscribe subscribes the viewer to a visible post (on) or unsubscribes
// them, as Participate, but strictly: subscribing twice is
// pod.AlreadyDone and unsubscribing without a subscription
// pod.NothingToUndo (the API's 409 and 410).
func (a *Service) Subscribe(ctx context.Context, s *pod.Session, postKey string, on bool) error {
	if err := pod.RequireUser(s); err != nil {
		return err
	}
	p, err := a.visiblePost(ctx, a.store, s, postKey)
	if err != nil {
		return err
	}
	subscribed, err := a.store.Participates(ctx, p.ID, s.PersonID)
	switch {
	case err != nil:
		return err
	case on && subscribed:
		return pod.AlreadyDone("you are subscribed to this post already")
	case !on && !subscribed:
		return pod.NothingToUndo("you are not subscribed to this post")
	}
	return a.participate(ctx, s, p, on)
}

// SetHidden hides a visible post from the viewer's streams (hide) or
// shows it again, as HidePost, but strictly: hiding a hidden post is
// pod.AlreadyDone and showing a shown one pod.NothingToUndo.
func (a *Service) SetHidden(ctx context.Context, s *pod.Session, key string, hide bool) error {
	if err := pod.RequireUser(s); err != nil {
		return err
	}
	row, err := a.store.PostForPage(ctx, pod.Viewer(s), key)
	if err != nil {
		return pod.NotFoundAs(err, pod.ErrNotFound)
	}
	switch {
	case hide && row.Hidden:
		return pod.AlreadyDone("the post is hidden already")
	case !hide && !row.Hidden:
		return pod.NothingToUndo("the post is not hidden")
	case hide:
		return a.store.HidePost(ctx, s.UserID, row.ID)
	}
	return a.store.UnhidePost(ctx, s.UserID, s.PersonID, row.ID)
}

// participate subscribes (on) or unsubscribes the viewer; a subscription
// to a remote author's post is federated.
func (a *Service) participate(ctx context.Context, s *pod.Session, p *models.Post, on bool) error {
	if on {
		return a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
			if err := tx.AddParticipation(ctx, p.ID, s.PersonID); err != nil {
				return err
			}
			if author, err := tx.PersonByID(ctx, p.AuthorID); err == nil && !author.Local() {
				out.Add(&tasks.Participated{UserID: s.UserID, PostID: p.ID})
			}
			return nil
		})
	}
	return a.store.RemoveParticipation(ctx, p.ID, s.PersonID)
}
