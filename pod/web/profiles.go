package web

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/contacts"
	"github.com/aspenpod/aspen/pod/profiles"
	"github.com/aspenpod/aspen/pod/streams"
)

func (s *Server) profile(c *gin.Context) {
	ctx := c.Request.Context()
	sess := session(c)
	guid := strings.TrimSuffix(c.Param("guid"), ".json")
	p, err := s.app.Profiles.Profile(ctx, sess, guid)
	if moved := (*pod.MovedError)(nil); errors.As(err, &moved) {
		s.movedTo(c, moved)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	var rel *contacts.Relation
	if sess != nil && !p.IsOwner {
		if rel, err = s.app.Contacts.Relationship(ctx, sess, guid); err != nil {
			s.fail(c, err)
			return
		}
	}
	if wantsJSON(c) {
		js := profileJSON(p)
		js["is_own_profile"] = p.IsOwner
		js["show_profile_info"] = p.ShowPrivate
		js["relationship"] = "not_sharing"
		js["contact"] = false
		js["block"] = false
		if rel != nil {
			js["relationship"] = rel.Relationship
			js["block"] = rel.Blocked
			if rel.ContactID != 0 {
				js["contact"] = gin.H{"id": rel.ContactID, "person_id": p.ID, "aspect_memberships": rel.Memberships}
			}
		}
		c.JSON(http.StatusOK, js)
		return
	}
	if err := s.app.Profiles.PersonSeen(ctx, sess, p.ID); err != nil {
		s.fail(c, err)
		return
	}
	q, err := streamQuery(c, streams.StreamPerson)
	if err != nil {
		s.fail(c, err)
		return
	}
	q.PersonGUID = guid
	stream, err := s.app.Streams.Stream(ctx, sess, q)
	if err != nil {
		s.fail(c, err)
		return
	}
	page := profilePage{Base: s.base(c), Profile: p, PersonID: p.ID, Relation: rel, Posts: stream.Posts, Next: nextURL(c, stream.Next)}
	if rel != nil {
		as, err := s.app.Contacts.Aspects(ctx, sess)
		if err != nil {
			s.fail(c, err)
			return
		}
		in := map[int64]bool{}
		for _, m := range rel.Memberships {
			in[m.AspectID] = true
		}
		for _, a := range as {
			if !in[a.ID] {
				page.FreeAspects = append(page.FreeAspects, a)
			}
		}
	}
	s.render(c, http.StatusOK, "profile", page)
}

func (s *Server) personStream(c *gin.Context) {
	q, err := streamQuery(c, streams.StreamPerson)
	if err != nil {
		s.fail(c, err)
		return
	}
	q.PersonGUID = c.Param("guid")
	page, err := s.app.Streams.Stream(c.Request.Context(), session(c), q)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !wantsJSON(c) {
		c.Redirect(http.StatusFound, "/people/"+q.PersonGUID)
		return
	}
	c.JSON(http.StatusOK, page.Posts)
}

// profileJSON is the person JSON shape diaspora*'s front end reads.
func profileJSON(p *profiles.ProfileView) gin.H {
	profile := gin.H{
		"first_name": p.FirstName, "last_name": p.LastName, "full_name": p.Name,
		"avatar":     gin.H{"small": p.AvatarSmall, "medium": p.AvatarMedium, "large": p.AvatarLarge},
		"searchable": p.Searchable, "nsfw": p.NSFW,
	}
	if p.ShowPrivate {
		profile["bio"] = string(p.Bio)
		profile["location"] = p.Location
		profile["gender"] = p.Gender
		profile["birthday"] = p.Birthday
	}
	js := gin.H{"id": p.ID, "guid": p.GUID, "diaspora_id": p.DiasporaID, "name": p.Name, "local": p.Local, "profile": profile}
	if !p.Local {
		js["pod"] = gin.H{"host": p.PodHost, "url": p.PodURL}
	}
	return js
}

func (s *Server) userProfile(c *gin.Context) {
	guid, err := s.app.Profiles.PersonGUIDByUsername(c.Request.Context(), c.Param("username"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusFound, "/people/"+guid)
}

func (s *Server) profileEditPage(c *gin.Context) (*profileEditPage, error) {
	form, view, err := s.app.Profiles.ProfileForm(c.Request.Context(), session(c).UserID)
	if err != nil {
		return nil, err
	}
	return &profileEditPage{Base: s.base(c), Form: *form, Avatar: view.AvatarLarge,
		AvatarMaxMB: s.app.Core.Options().AvatarMaxBytes >> 20, Errors: map[string]string{}}, nil
}

func (s *Server) profileForm(c *gin.Context) {
	p, err := s.profileEditPage(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "profile_edit", p)
}

func (s *Server) updateProfile(c *gin.Context) {
	ctx := c.Request.Context()
	userID := session(c).UserID
	in := profiles.ProfileInput{
		FirstName:     c.PostForm("profile[first_name]"),
		LastName:      c.PostForm("profile[last_name]"),
		Bio:           c.PostForm("profile[bio]"),
		Location:      c.PostForm("profile[location]"),
		Gender:        c.PostForm("profile[gender]"),
		BirthYear:     c.PostForm("profile[date][year]"),
		BirthMonth:    c.PostForm("profile[date][month]"),
		BirthDay:      c.PostForm("profile[date][day]"),
		Searchable:    c.PostForm("profile[searchable]") == "1",
		PublicDetails: c.PostForm("profile[public_details]") == "1",
		NSFW:          c.PostForm("profile[nsfw]") == "1",
	}
	// One form, one answer: the fields and the picture are saved
	// together or not at all.
	var avatar io.Reader
	if fh, ferr := c.FormFile("profile[avatar]"); ferr == nil && fh.Size > 0 {
		f, oerr := fh.Open()
		if oerr != nil {
			s.fail(c, oerr)
			return
		}
		defer f.Close()
		avatar = f
	}
	err := s.app.Profiles.SaveProfile(ctx, userID, in, avatar)
	var inv *pod.InvalidError
	if errors.As(err, &inv) {
		p, perr := s.profileEditPage(c)
		if perr != nil {
			s.fail(c, perr)
			return
		}
		p.Form, p.Errors = in, inv.Fields
		s.render(c, http.StatusUnprocessableEntity, "profile_edit", p)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "notice", "Your profile was saved.")
	c.Redirect(http.StatusFound, "/people/"+session(c).GUID)
}
