package documents_test

import (
	"context"
	"crypto/rsa"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/discovery"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/federation/envelope"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/federate/documents"
	"github.com/aspenpod/aspen/pod/federate/fedhost"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
	"github.com/aspenpod/aspen/pod/profiles"
	"github.com/aspenpod/aspen/pod/web"
)

// personKey returns a person's stored public key, parsed.
func personKey(t *testing.T, p *podtest.Pod, personID int64) (*models.Person, *rsa.PublicKey) {
	t.Helper()
	person, err := p.Store.PersonByID(context.Background(), personID)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := federation.ParsePublicKey([]byte(person.SerializedPublicKey))
	if err != nil {
		t.Fatalf("stored key of %s: %v", person.DiasporaID, err)
	}
	return person, pub
}

// remotePerson stores a person of another pod.
func remotePerson(t *testing.T, p *podtest.Pod, name string) *models.Person {
	t.Helper()
	key, err := federation.GenerateKey(1024)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := federation.MarshalPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	person := &models.Person{GUID: pod.NewGUID(), DiasporaID: name + "@remote.example", SerializedPublicKey: string(pem), PodHost: "remote.example"}
	if err := p.Store.CreatePerson(context.Background(), person); err != nil {
		t.Fatal(err)
	}
	if err := p.Store.CreateProfile(context.Background(), &models.Profile{PersonID: person.ID, FirstName: "Remote", Searchable: true}); err != nil {
		t.Fatal(err)
	}
	return person
}

// openFetched parses and verifies a /fetch answer with the author's key and
// returns the entity inside.
func openFetched(t *testing.T, doc *documents.FederationDocument, author string, pub *rsa.PublicKey) entity.Entity {
	t.Helper()
	if doc.ContentType != envelope.ContentType || doc.RedirectURL != "" {
		t.Fatalf("fetch answer: content type %q, redirect %q", doc.ContentType, doc.RedirectURL)
	}
	env, err := envelope.Parse(doc.Body)
	if err != nil {
		t.Fatalf("envelope.Parse: %v\n%s", err, doc.Body)
	}
	if err := env.Verify(pub); err != nil {
		t.Fatalf("Verify with the author's key: %v", err)
	}
	if env.Sender != author {
		t.Fatalf("envelope signed by %q, want %q", env.Sender, author)
	}
	e, err := entity.ParseXML(env.Payload)
	if err != nil {
		t.Fatalf("entity: %v\n%s", err, env.Payload)
	}
	return e
}

func TestWebFingerAndHCardOfLocalUser(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice := p.NewUser(t, "alice")
	if err := p.App.Profiles.UpdateProfile(ctx, alice.Session.UserID, profiles.ProfileInput{FirstName: "Alice", LastName: "Liddell", Searchable: true}); err != nil {
		t.Fatal(err)
	}
	person, pub := personKey(t, p, alice.Session.PersonID)

	for _, resource := range []string{
		"acct:alice@pod.test", "alice@pod.test", " ACCT:Alice@Pod.Test ",
		"http://pod.test/people/" + person.GUID, "https://pod.test/u/alice", "http://pod.test/u/alice/",
	} {
		doc, err := p.App.Documents.WebFinger(ctx, resource)
		if err != nil {
			t.Fatalf("WebFinger(%q): %v", resource, err)
		}
		if doc.ContentType != "application/jrd+json; charset=utf-8" {
			t.Errorf("content type %q", doc.ContentType)
		}
		wf, err := discovery.ParseWebFinger(doc.Body, "alice@pod.test")
		if err != nil {
			t.Fatalf("ParseWebFinger(%q): %v\n%s", resource, err, doc.Body)
		}
		want := discovery.WebFingerInfo{
			DiasporaID:        "alice@pod.test",
			Aliases:           []string{"http://pod.test/people/" + person.GUID},
			HCardURL:          "http://pod.test/hcard/users/" + person.GUID,
			SeedURL:           "http://pod.test/",
			PodURL:            "http://pod.test/",
			ProfileURL:        "http://pod.test/u/alice",
			UpdatesURL:        "http://pod.test/public/alice.atom",
			SalmonURL:         "http://pod.test/receive/users/" + person.GUID,
			SubscribeTemplate: "http://pod.test/people?q={uri}",
		}
		if !reflect.DeepEqual(*wf, want) {
			t.Errorf("WebFinger(%q) =\n%+v\nwant\n%+v", resource, *wf, want)
		}
	}

	doc, err := p.App.Documents.HCard(ctx, person.GUID)
	if err != nil {
		t.Fatal(err)
	}
	if doc.ContentType != discovery.HCardContentType {
		t.Errorf("hCard content type %q", doc.ContentType)
	}
	hc, err := discovery.ParseHCard(doc.Body)
	if err != nil {
		t.Fatalf("ParseHCard: %v\n%s", err, doc.Body)
	}
	if !hc.PublicKey.Equal(pub) {
		t.Error("hCard key differs from the stored public key")
	}
	if hc.GUID != person.GUID || hc.FullName != "Alice Liddell" || hc.FirstName != "Alice" || hc.LastName != "Liddell" ||
		hc.Nickname != "alice" || !hc.Searchable {
		t.Errorf("hCard = %+v", hc)
	}
	if want := "http://pod.test" + pod.DefaultAvatar; hc.ImageURL != want || hc.ImageURLMedium != want || hc.ImageURLSmall != want {
		t.Errorf("avatars %q %q %q, want %q", hc.ImageURL, hc.ImageURLMedium, hc.ImageURLSmall, want)
	}
	if fedhost.DefaultAvatar != pod.DefaultAvatar {
		t.Errorf("fedhost.DefaultAvatar %q != pod.DefaultAvatar %q", fedhost.DefaultAvatar, pod.DefaultAvatar)
	}
}

