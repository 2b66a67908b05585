package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/contacts"
	"github.com/aspenpod/aspen/pod/oidcp"
	"github.com/aspenpod/aspen/pod/profiles"
	"github.com/aspenpod/aspen/pod/streams"
)

// The scopes of diaspora*'s API that only these routes check.
const (
	scopeContactsModify     = "contacts:modify"
	scopeProfileModify      = "profile:modify"
	scopeProfileReadPrivate = "profile:read_private"
)

// apiProfileMaxTags is diaspora*'s Profile::MAX_TAGS.
const apiProfileMaxTags = 5

// apiPeopleRoutes registers diaspora*'s API v1 routes for user (PATCH), users, contacts, blocks and aspects.
func (s *Server) apiPeopleRoutes(api *gin.RouterGroup) {
	read, modify := s.requireScopes(oidcp.ScopeContactsRead), s.requireScopes(scopeContactsModify)
	public := s.requireScopes(oidcp.ScopePublicRead)
	api.PATCH("/user", s.requireScopes(scopeProfileModify), s.apiUpdateUser)
	api.GET("/users/:guid", s.requireScopes(oidcp.ScopeProfile), s.apiShowUser)
	api.GET("/users/:guid/posts", public, s.apiUserPosts)
	api.GET("/users/:guid/photos", public, s.apiUserPhotos)
	api.GET("/users/:guid/contacts", read, s.apiUserContacts)
	api.POST("/users/:guid/block", modify, s.apiBlock)
	api.DELETE("/users/:guid/block", modify, s.apiUnblock)
	api.GET("/aspects", read, s.apiAspects)
	api.POST("/aspects", modify, s.apiCreateAspect)
	api.GET("/aspects/:id", read, s.apiShowAspect)
	api.PATCH("/aspects/:id", modify, s.apiUpdateAspect)
	api.DELETE("/aspects/:id", modify, s.apiDeleteAspect)
	api.GET("/aspects/:id/contacts", read, s.apiAspectContacts)
	api.POST("/aspects/:id/contacts", modify, s.apiAddToAspect)
	api.DELETE("/aspects/:id/contacts/:person_guid", modify, s.apiRemoveFromAspect)
}

// apiFailAs maps a use case error as apiFail does, with diaspora*'s
// message of the endpoint for "not found" and for bad input (followed by
// what was wrong).
func (s *Server) apiFailAs(c *gin.Context, err error, notFound, invalid string) {
	var inv *pod.InvalidError
	var moved *pod.MovedError
	switch {
	case pod.IsNotFound(err), errors.As(err, &moved):
		apiError(c, http.StatusNotFound, notFound)
	case errors.As(err, &inv):
		apiError(c, http.StatusUnprocessableEntity, invalid+": "+inv.Error())
	default:
		s.apiFail(c, err)
	}
}

// apiParams reads the request's parameters as one object: a JSON object
// body, or form fields (body and query, as Rails' params). Form values are
// strings (a repeated field, or one named "x[]", a list of them). It
// answers 400 and reports false for a body that cannot be read.
func apiParams(c *gin.Context) (map[string]any, bool) {
	ct, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if ct == "application/json" {
		out := map[string]any{}
		dec := json.NewDecoder(c.Request.Body)
		dec.UseNumber()
		if err := dec.Decode(&out); err != nil && !errors.Is(err, io.EOF) {
			apiError(c, http.StatusBadRequest, "The request body could not be read: it must be a JSON object")
			return nil, false
		}
		return out, true
	}
	if ct == "multipart/form-data" {
		if _, err := c.MultipartForm(); err != nil {
			apiError(c, http.StatusBadRequest, "The request body could not be read")
			return nil, false
		}
	} else if err := c.Request.ParseForm(); err != nil {
		apiError(c, http.StatusBadRequest, "The request body could not be read")
		return nil, false
	}
	out := map[string]any{}
	for k, vs := range c.Request.Form {
		if k == "access_token" || len(vs) == 0 {
			continue
		}
		if name, ok := strings.CutSuffix(k, "[]"); ok {
			list := make([]any, len(vs))
			for i, v := range vs {
				list[i] = v
			}
			out[name] = list
		} else if len(vs) > 1 {
			list := make([]any, len(vs))
			for i, v := range vs {
				list[i] = v
			}
			out[k] = list
		} else {
			out[k] = vs[0]
		}
	}
	return out, true
}

