package web

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/contacts"
)

// searchPage is /search: people and tags for one query.
type searchPage struct {
	Base  BasePage
	Query string
	// People are the people found (nil for a #tag query).
	People *peoplePage
	// Tags are the tags the viewer may know of that start with the query.
	Tags []string
	// Tag is the tag the query names, for the link to its page; TagError
	// says why the query is not a tag name, for a #tag query.
	Tag      string
	TagError string
}

// search answers the header's search box, diaspora*'s GET /search?q=:
// "#tag" finds tags (and links to the tag's page), anything else finds
// people and the tags starting with the words. Tags come from the tag
// search use case, so only tags on posts the viewer may read, or tags they
// follow, are named.
func (s *Server) search(c *gin.Context) {
	q := strings.TrimSpace(c.Query("q"))
	ctx := c.Request.Context()
	page := searchPage{Base: s.base(c), Query: q, Tags: []string{}}
	tagQuery := strings.HasPrefix(q, "#")
	if tag, ok := pod.NormalizeTag(q); ok {
		page.Tag = tag
		tags, err := s.app.Streams.SearchTags(ctx, session(c), tag, 20)
		if err != nil {
			s.fail(c, err)
			return
		}
		page.Tags = tags
	} else if tagQuery {
		page.TagError = "A tag may contain only letters, digits, '_' and '-'."
	}
	if !tagQuery && q != "" {
		people, err := s.findPeople(c, q)
		if err != nil {
			s.fail(c, err)
			return
		}
		page.People = people
	}
	code := http.StatusOK
	if page.TagError != "" {
		code = http.StatusUnprocessableEntity
	}
	s.render(c, code, "search", page)
}

// personResults prepares people found for a page: each with the viewer's
// aspects the person is not in yet, for the add-to-aspect control.
func (s *Server) personResults(c *gin.Context, results []contacts.PersonResult) ([]personResult, error) {
	sess := session(c)
	out := make([]personResult, len(results))
	var mine []contacts.AspectView
	if sess != nil && len(results) > 0 {
		var err error
		if mine, err = s.app.Contacts.Aspects(c.Request.Context(), sess); err != nil {
			return nil, err
		}
	}
	for i, r := range results {
		out[i] = personResult{PersonResult: r, SignedIn: sess != nil, CSRF: c.GetString(ctxCSRFToken)}
		in := map[int64]bool{}
		for _, m := range r.AspectMemberships {
			in[m.AspectID] = true
		}
		for _, a := range mine {
			if !in[a.ID] {
				out[i].FreeAspects = append(out[i].FreeAspects, a)
			}
		}
	}
	return out, nil
}
