package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/moderation"
	"github.com/aspenpod/aspen/pod/oidcp"
	"github.com/aspenpod/aspen/pod/polls"
	"github.com/aspenpod/aspen/pod/posts"
)

// diaspora*'s API v1 for posts and what hangs under them (issue 16):
// app/controllers/api/v1/{posts,comments,likes,reshares,
// post_interactions}_controller.rb. Every post goes through the web's
// use cases, so the visibility rule, the outbox and federation are the
// web's: a token without private:read acts with a PublicOnly session, to
// which limited posts do not exist (404, where diaspora* sometimes says
// 422: that would tell the app a limited post exists).
//
// Where this differs from diaspora*, and why: an unknown post is 404 for
// a reshare too (diaspora* says 422 there, its documentation 404); a
// limited post is 404 for every endpoint of a token without private:read
// (diaspora*'s likes answer 422, and its reshares list and post deletion
// tell such a token that the post exists); 422 messages say what was
// wrong after diaspora*'s words ("Failed to create the post: ...").

// Scope names of the post endpoints.
const (
	scopePublicModify  = "public:modify"
	scopePrivateModify = "private:modify"
	scopeInteractions  = "interactions"
)

// diaspora*'s error messages of these controllers.
const (
	msgPostNotFound    = "Post with provided guid could not be found"
	msgCommentNotFound = "Comment not found for the given post"
)

// apiPostRoutes registers diaspora*'s API v1 routes for posts and their comments, likes, reshares and interactions.
func (s *Server) apiPostRoutes(api *gin.RouterGroup) {
	read := s.requireScopes(oidcp.ScopePublicRead)
	interact := s.requireScopes(oidcp.ScopePublicRead, scopeInteractions)
	modify := s.requireScopes(scopePublicModify)

	api.GET("/posts/:id", read, s.apiShowPost)
	api.POST("/posts", modify, s.apiCreatePost)
	api.DELETE("/posts/:id", modify, s.apiDeletePost)

	api.GET("/posts/:id/comments", read, s.apiComments)
	api.POST("/posts/:id/comments", interact, s.apiCreateComment)
	api.DELETE("/posts/:id/comments/:cid", interact, s.apiDeleteComment)
	api.POST("/posts/:id/comments/:cid/report", interact, s.apiReportComment)

	api.GET("/posts/:id/likes", read, s.apiLikes)
	api.POST("/posts/:id/likes", interact, s.apiLike)
	api.DELETE("/posts/:id/likes", interact, s.apiLike)
	api.GET("/posts/:id/comments/:cid/likes", read, s.apiLikes)
	api.POST("/posts/:id/comments/:cid/likes", interact, s.apiLike)
	api.DELETE("/posts/:id/comments/:cid/likes", interact, s.apiLike)

	api.GET("/posts/:id/reshares", read, s.apiReshares)
	api.POST("/posts/:id/reshares", modify, s.apiReshare)

	api.POST("/posts/:id/subscribe", interact, s.apiSubscribe)
	api.POST("/posts/:id/mute", interact, s.apiSubscribe)
	api.POST("/posts/:id/hide", interact, s.apiHide)
	api.POST("/posts/:id/report", interact, s.apiReportPost)
	api.POST("/posts/:id/vote", interact, s.apiVote)
}

// apiPostFail answers a post endpoint's error with diaspora*'s messages:
// an unknown or invisible post, a comment not under the post, an author
// who ignores the user (422 notAllowed, as diaspora*'s RecordInvalid);
// anything else as apiFail.
func (s *Server) apiPostFail(c *gin.Context, err error, notAllowed string) {
	switch {
	case errors.Is(err, posts.ErrNoSuchComment):
		apiError(c, http.StatusNotFound, msgCommentNotFound)
	case pod.IsNotFound(err):
		apiError(c, http.StatusNotFound, msgPostNotFound)
	case errors.Is(err, posts.ErrIgnored) && notAllowed != "":
		apiError(c, http.StatusUnprocessableEntity, notAllowed)
	default:
		s.apiFail(c, err)
	}
}

