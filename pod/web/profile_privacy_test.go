package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod/podtest"
)

// privateSecrets are the private profile fields the tests below write, as
// pages show them. The birthday is looked for in full: its year alone
// turns up in random IDs now and then.
var privateSecrets = []string{"hiking", "Secret Valley", "private-gender", "April 12, 1990"}

// seesPrivate fetches a person's HTML page and JSON and reports for each
// whether all the private fields are present; it fails the test when only
// some of them are (a half-hidden profile is a bug too).
func seesPrivate(t *testing.T, c *podtest.Client, guid string) (html, js bool) {
	t.Helper()
	check := func(path string) bool {
		r := c.Get(path)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, r.StatusCode)
		}
		n := 0
		for _, s := range privateSecrets {
			if strings.Contains(r.Body, s) {
				n++
			}
		}
		if n != 0 && n != len(privateSecrets) {
			t.Errorf("GET %s shows %d of %d private fields", path, n, len(privateSecrets))
		}
		return n == len(privateSecrets)
	}
	return check("/people/" + guid), check("/people/" + guid + ".json")
}

// TestPrivateProfileShownToPeopleTheOwnerSharesWith: as on diaspora*, the
// private part of a profile (bio, location, gender, birthday) is shown to
// the people its owner shares with, and to nobody else unless the owner
// made it public.
func TestPrivateProfileShownToPeopleTheOwnerSharesWith(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice, bob, carol, dave, anon := p.Client(), p.Client(), p.Client(), p.Client(), p.Client()
	alice.SignUp("alice")
	bob.SignUp("bob")
	carol.SignUp("carol")
	dave.SignUp("dave")
	mustStatus(t, alice.Post("/profile", url.Values{
		"profile[first_name]": {"Alice"}, "profile[bio]": {"I like **hiking**"},
		"profile[location]": {"Secret Valley"}, "profile[gender]": {"private-gender"},
		"profile[date][year]": {"1990"}, "profile[date][month]": {"4"}, "profile[date][day]": {"12"},
		"profile[searchable]": {"1"},
	}), http.StatusFound)
	person := func(name string) *models.Person {
		pp, err := p.Store.PersonByDiasporaID(ctx, name+"@pod.test")
		if err != nil {
			t.Fatal(err)
		}
		return pp
	}
	ap, bp, cp, dp := person("alice"), person("bob"), person("carol"), person("dave")
	aspectOf := func(pp *models.Person) int64 {
		as, err := p.Store.AspectsOf(ctx, *pp.OwnerID)
		if err != nil || len(as) == 0 {
			t.Fatal(err)
		}
		return as[0].ID
	}
	// alice shares with bob and dave; carol shares with alice, who does
	// not share back; then alice ignores dave.
	mustStatus(t, alice.Post("/aspect_memberships", url.Values{"aspect_id": {itoa(aspectOf(ap))}, "person_id": {itoa(bp.ID)}}), http.StatusSeeOther)
	mustStatus(t, alice.Post("/aspect_memberships", url.Values{"aspect_id": {itoa(aspectOf(ap))}, "person_id": {itoa(dp.ID)}}), http.StatusSeeOther)
	mustStatus(t, carol.Post("/aspect_memberships", url.Values{"aspect_id": {itoa(aspectOf(cp))}, "person_id": {itoa(ap.ID)}}), http.StatusSeeOther)
	if h, j := seesPrivate(t, dave, ap.GUID); !h || !j {
		t.Fatalf("dave, whom alice shares with, does not see her private profile (html %v, json %v)", h, j)
	}
	r := alice.Post("/blocks", url.Values{"block[person_id]": {itoa(dp.ID)}})
	if r.StatusCode >= 400 {
		t.Fatalf("block: %d %s", r.StatusCode, r.Body)
	}

	for name, c := range map[string]*podtest.Client{"alice (owner)": alice, "bob (alice shares with him)": bob} {
		if h, j := seesPrivate(t, c, ap.GUID); !h || !j {
			t.Errorf("%s does not see the private profile (html %v, json %v)", name, h, j)
		}
	}
	for name, c := range map[string]*podtest.Client{
		"carol (shares with alice, not shared with)": carol, "dave (ignored by alice)": dave, "signed out": anon,
	} {
		if h, j := seesPrivate(t, c, ap.GUID); h || j {
			t.Errorf("%s sees the private profile (html %v, json %v)", name, h, j)
		}
	}
	// The other direction: bob does not share with alice, so she does not
	// see his private part.
	mustStatus(t, bob.Post("/profile", url.Values{"profile[first_name]": {"Bob"}, "profile[location]": {"Bobtown-private"}}), http.StatusFound)
	if r := alice.Get("/people/" + bp.GUID); strings.Contains(r.Body, "Bobtown-private") {
		t.Error("alice sees the private profile of bob, who does not share with her")
	}

	// Public details: everyone sees them, ignored or signed out.
	mustStatus(t, alice.Post("/profile", url.Values{
		"profile[first_name]": {"Alice"}, "profile[bio]": {"I like **hiking**"},
		"profile[location]": {"Secret Valley"}, "profile[gender]": {"private-gender"},
		"profile[date][year]": {"1990"}, "profile[date][month]": {"4"}, "profile[date][day]": {"12"},
		"profile[public_details]": {"1"},
	}), http.StatusFound)
	for name, c := range map[string]*podtest.Client{"carol": carol, "signed out": anon} {
		if h, j := seesPrivate(t, c, ap.GUID); !h || !j {
			t.Errorf("public details hidden from %s (html %v, json %v)", name, h, j)
		}
	}
}

