package web

import "github.com/aspenpod/aspen/pod"

// commentLike is what the "comment_like" partial gets: one comment on the
// post page, with what its Like/Unlike form needs.
type commentLike struct {
	PostGUID string
	Comment  pod.CommentView
	SignedIn bool
	CSRF     string
}

// commentLikeCtx gives the "comment_like" partial (templates/layouts/
// publisher_search.html) what one comment's Like/Unlike form needs; the
// form posts to the comment likes routes, which likePost serves.
func commentLikeCtx(postGUID string, b BasePage, c pod.CommentView) commentLike {
	return commentLike{PostGUID: postGUID, Comment: c, SignedIn: b.User != nil, CSRF: b.CSRFToken}
}
