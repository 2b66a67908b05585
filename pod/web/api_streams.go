package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/contacts"
	"github.com/aspenpod/aspen/pod/oidcp"
	"github.com/aspenpod/aspen/pod/streams"
)

// diaspora*'s API v1 streams, search and tag followings (issue 16):
// app/controllers/api/v1/streams_controller.rb, search_controller.rb and
// tag_followings_controller.rb. Every post goes through the stream use
// cases, so the API shows what the web shows; a token without
// private:read acts as a Session with PublicOnly, which the visibility SQL
// itself narrows to public posts (models.visibleSQL), in every stream.

// apiStreamRoutes registers diaspora*'s API v1 routes for the streams, search and tag followings.
func (s *Server) apiStreamRoutes(api *gin.RouterGroup) {
	read := s.requireScopes(oidcp.ScopePublicRead)
	api.GET("/streams/main", read, s.apiStream(streams.StreamMain))
	api.GET("/streams/activity", read, s.apiStream(streams.StreamActivity))
	api.GET("/streams/aspects", read, s.requireScopes(oidcp.ScopeContactsRead, oidcp.ScopePrivateRead), s.apiStream(streams.StreamAspects))
	api.GET("/streams/tags", read, s.requireScopes(apiScopeTagsRead), s.apiStream(streams.StreamFollowedTags))
	api.GET("/streams/mentions", read, s.apiStream(streams.StreamMentions))
	api.GET("/streams/liked", read, s.apiStream(streams.StreamLiked))
	api.GET("/streams/commented", read, s.apiStream(streams.StreamCommented))

	api.GET("/search/users", read, s.apiSearchUsers)
	api.GET("/search/posts", read, s.apiSearchPosts)
	api.GET("/search/tags", read, s.apiSearchTags)

	api.GET("/tag_followings", s.requireScopes(apiScopeTagsRead), s.apiTagFollowings)
	api.POST("/tag_followings", s.requireScopes(apiScopeTagsModify), s.apiFollowTag)
	api.DELETE("/tag_followings/:name", s.requireScopes(apiScopeTagsModify), s.apiUnfollowTag)
}

// apiStream answers GET /api/v1/streams/<kind> (public:read; limited
// posts only with private:read): one page of the stream use case with the
// token's user as viewer, newest first (the activity stream by last
// interaction). Paging is diaspora*'s time pager: before= (ISO 8601) and
// per_page, and only a next link. The aspects stream takes aspect_ids, a
// JSON array of the user's aspect IDs (none or []: all aspects).
func (s *Server) apiStream(kind string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Query("after") != "" && c.Query("before") == "" {
			apiError(c, http.StatusUnprocessableEntity, "Streams page backwards only: use before")
			return
		}
		page, ok := apiTimePager(c)
		if !ok {
			return
		}
		q := streams.StreamQuery{Kind: kind, Limit: page.PerPage, BeforeTime: page.Time}
		if kind == streams.StreamMain {
			if c.Query("before") == "" {
				q.BeforeTime = time.Time{} // the first page, whatever the clock says
			}
			s.apiMainPage(c, q)
			return
		}
		if kind == streams.StreamAspects && c.Query("aspect_ids") != "" {
			if err := json.Unmarshal([]byte(c.Query("aspect_ids")), &q.AspectIDs); err != nil {
				apiError(c, http.StatusUnprocessableEntity, "aspect_ids must be a JSON array of aspect IDs, like [1,2]")
				return
			}
		}
		s.apiPostsPage(c, q, false)
	}
}

// apiPostsPage reads one time-paged page of a stream and answers it with
// diaspora*'s post objects and the Link header: next (before= the time of
// the page's oldest item), and previous when asked (the search).
func (s *Server) apiPostsPage(c *gin.Context, q streams.StreamQuery, previous bool) {
	pg, err := s.app.Streams.Stream(c.Request.Context(), apiSession(c), q)
	if err != nil {
		s.apiFail(c, err)
		return
	}
	g := apiGrant(c)
	out := make([]apiPostJSON, 0, len(pg.Posts))
	for _, p := range pg.Posts {
		if !p.Public && !g.Has(oidcp.ScopePrivateRead) {
			// The visibility SQL leaves them out already (Viewer.PublicOnly);
			// should it ever fail, a limited post still never leaves here.
			s.log.Error("api: a limited post reached a token without private:read", "path", c.Request.URL.Path, "post", p.GUID)
			continue
		}
		out = append(out, s.apiPostStruct(p))
	}
	if len(pg.Posts) > 0 {
		// The page's times in the stream's own order (interacted_at for
		// the activity stream).
		oldest, newest := streams.PageTimes(pg.Posts)
		// Microseconds, the database's precision: a link in milliseconds
		// would skip the posts of the page's last millisecond.
		links := []string{s.apiLink(c, "next", "before", apiTimeMicro(oldest))}
		if previous {
			links = append(links, s.apiLink(c, "previous", "after", apiTime(newest.Add(time.Millisecond))))
		}
		c.Header("Link", strings.Join(links, ", "))
	}
	c.JSON(http.StatusOK, out)
}