// apiPostFull is diaspora*'s post object with the user's whole
// own_interaction_state: apiPost (api.go) takes subscribed from the
// stream's guess (own, liked or reshared) and reported as false; here
// both come from the store. Open Graph and oEmbed data are left out:
// this pod does not fetch them (diaspora* leaves them out when it has
// none).
func (s *Server) apiPostFull(p pod.PostView, st posts.PostState) gin.H {
	out := s.apiPost(p)
	out["own_interaction_state"] = gin.H{"liked": p.Liked, "reshared": p.Reshared, "subscribed": st.Subscribed, "reported": st.Reported}
	return out
}

// apiShowPost is GET /api/v1/posts/:id (public:read; a limited post needs
// private:read and must be visible to the user).
func (s *Server) apiShowPost(c *gin.Context) {
	pv, st, err := s.app.Posts.PostWithState(c.Request.Context(), apiSession(c), c.Param("id"))
	if err != nil {
		s.apiPostFail(c, err, "")
		return
	}
	c.JSON(http.StatusOK, s.apiPostFull(*pv, st))
}

// optFlag is a yes/no parameter that may be missing (Set false).
type optFlag struct {
	Set, Value bool
}

func (p *optFlag) list() bool    { return false }
func (p *optFlag) wants() string { return "must be true or false" }
func (p *optFlag) fromForm(vals []string) error {
	p.Set, p.Value = true, truthy(vals[0])
	return nil
}

// UnmarshalJSON reads a boolean or a string; null is missing.
func (p *optFlag) UnmarshalJSON(b []byte) error {
	var f flagParam
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	if err := f.UnmarshalJSON(b); err != nil {
		return typeError(b, optFlag{})
	}
	p.Set, p.Value = true, bool(f)
	return nil
}

// numText is a number given as a JSON number or as text.
type numText string

func (p *numText) list() bool    { return false }
func (p *numText) wants() string { return "must be a number" }
func (p *numText) fromForm(vals []string) error {
	*p = numText(vals[0])
	return nil
}

// UnmarshalJSON reads a number or a string.
func (p *numText) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
	case string:
		*p = numText(x)
	case float64:
		*p = numText(bytes.TrimSpace(b))
	default:
		return typeError(b, numText(""))
	}
	return nil
}

// apiPostParams is diaspora*'s POST /api/v1/posts body.
type apiPostParams struct {
	Body    string          `json:"body"`
	Public  optFlag         `json:"public"`
	Aspects audienceParam   `json:"aspects"`
	Photos  stringListParam `json:"photos"`
	Poll    struct {
		Question    string          `json:"question"`
		PollAnswers stringListParam `json:"poll_answers"`
	} `json:"poll"`
	Location struct {
		Address string  `json:"address"`
		Lat     numText `json:"lat"`
		Lng     numText `json:"lng"`
	} `json:"location"`
}

// msgCreateFailed is diaspora*'s message for any post it cannot create.
const msgCreateFailed = "Failed to create the post"