// paramString reads a string parameter; present tells whether it was
// given, and an error names a value of another type. JSON null is "".
func paramString(params map[string]any, key string) (v string, present bool, err error) {
	raw, ok := params[key]
	if !ok {
		return "", false, nil
	}
	switch x := raw.(type) {
	case nil:
		return "", true, nil
	case string:
		return x, true, nil
	}
	return "", true, fmt.Errorf("%s must be a string", key)
}

// paramBool reads a boolean parameter (JSON true/false, or a form's
// true/false/1/0).
func paramBool(params map[string]any, key string) (v, present bool, err error) {
	raw, ok := params[key]
	if !ok {
		return false, false, nil
	}
	switch x := raw.(type) {
	case bool:
		return x, true, nil
	case string:
		if b, err := strconv.ParseBool(x); err == nil {
			return b, true, nil
		}
	}
	return false, true, fmt.Errorf("%s must be true or false", key)
}

// paramInt reads a whole-number parameter.
func paramInt(params map[string]any, key string) (v int, present bool, err error) {
	raw, ok := params[key]
	if !ok {
		return 0, false, nil
	}
	bad := fmt.Errorf("%s must be a whole number", key)
	switch x := raw.(type) {
	case json.Number:
		f, err := x.Float64()
		if err != nil || f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
			return 0, true, bad
		}
		return int(f), true, nil
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(x))
		if err != nil || n > math.MaxInt32 || n < math.MinInt32 {
			return 0, true, bad
		}
		return n, true, nil
	}
	return 0, true, bad
}

// paramStrings reads a list of strings.
func paramStrings(params map[string]any, key string) (v []string, present bool, err error) {
	raw, ok := params[key]
	if !ok {
		return nil, false, nil
	}
	bad := fmt.Errorf("%s must be a list of strings", key)
	switch x := raw.(type) {
	case nil:
		return []string{}, true, nil
	case string:
		return []string{x}, true, nil
	case []any:
		out := make([]string, 0, len(x))
		for _, item := range x {
			str, ok := item.(string)
			if !ok {
				return nil, true, bad
			}
			out = append(out, str)
		}
		return out, true, nil
	}
	return nil, true, bad
}

// --- the user's own profile ---

// apiOwnProfile is diaspora*'s own profile (ProfilePresenter
// #as_self_api_json with the guid), as GET /api/v1/user answers it: the
// private fields need profile:read_private.
func (s *Server) apiOwnProfile(g *oidcp.Grant, in *profiles.ProfileInput, view *profiles.ProfileView) gin.H {
	out := gin.H{
		"guid": view.GUID, "diaspora_id": view.DiasporaID,
		"avatar": gin.H{"small": s.absURL(view.AvatarSmall), "medium": s.absURL(view.AvatarMedium),
			"large": s.absURL(view.AvatarLarge), "raw": s.absURL(view.AvatarLarge)},
		"tags": []string{}, "searchable": in.Searchable, "show_profile_info": in.PublicDetails, "nsfw": in.NSFW,
	}
	if n := strings.TrimSpace(in.FirstName + " " + in.LastName); n != "" {
		out["name"] = n
	}
	if g.Has(scopeProfileReadPrivate) {
		out["bio"], out["location"], out["gender"] = in.Bio, in.Location, in.Gender
		out["birthday"] = nil
		if view.BirthDate != "" {
			out["birthday"] = view.BirthDate
		}
	}
	return out
}

