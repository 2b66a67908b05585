package web

import (
	"errors"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/contacts"
	"github.com/aspenpod/aspen/pod/federate"
	"github.com/aspenpod/aspen/pod/notifications"
)

func (s *Server) contactsPage(c *gin.Context, errs map[string]string) {
	ctx := c.Request.Context()
	sess := session(c)
	set := c.DefaultQuery("set", "all")
	if set != "all" && set != "receiving" && set != "only_sharing" {
		s.fail(c, &pod.InvalidError{Fields: map[string]string{"set": "must be all, receiving or only_sharing"}})
		return
	}
	var aspectID int64
	if v := c.Query("a_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			s.fail(c, pod.ErrNotFound)
			return
		}
		aspectID = n
	}
	page, _ := strconv.Atoi(c.DefaultQuery("page", "1"))
	if page < 1 {
		page = 1
	}
	filter := contacts.ContactFilter{Set: set, AspectID: aspectID}
	if wantsJSON(c) {
		filter.Limit, filter.Offset = 25, (page-1)*25
	}
	contacts, err := s.app.Contacts.Contacts(ctx, sess, filter)
	if err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		c.JSON(http.StatusOK, contacts)
		return
	}
	as, err := s.app.Contacts.Aspects(ctx, sess)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := contactsPage{Base: s.base(c), Set: set, Aspects: as, Contacts: contacts, Errors: errs, Heading: map[string]string{
		"all": "My contacts", "receiving": "People I share with", "only_sharing": "People only sharing with me"}[set]}
	for i := range as {
		if as[i].ID == aspectID {
			as[i].Selected = true
			p.Aspect = &as[i]
			p.Heading = "Aspect: " + as[i].Name
		}
	}
	code := http.StatusOK
	if len(errs) > 0 {
		code = http.StatusUnprocessableEntity
	}
	s.render(c, code, "contacts", p)
}

func (s *Server) contacts(c *gin.Context) {
	if q, ok := c.GetQuery("q"); ok && wantsJSON(c) {
		s.contactSearch(c, q) // mention completion (publisher.go)
		return
	}
	s.contactsPage(c, map[string]string{})
}

// aspectParams is a new or renamed aspect: "aspect[name]" or "name", and
// for a new one optionally a person to add to it.
type aspectParams struct {
	Aspect struct {
		Name     string  `json:"name"`
		PersonID idParam `json:"person_id"`
	} `json:"aspect"`
	Name     string  `json:"name"`
	PersonID idParam `json:"person_id"`
}

func (s *Server) createAspect(c *gin.Context) {
	var p aspectParams
	if err := bind(c, &p); err != nil {
		s.fail(c, err)
		return
	}
	name := p.Aspect.Name
	if name == "" {
		name = p.Name
	}
	personID := int64(p.PersonID)
	if personID == 0 {
		personID = int64(p.Aspect.PersonID)
	}
	as, err := s.app.Contacts.CreateAspect(c.Request.Context(), session(c), name, personID)
	if wantsJSON(c) {
		if err != nil {
			s.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, as)
		return
	}
	var inv *pod.InvalidError
	if errors.As(err, &inv) {
		s.contactsPage(c, inv.Fields)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "notice", "Aspect “"+as.Name+"” created.")
	c.Redirect(http.StatusSeeOther, "/contacts?a_id="+itoa(as.ID))
}

func (s *Server) updateAspect(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		s.fail(c, pod.ErrNotFound)
		return
	}
	var p aspectParams
	if err := bind(c, &p); err != nil {
		s.fail(c, err)
		return
	}
	name := p.Aspect.Name
	if name == "" {
		name = p.Name
	}
	if err := s.app.Contacts.RenameAspect(c.Request.Context(), session(c), id, name); err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		c.JSON(http.StatusOK, gin.H{"id": id, "name": name})
		return
	}
	s.flash(c, "notice", "Aspect renamed.")
	c.Redirect(http.StatusSeeOther, "/contacts?a_id="+itoa(id))
}

func (s *Server) deleteAspect(c *gin.Context) {
	if s.withID(c, func(id int64) error { return s.app.Contacts.DeleteAspect(c.Request.Context(), session(c), id) }) {
		s.done(c, "Aspect deleted.", "/contacts")
	}
}

