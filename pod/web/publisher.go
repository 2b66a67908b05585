package web

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/streams"
)

// The publisher's helpers: mention completion (/contacts.json?q=,
// /posts/:id/mentionable?q=) and the markdown preview (/posts/preview).

// contactSearch answers diaspora*'s GET /contacts.json?q= (&mutual=true):
// the user's contacts whose name or diaspora ID contains q, in diaspora*'s
// shape [{id, guid, name, avatar, handle, url}]. The publisher's script
// also sends the audience it has chosen (aspect_ids[]): for a limited post
// only the people it would reach are offered.
func (s *Server) contactSearch(c *gin.Context, q string) {
	var sel *aspects.Selection
	if ids := c.QueryArray("aspect_ids[]"); len(ids) > 0 {
		got, err := audience(ids)
		if err != nil {
			s.fail(c, err)
			return
		}
		sel = &got
	}
	people, err := s.app.Posts.Mentionable(c.Request.Context(), session(c), sel, q, truthy(c.Query("mutual")))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, people)
}

// asJSON marks a request to a JSON-only route without a .json suffix as
// wanting JSON, so that its errors (sign-in needed included) are JSON too.
func asJSON(c *gin.Context) {
	c.Request.Header.Set("Accept", "application/json")
	c.Next()
}

// mentionable answers GET /posts/:id/mentionable?q=: the people the viewer
// may mention in a comment on the post (404 for a post they can't see).
func (s *Server) mentionable(c *gin.Context) {
	people, err := s.app.Posts.MentionableInComment(c.Request.Context(), session(c), postKey(c), c.Query("q"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, people)
}

// previewPost renders the publisher's text as the post page would show it.
// Scripts (JSON) get {"html": "..."}; the publisher's Preview button, which
// needs no JavaScript, gets the stream again with the publisher filled in,
// the text preview and the audience preview.
func (s *Server) previewPost(c *gin.Context) {
	var p postParams
	if err := bind(c, &p); err != nil {
		s.fail(c, err)
		return
	}
	ids := []string(p.AspectIDs)
	sel, err := audience(ids)
	pub := &publisherView{Text: p.message(), Sel: map[string]bool{}, Public: sel.Public}
	ctx, sess := c.Request.Context(), session(c)
	if err == nil {
		pub.TextPreview, err = s.app.Posts.PreviewText(ctx, sess, pub.Text, sel)
	}
	if wantsJSON(c) {
		if err != nil {
			s.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"html": pub.TextPreview})
		return
	}
	if err == nil && (sel.Public || sel.AllAspects || len(sel.Aspects) > 0) {
		pub.Preview, err = s.app.Posts.AudiencePreview(ctx, sess, sel)
		pub.PreviewShown = err == nil
	}
	var inv *pod.InvalidError
	if err != nil && !errors.As(err, &inv) {
		s.fail(c, err)
		return
	}
	for _, v := range ids {
		pub.Sel[v] = true
	}
	if inv != nil {
		pub.Errors = inv.Fields
		if pub.Errors == nil {
			pub.Errors = map[string]string{}
		}
		if inv.Message != "" {
			pub.Errors["text"] = inv.Message
		}
	}
	s.showStream(c, streams.StreamQuery{Kind: streams.StreamMain}, streamDefs["/stream"], pub)
}

// message is the post's text: diaspora*'s status_message[text], or text.
func (p *postParams) message() string {
	if p.StatusMessage.Text != "" {
		return p.StatusMessage.Text
	}
	return p.Text
}
