package web

import (
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/oidcp"
)

// diaspora*'s API v1 (issue 16) under /api/v1: every request carries an
// access token of the OpenID Connect provider (a Bearer header, or an
// access_token query or form parameter); cookies are ignored. Errors are
// diaspora*'s {"code": status, "message": text}.

// ctxGrant is the gin context key of the checked token.
const ctxGrant = "api_grant"

func (s *Server) apiRoutes() {
	if s.app.OIDC == nil {
		return
	}
	api := s.engine.Group("/api/v1", s.apiAuth)
	api.GET("/user", s.requireScopes(oidcp.ScopeProfile), s.apiUser)
	s.apiPeopleRoutes(api)  // user (PATCH), users, contacts, blocks, aspects (api_people.go)
	s.apiPostRoutes(api)    // posts, comments, likes, reshares, interactions (api_posts.go)
	s.apiPrivateRoutes(api) // notifications, conversations, photos (api_private.go)
	s.apiStreamRoutes(api)  // streams, search, tag followings (api_streams.go)
}

// apiNoRoute answers a request under /api/v1 that matches no endpoint
// (an unknown path, or a known one with another method; the server's
// NoRoute calls it first): after the token check, 404 in diaspora*'s
// error shape, as its router answers. Every endpoint of diaspora*'s API
// v1 is served, so none is "not implemented". It reports whether the
// path was an API path.
func (s *Server) apiNoRoute(c *gin.Context) bool {
	if s.app.OIDC == nil || (c.Request.URL.Path != "/api/v1" && !strings.HasPrefix(c.Request.URL.Path, "/api/v1/")) {
		return false
	}
	s.apiAuth(c)
	if c.IsAborted() {
		return true
	}
	path := c.Request.URL.Path
	if len(path) > 200 {
		path = path[:200] + "…"
	}
	apiError(c, http.StatusNotFound, "No such API endpoint: "+c.Request.Method+" "+path)
	return true
}

// apiGrant is the checked token of an API request.
func apiGrant(c *gin.Context) *oidcp.Grant {
	if v, ok := c.Get(ctxGrant); ok {
		return v.(*oidcp.Grant)
	}
	return nil
}

// apiSession is the session the API request acts as: the token's user,
// limited to public posts without private:read.
func apiSession(c *gin.Context) *pod.Session {
	return apiGrant(c).Session
}

// apiToken finds the access token: Authorization: Bearer, the
// access_token query parameter, or an access_token field of a
// form-urlencoded body (RFC 6750 section 2).
func apiToken(c *gin.Context) string {
	if h := c.GetHeader("Authorization"); h != "" {
		if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok)
		}
		return ""
	}
	if t := c.Query("access_token"); t != "" {
		return t
	}
	if ct, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type")); ct == "application/x-www-form-urlencoded" {
		return c.PostForm("access_token")
	}
	return ""
}

// apiAuth checks the token and stores the grant; a missing, unknown,
// expired or revoked token (or one whose user is locked, closed or has a
// new password) is 401 with WWW-Authenticate.
func (s *Server) apiAuth(c *gin.Context) {
	tok := apiToken(c)
	if tok == "" {
		c.Header("WWW-Authenticate", `Bearer realm="OpenID Connect"`)
		apiError(c, http.StatusUnauthorized, "Missing access token")
		return
	}
	g, err := s.app.OIDC.Authenticate(c.Request.Context(), tok, s.app.Core.RateLimitFor(pod.LimitAPI))
	if err != nil {
		s.apiFail(c, err)
		return
	}
	if !g.Has(oidcp.ScopePrivateRead) {
		g.Session.PublicOnly = true
	}
	c.Set(ctxGrant, g)
	c.Next()
}