func TestWebFingerRefusesWhatIsNotOurs(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	p.NewUser(t, "alice")
	p.NewUser(t, "mallory")
	bob := remotePerson(t, p, "bob")
	if err := p.Store.Exec(ctx, `UPDATE users SET locked = true WHERE username = 'mallory'`); err != nil {
		t.Fatal(err)
	}
	for _, resource := range []string{
		"acct:nobody@pod.test", "acct:alice@remote.example", "acct:bob@remote.example", "acct:alice@pod.test.evil",
		"http://remote.example/u/alice", "http://pod.test/people/" + bob.GUID, "http://pod.test/people/unknown",
		"http://pod.test/posts/1", "acct:mallory@pod.test", "acct:a b@pod.test",
	} {
		if _, err := p.App.Documents.WebFinger(ctx, resource); !errors.Is(err, pod.ErrNotFound) {
			t.Errorf("WebFinger(%q) = %v, want ErrNotFound", resource, err)
		}
	}
	for _, resource := range []string{"", "  ", "alice", "acct:", "acct:alice", "@pod.test", "alice@", "http://"} {
		if _, err := p.App.Documents.WebFinger(ctx, resource); !errors.Is(err, documents.ErrBadResource) {
			t.Errorf("WebFinger(%q) = %v, want ErrBadResource", resource, err)
		}
	}
	if _, err := p.App.Documents.HCard(ctx, bob.GUID); !errors.Is(err, pod.ErrNotFound) {
		t.Errorf("hCard of a remote person: %v, want ErrNotFound", err)
	}
	if _, err := p.App.Documents.HCard(ctx, "not-a-guid"); !errors.Is(err, pod.ErrNotFound) {
		t.Errorf("hCard of a bad GUID: %v, want ErrNotFound", err)
	}
	mallory, err := p.Store.UserByUsername(ctx, "mallory")
	if err != nil {
		t.Fatal(err)
	}
	mp, err := p.Store.PersonOfUser(ctx, mallory.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Documents.HCard(ctx, mp.GUID); !errors.Is(err, pod.ErrNotFound) {
		t.Errorf("hCard of a locked user: %v, want ErrNotFound", err)
	}
}

func nodeInfo(t *testing.T, p *podtest.Pod, version string) *discovery.NodeInfo {
	t.Helper()
	doc, err := p.App.Documents.NodeInfo(context.Background(), version)
	if err != nil {
		t.Fatalf("NodeInfo(%s): %v", version, err)
	}
	if want := `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/` + version + `#"`; doc.ContentType != want {
		t.Errorf("content type %q, want %q", doc.ContentType, want)
	}
	ni, err := discovery.ParseNodeInfo(doc.Body)
	if err != nil {
		t.Fatalf("NodeInfo %s does not validate: %v\n%s", version, err, doc.Body)
	}
	if ni.Version != version || ni.Software.Name != "aspen" || ni.Software.Version == "" ||
		len(ni.Protocols) != 1 || ni.Protocols[0] != "diaspora" || ni.Metadata["nodeName"] != "testpod" {
		t.Errorf("NodeInfo %s = %+v", version, ni)
	}
	for _, n := range []*int64{ni.Usage.Users.Total, ni.Usage.Users.ActiveHalfyear, ni.Usage.Users.ActiveMonth, ni.Usage.LocalPosts, ni.Usage.LocalComments} {
		if n == nil {
			t.Fatalf("NodeInfo %s lacks a usage count: %s", version, doc.Body)
		}
	}
	return ni
}

type usage struct{ users, halfyear, month, posts, comments int64 }

func usageOf(ni *discovery.NodeInfo) usage {
	u := ni.Usage
	return usage{*u.Users.Total, *u.Users.ActiveHalfyear, *u.Users.ActiveMonth, *u.LocalPosts, *u.LocalComments}
}

func TestNodeInfoCountsAndRegistrations(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	for _, v := range []string{"2.0", "2.1"} {
		ni := nodeInfo(t, p, v)
		if !ni.OpenRegistrations {
			t.Errorf("NodeInfo %s: openRegistrations false on an open pod", v)
		}
		if got := usageOf(ni); got != (usage{}) {
			t.Errorf("NodeInfo %s of an empty pod: %+v", v, got)
		}
	}
	if ni := nodeInfo(t, p, "2.1"); ni.Software.Repository == "" {
		t.Error("NodeInfo 2.1 names no repository")
	}
	if ni := nodeInfo(t, p, "2.0"); ni.Software.Repository != "" || ni.Software.Homepage != "" {
		t.Error("NodeInfo 2.0 has 2.1-only software fields")
	}
	for _, v := range []string{"1.0", "2.2", "", "x"} {
		if _, err := p.App.Documents.NodeInfo(ctx, v); !errors.Is(err, pod.ErrNotFound) {
			t.Errorf("NodeInfo(%q) = %v, want ErrNotFound", v, err)
		}
	}

	alice, bob := p.NewUser(t, "alice"), p.NewUser(t, "bob")
	p.NewUser(t, "carol")
	remote := remotePerson(t, p, "dave")
	pub, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "public", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "limited", Audience: aspects.Selection{AllAspects: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Posts.Reshare(ctx, bob.Session, pub.GUID); err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Posts.Comment(ctx, bob.Session, pub.GUID, "a comment"); err != nil {
		t.Fatal(err)
	}
	// Remote content is not ours to count.
	now := time.Now().UTC()
	if err := p.Store.CreatePost(ctx, &models.Post{GUID: pod.NewGUID(), AuthorID: remote.ID, Type: models.TypeStatusMessage, Public: true, Text: "remote", CreatedAt: now, UpdatedAt: now, InteractedAt: now}); err != nil {
		t.Fatal(err)
	}
	// carol was last seen two months ago: active this half year, not this month.
	if err := p.Store.Exec(ctx, `UPDATE users SET last_seen_at = now() - interval '60 days' WHERE username = 'carol'`); err != nil {
		t.Fatal(err)
	}
	want := usage{users: 3, halfyear: 3, month: 2, posts: 2, comments: 1}
	for _, v := range []string{"2.0", "2.1"} {
		if got := usageOf(nodeInfo(t, p, v)); got != want {
			t.Errorf("NodeInfo %s usage = %+v, want %+v", v, got, want)
		}
	}
	// Locked accounts and accounts idle for a year drop out.
	if err := p.Store.Exec(ctx, `UPDATE users SET locked = true WHERE username = 'bob'`); err != nil {
		t.Fatal(err)
	}
	if err := p.Store.Exec(ctx, `UPDATE users SET last_seen_at = now() - interval '365 days' WHERE username = 'carol'`); err != nil {
		t.Fatal(err)
	}
	want = usage{users: 2, halfyear: 1, month: 1, posts: 2, comments: 1}
	if got := usageOf(nodeInfo(t, p, "2.1")); got != want {
		t.Errorf("usage after lock and idling = %+v, want %+v", got, want)
	}

	closed := podtest.New(t, podtest.ClosedRegistrations())
	if nodeInfo(t, closed, "2.0").OpenRegistrations || nodeInfo(t, closed, "2.1").OpenRegistrations {
		t.Error("openRegistrations true on a pod with closed registrations")
	}
}

func TestNodeInfoCache(t *testing.T) {
	p := podtest.New(t, func(o *pod.Options, _ *web.Options) { o.NodeInfoCacheTTL = time.Hour })
	ctx := context.Background()
	if got := usageOf(nodeInfo(t, p, "2.1")); got.users != 0 {
		t.Fatalf("users = %d", got.users)
	}
	p.NewUser(t, "alice")
	if got := usageOf(nodeInfo(t, p, "2.0")); got.users != 0 {
		t.Errorf("cached users = %d, want the cached 0", got.users)
	}
	keys, err := p.Redis.Keys(ctx, p.Opt.RedisPrefix+"nodeinfo:*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("cache keys %v, %v", keys, err)
	}
	p.Redis.Del(ctx, keys...)
	if got := usageOf(nodeInfo(t, p, "2.1")); got.users != 1 {
		t.Errorf("users after the cache expired = %d, want 1", got.users)
	}
}

func TestFetchPublicPost(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice := p.NewUser(t, "alice")
	author, pub := personKey(t, p, alice.Session.PersonID)
	text := "Hello from *aspen* — ünïcode & <markup>\r\nsecond line #tag"
	post, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: text, Audience: aspects.Selection{Public: true}, ProviderDisplayName: "tests"})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := p.Store.PostByGUID(ctx, post.GUID)
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"post", "status_message"} {
		doc, err := p.App.Documents.FetchPublic(ctx, typ, post.GUID)
		if err != nil {
			t.Fatalf("fetch %s: %v", typ, err)
		}
		sm, ok := openFetched(t, doc, "alice@pod.test", pub).(*entity.StatusMessage)
		if !ok {
			t.Fatalf("fetch %s: not a status_message", typ)
		}
		if sm.GUID != post.GUID || sm.Author != author.DiasporaID || sm.Text != stored.Text || !sm.Public ||
			sm.ProviderDisplayName != "tests" || !sm.CreatedAt.Equal(stored.CreatedAt.Truncate(time.Second)) {
			t.Errorf("fetched %+v; stored %+v", sm, stored)
		}
	}
	if _, err := p.App.Documents.FetchPublic(ctx, "reshare", post.GUID); !errors.Is(err, pod.ErrNotFound) {
		t.Errorf("fetch reshare/<status message guid>: %v, want ErrNotFound", err)
	}
}

