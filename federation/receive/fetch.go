package receive

import (
	"context"
	"crypto/rsa"
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/federation/envelope"
)

// FetchResult is what the host knows about a public object asked for on
// /fetch/:type/:guid. Exactly one of Envelope, Entity or RedirectURL is
// used, in that order.
type FetchResult struct {
	// Envelope is a stored, already signed magic envelope of the entity.
	Envelope []byte
	// Entity is the public entity, to be signed by Author with AuthorKey
	// (entity authors are local when the host serves them). A relayable
	// keeps its stored Order, Extra and AuthorSignature.
	Entity    entity.Entity
	Author    string
	AuthorKey *rsa.PrivateKey
	// RedirectURL is the owner pod's /fetch URL when the object is known
	// but its author is remote (answered with 302).
	RedirectURL string
}

// FetchSource looks up a public object for /fetch. type is the snake_case
// name from the URL ("post", "status_message", "reshare", "comment",
// "poll", …). Return an error wrapping federation.ErrNotFound for unknown
// or non-public objects.
type FetchSource interface {
	FetchEntity(ctx context.Context, entityType, guid string) (*FetchResult, error)
}

// FetchSourceFunc adapts a function to the FetchSource interface.
type FetchSourceFunc func(ctx context.Context, entityType, guid string) (*FetchResult, error)

// FetchEntity calls f.
func (f FetchSourceFunc) FetchEntity(ctx context.Context, entityType, guid string) (*FetchResult, error) {
	return f(ctx, entityType, guid)
}

// FetchResponse signs a public entity into the body of a /fetch answer: a
// magic envelope signed by the entity's author.
func FetchResponse(e entity.Entity, author string, key *rsa.PrivateKey) ([]byte, error) {
	if has, public := entity.PublicFlag(e); has && !public {
		return nil, federation.Errorf(federation.ErrNotPublic, "%s is not public", e.EntityName())
	}
	return envelope.SignEntity(e, author, key)
}

// FetchHandler serves GET /fetch/:type/:guid.
type FetchHandler struct {
	Source FetchSource
}

var fetchTypeRE = regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)

// ServeHTTP parses /fetch/{type}/{guid} from the path and calls ServeFetch.
func (h *FetchHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/fetch/")
	typ, guid, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 {
		http.NotFound(w, r)
		return
	}
	h.ServeFetch(w, r, typ, guid)
}

// ServeFetch answers a fetch request: 200 with the magic envelope
// (application/magic-envelope+xml), 302 to the owner pod, or 404.
func (h *FetchHandler) ServeFetch(w http.ResponseWriter, r *http.Request, entityType, guid string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !fetchTypeRE.MatchString(entityType) || !entity.ValidGUID(guid) || h.Source == nil {
		http.NotFound(w, r)
		return
	}
	res, err := h.Source.FetchEntity(r.Context(), entityType, guid)
	switch {
	case errors.Is(err, federation.ErrNotFound) || errors.Is(err, federation.ErrNotPublic) || (err == nil && res == nil):
		http.NotFound(w, r)
		return
	case err != nil:
		http.Error(w, "fetch failed", http.StatusInternalServerError)
		return
	}
	var body []byte
	switch {
	case res.Envelope != nil:
		body = res.Envelope
	case res.Entity != nil:
		body, err = FetchResponse(res.Entity, res.Author, res.AuthorKey)
		if errors.Is(err, federation.ErrNotPublic) {
			http.NotFound(w, r)
			return
		}
		if err != nil {
			http.Error(w, "cannot sign entity", http.StatusInternalServerError)
			return
		}
	case res.RedirectURL != "":
		http.Redirect(w, r, res.RedirectURL, http.StatusFound)
		return
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", envelope.ContentType)
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write(body)
	}
}
