package documents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/federate/fedhost"
)

// ErrBadResource is a WebFinger resource that is neither a diaspora ID nor
// a URL; pod/web answers it with 400.
var ErrBadResource = errors.New("resource must be acct:user@host or the URL of a profile on this pod")

// FederationDocument is an answer to another pod: a body with its content
// type, or a redirect to the pod that owns the object.
type FederationDocument struct {
	ContentType string
	Body        []byte
	// RedirectURL, when set, is where to send the request instead (302).
	RedirectURL string
}

// WebFinger answers /.well-known/webfinger for a local user (§1.1).
// resource is acct:user@host (or user@host), or the URL of a profile on this
// pod (/people/:guid or /u/:username). Other hosts, unknown, closed and
// locked accounts give ErrNotFound; anything that is not a resource at all
// gives ErrBadResource.
func (a *Service) WebFinger(ctx context.Context, resource string) (*FederationDocument, error) {
	person, err := a.webFingerPerson(ctx, resource)
	if err != nil {
		return nil, err
	}
	profile, err := a.store.ProfileOf(ctx, person.ID)
	if err != nil {
		return nil, err
	}
	acct := fedhost.Account(person, profile, a.opt.BaseURL)
	return &FederationDocument{ContentType: fedhost.WebFingerContentType, Body: fedhost.WebFinger(&acct)}, nil
}

func (a *Service) webFingerPerson(ctx context.Context, resource string) (*models.Person, error) {
	r := strings.TrimSpace(resource)
	if r == "" || len(r) > 1024 {
		return nil, ErrBadResource
	}
	if lower := strings.ToLower(r); strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") {
		u, err := url.Parse(r)
		if err != nil || u.Host == "" {
			return nil, ErrBadResource
		}
		if !a.core.OwnHost(u.Host) {
			return nil, pod.ErrNotFound
		}
		path := strings.TrimSuffix(u.Path, "/")
		if guid, ok := strings.CutPrefix(path, "/people/"); ok && !strings.Contains(guid, "/") {
			return a.localPersonByGUID(ctx, guid)
		}
		if name, ok := strings.CutPrefix(path, "/u/"); ok && !strings.Contains(name, "/") {
			return a.localPersonByUsername(ctx, name)
		}
		return nil, pod.ErrNotFound
	}
	id := strings.TrimPrefix(strings.ToLower(r), "acct:")
	at := strings.LastIndexByte(id, '@')
	if at <= 0 || at == len(id)-1 {
		return nil, ErrBadResource
	}
	if !a.core.OwnHost(id[at+1:]) {
		return nil, pod.ErrNotFound
	}
	return a.localPersonByUsername(ctx, id[:at])
}

// localPersonByUsername finds the person of an active local user.
func (a *Service) localPersonByUsername(ctx context.Context, username string) (*models.Person, error) {
	username = pod.NormalizeUsername(username)
	if username == "" || !pod.UsernameRE.MatchString(username) {
		return nil, pod.ErrNotFound
	}
	user, err := a.store.UserByUsername(ctx, username)
	if err != nil {
		return nil, pod.NotFoundAs(err, pod.ErrNotFound)
	}
	if user.Locked {
		return nil, pod.ErrNotFound
	}
	person, err := a.store.PersonOfUser(ctx, user.ID)
	if err != nil {
		return nil, pod.NotFoundAs(err, pod.ErrNotFound)
	}
	if person.ClosedAccount {
		return nil, pod.ErrNotFound
	}
	return person, nil
}

// localPersonByGUID finds a person by GUID if it belongs to an active local
// user.
func (a *Service) localPersonByGUID(ctx context.Context, guid string) (*models.Person, error) {
	if !fedhost.ValidGUID(guid) {
		return nil, pod.ErrNotFound
	}
	person, err := a.store.PersonByGUID(ctx, guid)
	if err != nil {
		return nil, pod.NotFoundAs(err, pod.ErrNotFound)
	}
	if !person.Local() || person.ClosedAccount {
		return nil, pod.ErrNotFound
	}
	user, err := a.store.UserByID(ctx, *person.OwnerID)
	if err != nil {
		return nil, pod.NotFoundAs(err, pod.ErrNotFound)
	}
	if user.Locked {
		return nil, pod.ErrNotFound
	}
	return person, nil
}

// HCard answers /hcard/users/:guid for a local user's person GUID (§1.2):
// name, avatars and public key in the reference layout. Remote people and
// closed or locked accounts give ErrNotFound.
func (a *Service) HCard(ctx context.Context, guid string) (*FederationDocument, error) {
	person, err := a.localPersonByGUID(ctx, guid)
	if err != nil {
		return nil, err
	}
	profile, err := a.store.ProfileOf(ctx, person.ID)
	if err != nil {
		return nil, err
	}
	acct := fedhost.Account(person, profile, a.opt.BaseURL)
	return &FederationDocument{ContentType: fedhost.HCardContentType, Body: fedhost.HCard(&acct)}, nil
}