// TestRemotePrivateProfileShownWhenTheyShareWithViewer: a remote person's
// private fields, which their pod sent us because they share with a local
// user, are shown to that user and to nobody else.
func TestRemotePrivateProfileShownWhenTheyShareWithViewer(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	bob, carol, anon := p.Client(), p.Client(), p.Client()
	bob.SignUp("bob")
	carol.SignUp("carol")
	remote := &models.Person{GUID: "aaaabbbbccccdddd0000111122223333", DiasporaID: "rita@remote.example", PodHost: "remote.example",
		SerializedPublicKey: "-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----\n"}
	if err := p.Store.CreatePerson(ctx, remote); err != nil {
		t.Fatal(err)
	}
	bday := time.Date(1990, 4, 12, 0, 0, 0, 0, time.UTC)
	if err := p.Store.CreateProfile(ctx, &models.Profile{PersonID: remote.ID, FirstName: "Rita", Searchable: true,
		Bio: "I like **hiking**", Location: "Secret Valley", Gender: "private-gender", Birthday: &bday}); err != nil {
		t.Fatal(err)
	}
	for name, sharing := range map[string]bool{"bob": true, "carol": false} {
		pp, _ := p.Store.PersonByDiasporaID(ctx, name+"@pod.test")
		c, err := p.Store.EnsureContact(ctx, *pp.OwnerID, remote.ID)
		if err != nil {
			t.Fatal(err)
		}
		// carol shares with rita, rita does not share with carol.
		if err := p.Store.SetContactFlags(ctx, c.ID, sharing, !sharing); err != nil {
			t.Fatal(err)
		}
	}
	if h, j := seesPrivate(t, bob, remote.GUID); !h || !j {
		t.Errorf("bob, whom rita shares with, does not see her private profile (html %v, json %v)", h, j)
	}
	if h, j := seesPrivate(t, carol, remote.GUID); h || j {
		t.Errorf("carol, whom rita does not share with, sees her private profile (html %v, json %v)", h, j)
	}
	if r := anon.Get("/people/" + remote.GUID + ".json"); r.StatusCode == http.StatusOK {
		for _, s := range privateSecrets {
			if strings.Contains(r.Body, s) {
				t.Errorf("signed-out visitor sees %q", s)
			}
		}
	}
}
