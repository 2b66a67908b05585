package receive_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/federation/envelope"
	"github.com/aspenpod/aspen/federation/fedtest"
	"github.com/aspenpod/aspen/federation/internal/vectors"
	"github.com/aspenpod/aspen/federation/receive"
)

const (
	alice    = "alice@pod-a.org"
	bob      = "bob@pod-b.org"
	carol    = "alice@pod-c.org"
	postGUID = "1f2e3d4c5b6a79880123456789abcdef"
	bobGUID  = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0"
)

// pod returns a host as alice's pod (rootLocal) or a third pod, knowing
// alice's public post, bob's comment on it and the poll/event parents.
func pod(t *testing.T, rootLocal bool) *fedtest.Host {
	h := fedtest.VectorHost(t)
	post := &federation.ObjectInfo{Author: alice, RootAuthor: alice, RootLocal: rootLocal, Public: true}
	h.Objects[fedtest.ObjectKey("Post", postGUID)] = post
	h.Objects[fedtest.ObjectKey("Poll", "7f2e3d4c5b6a79880123456789abcdef")] = post
	h.Objects[fedtest.ObjectKey("Event", "8f2e3d4c5b6a79880123456789abcdef")] = post
	h.Objects[fedtest.ObjectKey("Comment", "3a3b3c3d3e3f40414243444546474849")] = &federation.ObjectInfo{Author: bob, RootAuthor: alice, RootLocal: rootLocal, Public: true}
	h.RecipientPrivateKeys[bobGUID] = fedtest.VectorKey(t, bob)
	return h
}

func sign(t *testing.T, payloadFile, sender string) []byte {
	t.Helper()
	env, err := envelope.Sign(vectors.TrimFinalNewline(vectors.Read(t, payloadFile)), sender, fedtest.VectorKey(t, sender))
	if err != nil {
		t.Fatal(err)
	}
	return env.Marshal()
}

