package fedhost_test

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/discovery"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/federation/envelope"
	"github.com/aspenpod/aspen/federation/fedtest"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod/federate/fedhost"
)

// vector reads a conformance vector (federation/testdata/vectors).
func vector(t *testing.T, rel string) []byte {
	t.Helper()
	return fedtest.Vector(t, rel)
}

func uid(n int64) *int64 { return &n }

var (
	created = time.Date(2024, 1, 2, 4, 4, 5, 123456000, time.FixedZone("CET", 3600))
	alice   = &models.Person{ID: 1, GUID: "a1b2c3d4e5f60718293a4b5c6d7e8f90", DiasporaID: "alice@pod-a.org", PodHost: "pod-a.org", OwnerID: uid(1)}
	bob     = &models.Person{ID: 2, GUID: "b1b2c3d4e5f60718293a4b5c6d7e8f90", DiasporaID: "bob@pod-b.org", PodHost: "pod-b.org", OwnerID: uid(2)}
	post    = &models.Post{ID: 10, GUID: "1f2e3d4c5b6a79880123456789abcdef", AuthorID: 1, Type: models.TypeStatusMessage, Public: true,
		Text: "Hello from pod-a! #test", CreatedAt: created}
)

// sealed seals a vector key the way users' keys are stored.
func sealed(t *testing.T, sealer *models.KeySealer, name string) string {
	t.Helper()
	key, err := federation.ParsePrivateKey(vector(t, "keys/"+name+".key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := sealer.Seal(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAccountReproducesVector22(t *testing.T) {
	person := *alice
	person.SerializedPublicKey = string(vector(t, "keys/alice_pod_a.pub.pem"))
	profile := &models.Profile{
		FirstName: "Alice", LastName: "Example", Searchable: true,
		ImageURL:       "/uploads/images/thumb_large_abc.jpg",
		ImageURLMedium: "/uploads/images/thumb_medium_abc.jpg",
		ImageURLSmall:  "https://pod-a.org/uploads/images/thumb_small_abc.jpg",
	}
	acct := fedhost.Account(&person, profile, "https://pod-a.org")
	if got, want := fedhost.HCard(&acct), vector(t, "generated/22_hcard.html"); !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
		t.Errorf("hCard differs from vector 22\n got: %s\nwant: %s", got, want)
	}
	// diaspora* adds an OpenID issuer link, which we do not serve.
	acct.ExtraLinks = []discovery.Link{{Rel: "http://openid.net/specs/connect/1.0/issuer", Href: "https://pod-a.org/"}}
	if got, want := fedhost.WebFinger(&acct), bytes.TrimSpace(vector(t, "generated/22_webfinger.json")); !bytes.Equal(got, want) {
		t.Errorf("WebFinger differs from vector 22\n got: %s\nwant: %s", got, want)
	}

	// No name and no pictures: empty fn (still present) and the default
	// avatar as an absolute URL; a PKCS#1 key is published as SPKI.
	person.SerializedPublicKey = string(vector(t, "keys/pkcs1_512.pub.pkcs1.pem"))
	acct = fedhost.Account(&person, &models.Profile{}, "https://pod-a.org/")
	if acct.FullName != "" || acct.ImageURL != "https://pod-a.org"+fedhost.DefaultAvatar || acct.ImageURLSmall != acct.ImageURL || acct.Searchable {
		t.Errorf("bare account %+v", acct)
	}
	if acct.PublicKeyPEM != string(vector(t, "keys/pkcs1_512.pub.spki.pem")) {
		t.Errorf("PKCS#1 key published as %q", acct.PublicKeyPEM)
	}
}

func TestEntitiesReproduceVectors(t *testing.T) {
	sealer, err := models.NewKeySealer("fedhost-test-secret-fedhost-test-secret")
	if err != nil {
		t.Fatal(err)
	}
	aliceKey, bobKey := sealed(t, sealer, "alice_pod_a"), sealed(t, sealer, "bob_pod_b")

	sm := fedhost.StatusMessage(post, alice)
	if got, _ := entity.MarshalXML(sm); !bytes.Equal(got, bytes.TrimSpace(vector(t, "generated/01_status_message_public.payload.xml"))) {
		t.Errorf("status_message payload:\n%s", got)
	}
	doc, err := fedhost.SignedEnvelope(sm, alice, aliceKey, sealer)
	if err != nil {
		t.Fatal(err)
	}
	if want := vector(t, "generated/01_status_message_public.envelope.xml"); !bytes.Equal(bytes.TrimSpace(doc), bytes.TrimSpace(want)) {
		t.Errorf("envelope differs from vector 01\n got: %s\nwant: %s", doc, want)
	}

	reshare := &models.Post{GUID: "18a3b3c3d3e3f4041424344454647484", AuthorID: 2, Type: models.TypeReshare, Public: true, CreatedAt: created}
	e, err := fedhost.Post(reshare, bob, post, alice)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := entity.MarshalXML(e); !bytes.Equal(got, bytes.TrimSpace(vector(t, "generated/18_reshare.payload.xml"))) {
		t.Errorf("reshare payload:\n%s", got)
	}
	if e, _ := fedhost.Post(reshare, bob, nil, nil); e.(*entity.Reshare).RootGUID != "" || e.Validate() != nil {
		t.Errorf("reshare of a deleted root: %+v", e)
	}
	if _, err := fedhost.Post(&models.Post{Type: "Photo"}, bob, nil, nil); err == nil {
		t.Error("a post of unknown type became an entity")
	}

	// A comment and a like by bob, signed for /fetch: the payload is the
	// reference's, author_signature included (RSA PKCS#1 v1.5 is
	// deterministic).
	comment := &models.Comment{GUID: "3a3b3c3d3e3f40414243444546474849", PostID: post.ID, AuthorID: 2, Text: "Nice post, alice!", CreatedAt: time.Date(2024, 1, 2, 4, 0, 0, 0, time.UTC)}
	like := &models.Like{GUID: "6a3b3c3d3e3f40414243444546474849", PostID: post.ID, AuthorID: 2, Positive: true}
	for _, tc := range []struct {
		e      entity.Entity
		vector string
	}{
		{fedhost.Comment(comment, bob, post), "generated/03_comment_by_bob.payload.xml"},
		{fedhost.Like(like, bob, post, nil), "generated/06_like_by_bob.payload.xml"},
	} {
		doc, err := fedhost.SignedEnvelope(tc.e, bob, bobKey, sealer)
		if err != nil {
			t.Fatal(err)
		}
		env, err := envelope.Parse(doc)
		if err != nil {
			t.Fatal(err)
		}
		if env.Sender != "bob@pod-b.org" {
			t.Errorf("%s signed by %s", tc.e.EntityName(), env.Sender)
		}
		if want := bytes.TrimSpace(vector(t, tc.vector)); !bytes.Equal(env.Payload, want) {
			t.Errorf("%s payload\n got: %s\nwant: %s", tc.e.EntityName(), env.Payload, want)
		}
	}
	onComment := fedhost.Like(like, bob, post, comment)
	if onComment.ParentType != "Comment" || onComment.ParentGUID != comment.GUID {
		t.Errorf("like of a comment: %+v", onComment)
	}

	// Limited posts are never signed for /fetch, and a key sealed with
	// another secret does not open.
	limited := *post
	limited.Public = false
	if _, err := fedhost.SignedEnvelope(fedhost.StatusMessage(&limited, alice), alice, aliceKey, sealer); err == nil {
		t.Error("a limited status message was signed for fetching")
	}
	other, _ := models.NewKeySealer("another-secret-another-secret-another")
	if _, err := fedhost.SignedEnvelope(sm, alice, aliceKey, other); err == nil {
		t.Error("a key opened with the wrong secret")
	}

	if got := fedhost.FetchURL("https", alice, "post", post.GUID); got != "https://pod-a.org/fetch/post/"+post.GUID {
		t.Errorf("FetchURL = %q", got)
	}
}

func TestNodeInfoAndHostMeta(t *testing.T) {
	u := models.PodUsage{Users: 3, ActiveHalfyear: 2, ActiveMonth: 1, LocalPosts: 10, LocalComments: 4}
	sw := fedhost.NodeInfoSoftware{Name: "aspen", Version: "1.2.3", Repository: "https://example.org/aspen", NodeName: "My pod", OpenRegistrations: true}
	for _, v := range []string{"2.0", "2.1"} {
		b, err := fedhost.NodeInfo(v, sw, u)
		if err != nil {
			t.Fatal(err)
		}
		ni, err := discovery.ParseNodeInfo(b)
		if err != nil {
			t.Fatal(err)
		}
		if *ni.Usage.Users.Total != 3 || *ni.Usage.Users.ActiveHalfyear != 2 || *ni.Usage.Users.ActiveMonth != 1 ||
			*ni.Usage.LocalPosts != 10 || *ni.Usage.LocalComments != 4 || !ni.OpenRegistrations || ni.Metadata["nodeName"] != "My pod" {
			t.Errorf("NodeInfo %s: %s", v, b)
		}
		if !fedhost.NodeInfoVersion(v) {
			t.Errorf("version %s not served", v)
		}
	}
	if fedhost.NodeInfoVersion("1.0") {
		t.Error("NodeInfo 1.0 is served")
	}
	if _, err := fedhost.NodeInfo("2.1", fedhost.NodeInfoSoftware{Name: "Aspen Pod", Version: "1"}, u); err == nil {
		t.Error("a software name outside ^[a-z0-9-]+$ passed")
	}

	hm := fedhost.HostMeta("https://pod.example")
	var xrd struct {
		XMLName xml.Name `xml:"http://docs.oasis-open.org/ns/xri/xrd-1.0 XRD"`
		Links   []struct {
			Rel      string `xml:"rel,attr"`
			Template string `xml:"template,attr"`
		} `xml:"Link"`
	}
	if err := xml.Unmarshal(hm, &xrd); err != nil {
		t.Fatalf("host-meta: %v\n%s", err, hm)
	}
	if len(xrd.Links) != 1 || xrd.Links[0].Rel != "lrdd" || xrd.Links[0].Template != "https://pod.example/.well-known/webfinger?resource={uri}" {
		t.Errorf("host-meta %s", hm)
	}
	if !strings.Contains(string(fedhost.WellKnownNodeInfo("https://pod.example")), `"https://pod.example/nodeinfo/2.1"`) {
		t.Error("well-known nodeinfo lacks the 2.1 link")
	}
}