func (s *Server) orderAspects(c *gin.Context) {
	var p struct {
		OrderedAspectIDs idListParam `json:"ordered_aspect_ids"`
	}
	if err := bind(c, &p); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.app.Contacts.OrderAspects(c.Request.Context(), session(c), p.OrderedAspectIDs); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// membershipParams names an aspect and a person.
type membershipParams struct {
	AspectID idParam `json:"aspect_id"`
	PersonID idParam `json:"person_id"`
}

func (s *Server) createMembership(c *gin.Context) {
	var p membershipParams
	if err := bind(c, &p); err != nil {
		s.fail(c, err)
		return
	}
	aspectID, personID := int64(p.AspectID), int64(p.PersonID)
	if aspectID == 0 || personID == 0 {
		s.fail(c, &pod.InvalidError{Message: "aspect_id and person_id are required"})
		return
	}
	m, err := s.app.Contacts.AddToAspect(c.Request.Context(), session(c), aspectID, personID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		c.JSON(http.StatusOK, m)
		return
	}
	s.flash(c, "notice", "Added to “"+m.Aspect.Name+"”.")
	back(c, "/contacts")
}

func (s *Server) deleteMembership(c *gin.Context) {
	id, _ := pathID(c, "id")
	var p membershipParams
	if err := bind(c, &p); err != nil {
		s.fail(c, err)
		return
	}
	aspectID, personID := int64(p.AspectID), int64(p.PersonID)
	if id == 0 && (aspectID == 0 || personID == 0) {
		s.fail(c, pod.ErrNotFound)
		return
	}
	m, err := s.app.Contacts.RemoveFromAspect(c.Request.Context(), session(c), id, aspectID, personID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		c.JSON(http.StatusOK, m)
		return
	}
	s.flash(c, "notice", "Removed from the aspect.")
	back(c, "/contacts")
}

func (s *Server) people(c *gin.Context) {
	q := c.Query("q")
	if !wantsJSON(c) {
		if strings.HasPrefix(strings.TrimSpace(q), "#") {
			// A #tag is searched for where tags are (search.go).
			c.Redirect(http.StatusFound, "/search?q="+url.QueryEscape(q))
			return
		}
		page, err := s.findPeople(c, q)
		if err != nil {
			s.fail(c, err)
			return
		}
		s.render(c, http.StatusOK, "people", page)
		return
	}
	results, err := s.app.Contacts.SearchPeople(c.Request.Context(), session(c), q)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, results)
}

// findPeople runs a people search for a page. A person on another pod who
// could not be found is a notice on the page (scripts get the 404 errors.go
// maps it to).
func (s *Server) findPeople(c *gin.Context, q string) (*peoplePage, error) {
	sess := session(c)
	results, err := s.app.Contacts.SearchPeople(c.Request.Context(), sess, q)
	var notFound *federate.DiscoveryError
	if err != nil && !errors.As(err, &notFound) {
		return nil, err
	}
	page := &peoplePage{Base: s.base(c), Query: q}
	if notFound != nil {
		_, _, page.NotFound = status(notFound)
	}
	page.SignInToFind = sess == nil && len(results) == 0 && federate.LooksLikeDiasporaID(strings.TrimPrefix(strings.TrimSpace(q), "@"))
	if page.Results, err = s.personResults(c, results); err != nil {
		return nil, err
	}
	return page, nil
}

func (s *Server) createBlock(c *gin.Context) {
	var p struct {
		Block struct {
			PersonID idParam `json:"person_id"`
		} `json:"block"`
		PersonID idParam `json:"person_id"`
	}
	if err := bind(c, &p); err != nil {
		s.fail(c, err)
		return
	}
	personID := int64(p.Block.PersonID)
	if personID == 0 {
		personID = int64(p.PersonID)
	}
	if personID == 0 {
		s.fail(c, &pod.InvalidError{Fields: map[string]string{"person_id": "can't be blank"}})
		return
	}
	if _, err := s.app.Contacts.Block(c.Request.Context(), session(c), personID); err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		c.Status(http.StatusNoContent)
		return
	}
	s.flash(c, "notice", "You now ignore this person.")
	back(c, "/privacy")
}

func (s *Server) deleteBlock(c *gin.Context) {
	if s.withID(c, func(id int64) error { return s.app.Contacts.Unblock(c.Request.Context(), session(c), id) }) {
		s.doneBack(c, "You no longer ignore this person.", "/privacy")
	}
}

