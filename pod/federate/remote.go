package federate

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/federate/fedhost"
	"github.com/aspenpod/aspen/pod/tasks"
)

// discoveryFailTTL is how long a failed discovery is remembered, so that a
// user retyping an address or a burst of messages from an unreachable
// sender does not hammer the remote pod.
const discoveryFailTTL = 2 * time.Minute

// DiscoveryError says why a remote person could not be found; pod/web shows
// its message to the user.
type DiscoveryError struct {
	ID  string
	Err error
}

func (e *DiscoveryError) Error() string {
	var why string
	switch {
	case errors.Is(e.Err, errPodBlocked):
		why = "this pod does not federate with theirs"
	case errors.Is(e.Err, federation.ErrNotFound):
		why = "their pod does not know this person"
	case errors.Is(e.Err, federation.ErrForbiddenAddress):
		why = "their pod's address is not a public internet address"
	case errors.Is(e.Err, context.DeadlineExceeded) || strings.Contains(e.Err.Error(), "timeout"):
		why = "their pod did not answer in time"
	default:
		why = "their pod could not be reached or gave an answer we cannot read"
	}
	return fmt.Sprintf("could not find %s: %s", e.ID, why)
}

// Unwrap returns the cause; errors.Is(err, federation.ErrDiscovery) holds.
func (e *DiscoveryError) Unwrap() []error { return []error{e.Err, federation.ErrDiscovery} }

// RemotePerson returns the person with a diaspora ID, discovering them if
// this pod does not know them yet (or, with refresh, if their profile is
// older than DiscoveryTTL). Local people are returned as they are.
func (a *Service) RemotePerson(ctx context.Context, diasporaID string, refresh bool) (*models.Person, error) {
	id := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(diasporaID), "acct:"))
	if !entity.ValidDiasporaID(id) {
		return nil, &pod.InvalidError{Fields: map[string]string{"q": "is not a diaspora* ID (user@pod.example)"}}
	}
	if a.idBlocked(ctx, id) {
		return nil, &DiscoveryError{ID: id, Err: errPodBlocked}
	}
	known, err := a.store.PersonByDiasporaID(ctx, id)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return nil, err
	}
	if err == nil && (known.Local() || !refresh || known.FetchedAt != nil && time.Since(*known.FetchedAt) < a.opt.DiscoveryTTL) {
		return known, nil
	}
	if err == nil && a.core.OwnHost(known.PodHost) {
		return known, nil
	}
	if _, host, _ := strings.Cut(id, "@"); a.core.OwnHost(host) {
		return nil, &DiscoveryError{ID: id, Err: federation.ErrNotFound}
	}
	failKey := a.redisPrefix + "discovery:fail:" + id
	if n, _ := a.rdb.Exists(ctx, failKey).Result(); n > 0 {
		if known != nil && known.ID != 0 {
			return known, nil
		}
		return nil, &DiscoveryError{ID: id, Err: federation.Errorf(federation.ErrDiscovery, "failed recently")}
	}
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	found, err := a.discovery.Discover(dctx, id)
	if err == nil && (found.ID != id || !entity.ValidGUID(found.GUID)) {
		err = federation.Errorf(federation.ErrDiscovery, "%s answered for %q with GUID %q", id, found.ID, found.GUID)
	}
	var person *models.Person
	if err == nil {
		person, err = a.saveRemotePerson(ctx, found)
	}
	if err != nil {
		a.rdb.Set(ctx, failKey, "1", discoveryFailTTL)
		a.log.Info("discovery failed", "id", id, "err", err)
		if known != nil && known.ID != 0 {
			return known, nil // keep using what we knew
		}
		var de *DiscoveryError
		if errors.As(err, &de) {
			return nil, err
		}
		return nil, &DiscoveryError{ID: id, Err: err}
	}
	return person, nil
}

// saveRemotePerson stores (or refreshes) a discovered person with the
// public fields of their profile and their pod. A known person keeps their
// GUID and key.
func (a *Service) saveRemotePerson(ctx context.Context, found *federation.Person) (*models.Person, error) {
	person, profile, host, podURL, err := fedhost.RemotePerson(found)
	if err != nil {
		return nil, err
	}
	var saved *models.Person
	err = a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		if _, err := tx.EnsurePod(ctx, host, podURL); err != nil {
			return err
		}
		existing, err := tx.PersonByDiasporaID(ctx, person.DiasporaID)
		switch {
		case err == nil:
			if existing.Local() {
				saved = existing
				return nil
			}
			if err := tx.TouchRemotePerson(ctx, existing.ID, host); err != nil {
				return err
			}
			prof, err := tx.ProfileOf(ctx, existing.ID)
			if err != nil {
				return err
			}
			prof.FirstName, prof.LastName, prof.Searchable = profile.FirstName, profile.LastName, profile.Searchable
			prof.ImageURL, prof.ImageURLMedium, prof.ImageURLSmall = profile.ImageURL, profile.ImageURLMedium, profile.ImageURLSmall
			if err := tx.SaveProfile(ctx, prof); err != nil {
				return err
			}
			saved = existing
			return nil
		case !errors.Is(err, models.ErrNotFound):
			return err
		}
		if other, err := tx.PersonByGUID(ctx, person.GUID); err == nil && other.ID != 0 {
			return federation.Errorf(federation.ErrInvalidAuthor, "%s claims GUID %s, which belongs to %s", person.DiasporaID, person.GUID, other.DiasporaID)
		} else if err != nil && !errors.Is(err, models.ErrNotFound) {
			return err
		}
		if err := tx.CreatePerson(ctx, person); err != nil {
			return err
		}
		profile.PersonID = person.ID
		if err := tx.CreateProfile(ctx, profile); err != nil {
			return err
		}
		saved = person
		// Show their recent public posts on their profile, as diaspora* does.
		out.AddTask(tasks.NewFetchPublic(person.ID))
		return nil
	})
	if errors.Is(err, models.ErrConflict) {
		// Another job stored them at the same time.
		return a.store.PersonByDiasporaID(ctx, person.DiasporaID)
	}
	return saved, err
}

