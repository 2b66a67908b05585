package fedhost_test

import (
	"testing"
	"time"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod/federate/fedhost"
)

func TestRemotePersonPodIsTheIDsHost(t *testing.T) {
	key, err := federation.GenerateKey(1024)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ podURL, want string }{
		{"https://pod.example/", "https://pod.example/"},
		{"http://pod.example", "http://pod.example/"},
		// A seed_location elsewhere must not redirect our deliveries.
		{"https://evil.example/", "https://pod.example/"},
		{"", "https://pod.example/"},
	} {
		p, prof, host, url, err := fedhost.RemotePerson(&federation.Person{ID: "Bob@Pod.Example", GUID: "0123456789abcdef0123456789abcdef",
			PublicKey: &key.PublicKey, PodURL: c.podURL, FullName: "Bob Builder", Searchable: true})
		if err != nil {
			t.Fatal(err)
		}
		if host != "pod.example" || url != c.want || p.DiasporaID != "bob@pod.example" || p.PodHost != "pod.example" {
			t.Errorf("%q: host %q url %q person %+v", c.podURL, host, url, p)
		}
		if prof.FirstName != "Bob Builder" || !prof.Searchable {
			t.Errorf("profile %+v", prof)
		}
		if _, err := federation.ParsePublicKey([]byte(p.SerializedPublicKey)); err != nil {
			t.Errorf("stored key: %v", err)
		}
	}
	if _, _, _, _, err := fedhost.RemotePerson(&federation.Person{ID: "bob@pod.example", GUID: "0123456789abcdef0123456789abcdef"}); err == nil {
		t.Error("a person without a key was accepted")
	}
}

func TestApplyProfileKeepsPrivateFieldsFromPublicCopies(t *testing.T) {
	p := &models.Profile{Bio: "told privately", Location: "Paris"}
	fedhost.ApplyProfile(&entity.Profile{FirstName: "Alice", Searchable: true}, p, false)
	if p.FirstName != "Alice" || p.Bio != "told privately" || p.Location != "Paris" {
		t.Errorf("public copy changed private fields: %+v", p)
	}
	fedhost.ApplyProfile(&entity.Profile{FirstName: "Alice", Bio: "new", Birthday: "1990-02-03"}, p, true)
	if p.Bio != "new" || p.Location != "" || p.Birthday == nil || p.Birthday.Format("2006-01-02") != "1990-02-03" {
		t.Errorf("private copy not applied: %+v", p)
	}
}

func TestReceivedTimestampsInTheFutureAreNow(t *testing.T) {
	future := &entity.StatusMessage{GUID: "0123456789abcdef0123456789abcdef", CreatedAt: time.Now().Add(48 * time.Hour), Text: "x"}
	if p := fedhost.StatusMessagePost(future, 1); p.CreatedAt.After(time.Now().Add(time.Minute)) {
		t.Errorf("a post dated in the future kept its date %v", p.CreatedAt)
	}
	past := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	c, err := fedhost.CommentRow(&entity.Comment{Author: "a@b.example", GUID: "0123456789abcdef0123456789abcdef",
		ParentGUID: "fedcba9876543210fedcba9876543210", Text: "hi", CreatedAt: past}, 1, 2)
	if err != nil || !c.CreatedAt.Equal(past) || c.SignedXML == nil {
		t.Errorf("comment row %+v %v", c, err)
	}
}

func TestLeftOutNamesWhatIsNotKept(t *testing.T) {
	xml := []byte(`<status_message><author>alice@pod.example</author><guid>17f2e3d4c5b6a79880123456789abcde</guid>
<created_at>2024-01-02T03:04:05Z</created_at><public>true</public><text>look</text>
<photo><guid>17a2e3d4c5b6a79880123456789abcd1</guid><author>alice@pod.example</author><public>true</public>
<created_at>2024-01-02T03:04:05Z</created_at><remote_photo_path>https://pod.example/uploads/images/</remote_photo_path>
<remote_photo_name>a.jpg</remote_photo_name></photo>
<photo><guid>17a2e3d4c5b6a79880123456789abcd2</guid><author>alice@pod.example</author><public>true</public>
<created_at>2024-01-02T03:04:05Z</created_at><remote_photo_path>https://pod.example/uploads/images/</remote_photo_path>
<remote_photo_name>b.jpg</remote_photo_name></photo>
<poll><guid>17b2e3d4c5b6a79880123456789abcde</guid><question>Yes?</question>
<poll_answer><guid>17c2e3d4c5b6a79880123456789abcde</guid><answer>Yes</answer></poll_answer>
<poll_answer><guid>17d2e3d4c5b6a79880123456789abcde</guid><answer>No</answer></poll_answer></poll>
<embed><nothing>true</nothing></embed>
</status_message>`)
	e, err := entity.ParseXML(xml)
	if err != nil {
		t.Fatal(err)
	}
	sm := e.(*entity.StatusMessage)
	if len(sm.Photos) != 2 || sm.Poll == nil {
		t.Errorf("the parser must keep photos and poll: %d photos, poll %v", len(sm.Photos), sm.Poll)
	}
	if got := fedhost.LeftOut(sm); got != "" {
		t.Errorf("LeftOut = %q, want nothing (photos and polls are stored; an empty embed is nothing)", got)
	}
	if got := fedhost.LeftOut(&entity.StatusMessage{Text: "x", Embed: &entity.Embed{URL: "https://example.org/", Title: "Example"}}); got != "1 embed" {
		t.Errorf("LeftOut of a post with an embed = %q, want 1 embed", got)
	}
	if got := fedhost.LeftOut(&entity.StatusMessage{Text: "plain"}); got != "" {
		t.Errorf("LeftOut of a text-only post = %q", got)
	}
}
