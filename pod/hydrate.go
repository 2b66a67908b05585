package pod

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/aspenpod/aspen/models"
)

// EncodeCursor makes a page cursor.
func EncodeCursor(c models.Cursor) string {
	return strconv.FormatInt(c.Time.UnixMicro(), 10) + "_" + strconv.FormatInt(c.ID, 10)
}

// DecodeCursor reads a page cursor.
func DecodeCursor(s string) (models.Cursor, error) {
	us, id, ok := strings.Cut(s, "_")
	t, err1 := strconv.ParseInt(us, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil || n < 0 {
		return models.Cursor{}, &InvalidError{Message: "the page cursor is not valid"}
	}
	return models.Cursor{Time: time.UnixMicro(t).UTC(), ID: n}, nil
}

// Hydrate turns page rows into views with the last three comments and the
// viewer's likes and reshares (two statements for the whole page), and
// the photos, polls, locations and events of the posts that have them
// (one statement per kind that some post of the page has).
func (a *Core) Hydrate(ctx context.Context, v models.Viewer, rows []models.PostRow) ([]PostView, error) {
	out := make([]PostView, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	comments, err := a.store.LastComments(ctx, v, ids, 3)
	if err != nil {
		return nil, err
	}
	likes, reshared, err := a.store.ViewerLikes(ctx, v, ids)
	if err != nil {
		return nil, err
	}
	for i, r := range rows {
		out[i] = viewOf(r, v, comments[r.ID], likes[r.ID], reshared[r.ID])
	}
	if err := a.attachExtras(ctx, v, rows, out); err != nil {
		return nil, err
	}
	if err := a.hydratePhotos(ctx, rows, out); err != nil {
		return nil, err
	}
	return out, nil
}

// HydratePage turns a post page's row into its view, as Hydrate does for a
// stream but without its two statements: the viewer's like and reshare
// come with the row, and the last three of the post's comments (all of
// them, oldest first, as its page loads them) are shown under it.
func (a *Core) HydratePage(ctx context.Context, v models.Viewer, row *models.PostPageRow, comments []models.CommentRow) (PostView, error) {
	var like int64
	if row.MyLikeID != nil {
		like = *row.MyLikeID
	}
	if len(comments) > 3 {
		comments = comments[len(comments)-3:]
	}
	rows := []models.PostRow{row.PostRow}
	out := []PostView{viewOf(row.PostRow, v, comments, like, row.Reshared)}
	if err := a.attachExtras(ctx, v, rows, out); err != nil {
		return PostView{}, err
	}
	if err := a.hydratePhotos(ctx, rows, out); err != nil {
		return PostView{}, err
	}
	return out[0], nil
}

// viewOf is one post's view with its last comments and the viewer's like
// (likeID, 0 for none) and reshare.
func viewOf(r models.PostRow, v models.Viewer, comments []models.CommentRow, likeID int64, reshared bool) PostView {
	pv := PostViewOf(r, v)
	for _, c := range comments {
		pv.Interactions.Comments = append(pv.Interactions.Comments, CommentViewOf(c, v, r.AuthorID))
	}
	if likeID != 0 {
		pv.Liked, pv.MyLikeID = true, likeID
		pv.Interactions.Likes = append(pv.Interactions.Likes, LikeView{ID: likeID, Author: PersonView{ID: v.PersonID}})
	}
	pv.Reshared = reshared
	pv.Participation = pv.Own || pv.Liked || pv.Reshared
	return pv
}