// apiCreatePost is POST /api/v1/posts (public:modify; a limited post also
// needs private:modify): body, public (required), aspects (IDs, for a
// limited post), photos (GUIDs of the user's pending photos), poll
// {question, poll_answers} and location {address, lat, lng}. It answers
// 200 and the post as GET shows it; bad input is 422 and creates nothing.
func (s *Server) apiCreatePost(c *gin.Context) {
	var p apiPostParams
	if err := bind(c, &p); err != nil {
		apiError(c, http.StatusUnprocessableEntity, msgCreateFailed+": "+err.Error())
		return
	}
	fail := func(msg string) { apiError(c, http.StatusUnprocessableEntity, msgCreateFailed+": "+msg) }
	if !p.Public.Set {
		fail("public is required")
		return
	}
	sess := apiSession(c)
	var sel aspects.Selection
	if p.Public.Value {
		sel.Public = true
	} else {
		if !apiGrant(c).Has(scopePrivateModify) {
			fail("a limited post needs the private:modify scope")
			return
		}
		for _, v := range p.Aspects {
			id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				fail("aspects must be a list of aspect IDs")
				return
			}
			sel.Aspects = append(sel.Aspects, id)
		}
		// The author reads their own limited post even when the token
		// lacks private:read: it was made to write it.
		full := *sess
		full.PublicOnly = false
		sess = &full
	}
	if p.Poll.Question != "" || len(p.Poll.PollAnswers) > 0 {
		if strings.TrimSpace(p.Poll.Question) == "" {
			fail("the poll needs a question")
			return
		}
		if len(p.Poll.PollAnswers) == 0 {
			fail("the poll needs answers")
			return
		}
		for _, a := range p.Poll.PollAnswers {
			if strings.TrimSpace(a) == "" {
				fail("a poll answer is blank")
				return
			}
		}
	}
	ctx := c.Request.Context()
	in := posts.PostInput{Text: p.Body, Audience: sel,
		Poll:     polls.Input{Question: p.Poll.Question, Answers: p.Poll.PollAnswers},
		Location: posts.LocationInput{Address: p.Location.Address, Lat: string(p.Location.Lat), Lng: string(p.Location.Lng)}}
	if len(p.Photos) > 0 {
		pending, err := s.app.Photos.Pending(ctx, sess)
		if err != nil {
			s.apiFail(c, err)
			return
		}
		ids := make(map[string]int64, len(pending))
		for _, ph := range pending {
			ids[ph.GUID] = ph.ID
		}
		for _, guid := range p.Photos {
			id, ok := ids[guid]
			if !ok {
				fail("photos must be GUIDs of your photos waiting for a post")
				return
			}
			in.Photos = append(in.Photos, id)
		}
	}
	post, err := s.app.Posts.CreatePost(ctx, sess, in)
	var inv *pod.InvalidError
	if errors.As(err, &inv) {
		fail(inv.Error())
		return
	}
	if err == nil {
		err = s.app.Posts.FillMentions(ctx, []*pod.PostView{post})
	}
	if err != nil {
		s.apiFail(c, err)
		return
	}
	c.JSON(http.StatusOK, s.apiPostFull(*post, posts.PostState{Subscribed: post.Participation}))
}

// apiDeletePost is DELETE /api/v1/posts/:id (public:modify; a limited
// post needs private:modify): 204. Someone else's post is 403, as on
// diaspora*, when the token may see it; 404 otherwise.
func (s *Server) apiDeletePost(c *gin.Context) {
	err := s.app.Posts.DeleteOwnPost(c.Request.Context(), apiSession(c), c.Param("id"), apiGrant(c).Has(scopePrivateModify))
	switch {
	case errors.Is(err, pod.ErrForbidden):
		apiError(c, http.StatusForbidden, "Not allowed to delete the post")
	case err != nil:
		s.apiPostFail(c, err, "")
	default:
		c.Status(http.StatusNoContent)
	}
}

// apiComment is diaspora*'s CommentPresenter#as_api_response.
func (s *Server) apiComment(cm posts.APIComment) gin.H {
	mentioned := make([]gin.H, 0, len(cm.Mentioned))
	for _, m := range cm.Mentioned {
		mentioned = append(mentioned, s.apiPerson(m))
	}
	return gin.H{"guid": cm.GUID, "body": cm.Text, "author": s.apiPerson(cm.Author), "created_at": apiTime(cm.CreatedAt),
		"mentioned_people": mentioned, "reported": cm.Reported,
		"interactions": gin.H{"liked": cm.Liked, "likes_count": cm.LikesCount}}
}