// The receiver outcomes recorded in gem-outcomes.json.
func TestGemOutcomes(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name      string
		body      []byte
		rootLocal bool
		private   bool
		want      error // nil: ACCEPTED
		entity    string
		sender    string
	}{
		{"01 public envelope", vectors.Read(t, "generated/01_status_message_public.envelope.xml"), false, false, nil, "status_message", alice},
		{"02 private envelope for bob", vectors.Read(t, "generated/02_status_message_limited.encrypted.json"), false, true, nil, "status_message", alice},
		{"02 limited post sent to /receive/public", vectors.Read(t, "generated/02_status_message_limited.envelope.xml"), false, false, federation.ErrNotPublic, "", ""},
		{"03a comment from bob on alice's pod", vectors.Read(t, "generated/03_comment_by_bob.envelope_from_bob.xml"), true, false, nil, "comment", bob},
		{"03b same envelope on a third pod", vectors.Read(t, "generated/03_comment_by_bob.envelope_from_bob.xml"), false, false, federation.ErrInvalidSender, "", ""},
		{"03c relayed envelope on a third pod", vectors.Read(t, "generated/03_comment_by_bob.envelope_relayed_by_alice.xml"), false, false, nil, "comment", alice},
		{"04 comment with unknown field", sign(t, "generated/04_comment_unknown_field.payload.xml", bob), true, false, nil, "comment", bob},
		{"04n dropped unknown field", sign(t, "generated/04_comment_unknown_field.NEGATIVE_field_dropped.payload.xml", bob), true, false, federation.ErrSignatureVerificationFailed, "", ""},
		{"04n reordered", sign(t, "generated/04_comment_unknown_field.NEGATIVE_reordered.payload.xml", bob), true, false, federation.ErrSignatureVerificationFailed, "", ""},
		{"04n relayed by alice, field dropped", sign(t, "generated/04_comment_unknown_field.NEGATIVE_field_dropped.payload.xml", alice), false, false, federation.ErrSignatureVerificationFailed, "", ""},
		{"05 comment by root author", vectors.Read(t, "generated/05_comment_by_root_author.envelope.xml"), false, false, nil, "comment", alice},
		{"06 like from bob on alice's pod", vectors.Read(t, "generated/06_like_by_bob.envelope.xml"), true, false, nil, "like", bob},
		{"07 poll participation from bob", sign(t, "generated/07_poll_participation_by_bob.payload.xml", bob), true, false, nil, "poll_participation", bob},
		{"08 event participation relayed", sign(t, "generated/08_event_participation_by_bob.payload.xml", alice), false, false, nil, "event_participation", alice},
		{"09 retraction by root author", vectors.Read(t, "generated/09_retraction_comment.envelope_from_root_author.xml"), false, false, nil, "retraction", alice},
		{"09 retraction by its author", sign(t, "generated/09_retraction_comment.payload.xml", bob), true, false, nil, "retraction", bob},
		{"09n retraction by unrelated person", sign(t, "generated/09_retraction_comment.payload.xml", carol), false, false, federation.ErrInvalidSender, "", ""},
		{"10 contact", sign(t, "generated/10_contact.payload.xml", bob), false, false, nil, "contact", bob},
		{"10n contact following+blocking", func() []byte {
			p := bytes.Replace(vectors.TrimFinalNewline(vectors.Read(t, "generated/10_contact.payload.xml")), []byte("<blocking>false"), []byte("<blocking>true"), 1)
			env, _ := envelope.Sign(p, bob, fedtest.VectorKey(t, bob))
			return env.Marshal()
		}(), false, false, federation.ErrValidation, "", ""},
		{"11 non-public profile with bio, public route", sign(t, "generated/11_profile.payload.xml", alice), false, false, federation.ErrNotPublic, "", ""},
		{"11b non-public profile, base fields only", sign(t, "generated/11_profile_base_only.payload.xml", alice), false, false, nil, "profile", alice},
		{"12 account deletion", sign(t, "generated/12_account_deletion.payload.xml", alice), false, false, nil, "account_deletion", alice},
		{"13 migration authored by old id", sign(t, "generated/13_account_migration_by_old.payload.xml", alice), false, false, nil, "account_migration", alice},
		{"13b migration authored by new id", sign(t, "generated/13_account_migration_by_new.payload.xml", carol), false, false, nil, "account_migration", carol},
		{"13 migration sent by the other identity", sign(t, "generated/13_account_migration_by_old.payload.xml", carol), false, false, federation.ErrInvalidSender, "", ""},
		{"14a tampered data", vectors.Read(t, "generated/14a_NEGATIVE_tampered_data.envelope.xml"), false, false, federation.ErrInvalidSignature, "", ""},
		{"14b0 padded", vectors.Read(t, "generated/14b_padded.envelope.xml"), false, false, nil, "status_message", alice},
		{"14b1 unpadded, signed over padded", vectors.Read(t, "generated/14b_unpadded_data_sig_over_padded.envelope.xml"), false, false, nil, "status_message", alice},
		{"14b2 unpadded, signed over unpadded", vectors.Read(t, "generated/14b_NEGATIVE_unpadded_data_sig_over_unpadded.envelope.xml"), false, false, federation.ErrInvalidSignature, "", ""},
		{"14c wrapped data", vectors.Read(t, "generated/14c_NEGATIVE_wrapped_data.envelope.xml"), false, false, federation.ErrInvalidEnvelope, "", ""},
		{"14g envelope by bob with alice's post", vectors.Read(t, "generated/14g_NEGATIVE_sender_not_author.envelope.xml"), false, false, federation.ErrInvalidSender, "", ""},
		{"14i compact", vectors.Read(t, "generated/14i_compact_no_declaration.envelope.xml"), false, false, nil, "status_message", alice},
		{"14j default namespace", vectors.Read(t, "generated/14j_NEGATIVE_default_namespace.envelope.xml"), false, false, federation.ErrInvalidEnvelope, "", ""},
		{"16 escaping comment on alice's pod", sign(t, "generated/16_comment_escaping.payload.xml", bob), true, false, nil, "comment", bob},
		{"17 status message with photo, location, poll", sign(t, "generated/17_status_message_with_photo_location_poll.payload.xml", alice), false, false, nil, "status_message", alice},
		{"18 reshare", sign(t, "generated/18_reshare.payload.xml", bob), false, false, nil, "reshare", bob},
		{"19 conversation", sign(t, "generated/19_conversation.payload.xml", alice), false, false, nil, "conversation", alice},
		{"20 participation", sign(t, "generated/20_participation.payload.xml", bob), true, false, nil, "participation", bob},
		{"unknown sender", sign(t, "generated/12_account_deletion.payload.xml", alice), false, false, federation.ErrKeyNotFound, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := pod(t, c.rootLocal)
			if c.name == "unknown sender" {
				delete(h.PublicKeys, alice)
			}
			p := h.Processor()
			d := receive.Delivery{Body: c.body}
			if c.private {
				d.RecipientGUID = bobGUID
			}
			res, err := p.Process(ctx, d)
			if c.want != nil {
				if !errors.Is(err, c.want) {
					t.Fatalf("want REJECTED %v, got %v", c.want, err)
				}
				if !federation.Permanent(err) {
					t.Errorf("%v should be permanent", err)
				}
				if len(h.Received) != 0 {
					t.Error("rejected entity handed to the host")
				}
				return
			}
			if err != nil {
				t.Fatalf("want ACCEPTED, got %v", err)
			}
			if res.Entity.EntityName() != c.entity || res.Sender != c.sender || len(h.Received) != 1 {
				t.Errorf("got %s from %s (%d received)", res.Entity.EntityName(), res.Sender, len(h.Received))
			}
		})
	}
}