// apiUpdateUser is PATCH /api/v1/user (profile:modify): diaspora*'s
// profile fields (bio, birthday as an ISO 8601 date, gender, location,
// name, searchable, show_profile_info, nsfw, tags), saved through the
// web's profile form use case, all or nothing. Any bad value is a 422 and
// changes nothing. Tags are checked as diaspora* does (at most five,
// each a valid tag) but not kept: this pod has no profile tags yet, and
// the answer's empty tags say so.
func (s *Server) apiUpdateUser(c *gin.Context) {
	const failed = "Failed to update the user settings"
	params, ok := apiParams(c)
	if !ok {
		return
	}
	if _, has := params["id"]; has { // as diaspora*: no other user's profile
		apiError(c, http.StatusUnprocessableEntity, failed)
		return
	}
	ctx, g := c.Request.Context(), apiGrant(c)
	in, _, err := s.app.Profiles.ProfileForm(ctx, g.Session.UserID)
	if err != nil {
		s.apiFail(c, err)
		return
	}
	var problems []string
	note := func(err error) {
		if err != nil {
			problems = append(problems, err.Error())
		}
	}
	for _, f := range []struct {
		key string
		dst *string
	}{{"bio", &in.Bio}, {"gender", &in.Gender}, {"location", &in.Location}} {
		v, present, err := paramString(params, f.key)
		note(err)
		if present && err == nil {
			*f.dst = v
		}
	}
	if v, present, err := paramString(params, "name"); err != nil {
		note(err)
	} else if present {
		in.FirstName, in.LastName = v, ""
	}
	if v, present, err := paramString(params, "birthday"); err != nil {
		note(err)
	} else if present && strings.TrimSpace(v) == "" {
		in.BirthYear, in.BirthMonth, in.BirthDay = "", "", ""
	} else if present {
		d, err := time.Parse("2006-01-02", strings.TrimSpace(v))
		if err != nil {
			note(errors.New("birthday must be a date like 1984-01-02"))
		} else {
			in.BirthYear, in.BirthMonth, in.BirthDay = strconv.Itoa(d.Year()), strconv.Itoa(int(d.Month())), strconv.Itoa(d.Day())
		}
	}
	for _, f := range []struct {
		key string
		dst *bool
	}{{"searchable", &in.Searchable}, {"show_profile_info", &in.PublicDetails}, {"nsfw", &in.NSFW}} {
		v, present, err := paramBool(params, f.key)
		note(err)
		if present && err == nil {
			*f.dst = v
		}
	}
	if tags, present, err := paramStrings(params, "tags"); err != nil {
		note(err)
	} else if present {
		if len(tags) > apiProfileMaxTags {
			note(fmt.Errorf("tags: at most %d", apiProfileMaxTags))
		}
		for _, t := range tags {
			if _, ok := pod.NormalizeTag(t); !ok {
				note(fmt.Errorf("tags: %q is not a tag", t))
			}
		}
	}
	if len(problems) > 0 {
		apiError(c, http.StatusUnprocessableEntity, failed+": "+strings.Join(problems, "; "))
		return
	}
	if err := s.app.Profiles.UpdateProfile(ctx, g.Session.UserID, *in); err != nil {
		s.apiFailAs(c, err, "User not found", failed)
		return
	}
	in, view, err := s.app.Profiles.ProfileForm(ctx, g.Session.UserID)
	if err != nil {
		s.apiFail(c, err)
		return
	}
	c.JSON(http.StatusOK, s.apiOwnProfile(g, in, view))
}

// --- other people ---

// apiShowUser is GET /api/v1/users/:guid (profile): diaspora*'s
// PersonPresenter#profile_hash_as_api_json. A person who is not
// searchable is found only with contacts:read (as diaspora*); the private
// fields (birthday, gender, location, bio) are there only when the person
// shares them with the token's user, as on the web.
func (s *Server) apiShowUser(c *gin.Context) {
	const notFound = "User not found"
	ctx, g, guid := c.Request.Context(), apiGrant(c), c.Param("guid")
	if guid == g.Session.GUID {
		in, view, err := s.app.Profiles.ProfileForm(ctx, g.Session.UserID)
		if err != nil {
			s.apiFail(c, err)
			return
		}
		c.JSON(http.StatusOK, s.apiOwnProfile(g, in, view))
		return
	}
	view, err := s.app.Profiles.Profile(ctx, g.Session, guid)
	if err != nil {
		s.apiFailAs(c, err, notFound, notFound)
		return
	}
	if !view.Searchable && !g.Has(oidcp.ScopeContactsRead) {
		apiError(c, http.StatusNotFound, notFound)
		return
	}
	rel, err := s.app.Contacts.Relationship(ctx, g.Session, guid)
	if err != nil {
		s.apiFailAs(c, err, notFound, notFound)
		return
	}
	out := gin.H{
		"guid": view.GUID, "diaspora_id": view.DiasporaID,
		"avatar": gin.H{"small": s.absURL(view.AvatarSmall), "medium": s.absURL(view.AvatarMedium), "large": s.absURL(view.AvatarLarge)},
		"tags":   []string{}, "blocked": rel.Blocked,
		"relationship": gin.H{
			"receiving": rel.Relationship == "receiving" || rel.Relationship == "mutual",
			"sharing":   rel.Relationship == "sharing" || rel.Relationship == "mutual",
		},
	}
	if n := strings.TrimSpace(view.FirstName + " " + view.LastName); n != "" {
		out["name"] = n
	}
	if view.ShowPrivate {
		out["bio"], out["location"], out["gender"], out["birthday"] = view.BioText, view.Location, view.Gender, nil
		if view.BirthDate != "" {
			out["birthday"] = view.BirthDate
		}
	}
	aspectsOf := make([]gin.H, 0, len(rel.Memberships))
	for _, m := range rel.Memberships {
		aspectsOf = append(aspectsOf, gin.H{"id": m.AspectID, "name": m.Aspect.Name})
	}
	out["aspects"] = aspectsOf
	c.JSON(http.StatusOK, out)
}

