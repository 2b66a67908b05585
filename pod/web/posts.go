package web

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/posts"
	"github.com/aspenpod/aspen/pod/streams"
)

// done ends a successful write: 204 for scripts, or a flash message and a
// redirect to a fixed page for browser forms.
func (s *Server) done(c *gin.Context, notice, to string) {
	s.finish(c, notice, func() { c.Redirect(http.StatusSeeOther, to) })
}

// doneBack is done that sends forms back to the page they came from.
func (s *Server) doneBack(c *gin.Context, notice, fallback string) {
	s.finish(c, notice, func() { back(c, fallback) })
}

func (s *Server) finish(c *gin.Context, notice string, redirect func()) {
	if wantsJSON(c) {
		c.Status(http.StatusNoContent)
		return
	}
	if notice != "" {
		s.flash(c, "notice", notice)
	}
	redirect()
}

// withID runs fn with a numeric :id route parameter, or answers 404.
func (s *Server) withID(c *gin.Context, fn func(id int64) error) bool {
	id, ok := pathID(c, "id")
	if !ok {
		s.fail(c, pod.ErrNotFound)
		return false
	}
	if err := fn(id); err != nil {
		s.fail(c, err)
		return false
	}
	return true
}

func postKey(c *gin.Context) string { return strings.TrimSuffix(c.Param("id"), ".json") }

// postParams is the publisher's form, or diaspora*'s JSON
// {"status_message": {"text": …}, "aspect_ids": "public" | [ids]}.
type postParams struct {
	StatusMessage struct {
		Text                string `json:"text"`
		ProviderDisplayName string `json:"provider_display_name"`
	} `json:"status_message"`
	Text      string        `json:"text"`
	AspectIDs audienceParam `json:"aspect_ids"`
	Preview   flagParam     `json:"preview"`
	photoParams
	extrasParams
}

func (s *Server) createPost(c *gin.Context) {
	var p postParams
	if err := bind(c, &p); err != nil {
		s.fail(c, err)
		return
	}
	text := p.StatusMessage.Text
	if text == "" {
		text = p.Text
	}
	ids := []string(p.AspectIDs)
	sel, selErr := audience(ids)
	ctx := c.Request.Context()
	sess := session(c)
	photoIDs, photosDone, err := s.publisherPhotos(c, &p.photoParams)
	in := posts.PostInput{Text: text, Audience: sel, ProviderDisplayName: p.StatusMessage.ProviderDisplayName, Photos: photoIDs}
	poll, loc, extrasErr := p.input()
	in.Poll, in.Location = poll, loc
	preview := bool(p.Preview) || photosDone

	var post *pod.PostView
	var pv []pod.PersonView
	switch {
	case err != nil:
	case selErr != nil:
		err = selErr
	case extrasErr != nil:
		err = extrasErr
	case photosDone: // only uploaded or removed photos: show the form again
	case preview:
		pv, err = s.app.Posts.AudiencePreview(ctx, sess, sel)
	default:
		post, err = s.app.Posts.CreatePost(ctx, sess, in)
	}
	if wantsJSON(c) {
		if err != nil {
			s.fail(c, err)
			return
		}
		if preview {
			c.JSON(http.StatusOK, gin.H{"public": sel.Public, "people": pv})
			return
		}
		c.JSON(http.StatusCreated, post)
		return
	}
	var inv *pod.InvalidError
	if err != nil && !errors.As(err, &inv) {
		s.fail(c, err)
		return
	}
	if err == nil && !preview {
		s.flash(c, "notice", "Your post was shared.")
		c.Redirect(http.StatusSeeOther, "/posts/"+post.GUID)
		return
	}
	// Show the stream again with the publisher filled in: the audience
	// preview, or the form's errors.
	pub := &publisherView{Text: text, Sel: map[string]bool{}, PreviewShown: preview && !photosDone && err == nil, Public: sel.Public, Preview: pv,
		publisherExtras: extrasView(p.extrasParams)}
	pub.PhotoSel = map[int64]bool{}
	for _, id := range photoIDs {
		pub.PhotoSel[id] = true
	}
	for _, v := range ids {
		pub.Sel[v] = true
	}
	if inv != nil {
		// A copy: an error may carry only a Message, and its Fields
		// belong to the use case.
		pub.Errors = maps.Clone(inv.Fields)
		if pub.Errors == nil {
			pub.Errors = map[string]string{}
		}
		if inv.Message != "" {
			pub.Errors["text"] = inv.Message
		}
	}
	s.showStream(c, streams.StreamQuery{Kind: streams.StreamMain}, streamDefs["/stream"], pub)
}

