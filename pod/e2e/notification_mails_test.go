package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
)

// TestNotificationMailsFromAnotherPod: what people on another pod do is
// mailed like what local people do, through the real SMTP server:
// starting to share (a contact entity), mentioning in a comment (which
// tells the post's author as a mention, not also as a comment) and liking
// a comment.
func TestNotificationMailsFromAnotherPod(t *testing.T) {
	ctx := context.Background()
	pod1 := podtest.NewFedPod(t, "nmail1", 14, fast, podtest.WithMail())
	pod2 := podtest.NewFedPod(t, "nmail2", 15, fast)
	b := make([]byte, 4)
	rand.Read(b)
	name := "alice" + hex.EncodeToString(b) // a mail address no earlier run used
	alice, bob := newUser(t, pod1, name), newUser(t, pod2, "bob")
	address := name + "@example.org"

	bob.share(t, "Friends", alice)
	m := podtest.AwaitMail(t, address, wait)
	if !strings.Contains(m.Text, "bob ("+bob.id()+") started sharing with you") {
		t.Errorf("started_sharing mail:\n%s", m.Text)
	}
	post, err := pod1.App.Posts.CreatePost(ctx, alice.s, posts.PostInput{Text: "Anyone up for a hike?", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	mine, err := pod1.App.Posts.Comment(ctx, alice.s, post.GUID, "Saturday morning works for me")
	if err != nil {
		t.Fatal(err)
	}
	settled(t, pod1, pod2)
	if _, err := pod2.App.Posts.Comment(ctx, bob.s, post.GUID, "Yes! @{"+name+"; "+alice.id()+"} I'll bring a map"); err != nil {
		t.Fatal(err)
	}
	settled(t, pod1, pod2)
	comments, err := pod2.App.Posts.Comments(ctx, bob.s, post.GUID)
	if err != nil {
		t.Fatal(err)
	}
	var onPod2 int64
	for _, c := range comments {
		if c.Text == mine.Text {
			onPod2 = c.ID
		}
	}
	if onPod2 == 0 {
		t.Fatalf("alice's comment did not reach pod2: %+v", comments)
	}
	if _, err := pod2.App.Posts.Like(ctx, bob.s, post.GUID, onPod2); err != nil {
		t.Fatal(err)
	}
	settled(t, pod1, pod2)
	ms := podtest.MailsTo(t, address)
	podtest.Eventually(t, wait, func() bool { ms = podtest.MailsTo(t, address); return len(ms) >= 3 }, "3 mails to alice")
	settled(t, pod1, pod2)
	ms = podtest.MailsTo(t, address)
	var texts []string
	for _, m := range ms {
		texts = append(texts, m.Text)
	}
	all := strings.Join(texts, "\n----\n")
	if len(ms) != 3 {
		t.Errorf("alice got %d mails, want 3 (sharing, mention in a comment, like of her comment):\n%s", len(ms), all)
	}
	for _, want := range []string{"bob mentioned you in a comment on your post:", "> Yes! " + name + " I'll bring a map",
		"bob liked your comment on your post:", "> Saturday morning works for me"} {
		if !strings.Contains(all, want) {
			t.Errorf("no mail says %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "commented on your post") {
		t.Errorf("a mention in a comment must not also be mailed as a comment:\n%s", all)
	}
	host := strings.Split(pod1.Addr, ":")[0]
	for _, m := range ms[1:] {
		if m.Header.Get("In-Reply-To") != "<"+post.GUID+"@"+host+">" {
			t.Errorf("mail about the post not threaded under it: %q", m.Header.Get("In-Reply-To"))
		}
	}
}