// apiComments is GET /api/v1/posts/:id/comments (public:read; a limited
// post needs private:read): time-paged, oldest first unless before= is
// given (diaspora*: after 1900 by default).
func (s *Server) apiComments(c *gin.Context) {
	page, ok := apiTimePager(c)
	if !ok {
		return
	}
	if c.Query("before") == "" && c.Query("after") == "" {
		page.Time, page.Descending = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), false
	}
	cs, err := s.app.Posts.CommentsPage(c.Request.Context(), apiSession(c), c.Param("id"), page.Time, page.Descending, page.PerPage)
	if err != nil {
		s.apiPostFail(c, err, "")
		return
	}
	out := make([]gin.H, len(cs))
	times := make([]time.Time, len(cs))
	for i, cm := range cs {
		out[i], times[i] = s.apiComment(cm), cm.CreatedAt
	}
	s.apiTimeLinks(c, page, times, true)
	c.JSON(http.StatusOK, out)
}

// apiCreateComment is POST /api/v1/posts/:id/comments {body}
// (interactions): 201 and the comment.
func (s *Server) apiCreateComment(c *gin.Context) {
	var p struct {
		Body string `json:"body"`
	}
	if err := bind(c, &p); err != nil {
		s.apiFail(c, err)
		return
	}
	ctx, sess := c.Request.Context(), apiSession(c)
	// The post first: an invisible post is a 404 whatever the body.
	if err := s.app.Posts.CheckVisible(ctx, sess, c.Param("id")); err != nil {
		s.apiPostFail(c, err, "")
		return
	}
	cv, err := s.app.Posts.Comment(ctx, sess, c.Param("id"), p.Body)
	if err != nil {
		s.apiPostFail(c, err, "User is not allowed to comment")
		return
	}
	cm, err := s.app.Posts.APICommentOf(ctx, sess, c.Param("id"), cv.ID)
	if err != nil {
		s.apiPostFail(c, err, "")
		return
	}
	c.JSON(http.StatusCreated, s.apiComment(*cm))
}

// apiDeleteComment is DELETE /api/v1/posts/:id/comments/:cid
// (interactions): the user's comment or a comment on the user's post.
func (s *Server) apiDeleteComment(c *gin.Context) {
	ctx, sess := c.Request.Context(), apiSession(c)
	cm, err := s.app.Posts.CommentOfPost(ctx, sess, c.Param("id"), c.Param("cid"))
	if err != nil {
		s.apiPostFail(c, err, "")
		return
	}
	if !cm.CanDelete {
		apiError(c, http.StatusForbidden, "User not allowed to delete the comment")
		return
	}
	if err := s.app.Posts.DeleteComment(ctx, sess, cm.ID); err != nil {
		s.apiPostFail(c, err, "")
		return
	}
	c.Status(http.StatusNoContent)
}

// apiReportComment is POST /api/v1/posts/:id/comments/:cid/report {reason}
// (interactions): 204; a second report is 409.
func (s *Server) apiReportComment(c *gin.Context) {
	var p struct {
		Reason string `json:"reason"`
	}
	if err := bind(c, &p); err != nil {
		s.apiFail(c, err)
		return
	}
	ctx, sess := c.Request.Context(), apiSession(c)
	cm, err := s.app.Posts.CommentOfPost(ctx, sess, c.Param("id"), c.Param("cid"))
	if err != nil {
		s.apiPostFail(c, err, "")
		return
	}
	err = s.app.Moderation.Report(ctx, sess, moderation.ReportInput{ItemType: moderation.ItemComment, ItemID: strconv.FormatInt(cm.ID, 10), Reason: p.Reason})
	var state *pod.StateError
	switch {
	case errors.As(err, &state):
		apiError(c, http.StatusConflict, "This item already has been reported by this user")
	case err != nil:
		s.apiPostFail(c, err, "")
	default:
		c.Status(http.StatusNoContent)
	}
}