// apiTimeCursor is the stream cursor of "older than t" (strictly, as
// diaspora*'s before=): ID 1 puts every row of time t after the cursor.
func apiTimeCursor(t time.Time) string {
	return strconv.FormatInt(t.UnixMicro(), 10) + "_1"
}

// apiBeforeOnly reads a time page that goes back in time; after= is a
// 422 here, as the person stream and photos page only look back (the Link
// header offers next pages only).
func apiBeforeOnly(c *gin.Context) (apiTimePage, bool) {
	page, ok := apiTimePager(c)
	if ok && !page.Descending {
		apiError(c, http.StatusUnprocessableEntity, "after= is not supported here: page with before=")
		return apiTimePage{}, false
	}
	return page, ok
}

// apiUserPosts is GET /api/v1/users/:guid/posts (public:read): the
// person's posts the token's user may read, through the web's person
// stream; limited posts only with private:read. Time-paged (before=).
func (s *Server) apiUserPosts(c *gin.Context) {
	page, ok := apiBeforeOnly(c)
	if !ok {
		return
	}
	g := apiGrant(c)
	sp, err := s.app.Streams.Stream(c.Request.Context(), apiSession(c), streams.StreamQuery{Kind: streams.StreamPerson,
		PersonGUID: c.Param("guid"), Before: apiTimeCursor(page.Time), Limit: page.PerPage})
	if err != nil {
		s.apiFailAs(c, err, "User not found", "Failed to load the posts")
		return
	}
	out := make([]gin.H, 0, len(sp.Posts))
	times := make([]time.Time, 0, len(sp.Posts))
	for _, p := range sp.Posts {
		// The visibility rule already leaves limited posts out of a
		// PublicOnly session's pages; this check keeps it so.
		times = append(times, p.CreatedAt)
		if !p.Public && !g.Has(oidcp.ScopePrivateRead) {
			continue
		}
		out = append(out, s.apiPost(p))
	}
	s.apiTimeLinks(c, page, times, false)
	c.JSON(http.StatusOK, out)
}

// apiUserPhotos is GET /api/v1/users/:guid/photos (public:read): the
// photos of the person's posts the token's user may read, through the
// web's person photos page (of limited posts only with private:read).
// Time-paged (before=); a page holds at most photos.PersonPhotosPageSize.
func (s *Server) apiUserPhotos(c *gin.Context) {
	page, ok := apiBeforeOnly(c)
	if !ok {
		return
	}
	// Without private:read the page is the one a signed-out visitor sees:
	// the photos of public posts only.
	var viewer *pod.Session
	if apiGrant(c).Has(oidcp.ScopePrivateRead) {
		viewer = apiSession(c)
	}
	pp, err := s.app.Photos.OfPerson(c.Request.Context(), viewer, c.Param("guid"), apiTimeCursor(page.Time))
	if err != nil {
		s.apiFailAs(c, err, "User not found", "Failed to load the photos")
		return
	}
	out := make([]gin.H, 0, len(pp.Photos))
	times := make([]time.Time, 0, len(pp.Photos))
	for _, ph := range pp.Photos {
		if len(out) == page.PerPage {
			break
		}
		if !ph.Ready {
			continue
		}
		item := gin.H{"guid": ph.GUID, "created_at": apiTime(ph.CreatedAt),
			"dimensions": gin.H{"height": ph.Dimensions.Height, "width": ph.Dimensions.Width},
			"sizes": gin.H{"raw": s.absURL(ph.Sizes.Raw), "large": s.absURL(ph.Sizes.Large),
				"medium": s.absURL(ph.Sizes.Medium), "small": s.absURL(ph.Sizes.Small)}}
		if ph.Post != nil {
			item["post"] = ph.Post.GUID
		}
		out = append(out, item)
		times = append(times, ph.CreatedAt)
	}
	s.apiTimeLinks(c, page, times, false)
	c.JSON(http.StatusOK, out)
}