// apiHeadFormat encodes main-stream pages as the API's post objects, for
// the page cache (streams.MainPageAs).
func (s *Server) apiHeadFormat() streams.HeadFormat {
	return streams.HeadFormat{Name: "api/v1", Encode: func(posts []pod.PostView) ([]byte, error) {
		out := make([]apiPostJSON, 0, len(posts))
		for _, p := range posts {
			out = append(out, s.apiPostStruct(p))
		}
		return json.Marshal(out)
	}}
}

// apiMainPage answers a page of the main stream from the page cache, as
// /stream.json's: a warm page costs no SQL. A token without private:read
// has pages of its own (the session is PublicOnly), built without limited
// posts.
func (s *Server) apiMainPage(c *gin.Context, q streams.StreamQuery) {
	head, err := s.app.Streams.MainPageAs(c.Request.Context(), apiSession(c), q, s.apiHeadFormat())
	if err != nil {
		s.apiFail(c, err)
		return
	}
	if head.Count > 0 {
		c.Header("Link", s.apiLink(c, "next", "before", apiTimeMicro(head.Oldest)))
	}
	c.Header("X-Cache", cacheStatus(head.Cached))
	c.Data(http.StatusOK, "application/json; charset=utf-8", head.JSON)
}

// apiTimeMicro is apiTime with microseconds (still ISO 8601).
func apiTimeMicro(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00") }

// apiSearchPosts is GET /api/v1/search/posts?tag= (public:read; limited
// posts only with private:read): the tag stream, time-paged.
func (s *Server) apiSearchPosts(c *gin.Context) {
	tag := strings.TrimSpace(c.Query("tag"))
	if tag == "" {
		apiError(c, http.StatusUnprocessableEntity, "param is missing or the value is empty: tag")
		return
	}
	if c.Query("after") != "" && c.Query("before") == "" {
		apiError(c, http.StatusUnprocessableEntity, "Post search pages backwards only: use before")
		return
	}
	page, ok := apiTimePager(c)
	if !ok {
		return
	}
	s.apiPostsPage(c, streams.StreamQuery{Kind: streams.StreamTag, Tag: tag, Limit: page.PerPage, BeforeTime: page.Time}, false)
}

// The tag scopes (diaspora*'s tags:read and tags:modify).
const (
	apiScopeTagsRead   = "tags:read"
	apiScopeTagsModify = "tags:modify"
)

// User search filters (diaspora*'s SearchController).
const (
	apiFilterContacts  = "contacts"
	apiFilterReceiving = "contacts:receiving"
	apiFilterSharing   = "contacts:sharing"
	apiFilterAspects   = "aspect:"
)

// apiSearchUsers is GET /api/v1/search/users (public:read): people by
// name_or_handle (or tag: people tagged so; this pod keeps no profile
// tags, so none), with filter[] narrowing to the user's contacts
// (contacts, contacts:receiving, contacts:sharing, aspect:ID,ID...; each
// needs contacts:read). Index-paged.
func (s *Server) apiSearchUsers(c *gin.Context) {
	tag, name := strings.TrimSpace(c.Query("tag")), strings.TrimSpace(c.Query("name_or_handle"))
	switch {
	case tag != "" && name != "":
		apiError(c, http.StatusUnprocessableEntity, "Parameters tag and name_or_handle are exclusive")
		return
	case tag == "" && name == "":
		apiError(c, http.StatusUnprocessableEntity, "Missing parameter tag or name_or_handle")
		return
	}
	g := apiGrant(c)
	q := contacts.PeopleQuery{Query: name, WithContacts: g.Has(oidcp.ScopeContactsRead)}
	filters := append(c.QueryArray("filter"), c.QueryArray("filter[]")...)
	for _, f := range filters {
		switch {
		case f == apiFilterContacts:
			q.Contacts = true
		case f == apiFilterReceiving:
			q.Receiving = true
		case f == apiFilterSharing:
			q.Sharing = true
		case strings.HasPrefix(f, apiFilterAspects):
			var set []int64
			for _, part := range strings.Split(strings.TrimPrefix(f, apiFilterAspects), ",") {
				id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
				if err != nil {
					apiError(c, http.StatusUnprocessableEntity, "Invalid aspect filter")
					return
				}
				set = append(set, id)
			}
			q.AspectSets = append(q.AspectSets, set)
		default:
			apiError(c, http.StatusUnprocessableEntity, "Invalid filter")
			return
		}
	}
	if len(filters) > 0 && !g.Has(oidcp.ScopeContactsRead) {
		c.Header("WWW-Authenticate", `Bearer realm="OpenID Connect", error="insufficient_scope", scope="`+oidcp.ScopeContactsRead+`"`)
		apiError(c, http.StatusForbidden, "insufficient_scope")
		return
	}
	page, ok := apiIndexPager(c)
	if !ok {
		return
	}
	if tag != "" {
		if _, ok := pod.NormalizeTag(tag); !ok {
			apiError(c, http.StatusUnprocessableEntity, "Invalid tag")
			return
		}
		// No profile tags here: nobody is tagged. The filters were
		// checked all the same.
		if len(q.AspectSets) > 0 {
			q.Query = "" // FindPeople checks the aspects, finds nobody for a short query
			if _, err := s.app.Contacts.FindPeople(c.Request.Context(), apiSession(c), q); err != nil {
				s.apiFail(c, err)
				return
			}
		}
		c.JSON(http.StatusOK, []gin.H{})
		return
	}
	q.Offset, q.Limit = page.Offset(), page.PerPage+1
	people, err := s.app.Contacts.FindPeople(c.Request.Context(), apiSession(c), q)
	if err != nil {
		s.apiFail(c, err)
		return
	}
	apiIndexAnswer(s, c, page, people, func(p pod.PersonView) any { return s.apiPerson(p) })
}

// apiSearchTags is GET /api/v1/search/tags?query= (public:read): the
// tags starting with query that the user may know of (on posts they may
// read, or followed; diaspora* names every tag it has), by name,
// index-paged.
func (s *Server) apiSearchTags(c *gin.Context) {
	query := strings.TrimSpace(c.Query("query"))
	if query == "" {
		apiError(c, http.StatusUnprocessableEntity, "param is missing or the value is empty: query")
		return
	}
	page, ok := apiIndexPager(c)
	if !ok {
		return
	}
	names, err := s.app.Streams.SearchTagsPage(c.Request.Context(), apiSession(c), query, page.Offset(), page.PerPage+1)
	if err != nil {
		s.apiFail(c, err)
		return
	}
	apiIndexAnswer(s, c, page, names, func(n string) any { return n })
}

// apiTagFollowings is GET /api/v1/tag_followings (tags:read): the names
// of the tags the user follows.
func (s *Server) apiTagFollowings(c *gin.Context) {
	tags, err := s.app.Streams.FollowedTags(c.Request.Context(), apiSession(c))
	if err != nil {
		s.apiFail(c, err)
		return
	}
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		out = append(out, t.Name)
	}
	c.JSON(http.StatusOK, out)
}

