package web_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/accounts"
	"github.com/aspenpod/aspen/pod/contacts"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
	"github.com/aspenpod/aspen/pod/profiles"
	"github.com/aspenpod/aspen/pod/web"
)

// insecureFederation lets a test pod's discovery reach loopback over http.
func insecureFederation(o *pod.Options, _ *web.Options) { o.FederationInsecure = true }

// TestPeopleSearchDiscoveryFailure: someone on a pod that cannot be
// reached is a notice on the normal search page with the search kept, a
// 404 with the reason for scripts, and never a 500.
func TestPeopleSearchDiscoveryFailure(t *testing.T) {
	p := podtest.New(t, insecureFederation)
	alice := p.Client()
	alice.SignUp("alice")
	const nobody = "nobody@127.0.0.1:1" // a closed port on loopback
	msg := "Could not find " + nobody + ": their pod could not be reached or gave an answer we cannot read"

	for i := 0; i < 2; i++ { // the second time the remembered failure answers
		r := mustStatus(t, alice.Get("/people?q="+url.QueryEscape(nobody)), http.StatusOK)
		for _, want := range []string{`<h1>Find people</h1>`, `value="` + nobody + `"`, `role="alert">` + msg} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("search page %d lacks %q\n%s", i, want, trim(r.Body))
			}
		}
		if strings.Contains(r.Body, "Nobody found") {
			t.Error("the notice comes with a second, vaguer one")
		}
	}
	r := alice.Get("/people.json?q=" + url.QueryEscape(nobody))
	var js map[string]string
	if r.StatusCode != http.StatusNotFound || json.Unmarshal([]byte(r.Body), &js) != nil || js["error"] != msg {
		t.Errorf("JSON search: %d %s", r.StatusCode, r.Body)
	}

	// Signed-out visitors do not make the pod call other hosts: they search
	// the people known here and are told to sign in.
	anon := p.Client()
	r = mustStatus(t, anon.Get("/people?q="+url.QueryEscape("someone@127.0.0.1:2")), http.StatusOK)
	if !strings.Contains(r.Body, "Sign in</a> to find people on other pods") || strings.Contains(r.Body, "Could not find") {
		t.Errorf("signed-out search of a remote ID:\n%s", trim(r.Body))
	}
}

// TestPeopleSearchRefusesPrivateAddresses: without FederationInsecure (as in
// production) a loopback pod is refused with a reason that says so.
func TestPeopleSearchRefusesPrivateAddresses(t *testing.T) {
	p := podtest.New(t)
	alice := p.Client()
	alice.SignUp("alice")
	r := mustStatus(t, alice.Get("/people?q="+url.QueryEscape("nobody@127.0.0.1:1")), http.StatusOK)
	if !strings.Contains(r.Body, "their pod&#39;s address is not a public internet address") {
		t.Errorf("search page:\n%s", trim(r.Body))
	}
}

var personIDField = regexp.MustCompile(`name="person_id" value="(\d+)"`)

