package notifications_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
	"github.com/aspenpod/aspen/pod/tasks"
)

// queuedMails takes the notification mails queued (in the outbox) since
// the last call. The test pods here run no worker: the tests look at what
// was queued, and build each mail as the job would (NotificationMail).
func queuedMails(t *testing.T, p *podtest.Pod) []tasks.NotificationMail {
	t.Helper()
	ctx := context.Background()
	var out []tasks.NotificationMail
	err := p.App.Core.Store().Tx(ctx, func(tx *models.Store) error {
		rows, err := tx.ClaimOutbox(ctx, nil, 10000)
		if err != nil {
			return err
		}
		ids := make([]int64, 0, len(rows))
		for _, r := range rows {
			ids = append(ids, r.ID)
			if r.TaskType != tasks.TypeNotificationMail {
				continue
			}
			m, err := tasks.DecodeNotificationMail(r.Payload)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return tx.MarkOutboxSent(ctx, ids)
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mailsFor(ms []tasks.NotificationMail, userID int64) (out []tasks.NotificationMail) {
	for _, m := range ms {
		if m.UserID == userID {
			out = append(out, m)
		}
	}
	return out
}

func TestMailsAreQueuedOnlyForTheAudience(t *testing.T) {
	p := podtest.New(t, podtest.WithMail())
	ctx := context.Background()
	alice, bob, carol := p.NewUser(t, "alice"), p.NewUser(t, "bob"), p.NewUser(t, "carol")
	p.App.Contacts.AddToAspect(ctx, alice.Session, alice.Aspects["Friends"], bob.Session.PersonID)
	queuedMails(t, p)
	lim, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "psst @{bob; bob@pod.test} @{carol; carol@pod.test}",
		Audience: aspects.Selection{Aspects: []int64{alice.Aspects["Friends"]}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Posts.Comment(ctx, bob.Session, lim.GUID, "ok @{carol; carol@pod.test}"); err != nil {
		t.Fatal(err)
	}
	ms := queuedMails(t, p)
	if got := mailsFor(ms, carol.Session.UserID); len(got) != 0 {
		t.Errorf("carol, outside the limited post's audience, has mails queued: %+v", got)
	}
	if got := mailsFor(ms, bob.Session.UserID); len(got) != 1 || got[0].Type != models.NotifyMentioned {
		t.Errorf("bob's mails: %+v", got)
	}
	if got := mailsFor(ms, alice.Session.UserID); len(got) != 1 || got[0].Type != models.NotifyCommentOnPost || got[0].CommentID == 0 {
		t.Errorf("alice's mails: %+v", got)
	}
	// The job checks again: a mail for carol about the post (as if queued
	// by a bug, or before a change) is not sent, nor one naming a post
	// that is not hers to read through a comment.
	for _, m := range []tasks.NotificationMail{
		{Key: "x1", UserID: carol.Session.UserID, Type: models.NotifyMentioned, ActorID: alice.Session.PersonID, PostID: mailsFor(ms, bob.Session.UserID)[0].PostID},
		{Key: "x2", UserID: carol.Session.UserID, Type: models.NotifyAlsoCommented, ActorID: bob.Session.PersonID, PostID: mailsFor(ms, bob.Session.UserID)[0].PostID,
			CommentID: mailsFor(ms, alice.Session.UserID)[0].CommentID},
	} {
		if msg, err := p.App.Notifications.NotificationMail(ctx, m); err != nil || msg != nil {
			t.Errorf("a mail to someone outside the audience was built: %v %+v", err, msg)
		}
	}
}

func TestNotificationMailChecksAgainWhenSent(t *testing.T) {
	p := podtest.New(t, podtest.WithMail())
	ctx := context.Background()
	alice, bob := p.NewUser(t, "alice"), p.NewUser(t, "bob")
	p.App.Contacts.AddToAspect(ctx, bob.Session, bob.Aspects["Friends"], alice.Session.PersonID)
	post, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "**Hello** @{bob; bob@pod.test}, see [this](https://example.org)",
		Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Posts.Comment(ctx, bob.Session, post.GUID, "a comment"); err != nil {
		t.Fatal(err)
	}
	ms := queuedMails(t, p)
	byType := map[string]tasks.NotificationMail{}
	for _, m := range ms {
		byType[m.Type] = m
	}
	shar, ment, comm := byType[models.NotifyStartedSharing], byType[models.NotifyMentioned], byType[models.NotifyCommentOnPost]
	if shar.Key == "" || ment.Key == "" || comm.Key == "" {
		t.Fatalf("queued: %+v", ms)
	}
	msg, err := p.App.Notifications.NotificationMail(ctx, ment)
	if err != nil || msg == nil {
		t.Fatalf("mention mail: %v", err)
	}
	if msg.To != "bob@example.org" || msg.MessageID != ment.Key+"@pod.test" || msg.InReplyTo != post.GUID+"@pod.test" {
		t.Errorf("headers: %+v", msg)
	}
	if !strings.Contains(msg.Text, "> Hello bob, see this") || strings.Contains(msg.Text, "**") || strings.Contains(msg.HTML, "<strong>") {
		t.Errorf("the excerpt must be the post's plain text:\n%s\n%s", msg.Text, msg.HTML)
	}

	// The user switches the type off: nothing is sent any more.
	if err := p.App.Notifications.UpdateMailSettings(ctx, bob.Session, false, map[string]bool{models.NotifyMentioned: false}); err != nil {
		t.Fatal(err)
	}
	if msg, _ := p.App.Notifications.NotificationMail(ctx, ment); msg != nil {
		t.Error("a mail of a type switched off was built")
	}
	if msg, _ := p.App.Notifications.NotificationMail(ctx, shar); msg == nil || msg.InReplyTo != "" {
		t.Fatalf("started_sharing mail: %+v", msg)
	}
	if _, err := p.App.Contacts.Block(ctx, alice.Session, bob.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	// alice now ignores bob: neither his comment nor his sharing is mailed.
	for _, m := range []tasks.NotificationMail{shar, comm} {
		if msg, _ := p.App.Notifications.NotificationMail(ctx, m); msg != nil {
			t.Errorf("%s: mailed about an ignored person", m.Type)
		}
	}
	// A deleted comment, a deleted post: nothing.
	carol := p.NewUser(t, "carol")
	c2, err := p.App.Posts.Comment(ctx, carol.Session, post.GUID, "soon gone")
	if err != nil {
		t.Fatal(err)
	}
	var carolsMail tasks.NotificationMail
	for _, m := range queuedMails(t, p) {
		if m.ActorID == carol.Session.PersonID && m.Type == models.NotifyCommentOnPost {
			carolsMail = m
		}
	}
	if msg, _ := p.App.Notifications.NotificationMail(ctx, carolsMail); msg == nil || !strings.Contains(msg.Text, "soon gone") {
		t.Fatalf("carol's comment mail: %+v", msg)
	}
	if err := p.App.Posts.DeleteComment(ctx, carol.Session, c2.ID); err != nil {
		t.Fatal(err)
	}
	if msg, _ := p.App.Notifications.NotificationMail(ctx, carolsMail); msg != nil {
		t.Error("mailed about a deleted comment")
	}
	if err := p.App.Posts.DeletePost(ctx, alice.Session, post.GUID); err != nil {
		t.Fatal(err)
	}
	if err := p.App.Notifications.UpdateMailSettings(ctx, bob.Session, false, map[string]bool{models.NotifyMentioned: true}); err != nil {
		t.Fatal(err)
	}
	if msg, _ := p.App.Notifications.NotificationMail(ctx, ment); msg != nil {
		t.Error("mailed about a deleted post")
	}
}

func TestNoMailQueuedWithoutSMTP(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice, bob := p.NewUser(t, "alice"), p.NewUser(t, "bob")
	post, _ := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "hi", Audience: aspects.Selection{Public: true}})
	if _, err := p.App.Posts.Comment(ctx, bob.Session, post.GUID, "hello"); err != nil {
		t.Fatal(err)
	}
	if ms := queuedMails(t, p); len(ms) != 0 {
		t.Errorf("a pod without SMTP queued %d notification mails", len(ms))
	}
	n, _ := p.App.Notifications.UnreadNotifications(ctx, alice.Session)
	if n != 1 {
		t.Errorf("the notification itself must still be there: %d unread", n)
	}
}

func TestListGroupsActorsWithExcerptAndAvatars(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice := p.NewUser(t, "alice")
	post, _ := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "# Harvest\n\nThe **pumpkins** are in", Audience: aspects.Selection{Public: true}})
	for _, name := range []string{"bob", "carol", "dave"} {
		u := p.NewUser(t, name)
		if _, err := p.App.Posts.Like(ctx, u.Session, post.GUID, 0); err != nil {
			t.Fatal(err)
		}
	}
	list, err := p.App.Notifications.Notifications(ctx, alice.Session, false, models.NotifyLiked, 1, 10)
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("liked notifications: %v %+v", err, list)
	}
	n := list.Items[0]
	if n.Text != "dave and 2 others liked your post" || n.ActorCount != 3 || len(n.Actors) != 3 {
		t.Errorf("grouped text %q (%d actors)", n.Text, n.ActorCount)
	}
	if n.Excerpt != "Harvest\n\nThe pumpkins are in" {
		t.Errorf("excerpt %q", n.Excerpt)
	}
	for _, a := range n.Actors {
		if a.Avatar.Small == "" {
			t.Errorf("actor %s without an avatar", a.Name)
		}
	}
	// Two people: both named.
	bob2 := p.NewUser(t, "erin")
	p.App.Posts.Comment(ctx, bob2.Session, post.GUID, "first")
	frank := p.NewUser(t, "frank")
	c, _ := p.App.Posts.Comment(ctx, frank.Session, post.GUID, "second")
	list, _ = p.App.Notifications.Notifications(ctx, alice.Session, false, models.NotifyCommentOnPost, 1, 10)
	if len(list.Items) != 1 || list.Items[0].Text != "frank and erin commented on your post" {
		t.Errorf("two commenters: %+v", list.Items)
	}
	// liked_comment is grouped per comment, with the comment as excerpt.
	p.App.Posts.Like(ctx, alice.Session, post.GUID, c.ID)
	p.App.Posts.Like(ctx, bob2.Session, post.GUID, c.ID)
	list, _ = p.App.Notifications.Notifications(ctx, frank.Session, false, models.NotifyLikedComment, 1, 10)
	if len(list.Items) != 1 || list.Items[0].Text != "erin and alice liked your comment" || list.Items[0].Excerpt != "second" {
		t.Errorf("liked_comment: %+v", list.Items)
	}
}

// TestCommentMailQuotesTheCommentOnly: a comment's mail quotes the comment,
// never the post, so someone removed from the aspect since (who keeps the
// post they received, README Privacy, and is still a participant) learns
// nothing of the post from it, and the limited post's text stays out of the
// subject.
func TestCommentMailQuotesTheCommentOnly(t *testing.T) {
	p := podtest.New(t, podtest.WithMail())
	ctx := context.Background()
	alice, bob, carol := p.NewUser(t, "alice"), p.NewUser(t, "bob"), p.NewUser(t, "carol")
	mb, err := p.App.Contacts.AddToAspect(ctx, alice.Session, alice.Aspects["Friends"], bob.Session.PersonID)
	if err != nil {
		t.Fatal(err)
	}
	p.App.Contacts.AddToAspect(ctx, alice.Session, alice.Aspects["Friends"], carol.Session.PersonID)
	lim, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "The surprise party is at Dee's",
		Audience: aspects.Selection{Aspects: []int64{alice.Aspects["Friends"]}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Posts.Comment(ctx, bob.Session, lim.GUID, "count me in"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Contacts.RemoveFromAspect(ctx, alice.Session, mb.ID, alice.Aspects["Friends"], bob.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	queuedMails(t, p)
	if _, err := p.App.Posts.Comment(ctx, carol.Session, lim.GUID, "bring candles"); err != nil {
		t.Fatal(err)
	}
	got := mailsFor(queuedMails(t, p), bob.Session.UserID)
	if len(got) != 1 || got[0].Type != models.NotifyAlsoCommented {
		t.Fatalf("bob's mails after carol's comment: %+v", got)
	}
	msg, err := p.App.Notifications.NotificationMail(ctx, got[0])
	if err != nil || msg == nil {
		t.Fatalf("also_commented mail: %v", err)
	}
	for _, part := range []string{msg.Subject, msg.Text, msg.HTML} {
		if strings.Contains(part, "surprise") || strings.Contains(part, "Dee") {
			t.Errorf("a comment mail quotes the limited post:\n%s", part)
		}
	}
	if !strings.Contains(msg.Text, "> bring candles") || msg.Subject != "Re: a limited post by alice" {
		t.Errorf("comment mail: %q\n%s", msg.Subject, msg.Text)
	}
}