// apiFollowTag is POST /api/v1/tag_followings (tags:modify) with name:
// 204; 409 when already followed; 422 for a missing or invalid name
// (diaspora*'s messages).
func (s *Server) apiFollowTag(c *gin.Context) {
	var in struct {
		Name string `json:"name"`
	}
	if err := bind(c, &in); err != nil {
		apiError(c, http.StatusBadRequest, "The request body could not be read: "+err.Error())
		return
	}
	if _, err := s.app.Streams.FollowTagOnce(c.Request.Context(), apiSession(c), in.Name); err != nil {
		if _, invalid := err.(*pod.InvalidError); invalid {
			apiError(c, http.StatusUnprocessableEntity, "Failed to process the tag followings request")
			return
		}
		s.apiFail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// apiUnfollowTag is DELETE /api/v1/tag_followings/:name (tags:modify):
// 204; 410 when the tag is not followed.
func (s *Server) apiUnfollowTag(c *gin.Context) {
	err := s.app.Streams.UnfollowTag(c.Request.Context(), apiSession(c), c.Param("name"))
	if _, invalid := err.(*pod.InvalidError); invalid {
		err = pod.NothingToUndo("not following this tag") // no such tag can be followed
	}
	if err != nil {
		s.apiFail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// apiPostJSON is apiPost as a struct, for the stream and search pages:
// encoding/json writes a struct without the reflection over maps that
// made the gin.H version twice the allocations of /stream.json (the
// API page was slower than the web's). TestAPIPostJSONMatchesAPIPost
// keeps the two the same JSON.
type apiPostJSON struct {
	GUID                string            `json:"guid"`
	Body                string            `json:"body"`
	Title               string            `json:"title"`
	PostType            string            `json:"post_type"`
	Public              bool              `json:"public"`
	CreatedAt           string            `json:"created_at"`
	NSFW                bool              `json:"nsfw"`
	Author              apiPersonJSON     `json:"author"`
	InteractionCounters apiCountersJSON   `json:"interaction_counters"`
	OwnInteractionState apiOwnStateJSON   `json:"own_interaction_state"`
	ProviderDisplayName string            `json:"provider_display_name,omitempty"`
	MentionedPeople     []apiPersonJSON   `json:"mentioned_people"`
	Photos              []apiPhotoJSON    `json:"photos"`
	Location            *pod.LocationView `json:"location,omitempty"`
	Poll                *apiPollJSON      `json:"poll,omitempty"`
	Root                *apiRootJSON      `json:"root,omitempty"`
}

type apiPersonJSON struct {
	GUID       string `json:"guid"`
	DiasporaID string `json:"diaspora_id"`
	Name       string `json:"name"`
	Avatar     string `json:"avatar,omitempty"`
}

type apiCountersJSON struct {
	Comments int `json:"comments"`
	Likes    int `json:"likes"`
	Reshares int `json:"reshares"`
}

type apiOwnStateJSON struct {
	Liked      bool `json:"liked"`
	Reshared   bool `json:"reshared"`
	Subscribed bool `json:"subscribed"`
	Reported   bool `json:"reported"`
}

type apiPhotoJSON struct {
	Dimensions pod.PhotoDimensions `json:"dimensions"`
	Sizes      pod.PhotoSizeURLs   `json:"sizes"`
}

type apiPollJSON struct {
	GUID                string              `json:"guid"`
	ParticipationCount  int                 `json:"participation_count"`
	Question            string              `json:"question"`
	AlreadyParticipated bool                `json:"already_participated"`
	PollAnswers         []apiPollAnswerJSON `json:"poll_answers"`
}

type apiPollAnswerJSON struct {
	ID        int64  `json:"id"`
	Answer    string `json:"answer"`
	VoteCount int    `json:"vote_count"`
	OwnAnswer bool   `json:"own_answer"`
}

type apiRootJSON struct {
	GUID      string        `json:"guid"`
	Body      string        `json:"body"`
	PostType  string        `json:"post_type"`
	Public    bool          `json:"public"`
	CreatedAt string        `json:"created_at"`
	Author    apiPersonJSON `json:"author"`
}

func (s *Server) apiPersonJSON(p pod.PersonView) apiPersonJSON {
	return apiPersonJSON{GUID: p.GUID, DiasporaID: p.DiasporaID, Name: p.Name, Avatar: s.absURL(p.Avatar.Medium)}
}

// apiPostStruct builds apiPostJSON (see apiPost).
func (s *Server) apiPostStruct(p pod.PostView) apiPostJSON {
	postType := p.PostType
	if postType == "" {
		postType = "StatusMessage"
	}
	out := apiPostJSON{
		GUID: p.GUID, Body: p.Text, Title: p.Title, PostType: postType, Public: p.Public,
		CreatedAt: apiTime(p.CreatedAt), NSFW: p.NSFW, Author: s.apiPersonJSON(p.Author),
		InteractionCounters: apiCountersJSON{Comments: p.Interactions.CommentsCount, Likes: p.Interactions.LikesCount,
			Reshares: p.Interactions.ResharesCount},
		OwnInteractionState: apiOwnStateJSON{Liked: p.Liked, Reshared: p.Reshared, Subscribed: p.Participation},
		ProviderDisplayName: p.ProviderDisplayName,
		MentionedPeople:     make([]apiPersonJSON, 0, len(p.MentionedPeople)),
		Photos:              make([]apiPhotoJSON, 0, len(p.Photos)),
		Location:            p.Location,
	}
	for _, m := range p.MentionedPeople {
		out.MentionedPeople = append(out.MentionedPeople, s.apiPersonJSON(m))
	}
	for _, ph := range p.Photos {
		out.Photos = append(out.Photos, apiPhotoJSON{Dimensions: ph.Dimensions, Sizes: ph.Sizes})
	}
	if p.Poll != nil {
		poll := &apiPollJSON{GUID: p.Poll.GUID, Question: p.Poll.Question, AlreadyParticipated: p.Poll.Voted,
			PollAnswers: make([]apiPollAnswerJSON, 0, len(p.Poll.Answers))}
		if p.Poll.Participations != nil {
			poll.ParticipationCount = *p.Poll.Participations
		}
		for _, a := range p.Poll.Answers {
			poll.PollAnswers = append(poll.PollAnswers, apiPollAnswerJSON{ID: a.ID, Answer: a.Answer, VoteCount: a.Votes(), OwnAnswer: a.Mine})
		}
		out.Poll = poll
	}
	if p.Root != nil {
		out.Root = &apiRootJSON{GUID: p.Root.GUID, Body: p.Root.Text, PostType: p.Root.PostType, Public: p.Root.Public,
			CreatedAt: apiTime(p.Root.CreatedAt), Author: s.apiPersonJSON(p.Root.Author)}
	}
	return out
}