// TestPeopleSearchDiscoversRemotePerson: a diaspora ID on a second pod is
// found there and listed like a local result, with the add-to-aspect
// control; once shared with, the remote person's public posts reach this
// pod and their page shows them with their names and their pod.
func TestPeopleSearchDiscoversRemotePerson(t *testing.T) {
	fast := podtest.FedOptions{RetryUnit: time.Millisecond}
	here := podtest.NewFedPod(t, "weba", 6, fast)
	there := podtest.NewFedPod(t, "webb", 7, fast)
	ctx := context.Background()

	bobUser, err := there.App.Accounts.SignUp(ctx, accounts.SignUpInput{Username: "bob", Email: "bob@example.org", Password: "password1", PasswordConfirmation: "password1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := there.App.Profiles.UpdateProfile(ctx, bobUser.ID, profiles.ProfileInput{FirstName: "Bob", LastName: "Builder", Searchable: true}); err != nil {
		t.Fatal(err)
	}
	bob, _, err := there.App.Accounts.SignIn(ctx, accounts.SignInInput{Login: "bob", Password: "password1", ClientIP: "10.7.7.7"})
	if err != nil {
		t.Fatal(err)
	}
	bobID := there.DiasporaID("bob")

	alice := here.Client()
	alice.SignUp("alice")
	r := mustStatus(t, alice.Get("/people?q="+url.QueryEscape(bobID)), http.StatusOK)
	for _, want := range []string{"Bob Builder", bobID, `action="/aspect_memberships"`, ">Friends</option>", "Not sharing"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("search result lacks %q\n%s", want, trim(r.Body))
		}
	}
	m := personIDField.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatal("no add-to-aspect control in the result")
	}
	var results []contacts.PersonResult
	r = mustStatus(t, alice.Get("/people.json?q="+url.QueryEscape(bobID)), http.StatusOK)
	if err := json.Unmarshal([]byte(r.Body), &results); err != nil || len(results) != 1 || results[0].DiasporaID != bobID || itoa(results[0].ID) != m[1] {
		t.Fatalf("JSON search: %v %s", err, r.Body)
	}
	bobGUID := results[0].GUID

	// alice shares with bob through the control; bob's pod learns it.
	aliceSession, _, err := here.App.Accounts.SignIn(ctx, accounts.SignInInput{Login: "alice", Password: "password1", ClientIP: "10.7.7.8"})
	if err != nil {
		t.Fatal(err)
	}
	mine, err := here.App.Contacts.Aspects(ctx, aliceSession)
	if err != nil {
		t.Fatal(err)
	}
	r = alice.Post("/aspect_memberships", url.Values{"aspect_id": {itoa(mine[1].ID)}, "person_id": {m[1]}})
	mustStatus(t, r, http.StatusSeeOther)
	podtest.Eventually(t, 30*time.Second, func() bool {
		cs, err := there.App.Contacts.Contacts(ctx, bob, contacts.ContactFilter{Set: "all"})
		return err == nil && len(cs) == 1
	}, "bob's pod never learnt that alice shares with him")

	// bob posts publicly: it reaches alice's pod and shows on his page there.
	if _, err := there.App.Posts.CreatePost(ctx, bob, posts.PostInput{Text: "hello from the other pod", Audience: aspects.Selection{Public: true}}); err != nil {
		t.Fatal(err)
	}
	anon := here.Client()
	podtest.Eventually(t, 30*time.Second, func() bool {
		return strings.Contains(anon.Get("/people/"+bobGUID).Body, "hello from the other pod")
	}, "bob's public post never showed on his page on alice's pod")

	page := mustStatus(t, anon.Get("/people/"+bobGUID), http.StatusOK).Body
	for _, want := range []string{"<h1>Bob Builder</h1>", `<p class="id">` + bobID + `</p>`, `href="http://` + there.Addr + `/"`, "another pod"} {
		if !strings.Contains(page, want) {
			t.Errorf("remote person's page lacks %q\n%s", want, trim(page))
		}
	}
	if !strings.Contains(page, `src="`) || strings.Contains(page, `src=""`) {
		t.Error("remote person's page has no avatar")
	}
	var pj struct {
		DiasporaID string `json:"diaspora_id"`
		Name       string `json:"name"`
		Local      bool   `json:"local"`
		Pod        struct {
			Host, URL string
		} `json:"pod"`
	}
	r = mustStatus(t, anon.Get("/people/"+bobGUID+".json"), http.StatusOK)
	if err := json.Unmarshal([]byte(r.Body), &pj); err != nil || pj.DiasporaID != bobID || pj.Name != "Bob Builder" || pj.Local || pj.Pod.Host != there.Addr {
		t.Errorf("remote person's JSON: %v %s", err, r.Body)
	}
	// alice, signed in, sees their relationship and can change it there.
	page = mustStatus(t, alice.Get("/people/"+bobGUID), http.StatusOK).Body
	if !strings.Contains(page, html.EscapeString("You share with them")) || !strings.Contains(page, "Remove from Friends") {
		t.Errorf("alice's view of bob's page:\n%s", trim(page))
	}
}
