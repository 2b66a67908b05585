// Package receive is the inbound side of federation, as plain net/http
// handlers and functions the web application mounts and calls:
//
//   - Handler answers POST /receive/public and /receive/users/{guid}: it does
//     only cheap checks (method, size, known recipient), hands the raw body
//     to the host's Enqueuer and answers 202 at once, as diaspora does;
//   - Processor is the background-job half: it decrypts (private route),
//     verifies the magic envelope, parses and validates the entity, applies
//     the public-route and sender rules (§2.4, §3.1, §5.3), checks relayable
//     and migration signatures, and returns the verified entity and sender
//     or an error naming the reason (federation.ErrInvalidSignature,
//     ErrInvalidSender, ErrNotPublic, …; federation.Permanent tells drop
//     from retry);
//   - FetchHandler and FetchResponse serve GET /fetch/:type/:guid.
package receive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/federation/envelope"
)

// Delivery is a received POST body waiting for processing.
type Delivery struct {
	// Body is the raw request body: a magic envelope (public route) or a
	// private envelope JSON document.
	Body []byte
	// RecipientGUID is the person GUID of /receive/users/{guid}; empty for
	// the public route.
	RecipientGUID string
}

// Public reports whether the delivery came in on the public route.
func (d Delivery) Public() bool { return d.RecipientGUID == "" }

// Enqueuer stores or queues a delivery for background processing (for
// example as an asynq task). It must be quick; an error makes the handler
// answer 503 so that the sender retries.
type Enqueuer interface {
	Enqueue(ctx context.Context, d Delivery) error
}

// EnqueuerFunc adapts a function to the Enqueuer interface.
type EnqueuerFunc func(ctx context.Context, d Delivery) error

// Enqueue calls f.
func (f EnqueuerFunc) Enqueue(ctx context.Context, d Delivery) error { return f(ctx, d) }

// Recipients tells whether a local user owns a person GUID, so that private
// deliveries to unknown recipients get a 404 (the only non-202 answer
// diaspora gives).
type Recipients interface {
	HasRecipient(ctx context.Context, personGUID string) (bool, error)
}

// RecipientsFunc adapts a function to the Recipients interface.
type RecipientsFunc func(ctx context.Context, personGUID string) (bool, error)

// HasRecipient calls f.
func (f RecipientsFunc) HasRecipient(ctx context.Context, personGUID string) (bool, error) {
	return f(ctx, personGUID)
}

// MaxBodySize is the default limit of a receive POST body: the largest
// private envelope (which is larger than the largest public one).
const MaxBodySize = envelope.MaxPrivateSize

// Handler serves the receive endpoints. Mount it at /receive/ (ServeHTTP
// routes both endpoints, with or without a trailing slash, as Friendica
// posts with one), or call ServePublic and ServePrivate from a router.
type Handler struct {
	Enqueuer   Enqueuer
	Recipients Recipients // nil: every valid GUID is accepted
	// MaxBodySize bounds the request body (MaxBodySize if 0). A bigger or
	// empty body is dropped: answered 202, as diaspora* answers everything,
	// and reported to OnDrop.
	MaxBodySize int64
	// OnDrop, if set, is told about every delivery dropped at the door and
	// why, for the host's log.
	OnDrop func(r *http.Request, recipientGUID, reason string)
}

// drop answers 202 for a delivery that will not be processed.
func (h *Handler) drop(w http.ResponseWriter, r *http.Request, recipient, reason string) {
	if h.OnDrop != nil {
		h.OnDrop(r, recipient, reason)
	}
	w.Header().Set("Connection", "close") // the unread rest of the body is not wanted
	w.WriteHeader(http.StatusAccepted)
}

// ServeHTTP routes /receive/public and /receive/users/{guid}.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case p == "/receive/public":
		h.ServePublic(w, r)
	case strings.HasPrefix(p, "/receive/users/") && !strings.Contains(p[len("/receive/users/"):], "/"):
		h.ServePrivate(w, r, p[len("/receive/users/"):])
	default:
		http.NotFound(w, r)
	}
}

// ServePublic handles POST /receive/public.
func (h *Handler) ServePublic(w http.ResponseWriter, r *http.Request) {
	h.accept(w, r, "")
}

// ServePrivate handles POST /receive/users/{guid}: 404 unless a local user
// owns the person GUID, else 202 after enqueueing.
func (h *Handler) ServePrivate(w http.ResponseWriter, r *http.Request, personGUID string) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w)
		return
	}
	if !entity.ValidGUID(personGUID) {
		http.NotFound(w, r)
		return
	}
	if h.Recipients != nil {
		ok, err := h.Recipients.HasRecipient(r.Context(), personGUID)
		if err != nil {
			http.Error(w, "recipient lookup failed", http.StatusServiceUnavailable)
			return
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
	}
	h.accept(w, r, personGUID)
}

func methodNotAllowed(w http.ResponseWriter) {
	w.Header().Set("Allow", http.MethodPost)
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
}

func (h *Handler) accept(w http.ResponseWriter, r *http.Request, recipient string) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w)
		return
	}
	limit := h.MaxBodySize
	if limit <= 0 {
		limit = MaxBodySize
	}
	if r.ContentLength > limit {
		h.drop(w, r, recipient, fmt.Sprintf("body of %d bytes is larger than the limit of %d", r.ContentLength, limit))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.drop(w, r, recipient, fmt.Sprintf("body is larger than the limit of %d bytes", limit))
			return
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		h.drop(w, r, recipient, "empty body")
		return
	}
	if h.Enqueuer == nil {
		http.Error(w, "receiving is not configured", http.StatusServiceUnavailable)
		return
	}
	if err := h.Enqueuer.Enqueue(r.Context(), Delivery{Body: body, RecipientGUID: recipient}); err != nil {
		http.Error(w, "cannot queue delivery", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}
