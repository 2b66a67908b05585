package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/conversations"
	"github.com/aspenpod/aspen/pod/notifications"
	"github.com/aspenpod/aspen/pod/oidcp"
)

// diaspora*'s API v1 for notifications, conversations and photos (issue
// 16), after its Api::V1::NotificationsController,
// ConversationsController, MessagesController and PhotosController and
// their presenters.

// Scopes of this file's endpoints (diaspora*'s names).
const (
	scopeNotifications = "notifications"
	scopeConversations = "conversations"
)

// diaspora*'s error messages of these endpoints.
const (
	msgNotificationNotFound = "Notification with provided guid could not be found"
	msgNotificationBad      = "Could not process the notifications request"
	msgConversationNotFound = "Conversation with provided guid could not be found"
	msgConversationBad      = "Couldn't accept or process the conversation"
	msgConversationUpdate   = "Couldn't update the conversation"
	msgPhotoNotFound        = "Photo with provided guid could not be found"
	msgPhotoBad             = "Failed to create the photo"
)

// apiPrivateRoutes registers diaspora*'s API v1 routes for notifications, conversations and photos.
func (s *Server) apiPrivateRoutes(api *gin.RouterGroup) {
	n := api.Group("/notifications", s.requireScopes(scopeNotifications))
	n.GET("", s.apiNotifications)
	n.GET("/:guid", s.apiNotification)
	n.PATCH("/:guid", s.apiMarkNotification)
	n.PUT("/:guid", s.apiMarkNotification)

	cv := api.Group("/conversations", s.requireScopes(scopeConversations))
	cv.GET("", s.apiConversations)
	cv.POST("", s.apiConversationLimit, s.apiCreateConversation)
	cv.GET("/:guid", s.apiConversation)
	cv.PATCH("/:guid", s.apiMarkConversation)
	cv.PUT("/:guid", s.apiMarkConversation)
	cv.DELETE("/:guid", s.apiHideConversation)
	cv.GET("/:guid/messages", s.apiMessages)
	cv.POST("/:guid/messages", s.apiConversationLimit, s.apiCreateMessage)

	api.GET("/photos", s.requireScopes(oidcp.ScopePublicRead), s.apiPhotos)
	api.GET("/photos/:guid", s.requireScopes(oidcp.ScopePublicRead), s.apiPhoto)
	api.POST("/photos", s.requireScopes(scopePublicModify), s.apiUploadPhoto)
	api.DELETE("/photos/:guid", s.requireScopes(scopePublicModify), s.apiDeletePhoto)
}

// apiConversationLimit counts starting a conversation or writing in one
// against the same rate limit as the web's (pod.LimitConversations): 429
// with Retry-After over it, and the handler does not run.
func (s *Server) apiConversationLimit(c *gin.Context) {
	if err := s.app.Core.CheckRateLimit(c.Request.Context(), pod.LimitConversations, apiSession(c).UserID, c.ClientIP()); err != nil {
		s.apiFail(c, err)
		return
	}
	c.Next()
}