func TestFetchHidesLimitedAndUnknown(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice, bob := p.NewUser(t, "alice"), p.NewUser(t, "bob")
	if _, err := p.App.Contacts.AddToAspect(ctx, alice.Session, alice.Aspects["Friends"], bob.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Contacts.AddToAspect(ctx, bob.Session, bob.Aspects["Friends"], alice.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	limited, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "for friends only", Audience: aspects.Selection{Aspects: []int64{alice.Aspects["Friends"]}}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.App.Posts.Comment(ctx, bob.Session, limited.GUID, "a private comment")
	if err != nil {
		t.Fatal(err)
	}
	l, err := p.App.Posts.Like(ctx, bob.Session, limited.GUID, 0)
	if err != nil {
		t.Fatal(err)
	}
	remote := remotePerson(t, p, "dave")
	now := time.Now().UTC()
	remoteLimited := &models.Post{GUID: pod.NewGUID(), AuthorID: remote.ID, Type: models.TypeStatusMessage, Text: "remote limited", CreatedAt: now, UpdatedAt: now, InteractedAt: now}
	if err := p.Store.CreatePost(ctx, remoteLimited); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ typ, guid string }{
		{"post", limited.GUID}, {"status_message", limited.GUID}, {"comment", c.GUID}, {"like", l.GUID},
		{"post", remoteLimited.GUID},
		{"post", pod.NewGUID()}, {"comment", pod.NewGUID()}, {"like", pod.NewGUID()},
		{"post", "short"}, {"photo", limited.GUID}, {"Post", limited.GUID}, {"", limited.GUID},
	} {
		doc, err := p.App.Documents.FetchPublic(ctx, f.typ, f.guid)
		if !errors.Is(err, pod.ErrNotFound) || doc != nil {
			t.Errorf("fetch %s/%s = %v, %v; want ErrNotFound", f.typ, f.guid, doc, err)
		}
	}
}

func TestFetchInteractionsAndRemoteRedirect(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice, bob := p.NewUser(t, "alice"), p.NewUser(t, "bob")
	alicePerson, alicePub := personKey(t, p, alice.Session.PersonID)
	_, bobPub := personKey(t, p, bob.Session.PersonID)
	post, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "public", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}

	reshare, err := p.App.Posts.Reshare(ctx, bob.Session, post.GUID)
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"post", "reshare"} {
		doc, err := p.App.Documents.FetchPublic(ctx, typ, reshare.GUID)
		if err != nil {
			t.Fatalf("fetch %s: %v", typ, err)
		}
		r, ok := openFetched(t, doc, "bob@pod.test", bobPub).(*entity.Reshare)
		if !ok || r.GUID != reshare.GUID || r.Author != "bob@pod.test" || r.RootGUID != post.GUID || r.RootAuthor != alicePerson.DiasporaID {
			t.Errorf("fetched reshare %+v", r)
		}
	}
	if _, err := p.App.Documents.FetchPublic(ctx, "status_message", reshare.GUID); !errors.Is(err, pod.ErrNotFound) {
		t.Errorf("fetch status_message/<reshare guid>: %v, want ErrNotFound", err)
	}

	c, err := p.App.Posts.Comment(ctx, bob.Session, post.GUID, "nice & <b>")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := p.App.Documents.FetchPublic(ctx, "comment", c.GUID)
	if err != nil {
		t.Fatal(err)
	}
	ce, ok := openFetched(t, doc, "bob@pod.test", bobPub).(*entity.Comment)
	if !ok || ce.GUID != c.GUID || ce.ParentGUID != post.GUID || ce.Text != "nice & <b>" || ce.Author != "bob@pod.test" {
		t.Fatalf("fetched comment %+v", ce)
	}
	if err := entity.VerifyAuthorSignature(ce, bobPub); err != nil {
		t.Errorf("comment author_signature: %v", err)
	}

	like, err := p.App.Posts.Like(ctx, bob.Session, post.GUID, 0)
	if err != nil {
		t.Fatal(err)
	}
	commentLike, err := p.App.Posts.Like(ctx, alice.Session, post.GUID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		guid, author, parentType, parentGUID string
		key                                  *rsa.PublicKey
	}{
		{like.GUID, "bob@pod.test", "Post", post.GUID, bobPub},
		{commentLike.GUID, "alice@pod.test", "Comment", c.GUID, alicePub},
	} {
		doc, err := p.App.Documents.FetchPublic(ctx, "like", tc.guid)
		if err != nil {
			t.Fatal(err)
		}
		le, ok := openFetched(t, doc, tc.author, tc.key).(*entity.Like)
		if !ok || le.GUID != tc.guid || le.ParentType != tc.parentType || le.ParentGUID != tc.parentGUID || !le.Positive {
			t.Errorf("fetched like %+v", le)
		}
		if err := entity.VerifyAuthorSignature(le, tc.key); err != nil {
			t.Errorf("like author_signature: %v", err)
		}
	}

	// A public post by a remote person is known here but not ours: send the
	// asker to its author's pod.
	remote := remotePerson(t, p, "dave")
	now := time.Now().UTC()
	rp := &models.Post{GUID: pod.NewGUID(), AuthorID: remote.ID, Type: models.TypeStatusMessage, Public: true, Text: "remote", CreatedAt: now, UpdatedAt: now, InteractedAt: now}
	if err := p.Store.CreatePost(ctx, rp); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"post", "status_message"} {
		doc, err := p.App.Documents.FetchPublic(ctx, typ, rp.GUID)
		if err != nil {
			t.Fatal(err)
		}
		if want := "http://remote.example/fetch/" + typ + "/" + rp.GUID; doc.RedirectURL != want || doc.Body != nil {
			t.Errorf("fetch %s of a remote post: redirect %q, want %q", typ, doc.RedirectURL, want)
		}
	}
	rc := &models.Comment{GUID: pod.NewGUID(), PostID: post.ID, AuthorID: remote.ID, Text: "from afar", CreatedAt: now, UpdatedAt: now}
	if err := p.Store.CreateComment(ctx, rc); err != nil {
		t.Fatal(err)
	}
	doc, err = p.App.Documents.FetchPublic(ctx, "comment", rc.GUID)
	if err != nil {
		t.Fatal(err)
	}
	if want := "http://remote.example/fetch/comment/" + rc.GUID; doc.RedirectURL != want {
		t.Errorf("fetch of a remote comment: redirect %q, want %q", doc.RedirectURL, want)
	}
}