// requireScopes answers 403 insufficient_scope unless the token has every
// scope.
func (s *Server) requireScopes(scopes ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		g := apiGrant(c)
		for _, sc := range scopes {
			if g == nil || !g.Has(sc) {
				c.Header("WWW-Authenticate", `Bearer realm="OpenID Connect", error="insufficient_scope", scope="`+strings.Join(scopes, " ")+`"`)
				apiError(c, http.StatusForbidden, "insufficient_scope")
				return
			}
		}
		c.Next()
	}
}

// apiError answers with diaspora*'s error shape.
func apiError(c *gin.Context, code int, msg string) {
	c.AbortWithStatusJSON(code, gin.H{"code": code, "message": msg})
}

// apiFail maps a use case error to the API's error shape.
func (s *Server) apiFail(c *gin.Context, err error) {
	switch {
	case errors.Is(err, oidcp.ErrInvalidToken):
		c.Header("WWW-Authenticate", `Bearer realm="OpenID Connect", error="invalid_token"`)
		apiError(c, http.StatusUnauthorized, "invalid_token")
		return
	case errors.Is(err, pod.ErrForbidden) && strings.HasPrefix(err.Error(), "insufficient_scope"):
		apiError(c, http.StatusForbidden, "insufficient_scope")
		return
	}
	var state *pod.StateError
	if errors.As(err, &state) {
		code := http.StatusConflict
		if state.Gone {
			code = http.StatusGone
		}
		apiError(c, code, upperFirst(state.Message))
		return
	}
	code, _, msg := status(err)
	if wait := pod.RetryAfter(err); wait > 0 {
		c.Header("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		msg = "Too many requests"
	}
	if code == http.StatusInternalServerError {
		s.log.Error("api request failed", "method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
	}
	if code == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer realm="OpenID Connect", error="invalid_token"`)
	}
	apiError(c, code, msg)
}

// absURL makes a pod path absolute (the API's URLs are absolute).
func (s *Server) absURL(p string) string {
	if p == "" || strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://") {
		return p
	}
	return strings.TrimSuffix(s.app.Core.Options().BaseURL, "/") + p
}

// apiTime is diaspora*'s timestamp format (ISO 8601, UTC, milliseconds).
func apiTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// apiUser is GET /api/v1/user (scope profile): diaspora*'s own_user. The
// private fields (bio, birthday, gender, location) need
// profile:read_private.
func (s *Server) apiUser(c *gin.Context) {
	g := apiGrant(c)
	in, view, err := s.app.Profiles.ProfileForm(c.Request.Context(), g.Session.UserID)
	if err != nil {
		s.apiFail(c, err)
		return
	}
	out := gin.H{
		"guid": view.GUID, "diaspora_id": view.DiasporaID,
		"avatar": gin.H{"small": s.absURL(view.AvatarSmall), "medium": s.absURL(view.AvatarMedium),
			"large": s.absURL(view.AvatarLarge), "raw": s.absURL(view.AvatarLarge)},
		"tags": []string{}, "searchable": in.Searchable, "show_profile_info": in.PublicDetails, "nsfw": in.NSFW,
	}
	if n := strings.TrimSpace(in.FirstName + " " + in.LastName); n != "" {
		out["name"] = n
	}
	if g.Has("profile:read_private") {
		out["bio"], out["location"], out["gender"] = in.Bio, in.Location, in.Gender
		if in.BirthYear != "" {
			y, _ := strconv.Atoi(in.BirthYear)
			m, _ := strconv.Atoi(in.BirthMonth)
			d, _ := strconv.Atoi(in.BirthDay)
			out["birthday"] = time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
		}
	}
	c.JSON(http.StatusOK, out)
}

// apiPerson is diaspora*'s short_profile.
func (s *Server) apiPerson(p pod.PersonView) gin.H {
	out := gin.H{"guid": p.GUID, "diaspora_id": p.DiasporaID, "name": p.Name}
	if p.Avatar.Medium != "" {
		out["avatar"] = s.absURL(p.Avatar.Medium)
	}
	return out
}

// apiPost is diaspora*'s post object (PostPresenter#as_api_response).
func (s *Server) apiPost(p pod.PostView) gin.H {
	postType := p.PostType
	if postType == "" {
		postType = "StatusMessage"
	}
	out := gin.H{
		"guid": p.GUID, "body": p.Text, "title": p.Title, "post_type": postType, "public": p.Public,
		"created_at": apiTime(p.CreatedAt), "nsfw": p.NSFW, "author": s.apiPerson(p.Author),
		"interaction_counters": gin.H{"comments": p.Interactions.CommentsCount, "likes": p.Interactions.LikesCount,
			"reshares": p.Interactions.ResharesCount},
		"own_interaction_state": gin.H{"liked": p.Liked, "reshared": p.Reshared, "subscribed": p.Participation, "reported": false},
	}
	if p.ProviderDisplayName != "" {
		out["provider_display_name"] = p.ProviderDisplayName
	}
	mentioned := make([]gin.H, 0, len(p.MentionedPeople))
	for _, m := range p.MentionedPeople {
		mentioned = append(mentioned, s.apiPerson(m))
	}
	out["mentioned_people"] = mentioned
	photos := make([]gin.H, 0, len(p.Photos))
	for _, ph := range p.Photos {
		photos = append(photos, gin.H{"dimensions": ph.Dimensions, "sizes": ph.Sizes})
	}
	out["photos"] = photos
	if p.Location != nil {
		out["location"] = gin.H{"address": p.Location.Address, "lat": p.Location.Lat, "lng": p.Location.Lng}
	}
	if p.Poll != nil {
		answers := make([]gin.H, 0, len(p.Poll.Answers))
		for _, a := range p.Poll.Answers {
			answers = append(answers, gin.H{"id": a.ID, "answer": a.Answer, "vote_count": a.Votes(), "own_answer": a.Mine})
		}
		count := 0
		if p.Poll.Participations != nil {
			count = *p.Poll.Participations
		}
		out["poll"] = gin.H{"guid": p.Poll.GUID, "participation_count": count, "question": p.Poll.Question,
			"already_participated": p.Poll.Voted, "poll_answers": answers}
	}
	if p.Root != nil {
		out["root"] = gin.H{"guid": p.Root.GUID, "body": p.Root.Text, "post_type": p.Root.PostType, "public": p.Root.Public,
			"created_at": apiTime(p.Root.CreatedAt), "author": s.apiPerson(p.Root.Author)}
	}
	return out
}

// apiDefaultPerPage is diaspora*'s page size (its code's; its
// documentation says 20), also the streams' default.
const apiDefaultPerPage = 15

// apiPerPage reads per_page as diaspora*'s pagers do: default 15, at
// least 1, at most 100; anything not a number is a 422.
func apiPerPage(c *gin.Context) (int, bool) {
	v := c.Query("per_page")
	if v == "" {
		return apiDefaultPerPage, true
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		apiError(c, http.StatusUnprocessableEntity, "per_page must be a number from 1 to 100")
		return 0, false
	}
	return min(max(n, 1), 100), true
}

// apiIndexPage is a page of an index-paged list (aspects, contacts,
// likes, reshares, messages, user and tag search): page counts from 1.
type apiIndexPage struct {
	Page, PerPage int
}

// Offset is the number of items before the page.
func (p apiIndexPage) Offset() int { return (p.Page - 1) * p.PerPage }

// apiIndexPager reads page and per_page; a page below 1 is page 1, as in
// diaspora*. It answers 422 and reports false on bad input.
func apiIndexPager(c *gin.Context) (apiIndexPage, bool) {
	per, ok := apiPerPage(c)
	if !ok {
		return apiIndexPage{}, false
	}
	page := 1
	if v := c.Query("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			apiError(c, http.StatusUnprocessableEntity, "page must be a number")
			return apiIndexPage{}, false
		}
		page = max(n, 1)
	}
	return apiIndexPage{Page: page, PerPage: per}, true
}

// apiIndexLinks sets the Link header of an index-paged answer: previous
// unless on page 1, next when there are more than total items up to this
// page (pass hasMore when the total is not counted: fetch PerPage+1).
func (s *Server) apiIndexLinks(c *gin.Context, p apiIndexPage, hasMore bool) {
	var links []string
	if p.Page > 1 {
		links = append(links, s.apiLink(c, "previous", "page", strconv.Itoa(p.Page-1)))
	}
	if hasMore {
		links = append(links, s.apiLink(c, "next", "page", strconv.Itoa(p.Page+1)))
	}
	if len(links) > 0 {
		c.Header("Link", strings.Join(links, ", "))
	}
}

// apiIndexAnswer answers an index page whose items were read with one
// more than its size (to tell whether another page follows): the first
// PerPage items as a JSON array, each as item renders it, and the Link
// header.
func apiIndexAnswer[T any](s *Server, c *gin.Context, p apiIndexPage, items []T, item func(T) any) {
	more := len(items) > p.PerPage
	if more {
		items = items[:p.PerPage]
	}
	out := make([]any, 0, len(items))
	for _, it := range items {
		out = append(out, item(it))
	}
	s.apiIndexLinks(c, p, more)
	c.JSON(http.StatusOK, out)
}

// apiTimePage is a page of a time-paged list (streams, comments,
// notifications, conversations, photos, post search): before= (newest
// first, the default) or after= (oldest first), ISO 8601 times.
type apiTimePage struct {
	Time       time.Time // exclusive bound
	Descending bool      // before=: items older than Time, newest first
	PerPage    int
}

// apiTimePager reads before/after and per_page. Without either bound the
// page starts at the newest item (diaspora*: before one year from now).
// A time that is not ISO 8601 is a 422.
func apiTimePager(c *gin.Context) (apiTimePage, bool) {
	per, ok := apiPerPage(c)
	if !ok {
		return apiTimePage{}, false
	}
	p := apiTimePage{Time: time.Now().AddDate(1, 0, 0), Descending: true, PerPage: per}
	param, v := "before", c.Query("before")
	if v == "" && c.Query("after") != "" {
		param, v, p.Descending = "after", c.Query("after"), false
	}
	if v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			apiError(c, http.StatusUnprocessableEntity, param+" must be a time like 2019-01-31T12:00:00.000Z")
			return apiTimePage{}, false
		}
		p.Time = t
	}
	return p, true
}

// apiTimeLinks sets the Link header of a time-paged answer from the times
// of the items it returned, as diaspora*'s TimePaginator: next continues
// in the page's direction, previous turns back; none for an empty page.
// Streams pass previous false (diaspora*'s streams only emit next).
func (s *Server) apiTimeLinks(c *gin.Context, p apiTimePage, times []time.Time, previous bool) {
	if len(times) == 0 {
		return
	}
	lo, hi := times[0], times[0]
	for _, t := range times[1:] {
		if t.Before(lo) {
			lo = t
		}
		if t.After(hi) {
			hi = t
		}
	}
	hi = hi.Add(time.Millisecond)
	var links []string
	if previous {
		if p.Descending {
			links = append(links, s.apiLink(c, "previous", "after", apiTime(hi)))
		} else {
			links = append(links, s.apiLink(c, "previous", "before", apiTime(lo)))
		}
	}
	if p.Descending {
		links = append(links, s.apiLink(c, "next", "before", apiTime(lo)))
	} else {
		links = append(links, s.apiLink(c, "next", "after", apiTime(hi)))
	}
	c.Header("Link", strings.Join(links, ", "))
}

// apiLink is one Link header entry: the request's absolute URL with its
// paging parameters (and any access_token) replaced by key=value.
func (s *Server) apiLink(c *gin.Context, rel, key, value string) string {
	u := *c.Request.URL
	v := u.Query()
	for _, k := range []string{"access_token", "page", "before", "after"} {
		v.Del(k)
	}
	v.Set(key, value)
	return "<" + s.absURL(u.Path+"?"+v.Encode()) + `>; rel="` + rel + `"`
}