// apiUserContacts is GET /api/v1/users/:guid/contacts (contacts:read):
// the token user's contacts (people they share with or who share with
// them), index-paged. Another person's contacts are a 404, as on
// diaspora*.
func (s *Server) apiUserContacts(c *gin.Context) {
	g := apiGrant(c)
	if c.Param("guid") != g.Session.GUID {
		apiError(c, http.StatusNotFound, "User not found")
		return
	}
	page, ok := apiIndexPager(c)
	if !ok {
		return
	}
	cs, err := s.app.Contacts.Contacts(c.Request.Context(), g.Session, contacts.ContactFilter{Limit: page.PerPage + 1, Offset: page.Offset()})
	if err != nil {
		s.apiFail(c, err)
		return
	}
	s.apiContactList(c, page, cs)
}

// apiContactList answers a page of contacts (fetched with one extra to
// tell whether there is a next page) as diaspora*'s short profiles.
func (s *Server) apiContactList(c *gin.Context, page apiIndexPage, cs []contacts.ContactView) {
	apiIndexAnswer(s, c, page, cs, func(cv contacts.ContactView) any { return s.apiPerson(cv.Person) })
}

// apiBlock is POST /api/v1/users/:guid/block (contacts:modify): ignore
// the person, as the web's block (sharing stops, federated). 201; 409
// when already ignored.
func (s *Server) apiBlock(c *gin.Context) {
	if err := s.app.Contacts.BlockByGUID(c.Request.Context(), apiSession(c), c.Param("guid")); err != nil {
		s.apiFailAs(c, err, "User not found", "Failed to block the user")
		return
	}
	c.Status(http.StatusCreated)
}

// apiUnblock is DELETE /api/v1/users/:guid/block (contacts:modify): stop
// ignoring the person. 204; 410 when not ignored.
func (s *Server) apiUnblock(c *gin.Context) {
	if err := s.app.Contacts.UnblockByGUID(c.Request.Context(), apiSession(c), c.Param("guid")); err != nil {
		s.apiFailAs(c, err, "User not found", "Failed to unblock the user")
		return
	}
	c.Status(http.StatusNoContent)
}

// --- aspects ---

const apiAspectNotFound = "Aspect with provided ID could not be found"

// apiAspect is diaspora*'s AspectPresenter#as_api_json.
func apiAspect(a contacts.AspectView) gin.H {
	return gin.H{"id": a.ID, "name": a.Name, "order": a.Order}
}

// apiAspectID reads the :id of an aspect path; anything not a positive
// number is no aspect (404).
func apiAspectID(c *gin.Context) (int64, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		apiError(c, http.StatusNotFound, apiAspectNotFound)
		return 0, false
	}
	return id, true
}

// apiAspects is GET /api/v1/aspects (contacts:read): the user's aspects
// in their order, index-paged.
func (s *Server) apiAspects(c *gin.Context) {
	page, ok := apiIndexPager(c)
	if !ok {
		return
	}
	as, err := s.app.Contacts.Aspects(c.Request.Context(), apiSession(c))
	if err != nil {
		s.apiFail(c, err)
		return
	}
	from := min(page.Offset(), len(as))
	to := min(from+page.PerPage, len(as))
	out := make([]gin.H, 0, to-from)
	for _, a := range as[from:to] {
		out = append(out, apiAspect(a))
	}
	s.apiIndexLinks(c, page, to < len(as))
	c.JSON(http.StatusOK, out)
}

// apiShowAspect is GET /api/v1/aspects/:id (contacts:read).
func (s *Server) apiShowAspect(c *gin.Context) {
	id, ok := apiAspectID(c)
	if !ok {
		return
	}
	a, err := s.app.Contacts.Aspect(c.Request.Context(), apiSession(c), id)
	if err != nil {
		s.apiFailAs(c, err, apiAspectNotFound, apiAspectNotFound)
		return
	}
	c.JSON(http.StatusOK, apiAspect(*a))
}

// apiCreateAspect is POST /api/v1/aspects (contacts:modify): name, as
// the web's new aspect form. A missing, blank, too long or taken name is
// a 422.
func (s *Server) apiCreateAspect(c *gin.Context) {
	const failed = "Failed to create the aspect"
	params, ok := apiParams(c)
	if !ok {
		return
	}
	name, present, err := paramString(params, "name")
	if err != nil || !present {
		apiError(c, http.StatusUnprocessableEntity, failed+": name is missing")
		return
	}
	a, err := s.app.Contacts.CreateAspect(c.Request.Context(), apiSession(c), name, 0)
	if err != nil {
		s.apiFailAs(c, err, apiAspectNotFound, failed)
		return
	}
	c.JSON(http.StatusOK, apiAspect(*a))
}

