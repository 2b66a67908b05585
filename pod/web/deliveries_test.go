package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
)

// TestPostDeliveryStatusOnlyForAuthor: the author of a post sees, on its
// page and in its JSON, how its delivery to each remote pod went; a reader
// who is not the author and a signed-out visitor never do.
func TestPostDeliveryStatusOnlyForAuthor(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	st := w.p.Store
	guid := post(t, w.alice, "hello other pods", "public")
	other := post(t, w.alice, "nothing went out", "public")
	p, err := st.VisiblePost(ctx, models.Viewer{}, guid)
	if err != nil {
		t.Fatal(err)
	}

	friends, err := st.EnsurePod(ctx, "friends.example", "https://friends.example/")
	if err != nil {
		t.Fatal(err)
	}
	gone, err := st.EnsurePod(ctx, "gone.example", "https://gone.example/")
	if err != nil {
		t.Fatal(err)
	}
	ptr := func(s string) *string { return &s }
	if err := st.RecordDeliveries(ctx, []models.Delivery{
		{TaskID: "d1", PodID: friends.ID, PostID: &p.ID, EntityType: "Post", RecipientGUID: ptr("r1"), State: models.DeliverySent},
		{TaskID: "d2", PodID: friends.ID, PostID: &p.ID, EntityType: "Post", RecipientGUID: ptr("r2"), State: models.DeliveryRetrying,
			LastError: "dial tcp 192.0.2.7:443: connection refused"},
		{TaskID: "d3", PodID: gone.ID, PostID: &p.ID, EntityType: "Post", State: models.DeliveryFailed,
			LastError: "given up: the pod has been failing since 2020-01-01T00:00:00Z"},
	}); err != nil {
		t.Fatal(err)
	}
	// The retrying delivery has been tried twice: the next try is about
	// (2+3)^4 s = 10 minutes after the last.
	if err := st.SetDeliveryState(ctx, "d2", models.DeliveryRetrying, 2, "POST https://friends.example/receive/users/r2: dial tcp 192.0.2.7:443: connect: connection refused"); err != nil {
		t.Fatal(err)
	}
	secrets := []string{"friends.example", "gone.example", "connection refused", "Delivery to other pods", "deliveries"}

	page := mustStatus(t, w.alice.Get("/posts/"+guid), http.StatusOK).Body
	for _, want := range []string{"Delivery to other pods", "friends.example", "retrying", "their pod did not answer; next try in 10 minutes", "their pod has not answered for a long time; gave up",
		"1 of 2 sent", "gone.example", "given up", "0 of 1 sent"} {
		if !strings.Contains(page, want) {
			t.Errorf("author's post page lacks %q", want)
		}
	}
	var js struct {
		GUID       string                  `json:"guid"`
		Deliveries *[]posts.DeliveryStatus `json:"deliveries"`
	}
	r := mustStatus(t, w.alice.Get("/posts/"+guid+".json"), http.StatusOK)
	if err := json.Unmarshal([]byte(r.Body), &js); err != nil || js.GUID != guid || js.Deliveries == nil {
		t.Fatalf("author's post JSON: %v %s", err, r.Body)
	}
	ds := *js.Deliveries
	if len(ds) != 2 || ds[0].Pod != "friends.example" || ds[0].State != "retrying" || ds[0].Sent != 1 || ds[0].Total != 2 ||
		ds[0].Message != "their pod did not answer; next try in 10 minutes" || ds[0].LastError != "" || ds[0].NextTryAt == nil || ds[1].Pod != "gone.example" || ds[1].State != "failed" {
		t.Errorf("author's deliveries %+v", ds)
	}
	// The technical error is for admins: the author sees words instead.
	for _, raw := range []string{"dial tcp", "connection refused", "POST https://", "given up:"} {
		if strings.Contains(page, raw) || strings.Contains(r.Body, raw) {
			t.Errorf("author (not an admin) sees the raw error %q", raw)
		}
	}
	// Nor when a failed comment shows the post page again.
	failed := w.alice.Post("/posts/"+guid+"/comments", url.Values{"text": {""}})
	if failed.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(failed.Body, "their pod did not answer") || strings.Contains(failed.Body, "connection refused") {
		t.Errorf("the post page after a failed comment: %d, raw error shown or words missing", failed.StatusCode)
	}
	// A post that went nowhere: an empty list for the author, no section.
	r = mustStatus(t, w.alice.Get("/posts/"+other+".json"), http.StatusOK)
	if !strings.Contains(r.Body, `"deliveries":[]`) {
		t.Errorf("author's JSON of an undelivered post: %s", trim(r.Body))
	}
	if strings.Contains(w.alice.Get("/posts/"+other).Body, "Delivery to other pods") {
		t.Error("delivery section shown for a post that went nowhere")
	}

	for _, who := range []struct {
		name string
		get  func(string) string
	}{
		{"reader", func(path string) string { return mustStatus(t, w.bob.Get(path), http.StatusOK).Body }},
		{"signed out", func(path string) string { return mustStatus(t, w.anon.Get(path), http.StatusOK).Body }},
	} {
		for _, path := range []string{"/posts/" + guid, "/posts/" + guid + ".json", "/public.json", "/people/" + w.aliceGUID} {
			body := who.get(path)
			for _, s := range secrets {
				if strings.Contains(body, s) {
					t.Errorf("%s: GET %s shows %q", who.name, path, s)
				}
			}
		}
	}
}

// TestPostDeliveryRawErrorForAdminAuthors: an admin who writes a post sees
// the words and, below them, the technical error, on the page and in JSON.
func TestPostDeliveryRawErrorForAdminAuthors(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	admin := adminClient(t, p, "olga")
	guid := post(t, admin, "from the admin", "public")
	pp, err := p.Store.VisiblePost(ctx, models.Viewer{}, guid)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := p.Store.EnsurePod(ctx, "bad.example", "https://bad.example/")
	if err != nil {
		t.Fatal(err)
	}
	raw := "unexpected HTTP response: https://bad.example/receive/public answered 503"
	if err := p.Store.RecordDeliveries(ctx, []models.Delivery{{TaskID: "a1", PodID: bad.ID, PostID: &pp.ID, EntityType: "Post", State: models.DeliveryFailed}}); err != nil {
		t.Fatal(err)
	}
	if err := p.Store.SetDeliveryState(ctx, "a1", models.DeliveryFailed, 11, raw); err != nil {
		t.Fatal(err)
	}
	page := mustStatus(t, admin.Get("/posts/"+guid), http.StatusOK).Body
	for _, want := range []string{"their pod had an error (HTTP 503); gave up after 11 tries", raw} {
		if !strings.Contains(page, want) {
			t.Errorf("admin author's page lacks %q", want)
		}
	}
	var js struct {
		Deliveries []posts.DeliveryStatus `json:"deliveries"`
	}
	r := mustStatus(t, admin.Get("/posts/"+guid+".json"), http.StatusOK)
	if err := json.Unmarshal([]byte(r.Body), &js); err != nil || len(js.Deliveries) != 1 ||
		js.Deliveries[0].LastError != raw || js.Deliveries[0].Message != "their pod had an error (HTTP 503); gave up after 11 tries" {
		t.Errorf("admin author's JSON: %v %s", err, r.Body)
	}
}
