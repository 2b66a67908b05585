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
		pv := PostViewOf(r, v)
		for _, c := range comments[r.ID] {
			pv.Interactions.Comments = append(pv.Interactions.Comments, CommentViewOf(c, v, r.AuthorID))
		}
		if id, ok := likes[r.ID]; ok {
			pv.Liked, pv.MyLikeID = true, id
			pv.Interactions.Likes = append(pv.Interactions.Likes, LikeView{ID: id, Author: PersonView{ID: v.PersonID}})
		}
		pv.Reshared = reshared[r.ID]
		pv.Participation = pv.Own || pv.Liked || pv.Reshared
		out[i] = pv
	}
	if err := a.attachExtras(ctx, v, rows, out); err != nil {
		return nil, err
	}
	if err := a.hydratePhotos(ctx, rows, out); err != nil {
		return nil, err
	}
	return out, nil
}