// apiUpdateAspect is PATCH /api/v1/aspects/:id (contacts:modify): name
// and/or order (the new position; the others move), all or nothing.
// chat_enabled is accepted and ignored (this pod has no chat).
func (s *Server) apiUpdateAspect(c *gin.Context) {
	const failed = "Failed to update the aspect"
	id, ok := apiAspectID(c)
	if !ok {
		return
	}
	params, ok := apiParams(c)
	if !ok {
		return
	}
	var u contacts.AspectUpdate
	if name, present, err := paramString(params, "name"); err != nil {
		apiError(c, http.StatusUnprocessableEntity, failed+": "+err.Error())
		return
	} else if present {
		u.Name = &name
	}
	if order, present, err := paramInt(params, "order"); err != nil {
		apiError(c, http.StatusUnprocessableEntity, failed+": "+err.Error())
		return
	} else if present {
		u.Order = &order
	}
	a, err := s.app.Contacts.UpdateAspect(c.Request.Context(), apiSession(c), id, u)
	if err != nil {
		s.apiFailAs(c, err, failed, failed)
		return
	}
	c.JSON(http.StatusOK, apiAspect(*a))
}

// apiDeleteAspect is DELETE /api/v1/aspects/:id (contacts:modify), as the
// web's: people left in no aspect stop receiving the user's posts. 204.
// Another user's aspect is a 404 (diaspora* answers 422).
func (s *Server) apiDeleteAspect(c *gin.Context) {
	id, ok := apiAspectID(c)
	if !ok {
		return
	}
	if err := s.app.Contacts.DeleteAspect(c.Request.Context(), apiSession(c), id); err != nil {
		s.apiFailAs(c, err, apiAspectNotFound, "Failed to delete the aspect")
		return
	}
	c.Status(http.StatusNoContent)
}

// apiAspectContacts is GET /api/v1/aspects/:id/contacts (contacts:read):
// the people in the aspect, index-paged.
func (s *Server) apiAspectContacts(c *gin.Context) {
	id, ok := apiAspectID(c)
	if !ok {
		return
	}
	page, ok := apiIndexPager(c)
	if !ok {
		return
	}
	cs, err := s.app.Contacts.Contacts(c.Request.Context(), apiSession(c),
		contacts.ContactFilter{AspectID: id, Limit: page.PerPage + 1, Offset: page.Offset()})
	if err != nil {
		s.apiFailAs(c, err, apiAspectNotFound, apiAspectNotFound)
		return
	}
	s.apiContactList(c, page, cs)
}

// apiAddToAspect is POST /api/v1/aspects/:id/contacts (contacts:modify):
// person_guid (the documentation's "person" too) goes into the aspect,
// exactly as the web's aspect membership (the first aspect starts
// sharing, which federates). 204; an unknown person, or one already in
// the aspect, is a 422, as on diaspora*.
func (s *Server) apiAddToAspect(c *gin.Context) {
	const failed = "Failed to add user to aspect"
	id, ok := apiAspectID(c)
	if !ok {
		return
	}
	params, ok := apiParams(c)
	if !ok {
		return
	}
	guid, present, err := paramString(params, "person_guid")
	if !present {
		guid, present, err = paramString(params, "person")
	}
	if err != nil || !present || guid == "" {
		apiError(c, http.StatusUnprocessableEntity, failed+": person_guid is missing")
		return
	}
	if err := s.app.Contacts.AddToAspectByGUID(c.Request.Context(), apiSession(c), id, guid); err != nil {
		s.apiFailAs(c, err, apiAspectNotFound, failed)
		return
	}
	c.Status(http.StatusNoContent)
}

// apiRemoveFromAspect is DELETE /api/v1/aspects/:id/contacts/:person_guid
// (contacts:modify), as the web's (leaving the last aspect stops
// sharing). 204; 410 when the person is not in the aspect (diaspora*
// answers 404), 422 for an unknown person.
func (s *Server) apiRemoveFromAspect(c *gin.Context) {
	id, ok := apiAspectID(c)
	if !ok {
		return
	}
	err := s.app.Contacts.RemoveFromAspectByGUID(c.Request.Context(), apiSession(c), id, c.Param("person_guid"))
	if err != nil {
		s.apiFailAs(c, err, "Aspect or contact on aspect not found", "Failed to remove user from aspect")
		return
	}
	c.Status(http.StatusNoContent)
}