// apiLikes is GET /api/v1/posts/:id/likes and
// /api/v1/posts/:id/comments/:cid/likes (public:read; a limited post
// needs private:read): index-paged, the user's own like first.
func (s *Server) apiLikes(c *gin.Context) {
	page, ok := apiIndexPager(c)
	if !ok {
		return
	}
	likes, more, err := s.app.Posts.LikesPage(c.Request.Context(), apiSession(c), c.Param("id"), c.Param("cid"), page.Offset(), page.PerPage)
	if err != nil {
		s.apiPostFail(c, err, "")
		return
	}
	out := make([]gin.H, len(likes))
	for i, l := range likes {
		out[i] = gin.H{"guid": l.GUID, "author": s.apiPerson(l.Author)}
	}
	s.apiIndexLinks(c, page, more)
	c.JSON(http.StatusOK, out)
}

// apiLike is POST and DELETE /api/v1/posts/:id/likes and
// /api/v1/posts/:id/comments/:cid/likes (interactions): 204; liking twice
// is 409, unliking what is not liked 410.
func (s *Server) apiLike(c *gin.Context) {
	ctx, sess, key := c.Request.Context(), apiSession(c), c.Param("id")
	var cid int64
	if c.Param("cid") != "" {
		cm, err := s.app.Posts.CommentOfPost(ctx, sess, key, c.Param("cid"))
		if err != nil {
			s.apiPostFail(c, err, "")
			return
		}
		cid = cm.ID
	}
	var err error
	if c.Request.Method == http.MethodDelete {
		err = s.app.Posts.Unlike(ctx, sess, key, cid)
	} else {
		_, err = s.app.Posts.Like(ctx, sess, key, cid)
	}
	var state *pod.StateError
	switch {
	case errors.As(err, &state) && state.Gone:
		apiError(c, http.StatusGone, "Like doesn’t exist")
	case errors.As(err, &state):
		apiError(c, http.StatusConflict, "Like already exists")
	case err != nil:
		s.apiPostFail(c, err, "User is not allowed to like")
	default:
		c.Status(http.StatusNoContent)
	}
}

// apiReshares is GET /api/v1/posts/:id/reshares (public:read):
// index-paged [{guid, created_at, author}], the user's own first.
func (s *Server) apiReshares(c *gin.Context) {
	page, ok := apiIndexPager(c)
	if !ok {
		return
	}
	rs, more, err := s.app.Posts.ResharesPage(c.Request.Context(), apiSession(c), c.Param("id"), page.Offset(), page.PerPage)
	if err != nil {
		s.apiPostFail(c, err, "")
		return
	}
	out := make([]gin.H, len(rs))
	for i, r := range rs {
		out[i] = gin.H{"guid": r.GUID, "created_at": apiTime(r.CreatedAt), "author": s.apiPerson(r.Author)}
	}
	s.apiIndexLinks(c, page, more)
	c.JSON(http.StatusOK, out)
}

// apiReshare is POST /api/v1/posts/:id/reshares (public:modify): 200 and
// the reshare as a post. Only public posts can be reshared, so the use
// case runs with a PublicOnly session: a limited post is a 404 (as on
// diaspora*); the user's own post is 422, a second reshare 409.
func (s *Server) apiReshare(c *gin.Context) {
	pub := *apiSession(c)
	pub.PublicOnly = true
	post, err := s.app.Posts.Reshare(c.Request.Context(), &pub, c.Param("id"))
	var state *pod.StateError
	var inv *pod.InvalidError
	switch {
	case errors.As(err, &state):
		apiError(c, http.StatusConflict, "Reshare already exists")
	case errors.As(err, &inv):
		apiError(c, http.StatusUnprocessableEntity, "Failed to reshare: "+inv.Error())
	case err != nil:
		s.apiPostFail(c, err, "")
	default:
		c.JSON(http.StatusOK, s.apiPostFull(*post, posts.PostState{Subscribed: true}))
	}
}

// apiSubscribe is POST /api/v1/posts/:id/subscribe and /mute
// (interactions): 204; subscribing twice is 409, muting a post one is
// not subscribed to 410.
func (s *Server) apiSubscribe(c *gin.Context) {
	on := strings.HasSuffix(c.FullPath(), "/subscribe")
	if err := s.app.Posts.Subscribe(c.Request.Context(), apiSession(c), c.Param("id"), on); err != nil {
		s.apiPostFail(c, err, "")
		return
	}
	c.Status(http.StatusNoContent)
}