// privParams are the parameters of a request as diaspora*'s controllers
// see them: the query, then a JSON object body or form fields (a field
// named "x[]" is read as "x"). Form values are strings or, when repeated,
// lists of strings; JSON values keep their types. A body that is not
// what its Content-Type says is a 400 (answered; ok false).
func privParams(c *gin.Context) (map[string]any, bool) {
	out := map[string]any{}
	put := func(k string, vs []string) {
		list := strings.HasSuffix(k, "[]")
		k = strings.TrimSuffix(k, "[]")
		if k == "access_token" || len(vs) == 0 {
			return
		}
		if !list && len(vs) == 1 {
			out[k] = vs[0]
			return
		}
		l := make([]any, len(vs))
		for i, v := range vs {
			l[i] = v
		}
		out[k] = l
	}
	for k, vs := range c.Request.URL.Query() {
		put(k, vs)
	}
	ct, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	switch {
	case ct == "application/json":
		body, err := io.ReadAll(c.Request.Body)
		if err != nil {
			apiError(c, http.StatusBadRequest, "The request body could not be read")
			return nil, false
		}
		if len(bytes.TrimSpace(body)) == 0 {
			return out, true
		}
		var obj map[string]any
		if err := json.Unmarshal(body, &obj); err != nil {
			apiError(c, http.StatusBadRequest, "The request body could not be read: it is not a JSON object")
			return nil, false
		}
		for k, v := range obj {
			if k != "access_token" {
				out[k] = v
			}
		}
	case ct == "application/x-www-form-urlencoded" || ct == "multipart/form-data":
		var err error
		if ct == "multipart/form-data" {
			err = c.Request.ParseMultipartForm(1 << 20)
		} else {
			err = c.Request.ParseForm()
		}
		if err != nil {
			var maxBytes *http.MaxBytesError
			if errors.As(err, &maxBytes) {
				apiError(c, http.StatusRequestEntityTooLarge, "The request is too large")
			} else {
				apiError(c, http.StatusBadRequest, "The request body could not be read")
			}
			return nil, false
		}
		for k, vs := range c.Request.PostForm {
			put(k, vs)
		}
	}
	return out, true
}

// privString is a parameter that is a string (a JSON number or boolean
// as its text); ok is false when it is missing or of another kind.
func privString(p map[string]any, key string) (string, bool) {
	switch v := p[key].(type) {
	case string:
		return v, true
	case float64, bool:
		b, _ := json.Marshal(v)
		return string(b), true
	}
	return "", false
}