// PublicKey implements federation.KeyStore: the key of a known person, or
// of one discovered now. Parsed keys are cached.
func (a *Service) PublicKey(ctx context.Context, diasporaID string) (*rsa.PublicKey, error) {
	_, pub, err := a.personKey(ctx, diasporaID)
	return pub, err
}

// personKey is PublicKey, returning the person too.
func (a *Service) personKey(ctx context.Context, diasporaID string) (*models.Person, *rsa.PublicKey, error) {
	p, err := a.RemotePerson(ctx, diasporaID, false)
	if err != nil {
		var inv *pod.InvalidError
		if errors.As(err, &inv) {
			return nil, nil, federation.Errorf(federation.ErrKeyNotFound, "%q is not a diaspora ID", diasporaID)
		}
		return nil, nil, err
	}
	if p.ClosedAccount {
		return nil, nil, federation.Errorf(federation.ErrKeyNotFound, "%s closed their account", p.DiasporaID)
	}
	pub, err := a.keys.Public(p.SerializedPublicKey)
	if err != nil {
		return nil, nil, federation.Wrap(federation.ErrKeyNotFound, err, "key of %s", p.DiasporaID)
	}
	return p, pub, nil
}

// publicFetchLimit is how many recent public posts are fetched for a newly
// discovered person.
const publicFetchLimit = 15

// FetchPublicPosts fetches a remote person's recent public posts, as
// diaspora* does when it first learns of someone: the list of GUIDs comes
// from their pod's /people/:guid/stream JSON (unsigned, so used for GUIDs
// only); every post itself is fetched signed from /fetch/post/:guid and
// goes through the normal receive checks (signature, author, public).
func (a *Service) FetchPublicPosts(ctx context.Context, personID int64) error {
	p, err := a.store.PersonByID(ctx, personID)
	if err != nil || p.Local() || p.ClosedAccount || a.PodBlocked(ctx, p.PodHost) {
		return err
	}
	pd, err := a.store.PodByHost(ctx, p.PodHost)
	if err != nil {
		return err
	}
	resp, err := a.http.Get(ctx, pd.URL+"people/"+p.GUID+"/stream", "application/json", 1<<20)
	if err != nil {
		a.log.Info("federation: cannot list public posts", "person", p.DiasporaID, "err", err)
		return nil // not every pod offers the list; nothing to retry
	}
	var list []struct {
		GUID   string `json:"guid"`
		Public bool   `json:"public"`
	}
	if err := json.Unmarshal(resp.Body, &list); err != nil {
		a.log.Info("federation: unreadable public post list", "person", p.DiasporaID, "err", err)
		return nil
	}
	fetched := 0
	for _, item := range list {
		if fetched >= publicFetchLimit {
			break
		}
		if !item.Public || !entity.ValidGUID(item.GUID) {
			continue
		}
		if _, err := a.store.PostByGUID(ctx, item.GUID); err == nil {
			continue
		}
		fetched++
		body, err := a.discovery.Fetch(ctx, pd.URL, "post", item.GUID)
		if err == nil {
			_, err = a.receive(ctx, body, "", 1)
		}
		if err != nil {
			a.log.Info("federation: public post not fetched", "person", p.DiasporaID, "guid", item.GUID, "err", err)
		}
	}
	return nil
}

// LooksLikeDiasporaID reports whether a search term is a full diaspora ID
// (user@host[:port]) rather than a name.
func LooksLikeDiasporaID(q string) bool {
	q = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(q), "acct:"))
	return entity.ValidDiasporaID(q) && strings.Contains(q, "@")
}

// IsRemoteID reports whether q is a diaspora ID on another pod, one that
// RemotePerson would look up there.
func (a *Service) IsRemoteID(q string) bool {
	_, host, _ := strings.Cut(q, "@")
	return LooksLikeDiasporaID(q) && !a.core.OwnHost(host)
}