func TestRetryableErrors(t *testing.T) {
	h := fedtest.VectorHost(t) // knows no parent
	_, err := h.Processor().ProcessPublic(context.Background(), vectors.Read(t, "generated/03_comment_by_bob.envelope_relayed_by_alice.xml"))
	if !errors.Is(err, federation.ErrParentNotFound) || federation.Permanent(err) {
		t.Errorf("missing parent: want retryable ErrParentNotFound, got %v", err)
	}
	_, err = h.Processor().ProcessPublic(context.Background(), vectors.Read(t, "generated/09_retraction_comment.envelope_from_root_author.xml"))
	if !errors.Is(err, federation.ErrTargetNotFound) || federation.Permanent(err) {
		t.Errorf("missing target: want retryable ErrTargetNotFound, got %v", err)
	}
	// Private delivery for a recipient whose key does not open it.
	h.RecipientPrivateKeys[bobGUID] = fedtest.VectorKey(t, carol)
	_, err = h.Processor().ProcessPrivate(context.Background(), vectors.Read(t, "generated/02_status_message_limited.encrypted.json"), bobGUID)
	if !errors.Is(err, federation.ErrDecryption) {
		t.Errorf("wrong recipient key: %v", err)
	}
}

func TestSealForManyRecipients(t *testing.T) {
	// Sign once, seal per recipient; each recipient's pod verifies.
	sm := &entity.StatusMessage{Author: alice, GUID: "2f2e3d4c5b6a79880123456789abcdef", Text: "Only for my aspect"}
	doc, err := envelope.SignEntity(sm, alice, fedtest.VectorKey(t, alice))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{bob, carol} {
		key := fedtest.VectorKey(t, r)
		body, err := envelope.Seal(doc, &key.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		h := fedtest.VectorHost(t)
		h.RecipientPrivateKeys[bobGUID] = key
		res, err := h.Processor().ProcessPrivate(context.Background(), body, bobGUID)
		if err != nil || res.Entity.(*entity.StatusMessage).Text != "Only for my aspect" {
			t.Fatalf("%s: %v", r, err)
		}
	}
}

func TestHandler(t *testing.T) {
	h := pod(t, true)
	var drops []string
	srv := httptest.NewServer(&receive.Handler{Enqueuer: h, Recipients: h, MaxBodySize: 1 << 16,
		OnDrop: func(_ *http.Request, _, reason string) { drops = append(drops, reason) }})
	defer srv.Close()
	post := func(path, body string) int {
		resp, err := http.Post(srv.URL+path, "application/magic-envelope+xml", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	env := string(vectors.Read(t, "generated/01_status_message_public.envelope.xml"))
	for _, c := range []struct {
		path, body string
		want       int
	}{
		{"/receive/public", env, 202},
		{"/receive/public/", env, 202},
		{"/receive/users/" + bobGUID, "{}", 202},
		{"/receive/users/" + bobGUID + "/", "{}", 202},
		{"/receive/users/0123456789abcdef0123456789abcdef", "{}", 404},
		{"/receive/users/short", "{}", 404},
		{"/receive/public", "", 202},                           // dropped: empty
		{"/receive/public", strings.Repeat("x", 1<<16+1), 202}, // dropped: too large
		{"/receive/elsewhere", env, 404},
	} {
		if got := post(c.path, c.body); got != c.want {
			t.Errorf("POST %s: %d, want %d", c.path, got, c.want)
		}
	}
	if len(drops) != 2 || drops[0] != "empty body" || !strings.Contains(drops[1], "larger than the limit") {
		t.Errorf("drops reported: %q", drops)
	}
	if len(h.Deliveries) != 4 || h.Deliveries[0].RecipientGUID != "" || h.Deliveries[2].RecipientGUID != bobGUID || h.Deliveries[0].Body == nil {
		t.Errorf("deliveries %+v", h.Deliveries)
	}
	resp, _ := http.Get(srv.URL + "/receive/public")
	if resp.StatusCode != 405 {
		t.Errorf("GET: %d", resp.StatusCode)
	}
	h.EnqueueErr = errors.New("queue down")
	if got := post("/receive/public", env); got != 503 {
		t.Errorf("enqueue failure: %d", got)
	}
	// The queued bytes are processed later by the job.
	res, err := h.Processor().Process(context.Background(), h.Deliveries[0])
	if err != nil || res.Sender != alice {
		t.Errorf("process queued: %v", err)
	}
}

func TestFetch(t *testing.T) {
	h := fedtest.VectorHost(t)
	payload := vectors.TrimFinalNewline(vectors.Read(t, "generated/01_status_message_public.payload.xml"))
	sm, _ := entity.ParseXML(payload)
	h.Fetchable[fedtest.ObjectKey("post", postGUID)] = &receive.FetchResult{Entity: sm, Author: alice, AuthorKey: fedtest.VectorKey(t, alice)}
	h.Fetchable[fedtest.ObjectKey("post", "2f2e3d4c5b6a79880123456789abcdef")] = &receive.FetchResult{RedirectURL: "https://pod-b.org/fetch/post/2f2e3d4c5b6a79880123456789abcdef"}
	limited := *sm.(*entity.StatusMessage)
	limited.Public = false
	h.Fetchable[fedtest.ObjectKey("post", "3f2e3d4c5b6a79880123456789abcdef")] = &receive.FetchResult{Entity: &limited, Author: alice, AuthorKey: fedtest.VectorKey(t, alice)}
	srv := httptest.NewServer(&receive.FetchHandler{Source: h})
	defer srv.Close()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (*http.Response, []byte) {
		resp, err := noRedirect.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp, b.Bytes()
	}
	resp, body := get("/fetch/post/" + postGUID)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != envelope.ContentType || !bytes.Equal(body, vectors.Read(t, "generated/01_status_message_public.envelope.xml")) {
		t.Errorf("fetch: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if res, err := h.Processor().ProcessPublic(context.Background(), body); err != nil || res.Sender != alice {
		t.Errorf("fetched envelope does not verify: %v", err)
	}
	resp, _ = get("/fetch/post/2f2e3d4c5b6a79880123456789abcdef")
	if resp.StatusCode != 302 || resp.Header.Get("Location") != "https://pod-b.org/fetch/post/2f2e3d4c5b6a79880123456789abcdef" {
		t.Errorf("redirect: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, p := range []string{"/fetch/post/3f2e3d4c5b6a79880123456789abcdef", "/fetch/post/4f2e3d4c5b6a79880123456789abcdef", "/fetch/post/bad", "/fetch/Post/" + postGUID, "/fetch/post"} {
		if resp, _ := get(p); resp.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", p, resp.StatusCode)
		}
	}
}
