package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/streams"
)

// streamDef describes one stream route.
type streamDef struct {
	kind  string
	title string
	empty string
	// publisher shows the post form above the stream.
	publisher bool
}

var streamDefs = map[string]streamDef{
	"/stream":        {streams.StreamMain, "Stream", "Nothing here yet. Add people to your aspects, follow #tags, or write something.", true},
	"/aspects":       {streams.StreamAspects, "My aspects", "No posts from these aspects yet.", true},
	"/public":        {streams.StreamPublic, "Public posts", "No public posts yet.", false},
	"/mentions":      {streams.StreamMentions, "@Mentions", "Nobody mentioned you yet.", false},
	"/followed_tags": {streams.StreamFollowedTags, "#Followed tags", "No posts with your tags yet. Follow tags on a tag's page.", false},
	"/activity":      {streams.StreamActivity, "My activity", "You haven't posted, commented or liked anything yet.", false},
	"/liked":         {streams.StreamLiked, "Liked", "You haven't liked anything yet.", false},
	"/commented":     {streams.StreamCommented, "Commented", "You haven't commented on anything yet.", false},
}

// streamQuery reads the page parameters common to every stream.
func streamQuery(c *gin.Context, kind string) (streams.StreamQuery, error) {
	q := streams.StreamQuery{Kind: kind, Before: c.Query("before")}
	if mt := c.Query("max_time"); mt != "" {
		n, err := strconv.ParseFloat(mt, 64)
		if err != nil || n < 0 {
			return q, &pod.InvalidError{Fields: map[string]string{"max_time": "must be a time in seconds since 1970"}}
		}
		q.MaxTime = int64(n)
	}
	ids := c.QueryArray("a_ids[]")
	if len(ids) == 0 {
		ids = c.QueryArray("a_ids")
	}
	for _, v := range ids {
		for _, part := range strings.Split(v, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
			if err != nil || n <= 0 {
				return q, &pod.InvalidError{Fields: map[string]string{"a_ids": "must be aspect IDs"}}
			}
			q.AspectIDs = append(q.AspectIDs, n)
		}
	}
	return q, nil
}

// nextURL builds the "older posts" link of a page.
func nextURL(c *gin.Context, next string) string {
	if next == "" {
		return ""
	}
	u := *c.Request.URL
	v := u.Query()
	v.Del("max_time")
	v.Set("before", next)
	u.RawQuery = v.Encode()
	return u.RequestURI()
}

func (s *Server) streamHandler(def streamDef) gin.HandlerFunc {
	return func(c *gin.Context) {
		q, err := streamQuery(c, def.kind)
		if err != nil {
			s.fail(c, err)
			return
		}
		s.showStream(c, q, def, nil)
	}
}

