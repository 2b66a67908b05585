package web_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/pod/accounts"
	"github.com/aspenpod/aspen/pod/media/mediatest"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
	"github.com/aspenpod/aspen/pod/profiles"
)

// nextLink is the path and query of the Link header's rel="next", or "".
func nextLink(t *testing.T, h http.Header) string {
	t.Helper()
	for _, part := range strings.Split(h.Get("Link"), ",") {
		if strings.Contains(part, `rel="next"`) {
			raw := strings.TrimSpace(part)
			raw = raw[strings.Index(raw, "<")+1 : strings.Index(raw, ">")]
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			return u.RequestURI()
		}
	}
	return ""
}

func aspectNames(t *testing.T, p *podtest.Pod, u *podtest.User) []string {
	t.Helper()
	as, err := p.App.Contacts.Aspects(context.Background(), u.Session)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range as {
		out = append(out, a.Name)
	}
	return out
}

// TestAPIAspects: diaspora*'s aspects endpoints on the user's own aspects
// (shape, scopes, 404 for another user's aspect, 422 with nothing
// changed), and the aspect contacts endpoints, whose add starts sharing as
// the web's aspect membership does.
func TestAPIAspects(t *testing.T) {
	p := podtest.NewReachable(t)
	ctx := context.Background()
	alice, bob, carol := p.NewUser(t, "alice"), p.NewUser(t, "bob"), p.NewUser(t, "carol")
	full := apiTokenFor(t, p, "alice", "openid", "contacts:read", "contacts:modify")
	readOnly := apiTokenFor(t, p, "alice", "openid", "contacts:read")
	none := apiTokenFor(t, p, "alice", "openid", "public:read")
	bobsAspect := "/api/v1/aspects/" + itoa(bob.Aspects["Family"])
	family := "/api/v1/aspects/" + itoa(alice.Aspects["Family"])

	// Index and show.
	code, _, body := apiDo(t, p, readOnly, "GET", "/api/v1/aspects", nil)
	if code != http.StatusOK {
		t.Fatalf("aspects: %d %v", code, body)
	}
	sameShape(t, "aspects", example(t, "aspects.md", "Get lists of aspects").Response, body)
	if n := len(body.([]any)); n != 4 {
		t.Errorf("alice has %d aspects in the answer, want her 4", n)
	}
	code, h, body := apiDo(t, p, readOnly, "GET", "/api/v1/aspects?per_page=3", nil)
	if code != http.StatusOK || len(body.([]any)) != 3 || nextLink(t, h) == "" {
		t.Errorf("aspects page 1 of 3: %d %v %q", code, body, h.Get("Link"))
	} else if code, _, body = apiDo(t, p, readOnly, "GET", nextLink(t, h), nil); code != http.StatusOK || len(body.([]any)) != 1 {
		t.Errorf("aspects page 2: %d %v", code, body)
	}
	code, _, body = apiDo(t, p, readOnly, "GET", family, nil)
	if code != http.StatusOK || body.(map[string]any)["name"] != "Family" {
		t.Errorf("show aspect: %d %v", code, body)
	}
	sameShape(t, "aspect", example(t, "aspects.md", "Get information about an aspect").Response, body)
	for _, path := range []string{bobsAspect, "/api/v1/aspects/999999999", "/api/v1/aspects/family"} {
		code, _, body = apiDo(t, p, readOnly, "GET", path, nil)
		wantAPIError(t, "show "+path, code, body, http.StatusNotFound, "Aspect with provided ID could not be found")
	}
	code, _, body = apiDo(t, p, none, "GET", "/api/v1/aspects", nil)
	wantAPIError(t, "aspects without contacts:read", code, body, http.StatusForbidden, "insufficient_scope")
	code, _, body = apiDo(t, p, none, "GET", family, nil)
	wantAPIError(t, "aspect without contacts:read", code, body, http.StatusForbidden, "insufficient_scope")

	// Create.
	ex := example(t, "aspects.md", "Create new aspect")
	code, _, body = apiDo(t, p, readOnly, "POST", "/api/v1/aspects", ex.Request)
	wantAPIError(t, "create with a read-only token", code, body, http.StatusForbidden, "insufficient_scope")
	code, _, body = apiDo(t, p, full, "POST", "/api/v1/aspects", ex.Request)
	if code != http.StatusOK || body.(map[string]any)["name"] != "diaspora developers" {
		t.Fatalf("create: %d %v", code, body)
	}
	sameShape(t, "created aspect", ex.Response, body)
	created := "/api/v1/aspects/" + itoa(int64(body.(map[string]any)["id"].(float64)))
	before := aspectNames(t, p, alice)
	for what, req := range map[string]any{
		"no name": map[string]any{}, "blank": map[string]any{"name": "  "}, "taken": map[string]any{"name": "Family"},
		"too long": map[string]any{"name": strings.Repeat("x", 21)}, "not a string": map[string]any{"name": 7},
	} {
		code, _, body = apiDo(t, p, full, "POST", "/api/v1/aspects", req)
		if m, _ := body.(map[string]any); code != http.StatusUnprocessableEntity || !strings.HasPrefix(m["message"].(string), "Failed to create the aspect") {
			t.Errorf("create, %s: %d %v", what, code, body)
		}
	}
	if got := aspectNames(t, p, alice); !slices.Equal(got, before) {
		t.Errorf("failed creates changed the aspects: %v, was %v", got, before)
	}

	// Update: name, then order (the aspect moves, the others make room).
	ex = example(t, "aspects.md", "Edit an aspect")
	code, _, body = apiDo(t, p, full, "PATCH", created, ex.Request)
	if code != http.StatusOK || body.(map[string]any)["name"] != "diaspora community" {
		t.Fatalf("rename: %d %v", code, body)
	}
	sameShape(t, "updated aspect", ex.Response, body)
	code, _, body = apiDo(t, p, full, "PATCH", created, map[string]any{"order": 0})
	if code != http.StatusOK || body.(map[string]any)["order"] != 0.0 {
		t.Fatalf("move first: %d %v", code, body)
	}
	if got := aspectNames(t, p, alice); !slices.Equal(got, []string{"diaspora community", "Family", "Friends", "Work", "Acquaintances"}) {
		t.Errorf("order after the move: %v", got)
	}
	before = aspectNames(t, p, alice)
	for what, req := range map[string]any{
		"blank name": map[string]any{"name": "", "order": 3}, "taken name": map[string]any{"name": "Work"},
		"order not a number": map[string]any{"name": "renamed", "order": "x"}, "negative order": map[string]any{"name": "renamed", "order": -1},
		"fractional order": map[string]any{"order": 1.5},
	} {
		code, _, body = apiDo(t, p, full, "PATCH", created, req)
		if m, _ := body.(map[string]any); code != http.StatusUnprocessableEntity || !strings.HasPrefix(m["message"].(string), "Failed to update the aspect") {
			t.Errorf("update, %s: %d %v", what, code, body)
		}
	}
	if got := aspectNames(t, p, alice); !slices.Equal(got, before) {
		t.Errorf("failed updates changed the aspects: %v, was %v", got, before)
	}
	code, _, body = apiDo(t, p, full, "PATCH", bobsAspect, map[string]any{"name": "mine now"})
	wantAPIError(t, "update bob's aspect", code, body, http.StatusNotFound, "Failed to update the aspect")
	code, _, body = apiDo(t, p, readOnly, "PATCH", created, map[string]any{"name": "x"})
	wantAPIError(t, "update with a read-only token", code, body, http.StatusForbidden, "insufficient_scope")
	if got := aspectNames(t, p, bob); got[0] != "Family" {
		t.Errorf("bob's aspects: %v", got)
	}

	// Aspect contacts: add (starts sharing), list, remove.
	contactsOf := func(path string) []string {
		t.Helper()
		code, _, body := apiDo(t, p, readOnly, "GET", path+"/contacts", nil)
		if code != http.StatusOK {
			t.Fatalf("contacts of %s: %d %v", path, code, body)
		}
		return apiGUIDs(t, body)
	}
	code, _, body = apiDo(t, p, readOnly, "POST", family+"/contacts", map[string]any{"person_guid": bob.Session.GUID})
	wantAPIError(t, "add with a read-only token", code, body, http.StatusForbidden, "insufficient_scope")
	if code, _, body = apiDo(t, p, full, "POST", family+"/contacts", map[string]any{"person_guid": bob.Session.GUID}); code != http.StatusNoContent {
		t.Fatalf("add bob: %d %v", code, body)
	}
	if rel := p.Relationship(t, alice, bob); rel != "receiving" {
		t.Errorf("after the API add alice's relationship to bob is %q, want receiving (she shares with him)", rel)
	}
	if rel := p.Relationship(t, bob, alice); rel != "sharing" {
		t.Errorf("bob's side: %q, want sharing (alice shares with him)", rel)
	}
	// The documentation's "person" works too.
	if code, _, body = apiDo(t, p, full, "POST", family+"/contacts", map[string]any{"person": carol.Session.GUID}); code != http.StatusNoContent {
		t.Fatalf("add carol: %d %v", code, body)
	}
	for what, req := range map[string]any{
		"again": map[string]any{"person_guid": bob.Session.GUID}, "unknown": map[string]any{"person_guid": "nobody000"},
		"missing": map[string]any{}, "herself": map[string]any{"person_guid": alice.Session.GUID},
	} {
		code, _, body = apiDo(t, p, full, "POST", family+"/contacts", req)
		if m, _ := body.(map[string]any); code != http.StatusUnprocessableEntity || !strings.HasPrefix(m["message"].(string), "Failed to add user to aspect") {
			t.Errorf("add, %s: %d %v", what, code, body)
		}
	}
	code, _, body = apiDo(t, p, full, "POST", bobsAspect+"/contacts", map[string]any{"person_guid": carol.Session.GUID})
	wantAPIError(t, "add to bob's aspect", code, body, http.StatusNotFound, "Aspect with provided ID could not be found")
	got := contactsOf(family)
	if !slices.Contains(got, bob.Session.GUID) || !slices.Contains(got, carol.Session.GUID) || len(got) != 2 {
		t.Errorf("family: %v, want bob and carol", got)
	}
	code, _, body = apiDo(t, p, readOnly, "GET", family+"/contacts", nil)
	sameShape(t, "aspect contacts", example(t, "contacts.md", "Get list of contacts in an aspect").Response, body)
	code, h, body = apiDo(t, p, readOnly, "GET", family+"/contacts?per_page=1", nil)
	if code != http.StatusOK || len(body.([]any)) != 1 || nextLink(t, h) == "" {
		t.Errorf("paged contacts: %d %v %q", code, body, h.Get("Link"))
	}
	code, _, body = apiDo(t, p, none, "GET", family+"/contacts", nil)
	wantAPIError(t, "contacts without contacts:read", code, body, http.StatusForbidden, "insufficient_scope")
	// Bob's aspect is not alice's to read, even with his contacts in it.
	if _, err := p.App.Contacts.AddToAspect(ctx, bob.Session, bob.Aspects["Family"], carol.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	code, _, body = apiDo(t, p, readOnly, "GET", bobsAspect+"/contacts", nil)
	wantAPIError(t, "bob's aspect contacts", code, body, http.StatusNotFound, "Aspect with provided ID could not be found")

	code, _, body = apiDo(t, p, readOnly, "DELETE", family+"/contacts/"+bob.Session.GUID, nil)
	wantAPIError(t, "remove with a read-only token", code, body, http.StatusForbidden, "insufficient_scope")
	if code, _, body = apiDo(t, p, full, "DELETE", family+"/contacts/"+bob.Session.GUID, nil); code != http.StatusNoContent {
		t.Fatalf("remove bob: %d %v", code, body)
	}
	if rel := p.Relationship(t, alice, bob); rel == "receiving" || rel == "mutual" {
		t.Errorf("bob left alice's only aspect he was in, but she still shares with him (%q)", rel)
	}
	code, _, body = apiDo(t, p, full, "DELETE", family+"/contacts/"+bob.Session.GUID, nil)
	wantAPIError(t, "remove again", code, body, http.StatusGone, "The person is not in this aspect")
	code, _, body = apiDo(t, p, full, "DELETE", family+"/contacts/nobody000", nil)
	if m, _ := body.(map[string]any); code != http.StatusUnprocessableEntity || !strings.HasPrefix(m["message"].(string), "Failed to remove user from aspect") {
		t.Errorf("remove an unknown person: %d %v", code, body)
	}
	code, _, body = apiDo(t, p, full, "DELETE", bobsAspect+"/contacts/"+carol.Session.GUID, nil)
	wantAPIError(t, "remove from bob's aspect", code, body, http.StatusNotFound, "Aspect or contact on aspect not found")
	if rel := p.Relationship(t, bob, carol); rel != "receiving" {
		t.Errorf("bob's sharing with carol changed: %q", rel)
	}

	// Delete: people left in no aspect stop receiving; bob's is a 404.
	code, _, body = apiDo(t, p, readOnly, "DELETE", family, nil)
	wantAPIError(t, "delete with a read-only token", code, body, http.StatusForbidden, "insufficient_scope")
	code, _, body = apiDo(t, p, full, "DELETE", bobsAspect, nil)
	wantAPIError(t, "delete bob's aspect", code, body, http.StatusNotFound, "Aspect with provided ID could not be found")
	if code, _, body = apiDo(t, p, full, "DELETE", family, nil); code != http.StatusNoContent {
		t.Fatalf("delete: %d %v", code, body)
	}
	if rel := p.Relationship(t, alice, carol); rel == "receiving" || rel == "mutual" {
		t.Errorf("carol was in the deleted aspect only, but alice still shares with her (%q)", rel)
	}
	code, _, body = apiDo(t, p, full, "DELETE", family, nil)
	wantAPIError(t, "delete again", code, body, http.StatusNotFound, "Aspect with provided ID could not be found")
	if got := aspectNames(t, p, bob); len(got) != 4 {
		t.Errorf("bob's aspects: %v", got)
	}
}

// apiPeopleWorld: bob shares with alice (she is in his Friends) and fills
// his profile; carol, not searchable, shares with nobody.
func apiPeopleWorld(t *testing.T) (p *podtest.Pod, alice, bob, carol *podtest.User) {
	t.Helper()
	p = podtest.NewReachable(t)
	ctx := context.Background()
	alice, bob, carol = p.NewUser(t, "alice"), p.NewUser(t, "bob"), p.NewUser(t, "carol")
	if _, err := p.App.Contacts.AddToAspect(ctx, bob.Session, bob.Aspects["Friends"], alice.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	for _, u := range []*podtest.User{bob, carol} {
		if err := p.App.Profiles.UpdateProfile(ctx, u.Session.UserID, profiles.ProfileInput{
			FirstName: strings.ToUpper(u.Name[:1]) + u.Name[1:], LastName: "Testing", Bio: u.Name + "'s **secret** bio",
			Location: u.Name + "'s home", Gender: "Example", BirthYear: "1984", BirthMonth: "1", BirthDay: "2",
			Searchable: u != carol}); err != nil {
			t.Fatal(err)
		}
	}
	return p, alice, bob, carol
}

// TestAPIUsers: a person's profile (private fields only when they share
// with the token's user; not searchable only with contacts:read), their
// posts (limited ones only with private:read and only those addressed to
// the user), their photos, the user's contacts, and blocks.
func TestAPIUsers(t *testing.T) {
	p, alice, bob, carol := apiPeopleWorld(t)
	ctx := context.Background()
	profile := apiTokenFor(t, p, "alice", "openid", "profile")
	contactsRead := apiTokenFor(t, p, "alice", "openid", "profile", "contacts:read", "public:read")
	private := apiTokenFor(t, p, "alice", "openid", "public:read", "contacts:read", "private:read")
	noScope := apiTokenFor(t, p, "alice", "openid")
	// Profiles.
	ex := example(t, "users.md", "Get information about a single user")
	code, _, body := apiDo(t, p, profile, "GET", "/api/v1/users/"+bob.Session.GUID, nil)
	if code != http.StatusOK {
		t.Fatalf("bob's profile: %d %v", code, body)
	}
	sameShape(t, "bob's profile", ex.Response, body)
	m := body.(map[string]any)
	if m["bio"] != "bob's **secret** bio" || m["birthday"] != "1984-01-02" || m["name"] != "Bob Testing" {
		t.Errorf("bob shares with alice; his profile: %v", m)
	}
	if rel := m["relationship"].(map[string]any); rel["sharing"] != true || rel["receiving"] != false || m["blocked"] != false {
		t.Errorf("relationship: %v", m)
	}
	code, _, body = apiDo(t, p, profile, "GET", "/api/v1/users/"+carol.Session.GUID, nil)
	wantAPIError(t, "carol is not searchable", code, body, http.StatusNotFound, "User not found")
	code, _, body = apiDo(t, p, contactsRead, "GET", "/api/v1/users/"+carol.Session.GUID, nil)
	if code != http.StatusOK {
		t.Fatalf("carol with contacts:read: %d %v", code, body)
	}
	for _, key := range []string{"bio", "birthday", "gender", "location"} {
		if v, ok := body.(map[string]any)[key]; ok {
			t.Errorf("carol does not share with alice, yet her %s is shown: %v", key, v)
		}
	}
	// alice shares with carol, but carol does not with her: still hidden.
	if _, err := p.App.Contacts.AddToAspect(ctx, alice.Session, alice.Aspects["Work"], carol.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	code, _, body = apiDo(t, p, contactsRead, "GET", "/api/v1/users/"+carol.Session.GUID, nil)
	if _, ok := body.(map[string]any)["bio"]; code != http.StatusOK || ok {
		t.Errorf("alice shares with carol (not the other way): %d %v", code, body)
	}
	if as := body.(map[string]any)["aspects"].([]any); len(as) != 1 || as[0].(map[string]any)["name"] != "Work" {
		t.Errorf("carol's aspects: %v", body)
	}
	code, _, body = apiDo(t, p, profile, "GET", "/api/v1/users/nobody000", nil)
	wantAPIError(t, "unknown person", code, body, http.StatusNotFound, "User not found")
	code, _, body = apiDo(t, p, noScope, "GET", "/api/v1/users/"+bob.Session.GUID, nil)
	wantAPIError(t, "no profile scope", code, body, http.StatusForbidden, "insufficient_scope")
	code, _, body = apiDo(t, p, profile, "GET", "/api/v1/users/"+alice.Session.GUID, nil)
	if m, _ := body.(map[string]any); code != http.StatusOK || m["guid"] != alice.Session.GUID || m["searchable"] == nil || m["relationship"] != nil {
		t.Errorf("own profile: %d %v", code, body)
	}

	// Posts. (Every token has public:read: the provider grants it with
	// openid, as diaspora*'s does, so its 403 cannot happen.)
	post := func(u *podtest.User, text string, sel aspects.Selection) string {
		t.Helper()
		time.Sleep(2 * time.Millisecond) // the API's times have milliseconds
		pv, err := p.App.Posts.CreatePost(ctx, u.Session, posts.PostInput{Text: text, Audience: sel})
		if err != nil {
			t.Fatal(err)
		}
		return pv.GUID
	}
	pub := post(bob, "public words", aspects.Selection{Public: true})
	friends := post(bob, "for friends", aspects.Selection{Aspects: []int64{bob.Aspects["Friends"]}})
	family := post(bob, "for family", aspects.Selection{Aspects: []int64{bob.Aspects["Family"]}})
	postsOf := func(tok, guid string) (int, []string, http.Header) {
		t.Helper()
		code, h, body := apiDo(t, p, tok, "GET", "/api/v1/users/"+guid+"/posts", nil)
		if code != http.StatusOK {
			return code, nil, h
		}
		return code, apiGUIDs(t, body), h
	}
	if _, got, _ := postsOf(contactsRead, bob.Session.GUID); !slices.Equal(got, []string{pub}) {
		t.Errorf("public:read sees %v; want only the public %s", got, pub)
	}
	if _, got, _ := postsOf(private, bob.Session.GUID); !slices.Equal(got, []string{friends, pub}) {
		t.Errorf("private:read sees %v; want %s (to friends, alice is one) and %s, never %s (family)", got, friends, pub, family)
	}
	carolPrivate := apiTokenFor(t, p, "carol", "openid", "public:read", "contacts:read", "private:read")
	if _, got, _ := postsOf(carolPrivate, bob.Session.GUID); !slices.Equal(got, []string{pub}) {
		t.Errorf("carol (bob shares nothing with her) sees %v; want only %s", got, pub)
	}
	code, _, body = apiDo(t, p, private, "GET", "/api/v1/users/"+bob.Session.GUID+"/posts", nil)
	sameShape(t, "posts", example(t, "users.md", "Get posts by a single user").Response, body,
		"provider_display_name", "own_interaction_state.reshated", "title")
	code, h, body := apiDo(t, p, private, "GET", "/api/v1/users/"+bob.Session.GUID+"/posts?per_page=1", nil)
	if got := apiGUIDs(t, body); code != http.StatusOK || !slices.Equal(got, []string{friends}) || nextLink(t, h) == "" {
		t.Fatalf("first page: %d %v %q", code, body, h.Get("Link"))
	}
	code, _, body = apiDo(t, p, private, "GET", nextLink(t, h), nil)
	if got := apiGUIDs(t, body); code != http.StatusOK || !slices.Equal(got, []string{pub}) {
		t.Errorf("next page: %d %v, want %s", code, got, pub)
	}
	// Without private:read the limited posts are not in the pages at all
	// (the visibility rule reads the token's PublicOnly): the first page
	// of one post is the public one.
	code, _, body = apiDo(t, p, contactsRead, "GET", "/api/v1/users/"+bob.Session.GUID+"/posts?per_page=1", nil)
	if got := apiGUIDs(t, body); code != http.StatusOK || !slices.Equal(got, []string{pub}) {
		t.Errorf("public-only first page: %d %v, want %s", code, got, pub)
	}
	code, _, body = apiDo(t, p, private, "GET", "/api/v1/users/nobody000/posts", nil)
	wantAPIError(t, "posts of nobody", code, body, http.StatusNotFound, "User not found")
	code, _, body = apiDo(t, p, private, "GET", "/api/v1/users/"+bob.Session.GUID+"/posts?before=yesterday", nil)
	wantAPIError(t, "bad before", code, body, http.StatusUnprocessableEntity, "")

	// Photos: of the posts the user may read only.
	photoPost := func(sel aspects.Selection) string {
		t.Helper()
		time.Sleep(2 * time.Millisecond) // the API's times have milliseconds
		ph, err := p.App.Photos.Upload(ctx, bob.Session, bytes.NewReader(mediatest.JPEG(t, 120, 80)))
		if err != nil {
			t.Fatal(err)
		}
		if err := p.App.Photos.Process(ctx, ph.ID); err != nil {
			t.Fatal(err)
		}
		pv, err := p.App.Posts.CreatePost(ctx, bob.Session, posts.PostInput{Text: "a photo", Audience: sel, Photos: []int64{ph.ID}})
		if err != nil {
			t.Fatal(err)
		}
		return pv.GUID
	}
	pubPhoto := photoPost(aspects.Selection{Public: true})
	friendsPhoto := photoPost(aspects.Selection{Aspects: []int64{bob.Aspects["Friends"]}})
	familyPhoto := photoPost(aspects.Selection{Aspects: []int64{bob.Aspects["Family"]}})
	photosOf := func(tok string) []string {
		t.Helper()
		code, _, body := apiDo(t, p, tok, "GET", "/api/v1/users/"+bob.Session.GUID+"/photos", nil)
		if code != http.StatusOK {
			t.Fatalf("photos: %d %v", code, body)
		}
		var out []string
		for _, x := range body.([]any) {
			out = append(out, x.(map[string]any)["post"].(string))
		}
		return out
	}
	if got := photosOf(contactsRead); !slices.Equal(got, []string{pubPhoto}) {
		t.Errorf("photos with public:read: posts %v, want only %s", got, pubPhoto)
	}
	if got := photosOf(private); !slices.Equal(got, []string{friendsPhoto, pubPhoto}) {
		t.Errorf("photos with private:read: posts %v, want %s and %s, never %s", got, friendsPhoto, pubPhoto, familyPhoto)
	}
	code, _, body = apiDo(t, p, private, "GET", "/api/v1/users/"+bob.Session.GUID+"/photos", nil)
	sameShape(t, "photos", example(t, "users.md", "Get photos by a single user").Response, body)
	code, h, body = apiDo(t, p, private, "GET", "/api/v1/users/"+bob.Session.GUID+"/photos?per_page=1", nil)
	if code != http.StatusOK || len(body.([]any)) != 1 || nextLink(t, h) == "" {
		t.Errorf("photos page: %d %v %q", code, body, h.Get("Link"))
	} else if code, _, body = apiDo(t, p, private, "GET", nextLink(t, h), nil); code != http.StatusOK || len(body.([]any)) != 1 ||
		body.([]any)[0].(map[string]any)["post"] != pubPhoto {
		t.Errorf("photos next page: %d %v", code, body)
	}
	code, _, body = apiDo(t, p, private, "GET", "/api/v1/users/nobody000/photos", nil)
	wantAPIError(t, "photos of nobody", code, body, http.StatusNotFound, "User not found")

	// The user's contacts: bob shares with her, she shares with carol.
	code, _, body = apiDo(t, p, contactsRead, "GET", "/api/v1/users/"+alice.Session.GUID+"/contacts", nil)
	if got := apiGUIDs(t, body); code != http.StatusOK || len(got) != 2 || !slices.Contains(got, bob.Session.GUID) || !slices.Contains(got, carol.Session.GUID) {
		t.Errorf("alice's contacts: %d %v", code, body)
	}
	sameShape(t, "contacts", example(t, "contacts.md", "Get list of contacts in an aspect").Response, body)
	code, h, body = apiDo(t, p, contactsRead, "GET", "/api/v1/users/"+alice.Session.GUID+"/contacts?per_page=1&page=2", nil)
	if code != http.StatusOK || len(body.([]any)) != 1 || nextLink(t, h) != "" || !strings.Contains(h.Get("Link"), `rel="previous"`) {
		t.Errorf("contacts page 2 of 2: %d %v %q", code, body, h.Get("Link"))
	}
	code, _, body = apiDo(t, p, contactsRead, "GET", "/api/v1/users/"+bob.Session.GUID+"/contacts", nil)
	wantAPIError(t, "bob's contacts", code, body, http.StatusNotFound, "User not found")
	code, _, body = apiDo(t, p, profile, "GET", "/api/v1/users/"+alice.Session.GUID+"/contacts", nil)
	wantAPIError(t, "contacts without contacts:read", code, body, http.StatusForbidden, "insufficient_scope")

	// Blocks.
	modify := apiTokenFor(t, p, "alice", "openid", "contacts:modify")
	block := "/api/v1/users/" + carol.Session.GUID + "/block"
	code, _, body = apiDo(t, p, contactsRead, "POST", block, nil)
	wantAPIError(t, "block without contacts:modify", code, body, http.StatusForbidden, "insufficient_scope")
	if code, _, body = apiDo(t, p, modify, "POST", block, nil); code != http.StatusCreated {
		t.Fatalf("block: %d %v", code, body)
	}
	if rel := p.Relationship(t, alice, carol); rel == "receiving" || rel == "mutual" {
		t.Errorf("alice blocked carol but still shares with her (%q)", rel)
	}
	code, _, body = apiDo(t, p, modify, "POST", block, nil)
	wantAPIError(t, "block again", code, body, http.StatusConflict, "User is already blocked")
	code, _, body = apiDo(t, p, contactsRead, "GET", "/api/v1/users/"+carol.Session.GUID, nil)
	if m, _ := body.(map[string]any); code != http.StatusOK || m["blocked"] != true {
		t.Errorf("blocked carol's profile: %d %v", code, body)
	}
	code, _, body = apiDo(t, p, modify, "POST", "/api/v1/users/nobody000/block", nil)
	wantAPIError(t, "block nobody", code, body, http.StatusNotFound, "User not found")
	code, _, body = apiDo(t, p, modify, "POST", "/api/v1/users/"+alice.Session.GUID+"/block", nil)
	if code != http.StatusUnprocessableEntity {
		t.Errorf("block herself: %d %v", code, body)
	}
	code, _, body = apiDo(t, p, contactsRead, "DELETE", block, nil)
	wantAPIError(t, "unblock without contacts:modify", code, body, http.StatusForbidden, "insufficient_scope")
	if code, _, body = apiDo(t, p, modify, "DELETE", block, nil); code != http.StatusNoContent {
		t.Fatalf("unblock: %d %v", code, body)
	}
	code, _, body = apiDo(t, p, modify, "DELETE", block, nil)
	wantAPIError(t, "unblock again", code, body, http.StatusGone, "User is not blocked")
	code, _, body = apiDo(t, p, modify, "DELETE", "/api/v1/users/nobody000/block", nil)
	wantAPIError(t, "unblock nobody", code, body, http.StatusNotFound, "User not found")
	if bs, err := p.App.Contacts.Blocks(ctx, alice.Session); err != nil || len(bs) != 0 {
		t.Errorf("blocks left: %v %v", bs, err)
	}
}

// TestAPIUpdateUser: PATCH /api/v1/user saves diaspora*'s profile fields
// through the profile form's use case; any bad value is a 422 and changes
// nothing; the private fields come back only with profile:read_private.
func TestAPIUpdateUser(t *testing.T) {
	p := podtest.NewReachable(t)
	ctx := context.Background()
	bob := p.NewUser(t, "bob")
	tok := apiTokenFor(t, p, "bob", "openid", "profile", "profile:modify", "profile:read_private")
	noPrivate := apiTokenFor(t, p, "bob", "openid", "profile", "profile:modify")
	readOnly := apiTokenFor(t, p, "bob", "openid", "profile")

	ex := example(t, "users.md", "Update the currently authenticated users profile")
	req := ex.Request.(map[string]any)
	req["birthday"], req["bio"], req["gender"], req["tags"] = "1984-01-02", "Lorem **ipsum**", "Example", []string{"bobclub", "#diaspora"}
	code, _, body := apiDo(t, p, tok, "PATCH", "/api/v1/user", req)
	if code != http.StatusOK {
		t.Fatalf("update: %d %v", code, body)
	}
	sameShape(t, "updated profile", ex.Response, body)
	in, _, err := p.App.Profiles.ProfileForm(ctx, bob.Session.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if in.FirstName != "Bob Anonymous" || in.LastName != "" || in.Location != "My home!" || in.Bio != "Lorem **ipsum**" ||
		in.BirthYear != "1984" || in.BirthMonth != "1" || in.BirthDay != "2" {
		t.Errorf("stored: %+v", in)
	}
	if m := body.(map[string]any); m["name"] != "Bob Anonymous" || m["birthday"] != "1984-01-02" || m["location"] != "My home!" {
		t.Errorf("answer: %v", m)
	}

	// Booleans, from a form too; a field not given is kept.
	code, _, body = apiDo(t, p, tok, "PATCH", "/api/v1/user", map[string]any{"searchable": false, "nsfw": true, "show_profile_info": true})
	if m, _ := body.(map[string]any); code != http.StatusOK || m["searchable"] != false || m["nsfw"] != true || m["show_profile_info"] != true || m["location"] != "My home!" {
		t.Errorf("booleans: %d %v", code, body)
	}
	r, _ := http.NewRequest("PATCH", p.Server.URL+"/api/v1/user", strings.NewReader("searchable=true&gender=Other"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Authorization", "Bearer "+tok)
	if resp, err := http.DefaultClient.Do(r); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("form update: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	before, _, _ := p.App.Profiles.ProfileForm(ctx, bob.Session.UserID)
	if !before.Searchable || before.Gender != "Other" || !before.NSFW {
		t.Errorf("after the form update: %+v", before)
	}

	for what, req := range map[string]map[string]any{
		"bad date":       {"birthday": "1984-13-45", "location": "changed"},
		"future":         {"birthday": "2999-01-01", "location": "changed"},
		"not a boolean":  {"searchable": "maybe", "location": "changed"},
		"number as name": {"name": 5, "location": "changed"},
		"long name":      {"name": strings.Repeat("n", 33), "location": "changed"},
		"bad name":       {"name": "<script>", "location": "changed"},
		"six tags":       {"tags": []string{"a", "b", "c", "d", "e", "f"}, "location": "changed"},
		"bad tag":        {"tags": []string{"not a tag!"}, "location": "changed"},
		"tags not list":  {"tags": map[string]any{"a": 1}, "location": "changed"},
		"other user":     {"id": 1, "location": "changed"},
	} {
		code, _, body = apiDo(t, p, tok, "PATCH", "/api/v1/user", req)
		if m, _ := body.(map[string]any); code != http.StatusUnprocessableEntity || !strings.HasPrefix(m["message"].(string), "Failed to update the user settings") {
			t.Errorf("%s: %d %v", what, code, body)
		}
	}
	after, _, _ := p.App.Profiles.ProfileForm(ctx, bob.Session.UserID)
	if *after != *before {
		t.Errorf("failed updates changed the profile:\n%+v\nwas\n%+v", after, before)
	}

	code, _, body = apiDo(t, p, readOnly, "PATCH", "/api/v1/user", map[string]any{"location": "changed"})
	wantAPIError(t, "without profile:modify", code, body, http.StatusForbidden, "insufficient_scope")
	code, _, body = apiDo(t, p, noPrivate, "PATCH", "/api/v1/user", map[string]any{"location": "Elsewhere"})
	if m, _ := body.(map[string]any); code != http.StatusOK || m["location"] != nil || m["bio"] != nil {
		t.Errorf("without profile:read_private the answer shows private fields: %d %v", code, body)
	}
	if in, _, _ := p.App.Profiles.ProfileForm(ctx, bob.Session.UserID); in.Location != "Elsewhere" {
		t.Errorf("location not saved: %+v", in)
	}
}

// TestPasswordChangeSignOutEverywhere: the password form's "Sign out
// everywhere" choice: unchecked, other browsers and the apps stay signed
// in; checked (the default), both end.
func TestPasswordChangeSignOutEverywhere(t *testing.T) {
	p := podtest.NewReachable(t)
	ctx := context.Background()
	ivy := p.NewUser(t, "ivy")
	a, b := p.Client(), p.Client()
	a.SignIn("ivy", "password1", false)
	b.SignIn("ivy", "password1", false)
	page := a.Get("/user/edit")
	if !strings.Contains(page.Body, `name="user[sign_out_everywhere]" value="1" checked`) || !strings.Contains(page.Body, "Sign out everywhere (other browsers and apps)") {
		t.Fatalf("the password form has no checked sign-out-everywhere box:\n%s", page.Body)
	}
	tok := apiTokenFor(t, p, "ivy", "openid", "profile")
	change := func(from, to string, everywhere ...string) {
		t.Helper()
		form := url.Values{"form": {"password"}, "user[current_password]": {from}, "user[password]": {to}, "user[password_confirmation]": {to},
			"user[sign_out_everywhere]": append([]string{"0"}, everywhere...)}
		if r := a.Post("/user", form); r.StatusCode != http.StatusFound {
			t.Fatalf("change password: %d\n%s", r.StatusCode, r.Body)
		}
		// The token check is cached; the choice must hold without it too.
		if err := p.App.Core.DropAPICache(ctx, ivy.Session.UserID); err != nil {
			t.Fatal(err)
		}
	}

	change("password1", "password2") // box unchecked: only the hidden 0
	if b.Get("/user/edit").StatusCode != http.StatusOK {
		t.Error("unchecked: the other browser was signed out")
	}
	if code, _, body := apiDo(t, p, tok, "GET", "/api/v1/user", nil); code != http.StatusOK {
		t.Errorf("unchecked: the app's token stopped working: %d %v", code, body)
	}
	if r := p.Client().SignIn("ivy", "password2", false); r.StatusCode != http.StatusFound {
		t.Errorf("the new password does not work: %d", r.StatusCode)
	}

	change("password2", "password3", "1") // checked
	if a.Get("/user/edit").StatusCode != http.StatusOK {
		t.Error("checked: the changing browser was signed out")
	}
	if b.Get("/user/edit").StatusCode != http.StatusFound {
		t.Error("checked: the other browser is still signed in")
	}
	code, _, body := apiDo(t, p, tok, "GET", "/api/v1/user", nil)
	wantAPIError(t, "checked: the app's token", code, body, http.StatusUnauthorized, "invalid_token")

	// A token ended by a change stays ended after a later change that
	// keeps the apps.
	change("password3", "password4")
	code, _, body = apiDo(t, p, tok, "GET", "/api/v1/user", nil)
	wantAPIError(t, "an ended token after a keeping change", code, body, http.StatusUnauthorized, "invalid_token")

	// The use case's default (no choice given) signs out everywhere.
	jay := p.NewUser(t, "jay")
	tok = apiTokenFor(t, p, "jay", "openid", "profile")
	if err := p.App.Accounts.ChangePassword(ctx, jay.Session.UserID, accounts.ChangePasswordInput{Current: "password1", Password: "password5", PasswordConfirmation: "password5"}); err != nil {
		t.Fatal(err)
	}
	code, _, body = apiDo(t, p, tok, "GET", "/api/v1/user", nil)
	wantAPIError(t, "default change", code, body, http.StatusUnauthorized, "invalid_token")
}