// apiHide is POST /api/v1/posts/:id/hide {hide} (interactions): 204;
// hiding a hidden post is 409, showing a shown one 410.
func (s *Server) apiHide(c *gin.Context) {
	var p struct {
		Hide optFlag `json:"hide"`
	}
	if err := bind(c, &p); err != nil {
		s.apiFail(c, err)
		return
	}
	if !p.Hide.Set {
		apiError(c, http.StatusUnprocessableEntity, "Missing parameter")
		return
	}
	err := s.app.Posts.SetHidden(c.Request.Context(), apiSession(c), c.Param("id"), p.Hide.Value)
	var state *pod.StateError
	switch {
	case errors.As(err, &state) && state.Gone:
		apiError(c, http.StatusGone, "Post not hidden")
	case errors.As(err, &state):
		apiError(c, http.StatusConflict, "Post already hidden")
	case err != nil:
		s.apiPostFail(c, err, "")
	default:
		c.Status(http.StatusNoContent)
	}
}

// apiReportPost is POST /api/v1/posts/:id/report {reason} (interactions):
// 204; a second report is 409, a missing reason 422.
func (s *Server) apiReportPost(c *gin.Context) {
	var p struct {
		Reason string `json:"reason"`
	}
	if err := bind(c, &p); err != nil {
		s.apiFail(c, err)
		return
	}
	ctx, sess := c.Request.Context(), apiSession(c)
	if err := s.app.Posts.CheckVisible(ctx, sess, c.Param("id")); err != nil {
		s.apiPostFail(c, err, "")
		return
	}
	err := s.app.Moderation.Report(ctx, sess, moderation.ReportInput{ItemType: moderation.ItemPost, ItemID: c.Param("id"), Reason: p.Reason})
	var state *pod.StateError
	var inv *pod.InvalidError
	switch {
	case errors.As(err, &state):
		apiError(c, http.StatusConflict, "Failed to create report on this post")
	case errors.As(err, &inv):
		apiError(c, http.StatusUnprocessableEntity, "Failed to create report on this post: "+inv.Error())
	case err != nil:
		s.apiPostFail(c, err, "")
	default:
		c.Status(http.StatusNoContent)
	}
}

// apiVote is POST /api/v1/posts/:id/vote {poll_answer} (interactions;
// poll_answer_id is read too): 204. A second vote, an answer of another
// poll or a post without a poll is 422, as on diaspora*.
func (s *Server) apiVote(c *gin.Context) {
	var p struct {
		PollAnswer   idParam `json:"poll_answer"`
		PollAnswerID idParam `json:"poll_answer_id"`
	}
	if err := bind(c, &p); err != nil {
		apiError(c, http.StatusUnprocessableEntity, "Cant vote on this post: "+err.Error())
		return
	}
	answer := int64(p.PollAnswer)
	if answer == 0 {
		answer = int64(p.PollAnswerID)
	}
	ctx, sess, key := c.Request.Context(), apiSession(c), c.Param("id")
	if err := s.app.Posts.CheckVisible(ctx, sess, key); err != nil {
		s.apiPostFail(c, err, "")
		return
	}
	_, err := s.app.Polls.Vote(ctx, sess, key, answer)
	var inv *pod.InvalidError
	switch {
	case errors.As(err, &inv):
		apiError(c, http.StatusUnprocessableEntity, "Cant vote on this post: "+inv.Error())
	case pod.IsNotFound(err):
		// The post is visible (checked above): it has no poll.
		apiError(c, http.StatusUnprocessableEntity, "Cant vote on this post: it has no poll")
	case err != nil:
		s.apiFail(c, err)
	default:
		c.Status(http.StatusNoContent)
	}
}