// privStrings is a parameter that is a list of strings (or one string).
func privStrings(p map[string]any, key string) ([]string, bool) {
	switch v := p[key].(type) {
	case string:
		return []string{v}, true
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

// privBool casts a parameter as Rails' ActiveModel::Type::Boolean does:
// missing or blank is not set; false, 0, "0", "f", "false", "off" (any
// case) are false; anything else is true.
func privBool(p map[string]any, key string) (value, set bool) {
	switch v := p[key].(type) {
	case nil:
		return false, false
	case bool:
		return v, true
	case float64:
		return v != 0, true
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "":
			return false, false
		case "0", "f", "false", "off":
			return false, true
		}
		return true, true
	}
	return true, true
}

// apiSince reads an only_after parameter: an ISO 8601 date or time.
func apiSince(c *gin.Context) (time.Time, bool) {
	v := strings.TrimSpace(c.Query("only_after"))
	if v == "" {
		return time.Time{}, true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// privFailAs maps a use case error as apiFail does, with diaspora*'s
// messages for a 404 and a 422 of this endpoint.
func (s *Server) privFailAs(c *gin.Context, err error, notFound, invalid string) {
	var inv *pod.InvalidError
	switch {
	case pod.IsNotFound(err):
		apiError(c, http.StatusNotFound, notFound)
	case errors.As(err, &inv):
		msg := invalid
		if inv.Message != "" {
			msg = inv.Message
		} else if d := inv.Error(); d != "" {
			msg += ": " + d
		}
		apiError(c, http.StatusUnprocessableEntity, msg)
	default:
		s.apiFail(c, err)
	}
}

// apiKeyedPager reads a time-paged list's bounds (apiTimePager) and the
// before_guid or after_guid that this pod's Link headers add: the lists
// here are ordered by time, then GUID, and the GUID places the bound
// among items of the same time (conversations have whole seconds, and
// the notifications of one event share their time), so that none is lost
// between pages. A client that sends only the time gets diaspora*'s
// paging.
func apiKeyedPager(c *gin.Context) (apiTimePage, string, bool) {
	page, ok := apiTimePager(c)
	if !ok {
		return page, "", false
	}
	tie := ""
	if page.Descending && c.Query("before") != "" {
		tie = c.Query("before_guid")
	} else if !page.Descending {
		tie = c.Query("after_guid")
	}
	if len(tie) > 255 || strings.ContainsFunc(tie, func(r rune) bool { return r <= ' ' || r >= '~' }) {
		apiError(c, http.StatusUnprocessableEntity, "before_guid and after_guid must be GUIDs")
		return page, "", false
	}
	return page, tie, true
}

// apiKey is the paging key of a listed item.
type apiKey struct {
	Time time.Time
	GUID string
}

// apiKeyedLinks sets the Link header of a list read with apiKeyedPager
// from its items' keys, in the page's order: next goes on after the last
// one, previous turns back before the first; none for an empty page.
// The times have microseconds, so that the bound is exact.
func (s *Server) apiKeyedLinks(c *gin.Context, page apiTimePage, keys []apiKey) {
	if len(keys) == 0 {
		return
	}
	prev, next := "after", "before"
	if !page.Descending {
		prev, next = "before", "after"
	}
	c.Header("Link", s.apiKeyedLink(c, "previous", prev, keys[0])+", "+s.apiKeyedLink(c, "next", next, keys[len(keys)-1]))
}

// apiKeyedLink is one Link header entry of a keyed list: the request's
// URL with key=time and key_guid=guid.
func (s *Server) apiKeyedLink(c *gin.Context, rel, key string, k apiKey) string {
	u := *c.Request.URL
	v := u.Query()
	for _, x := range []string{"access_token", "page", "before", "after", "before_guid", "after_guid"} {
		v.Del(x)
	}
	v.Set(key, k.Time.UTC().Format("2006-01-02T15:04:05.000000Z07:00"))
	v.Set(key+"_guid", k.GUID)
	return "<" + s.absURL(u.Path+"?"+v.Encode()) + `>; rel="` + rel + `"`
}

// --- Notifications (scope notifications) ---

// apiNotificationJSON is diaspora*'s NotificationPresenter#as_api_json:
// target (the post, with its author) only when there is one the token
// may read.
func (s *Server) apiNotificationJSON(n notifications.APINotification) gin.H {
	creators := make([]gin.H, 0, len(n.Actors))
	for _, a := range n.Actors {
		creators = append(creators, s.apiPerson(a))
	}
	out := gin.H{"guid": n.GUID, "type": n.Type, "read": !n.Unread, "created_at": apiTime(n.CreatedAt), "event_creators": creators}
	if n.Target != nil {
		t := gin.H{"guid": n.Target.GUID}
		if n.Target.Author != nil {
			t["author"] = s.apiPerson(*n.Target.Author)
		}
		out["target"] = t
	}
	return out
}

// apiNotifications is GET /api/v1/notifications: time-paged on the time
// of each notification's newest event (apiKeyedPager); only_unread,
// only_after (a date or time; the notifications updated since) and type
// (diaspora*'s type names; an unknown one is a 422).
func (s *Server) apiNotifications(c *gin.Context) {
	page, tie, ok := apiKeyedPager(c)
	if !ok {
		return
	}
	since, ok := apiSince(c)
	if !ok {
		apiError(c, http.StatusUnprocessableEntity, msgNotificationBad)
		return
	}
	unread, _ := privBool(map[string]any{"u": c.Query("only_unread")}, "u")
	list, err := s.app.Notifications.APINotifications(c.Request.Context(), apiSession(c), notifications.APIQuery{
		UnreadOnly: unread, Type: c.Query("type"), Since: since, Time: page.Time, Descending: page.Descending, Limit: page.PerPage, GUID: tie})
	if err != nil {
		s.privFailAs(c, err, msgNotificationNotFound, msgNotificationBad)
		return
	}
	out := make([]gin.H, 0, len(list))
	keys := make([]apiKey, 0, len(list))
	for _, n := range list {
		out = append(out, s.apiNotificationJSON(n))
		keys = append(keys, apiKey{n.UpdatedAt, n.GUID})
	}
	s.apiKeyedLinks(c, page, keys)
	c.JSON(http.StatusOK, out)
}

// apiNotification is GET /api/v1/notifications/:guid. It does not mark
// the notification read (diaspora*'s controller does not, whatever its
// documentation says).
func (s *Server) apiNotification(c *gin.Context) {
	n, err := s.app.Notifications.APINotification(c.Request.Context(), apiSession(c), c.Param("guid"))
	if err != nil {
		s.privFailAs(c, err, msgNotificationNotFound, msgNotificationBad)
		return
	}
	c.JSON(http.StatusOK, s.apiNotificationJSON(*n))
}

// apiMarkNotification is PATCH /api/v1/notifications/:guid with read
// true or false: 204, as diaspora*'s controller answers; a missing read
// is a 422.
func (s *Server) apiMarkNotification(c *gin.Context) {
	p, ok := privParams(c)
	if !ok {
		return
	}
	read, set := privBool(p, "read")
	if !set {
		apiError(c, http.StatusUnprocessableEntity, msgNotificationBad)
		return
	}
	if err := s.app.Notifications.MarkAPINotification(c.Request.Context(), apiSession(c), c.Param("guid"), read); err != nil {
		s.privFailAs(c, err, msgNotificationNotFound, msgNotificationBad)
		return
	}
	c.Status(http.StatusNoContent)
}

// --- Conversations and messages (scope conversations) ---

// apiConversationJSON is diaspora*'s ConversationPresenter#as_api_json.
func (s *Server) apiConversationJSON(cv conversations.ConversationView) gin.H {
	parts := make([]gin.H, 0, len(cv.Participants))
	for _, p := range cv.Participants {
		parts = append(parts, s.apiPerson(p))
	}
	return gin.H{"guid": cv.GUID, "subject": cv.Subject, "created_at": apiTime(cv.CreatedAt), "read": cv.Unread == 0, "participants": parts}
}

// apiMessageJSON is diaspora*'s MessagePresenter#as_api_json.
func (s *Server) apiMessageJSON(m conversations.MessageView) gin.H {
	return gin.H{"guid": m.GUID, "created_at": apiTime(m.CreatedAt), "body": m.Text, "author": s.apiPerson(m.Author)}
}

// apiConversations is GET /api/v1/conversations: the user's conversations
// (not hidden), time-paged on their creation (apiKeyedPager); only_unread
// and only_after (created since).
func (s *Server) apiConversations(c *gin.Context) {
	page, tie, ok := apiKeyedPager(c)
	if !ok {
		return
	}
	since, ok := apiSince(c)
	if !ok {
		apiError(c, http.StatusUnprocessableEntity, "only_after must be a date or time like 2019-01-31T12:00:00.000Z")
		return
	}
	unread, _ := privBool(map[string]any{"u": c.Query("only_unread")}, "u")
	list, err := s.app.Conversations.APIList(c.Request.Context(), apiSession(c), conversations.APIQuery{
		UnreadOnly: unread, Since: since, Time: page.Time, Descending: page.Descending, Limit: page.PerPage, GUID: tie})
	if err != nil {
		s.privFailAs(c, err, msgConversationNotFound, msgConversationBad)
		return
	}
	out := make([]gin.H, 0, len(list))
	keys := make([]apiKey, 0, len(list))
	for _, cv := range list {
		out = append(out, s.apiConversationJSON(cv))
		keys = append(keys, apiKey{cv.CreatedAt, cv.GUID})
	}
	s.apiKeyedLinks(c, page, keys)
	c.JSON(http.StatusOK, out)
}

// apiCreateConversation is POST /api/v1/conversations with subject, body
// and recipients (person GUIDs or diaspora IDs), who must be mutual
// contacts, as on the web: 201 with the conversation; anything missing or
// not allowed is a 422 and nothing is stored.
func (s *Server) apiCreateConversation(c *gin.Context) {
	p, ok := privParams(c)
	if !ok {
		return
	}
	subject, ok1 := privString(p, "subject")
	body, ok2 := privString(p, "body")
	rcpts, ok3 := privStrings(p, "recipients")
	if !ok1 || !ok2 || !ok3 {
		apiError(c, http.StatusUnprocessableEntity, msgConversationBad)
		return
	}
	cv, err := s.app.Conversations.APICreate(c.Request.Context(), apiSession(c), subject, body, rcpts)
	if err != nil {
		s.privFailAs(c, err, msgConversationBad, msgConversationBad)
		return
	}
	c.JSON(http.StatusCreated, s.apiConversationJSON(*cv))
}

// apiConversation is GET /api/v1/conversations/:guid (not marked read).
func (s *Server) apiConversation(c *gin.Context) {
	cv, err := s.app.Conversations.APIConversation(c.Request.Context(), apiSession(c), c.Param("guid"))
	if err != nil {
		s.privFailAs(c, err, msgConversationNotFound, msgConversationBad)
		return
	}
	c.JSON(http.StatusOK, s.apiConversationJSON(*cv))
}

// apiMarkConversation is PATCH /api/v1/conversations/:guid with read true
// or false: the conversation as it is then; a missing read is a 422.
func (s *Server) apiMarkConversation(c *gin.Context) {
	p, ok := privParams(c)
	if !ok {
		return
	}
	read, set := privBool(p, "read")
	if !set {
		apiError(c, http.StatusUnprocessableEntity, msgConversationUpdate)
		return
	}
	cv, err := s.app.Conversations.APIMarkRead(c.Request.Context(), apiSession(c), c.Param("guid"), read)
	if err != nil {
		s.privFailAs(c, err, msgConversationNotFound, msgConversationUpdate)
		return
	}
	c.JSON(http.StatusOK, s.apiConversationJSON(*cv))
}

// apiHideConversation is DELETE /api/v1/conversations/:guid: hides it for
// the user (204); the other participants keep it. Once hidden it is a
// 404 here, as on diaspora*, until someone writes in it.
func (s *Server) apiHideConversation(c *gin.Context) {
	if err := s.app.Conversations.APIHide(c.Request.Context(), apiSession(c), c.Param("guid")); err != nil {
		s.privFailAs(c, err, msgConversationNotFound, msgConversationBad)
		return
	}
	c.Status(http.StatusNoContent)
}

// apiMessages is GET /api/v1/conversations/:guid/messages: index-paged,
// oldest first, as diaspora*'s; it does not mark the conversation read.
func (s *Server) apiMessages(c *gin.Context) {
	page, ok := apiIndexPager(c)
	if !ok {
		return
	}
	list, err := s.app.Conversations.APIMessages(c.Request.Context(), apiSession(c), c.Param("guid"), page.Offset(), page.PerPage+1)
	if err != nil {
		s.privFailAs(c, err, msgConversationNotFound, msgConversationBad)
		return
	}
	apiIndexAnswer(s, c, page, list, func(m conversations.MessageView) any { return s.apiMessageJSON(m) })
}

// apiCreateMessage is POST /api/v1/conversations/:guid/messages with a
// body: 201 with the message, federated as on the web.
func (s *Server) apiCreateMessage(c *gin.Context) {
	p, ok := privParams(c)
	if !ok {
		return
	}
	body, ok := privString(p, "body")
	if !ok {
		// diaspora*'s message has a typographic apostrophe here.
		apiError(c, http.StatusUnprocessableEntity, "Couldn’t accept or process the conversation")
		return
	}
	m, err := s.app.Conversations.APIReply(c.Request.Context(), apiSession(c), c.Param("guid"), body)
	if err != nil {
		s.privFailAs(c, err, msgConversationNotFound, "Couldn’t accept or process the conversation")
		return
	}
	c.JSON(http.StatusCreated, s.apiMessageJSON(*m))
}

// --- Photos ---

// apiPhotoJSON is diaspora*'s PhotoPresenter#as_api_json(true).
func (s *Server) apiPhotoJSON(v pod.PhotoView) gin.H {
	out := gin.H{"guid": v.GUID, "created_at": apiTime(v.CreatedAt),
		"dimensions": gin.H{"height": v.Dimensions.Height, "width": v.Dimensions.Width},
		"sizes":      gin.H{"small": v.Sizes.Small, "medium": v.Sizes.Medium, "large": v.Sizes.Large, "raw": v.Sizes.Raw}}
	if v.Post != nil && v.Post.GUID != "" {
		out["post"] = v.Post.GUID
	}
	return out
}

// apiPhotos is GET /api/v1/photos (public:read): the user's own photos,
// time-paged on their upload (apiKeyedPager); pending ones and those of
// limited posts only with private:read.
func (s *Server) apiPhotos(c *gin.Context) {
	page, tie, ok := apiKeyedPager(c)
	if !ok {
		return
	}
	list, err := s.app.Photos.OwnPhotos(c.Request.Context(), apiSession(c), page.Time, tie, page.Descending, page.PerPage)
	if err != nil {
		s.privFailAs(c, err, msgPhotoNotFound, msgPhotoBad)
		return
	}
	out := make([]gin.H, 0, len(list))
	keys := make([]apiKey, 0, len(list))
	for _, v := range list {
		out = append(out, s.apiPhotoJSON(v))
		keys = append(keys, apiKey{v.CreatedAt, v.GUID})
	}
	s.apiKeyedLinks(c, page, keys)
	c.JSON(http.StatusOK, out)
}

// apiPhoto is GET /api/v1/photos/:guid (public:read): a photo the user
// may see; one of a limited post, or a pending one, only with
// private:read. Anything else is a 404.
func (s *Server) apiPhoto(c *gin.Context) {
	v, err := s.app.Photos.PhotoByGUID(c.Request.Context(), apiSession(c), c.Param("guid"))
	if err != nil {
		s.privFailAs(c, err, msgPhotoNotFound, msgPhotoBad)
		return
	}
	c.JSON(http.StatusOK, s.apiPhotoJSON(*v))
}

// apiUploadPhoto is POST /api/v1/photos (public:modify): the multipart
// field "image". The pod keeps an uploaded photo pending (private to the
// user) until a post takes it (POST /api/v1/posts with its guid among
// photos), so pending is accepted but every upload is pending; unused
// ones are deleted after a day. aspect_ids "public" marks the photo as
// meant for a public post, which public:modify allows; anything else
// needs private:modify (diaspora*: a photo without aspect_ids is
// private). set_profile_photo true also makes it the profile picture.
func (s *Server) apiUploadPhoto(c *gin.Context) {
	g := apiGrant(c)
	p, ok := privParams(c)
	if !ok {
		return
	}
	aspectIDs, _ := privString(p, "aspect_ids")
	if aspectIDs != "public" && !g.Has(scopePrivateModify) {
		c.Header("WWW-Authenticate", `Bearer realm="OpenID Connect", error="insufficient_scope", scope="`+scopePrivateModify+`"`)
		apiError(c, http.StatusForbidden, "insufficient_scope")
		return
	}
	fh, err := c.FormFile("image")
	if err != nil {
		apiError(c, http.StatusUnprocessableEntity, msgPhotoBad+": the multipart field image holds no file")
		return
	}
	f, err := fh.Open()
	if err != nil {
		s.apiFail(c, err)
		return
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		s.apiFail(c, err)
		return
	}
	ctx := c.Request.Context()
	sess := apiSession(c)
	v, err := s.app.Photos.Upload(ctx, sess, bytes.NewReader(data))
	if err != nil {
		s.privFailAs(c, err, msgPhotoNotFound, msgPhotoBad)
		return
	}
	if profile, _ := privBool(p, "set_profile_photo"); profile {
		if err := s.app.Profiles.SetAvatar(ctx, sess.UserID, bytes.NewReader(data)); err != nil {
			s.privFailAs(c, err, msgPhotoNotFound, msgPhotoBad)
			return
		}
	}
	c.JSON(http.StatusOK, s.apiPhotoJSON(*v))
}

// apiDeletePhoto is DELETE /api/v1/photos/:guid (public:modify; a photo
// that is not public also needs private:modify): one of the user's own
// pending photos (204). Another's photo is a 404; a photo of a post goes
// with its post (422).
func (s *Server) apiDeletePhoto(c *gin.Context) {
	err := s.app.Photos.DeleteOwnByGUID(c.Request.Context(), apiSession(c), c.Param("guid"), apiGrant(c).Has(scopePrivateModify))
	if err != nil {
		s.privFailAs(c, err, msgPhotoNotFound, "Not allowed to delete the photo")
		return
	}
	c.Status(http.StatusNoContent)
}