func (s *Server) privacy(c *gin.Context) {
	blocks, err := s.app.Contacts.Blocks(c.Request.Context(), session(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		c.JSON(http.StatusOK, blocks)
		return
	}
	s.render(c, http.StatusOK, "privacy", privacyPage{Base: s.base(c), Blocks: blocks})
}

func (s *Server) notifications(c *gin.Context) {
	page, _ := strconv.Atoi(c.DefaultQuery("page", "1"))
	perPage, _ := strconv.Atoi(c.DefaultQuery("per_page", "25"))
	typ := c.Query("type")
	list, err := s.app.Notifications.Notifications(c.Request.Context(), session(c), c.Query("show") == "unread", typ, page, perPage)
	if err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		// diaspora*'s shape: each entry wrapped under its type, plus the
		// type itself ({"type": "liked", "liked": {...}}), as diaspy reads it.
		entries := make([]gin.H, 0, len(list.Items))
		for _, n := range list.Items {
			// As diaspora*: the actors as hovercard links, what they did, and
			// a link to the post carrying its id in data-ref.
			var actors []string
			for _, a := range n.Actors {
				actors = append(actors, `<a class="hovercardable" href="/people/`+html.EscapeString(a.GUID)+`">`+html.EscapeString(a.Name)+`</a>`)
			}
			note := `<div class="media-body">` + strings.Join(actors, ", ") + " " + html.EscapeString(n.Verb)
			if n.TargetType == "Post" {
				note += ` <a href="` + html.EscapeString(n.Link) + `" data-ref="` + itoa(n.TargetID) + `">` + html.EscapeString(n.TargetGUID) + `</a>`
			}
			note += `</div>` // diaspy reads the text of .media-body
			entries = append(entries, gin.H{"type": n.Type, n.Type: gin.H{
				"id": n.ID, "target_type": n.TargetType, "target_id": n.TargetID, "recipient_id": session(c).UserID,
				"unread": n.Unread, "created_at": n.CreatedAt, "updated_at": n.UpdatedAt, "note_html": note,
			}})
		}
		c.JSON(http.StatusOK, gin.H{"unread_count": list.UnreadCount, "unread_count_by_type": list.UnreadCountByType, "notification_list": entries})
		return
	}
	p := notificationsPage{Base: s.base(c), Type: typ, Types: notifications.NotificationTypes, Items: list.Items}
	if len(list.Items) == perPage || (perPage <= 0 && len(list.Items) == 25) {
		p.NextPage = "/notifications?page=" + strconv.Itoa(page+1) + "&type=" + typ
	}
	s.render(c, http.StatusOK, "notifications", p)
}

func (s *Server) markNotification(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		s.fail(c, pod.ErrNotFound)
		return
	}
	var p struct {
		SetUnread flagParam `json:"set_unread"`
	}
	if err := bind(c, &p); err != nil {
		s.fail(c, err)
		return
	}
	unread := bool(p.SetUnread)
	if err := s.app.Notifications.MarkNotification(c.Request.Context(), session(c), id, unread); err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		c.JSON(http.StatusOK, gin.H{"guid": id, "unread": unread})
		return
	}
	back(c, "/notifications")
}

func (s *Server) readAllNotifications(c *gin.Context) {
	if err := s.app.Notifications.ReadAllNotifications(c.Request.Context(), session(c), c.Query("type")); err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		c.Status(http.StatusNoContent)
		return
	}
	c.Redirect(http.StatusSeeOther, "/notifications")
}

func (s *Server) tagFollowings(c *gin.Context) {
	tags, err := s.app.Streams.FollowedTags(c.Request.Context(), session(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]tagFollowing, len(tags))
	for i, t := range tags {
		out[i] = tagFollowing{ID: t.ID, Name: t.Name}
	}
	if wantsJSON(c) {
		js := make([]gin.H, len(out))
		for i, t := range out {
			js[i] = gin.H{"id": t.ID, "name": t.Name}
		}
		c.JSON(http.StatusOK, js)
		return
	}
	s.render(c, http.StatusOK, "tags", tagsPage{Base: s.base(c), Tags: out, Errors: map[string]string{}})
}

func (s *Server) followTag(c *gin.Context) {
	var p struct {
		Name string `json:"name"`
	}
	if err := bind(c, &p); err != nil {
		s.fail(c, err)
		return
	}
	id, name, err := s.app.Streams.FollowTag(c.Request.Context(), session(c), p.Name)
	if err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		c.JSON(http.StatusCreated, gin.H{"id": id, "name": name})
		return
	}
	s.flash(c, "notice", "You now follow #"+name+".")
	back(c, "/tags/"+name)
}

func (s *Server) unfollowTag(c *gin.Context) {
	key := c.Param("id")
	ctx := c.Request.Context()
	var err error
	if n, perr := strconv.ParseInt(key, 10, 64); perr == nil {
		err = s.app.Streams.UnfollowTagByID(ctx, session(c), n)
	} else {
		err = s.app.Streams.UnfollowTag(ctx, session(c), key)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		c.Status(http.StatusNoContent)
		return
	}
	s.flash(c, "notice", "You no longer follow that tag.")
	back(c, "/tag_followings")
}