// showStream renders a stream page (or its JSON: an array of posts, as
// diaspora* answers, with the next page in a Link header).
func (s *Server) showStream(c *gin.Context, q streams.StreamQuery, def streamDef, pub *publisherView) {
	ctx := c.Request.Context()
	sess := session(c)
	if sess != nil && q.Kind == streams.StreamMain && wantsJSON(c) {
		// The main stream's pages, the most read of all, come from the
		// page cache when nothing they show has changed.
		head, err := s.app.Streams.MainPageAs(ctx, sess, q, streams.HeadFormat{})
		if err != nil {
			s.fail(c, err)
			return
		}
		if next := nextURL(c, head.Next); next != "" {
			c.Header("Link", "<"+next+`>; rel="next"`)
		}
		c.Header("X-Cache", cacheStatus(head.Cached))
		c.Data(http.StatusOK, "application/json; charset=utf-8", head.JSON)
		return
	}
	page, err := s.app.Streams.Stream(ctx, sess, q)
	if err != nil {
		s.fail(c, err)
		return
	}
	next := nextURL(c, page.Next)
	if wantsJSON(c) {
		if next != "" {
			c.Header("Link", "<"+next+`>; rel="next"`)
		}
		c.JSON(http.StatusOK, page.Posts)
		return
	}
	p := streamPage{Base: s.base(c), Title: def.title, Posts: page.Posts, Next: next, Empty: def.empty}
	if sess != nil {
		as, err := s.app.Contacts.Aspects(ctx, sess)
		if err != nil {
			s.fail(c, err)
			return
		}
		selected := map[int64]bool{}
		for _, id := range q.AspectIDs {
			selected[id] = true
		}
		for i := range as {
			as[i].Selected = selected[as[i].ID]
		}
		p.Aspects = as
		prof, err := s.app.Profiles.Profile(ctx, sess, sess.GUID)
		if err != nil {
			s.fail(c, err)
			return
		}
		p.Base.Attributes = &userAttributes{ID: sess.PersonID, GUID: sess.GUID, Name: prof.Name, DiasporaID: prof.DiasporaID,
			Avatar: pod.Avatar{Small: prof.AvatarSmall, Medium: prof.AvatarMedium, Large: prof.AvatarLarge},
			Admin:  sess.Admin, NotificationsCount: p.Base.Unread, UnreadMessagesCount: p.Base.UnreadMessages, Aspects: as}
		if def.publisher || pub != nil {
			if pub == nil {
				pub = &publisherView{Sel: map[string]bool{}}
				for _, id := range q.AspectIDs {
					pub.Sel[strconv.FormatInt(id, 10)] = true
				}
				if len(q.AspectIDs) == 0 {
					pub.Sel["all_aspects"] = true
				}
			}
			pub.CSRF, pub.Aspects = p.Base.CSRFToken, as
			if err := s.pendingPhotos(c, pub); err != nil {
				s.fail(c, err)
				return
			}
			p.Publisher = pub
		}
	}
	if q.Kind == streams.StreamTag {
		p.Tag = q.Tag
		p.Title = "#" + q.Tag
		p.Empty = "No posts with #" + q.Tag + " that you can see."
		if p.FollowsTag, err = s.app.Streams.FollowsTag(ctx, sess, q.Tag); err != nil {
			s.fail(c, err)
			return
		}
	}
	code := http.StatusOK
	if pub != nil && len(pub.Errors) > 0 {
		code = http.StatusUnprocessableEntity
	}
	s.render(c, code, "stream", p)
}

func (s *Server) tagStream(c *gin.Context) {
	name := strings.TrimSuffix(c.Param("name"), ".json")
	tag, ok := pod.NormalizeTag(name)
	if !ok {
		s.fail(c, &pod.InvalidError{Message: "a tag may contain only letters, digits, '_' and '-'"})
		return
	}
	q, err := streamQuery(c, streams.StreamTag)
	if err != nil {
		s.fail(c, err)
		return
	}
	q.Tag = tag
	s.showStream(c, q, streamDef{kind: streams.StreamTag}, nil)
}

// bookmarklet is diaspora*'s small sharing page; clients read the signed-in
// user's data from it.
func (s *Server) bookmarklet(c *gin.Context) {
	q := streams.StreamQuery{Kind: streams.StreamMain, Limit: 1}
	def := streamDefs["/stream"]
	def.title = "Share"
	pub := &publisherView{Sel: map[string]bool{"all_aspects": true}}
	if text := strings.TrimSpace(c.Query("title") + "\n" + c.Query("url") + "\n" + c.Query("notes")); text != "" {
		pub.Text = text
	}
	s.showStream(c, q, def, pub)
}

// searchTags answers tag autocompletion: GET /tags?q=&limit= → [{"name"}].
func (s *Server) searchTags(c *gin.Context) {
	limit, _ := strconv.Atoi(c.Query("limit"))
	names, err := s.app.Streams.SearchTags(c.Request.Context(), session(c), c.Query("q"), limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]gin.H, len(names))
	for i, n := range names {
		out[i] = gin.H{"name": n}
	}
	c.JSON(http.StatusOK, out)
}

// cacheStatus is the X-Cache header of a page the head cache answered:
// "hit" when it was served without SQL, "miss" when it was built.
func cacheStatus(hit bool) string {
	if hit {
		return "hit"
	}
	return "miss"
}