func (s *Server) showPost(c *gin.Context) {
	if wantsJSON(c) {
		// From the page cache when nothing the page shows has changed.
		sess := session(c)
		js, err := s.app.Posts.PostAs(c.Request.Context(), sess, postKey(c), posts.PostFormat{Name: "web", Encode: func(page *posts.PostPage) ([]byte, error) {
			return json.Marshal(postJSONOf(sess, page))
		}})
		if err != nil {
			s.fail(c, err)
			return
		}
		c.Header("X-Cache", cacheStatus(js.Cached))
		c.Data(http.StatusOK, "application/json; charset=utf-8", js.Body)
		return
	}
	page, err := s.app.Posts.Post(c.Request.Context(), session(c), postKey(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	// The raw delivery errors are for admins; the author reads Message.
	page.Deliveries = posts.DeliveriesFor(session(c), page.Deliveries)
	s.render(c, http.StatusOK, "post", postPage{Base: s.base(c), PostPage: *page})
}

// postJSON is a post's JSON; its author also gets how its delivery to
// other pods went (absent for everyone else).
type postJSON struct {
	pod.PostView
	Deliveries *[]posts.DeliveryStatus `json:"deliveries,omitempty"`
}

// postJSONOf is page's JSON as sess sees it: the raw delivery errors are
// for admins, the author reads their messages.
func postJSONOf(sess *pod.Session, page *posts.PostPage) postJSON {
	js := postJSON{PostView: page.Post}
	if page.Post.Own {
		d := posts.DeliveriesFor(sess, page.Deliveries)
		if d == nil {
			d = []posts.DeliveryStatus{}
		}
		js.Deliveries = &d
	}
	return js
}

func (s *Server) deletePost(c *gin.Context) {
	if err := s.app.Posts.DeletePost(c.Request.Context(), session(c), postKey(c)); err != nil {
		s.fail(c, err)
		return
	}
	to := "/stream"
	// Back to the stream the post was deleted from, but not to the
	// deleted post's own page.
	if p, ok := safeRedirectPath(c.PostForm("return_to")); ok && !strings.HasPrefix(p, "/posts/") && !strings.HasPrefix(p, "/p/") {
		to = p
	}
	s.done(c, "Your post was deleted.", to)
}

func (s *Server) comments(c *gin.Context) {
	cs, err := s.app.Posts.Comments(c.Request.Context(), session(c), postKey(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	if !wantsJSON(c) {
		c.Redirect(http.StatusFound, "/posts/"+postKey(c)+"#comments")
		return
	}
	c.JSON(http.StatusOK, cs)
}

// commentParams is a new comment: "text" or "comment[text]".
type commentParams struct {
	Text    string `json:"text"`
	Comment struct {
		Text string `json:"text"`
	} `json:"comment"`
}

func (s *Server) createComment(c *gin.Context) {
	var p commentParams
	if err := bind(c, &p); err != nil {
		s.fail(c, err)
		return
	}
	text := p.Text
	if text == "" {
		text = p.Comment.Text
	}
	ctx := c.Request.Context()
	cv, err := s.app.Posts.Comment(ctx, session(c), postKey(c), text)
	if wantsJSON(c) {
		if err != nil {
			s.fail(c, err)
			return
		}
		c.JSON(http.StatusCreated, cv)
		return
	}
	var inv *pod.InvalidError
	if errors.As(err, &inv) {
		page, perr := s.app.Posts.Post(ctx, session(c), postKey(c))
		if perr != nil {
			s.fail(c, perr)
			return
		}
		page.Deliveries = posts.DeliveriesFor(session(c), page.Deliveries)
		msg := inv.Fields["text"]
		if msg != "" {
			msg = "Your comment " + msg
		} else {
			msg = inv.Error()
		}
		s.render(c, http.StatusUnprocessableEntity, "post", postPage{Base: s.base(c), PostPage: *page, CommentText: text, CommentError: msg})
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/posts/"+postKey(c)+"#comment-"+itoa(cv.ID))
}

func (s *Server) deleteComment(c *gin.Context) {
	id, ok := pathID(c, "cid")
	if !ok {
		if id, ok = pathID(c, "id"); !ok || c.Param("cid") != "" {
			s.fail(c, pod.ErrNotFound)
			return
		}
	}
	if err := s.app.Posts.DeleteComment(c.Request.Context(), session(c), id); err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		c.Status(http.StatusNoContent)
		return
	}
	backToPost(c, "/stream")
}

func (s *Server) likePost(c *gin.Context) {
	var cid int64
	if c.Param("cid") != "" {
		id, ok := pathID(c, "cid")
		if !ok {
			s.fail(c, pod.ErrNotFound)
			return
		}
		cid = id
	}
	ctx := c.Request.Context()
	if c.Request.Method == http.MethodDelete {
		if err := s.app.Posts.Unlike(ctx, session(c), postKey(c), cid); err != nil {
			s.fail(c, err)
			return
		}
		if wantsJSON(c) {
			c.Status(http.StatusNoContent)
			return
		}
		backToPost(c, "/posts/"+postKey(c))
		return
	}
	like, err := s.app.Posts.Like(ctx, session(c), postKey(c), cid)
	if err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		c.JSON(http.StatusCreated, like)
		return
	}
	backToPost(c, "/posts/"+postKey(c))
}

func (s *Server) likes(c *gin.Context) {
	ls, err := s.app.Posts.Likes(c.Request.Context(), session(c), postKey(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, ls)
}

func (s *Server) reshare(c *gin.Context) {
	var p struct {
		RootGUID string `json:"root_guid"`
	}
	if err := bind(c, &p); err != nil {
		s.fail(c, err)
		return
	}
	root := p.RootGUID
	if root == "" {
		s.fail(c, &pod.InvalidError{Fields: map[string]string{"root_guid": "can't be blank"}})
		return
	}
	post, err := s.app.Posts.Reshare(c.Request.Context(), session(c), root)
	if err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		c.JSON(http.StatusCreated, post)
		return
	}
	s.flash(c, "notice", "You reshared the post.")
	backToPost(c, "/stream")
}

func (s *Server) participation(c *gin.Context) {
	on := c.Request.Method == http.MethodPost
	if err := s.app.Posts.Participate(c.Request.Context(), session(c), postKey(c), on); err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		if on {
			c.Status(http.StatusCreated)
		} else {
			c.Status(http.StatusOK)
		}
		return
	}
	backToPost(c, "/posts/"+postKey(c))
}

// hidePost answers diaspora*'s PUT /share_visibilities/:id?post_id=…
// (the :id is ignored, as on diaspora*).
func (s *Server) hidePost(c *gin.Context) {
	var p struct {
		PostID       keyParam `json:"post_id"`
		Conversation string   `json:"conversation"`
	}
	if err := bind(c, &p); err != nil {
		s.fail(c, err)
		return
	}
	key := strings.Trim(string(p.PostID), `"`)
	if key == "" {
		key = c.Param("id")
	}
	hide := p.Conversation != "show"
	if err := s.app.Posts.HidePost(c.Request.Context(), session(c), key, hide); err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		c.Status(http.StatusOK)
		return
	}
	if hide {
		s.flash(c, "notice", "The post is hidden from your streams.")
	}
	backToPost(c, "/stream")
}
