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

// The post page's comments get a like button (templates/layouts/
// publisher_search.html); the form posts to the comment likes routes,
// which likePost serves.
func init() {
	funcs["commentLikeCtx"] = func(postGUID string, b BasePage, c pod.CommentView) commentLike {
		return commentLike{PostGUID: postGUID, Comment: c, SignedIn: b.User != nil, CSRF: b.CSRFToken}
	}
}