// HostMeta answers /.well-known/host-meta with the lrdd template older
// Friendica versions use to find WebFinger (§1.4).
func (a *Service) HostMeta() *FederationDocument {
	return &FederationDocument{ContentType: fedhost.HostMetaContentType, Body: fedhost.HostMeta(a.opt.BaseURL)}
}

// WellKnownNodeInfo answers /.well-known/nodeinfo: links to the NodeInfo 2.0
// and 2.1 documents (1.0 is not offered, §1.5).
func (a *Service) WellKnownNodeInfo() *FederationDocument {
	return &FederationDocument{ContentType: fedhost.WellKnownNodeInfoContentType, Body: fedhost.WellKnownNodeInfo(a.opt.BaseURL)}
}

// NodeInfo answers /nodeinfo/:version for 2.0 and 2.1 (ErrNotFound for any
// other version): software, protocols ["diaspora"], whether registrations
// are open, and usage counts (users, active users in the last 30 and 180
// days, local status messages and comments).
func (a *Service) NodeInfo(ctx context.Context, version string) (*FederationDocument, error) {
	if !fedhost.NodeInfoVersion(version) {
		return nil, pod.ErrNotFound
	}
	usage, err := a.podUsage(ctx)
	if err != nil {
		return nil, err
	}
	mode, err := a.core.Registrations(ctx)
	if err != nil {
		return nil, err
	}
	settings, err := a.core.PodSettings(ctx)
	if err != nil {
		return nil, err
	}
	sw := fedhost.NodeInfoSoftware{
		Name: pod.SoftwareName, Version: a.opt.Version, Repository: pod.SoftwareRepository,
		NodeName: a.opt.PodName, OpenRegistrations: mode == pod.RegistrationsOpen, NodeDescription: settings.Description,
	}
	if sw.Version == "" {
		sw.Version = pod.SoftwareVersion()
	}
	body, err := fedhost.NodeInfo(version, sw, usage)
	if err != nil {
		return nil, fmt.Errorf("nodeinfo %s: %w", version, err)
	}
	return &FederationDocument{ContentType: fedhost.NodeInfoContentType(version), Body: body}, nil
}

// podUsage counts users and content, from the Redis cache when
// NodeInfoCacheTTL allows.
func (a *Service) podUsage(ctx context.Context) (models.PodUsage, error) {
	ttl := a.opt.NodeInfoCacheTTL
	key := a.redisPrefix + "nodeinfo:usage"
	if ttl > 0 && a.rdb != nil {
		if b, err := a.rdb.Get(ctx, key).Bytes(); err == nil {
			var u models.PodUsage
			if json.Unmarshal(b, &u) == nil {
				return u, nil
			}
		}
	}
	now := time.Now()
	u, err := a.store.PodUsage(ctx, now.AddDate(0, 0, -180), now.AddDate(0, 0, -30))
	if err != nil {
		return u, err
	}
	if ttl > 0 && a.rdb != nil {
		if b, err := json.Marshal(u); err == nil {
			if err := a.rdb.Set(ctx, key, b, ttl).Err(); err != nil {
				a.log.Warn("cannot cache NodeInfo usage", "err", err)
			}
		}
	}
	return u, nil
}

// FetchPublic answers /fetch/:type/:guid (§6) for public objects: "post",
// "status_message" and "reshare" (posts), "comment" and "like" (on public
// posts). An object whose author is local comes back as a magic envelope
// signed by its author; one whose author is remote as a redirect to the
// author's pod. Limited posts and everything on them, unknown GUIDs, other
// types and closed accounts give ErrNotFound, exactly as if nothing existed.
func (a *Service) FetchPublic(ctx context.Context, entityType, guid string) (*FederationDocument, error) {
	if !fedhost.ValidGUID(guid) {
		return nil, pod.ErrNotFound
	}
	switch entityType {
	case fedhost.FetchPost, fedhost.FetchStatusMessage, fedhost.FetchReshare:
		return a.fetchPost(ctx, entityType, guid)
	case fedhost.FetchComment:
		return a.fetchComment(ctx, guid)
	case fedhost.FetchLike:
		return a.fetchLike(ctx, guid)
	}
	return nil, pod.ErrNotFound
}

// publicPost loads a post by ID or GUID only if it is public.
func (a *Service) publicPost(ctx context.Context, id int64, guid string) (*models.Post, error) {
	var p *models.Post
	var err error
	if guid != "" {
		p, err = a.store.PostByGUID(ctx, guid)
	} else {
		p, err = a.store.PostByID(ctx, id)
	}
	if err != nil {
		return nil, pod.NotFoundAs(err, pod.ErrNotFound)
	}
	if !p.Public {
		return nil, pod.ErrNotFound
	}
	return p, nil
}

func (a *Service) fetchPost(ctx context.Context, entityType, guid string) (*FederationDocument, error) {
	post, err := a.publicPost(ctx, 0, guid)
	if err != nil {
		return nil, err
	}
	if entityType == fedhost.FetchStatusMessage && post.Type != models.TypeStatusMessage ||
		entityType == fedhost.FetchReshare && post.Type != models.TypeReshare {
		return nil, pod.ErrNotFound
	}
	author, doc, err := a.fetchAuthor(ctx, post.AuthorID, entityType, guid)
	if doc != nil || err != nil {
		return doc, err
	}
	var root *models.Post
	var rootAuthor *models.Person
	if post.Type == models.TypeReshare && post.RootID != nil {
		if root, err = a.store.PostByID(ctx, *post.RootID); err != nil {
			return nil, err
		}
		if rootAuthor, err = a.store.PersonByID(ctx, root.AuthorID); err != nil {
			return nil, err
		}
	}
	e, err := fedhost.Post(post, author, root, rootAuthor)
	if err != nil {
		return nil, err
	}
	if err := fedhost.WithExtras(ctx, a.store, e, post.ID); err != nil {
		return nil, err
	}
	photos, err := a.store.PhotosOfPosts(ctx, []int64{post.ID})
	if err != nil {
		return nil, err
	}
	fedhost.AddPhotos(e, photos[post.ID], author, a.opt.BaseURL)
	return a.signed(ctx, e, author)
}

func (a *Service) fetchComment(ctx context.Context, guid string) (*FederationDocument, error) {
	c, err := a.store.CommentByGUID(ctx, guid)
	if err != nil {
		return nil, pod.NotFoundAs(err, pod.ErrNotFound)
	}
	post, err := a.publicPost(ctx, c.PostID, "")
	if err != nil {
		return nil, err
	}
	author, doc, err := a.fetchAuthor(ctx, c.AuthorID, fedhost.FetchComment, guid)
	if doc != nil || err != nil {
		return doc, err
	}
	e := fedhost.Comment(c, author, post)
	return a.signed(ctx, e, author)
}

func (a *Service) fetchLike(ctx context.Context, guid string) (*FederationDocument, error) {
	l, err := a.store.LikeByGUID(ctx, guid)
	if err != nil {
		return nil, pod.NotFoundAs(err, pod.ErrNotFound)
	}
	post, err := a.publicPost(ctx, l.PostID, "")
	if err != nil {
		return nil, err
	}
	var comment *models.Comment
	if l.CommentID != nil {
		if comment, err = a.store.CommentByID(ctx, *l.CommentID); err != nil {
			return nil, pod.NotFoundAs(err, pod.ErrNotFound)
		}
	}
	author, doc, err := a.fetchAuthor(ctx, l.AuthorID, fedhost.FetchLike, guid)
	if doc != nil || err != nil {
		return doc, err
	}
	e := fedhost.Like(l, author, post, comment)
	return a.signed(ctx, e, author)
}

// fetchAuthor loads the author of a public object. A remote author gives a
// redirect to their pod's /fetch URL (doc); a closed account ErrNotFound.
func (a *Service) fetchAuthor(ctx context.Context, personID int64, entityType, guid string) (*models.Person, *FederationDocument, error) {
	author, err := a.store.PersonByID(ctx, personID)
	if err != nil {
		return nil, nil, err
	}
	if author.ClosedAccount {
		return nil, nil, pod.ErrNotFound
	}
	if !author.Local() {
		if author.PodHost == "" {
			return nil, nil, pod.ErrNotFound
		}
		return nil, &FederationDocument{RedirectURL: fedhost.FetchURL(a.scheme(), author, entityType, guid)}, nil
	}
	return author, nil, nil
}

// signed returns a public entity by a local author as a magic envelope
// signed with the author's key; the key is opened inside package fedhost.
func (a *Service) signed(ctx context.Context, e entity.Entity, author *models.Person) (*FederationDocument, error) {
	user, err := a.store.UserByID(ctx, *author.OwnerID)
	if err != nil {
		return nil, err
	}
	body, err := fedhost.SignedEnvelope(e, author, user.SerializedPrivateKey, a.sealer)
	if err != nil {
		return nil, err
	}
	return &FederationDocument{ContentType: fedhost.FetchContentType, Body: body}, nil
}

// scheme is the URL scheme of this pod's BaseURL ("https" unless it says
// otherwise); remote pods are assumed to use the same, which is right in
// production (https only) and in development and tests (http).
func (a *Service) scheme() string {
	if u, err := url.Parse(a.opt.BaseURL); err == nil && u.Scheme != "" {
		return strings.ToLower(u.Scheme)
	}
	return "https"
}
