package web_test

import (
	"context"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
	"github.com/aspenpod/aspen/pod/tasks"
	"github.com/aspenpod/aspen/pod/web"
)

// mailUsers signs up users with unique names (and so unique addresses:
// NAME@example.org) on p.
func mailUsers(t *testing.T, p *podtest.FedPod, prefixes ...string) []*podtest.User {
	out := make([]*podtest.User, len(prefixes))
	for i, pre := range prefixes {
		out[i] = p.NewUser(t, uniqueName(pre))
	}
	return out
}

func addr(u *podtest.User) string { return u.Name + "@example.org" }

// subject is a mail's decoded Subject.
func subject(m *podtest.Mail) string {
	raw := m.Header.Get("Subject")
	s, err := new(mime.WordDecoder).DecodeHeader(raw)
	if err != nil {
		return raw
	}
	return s
}

func mention(p *podtest.FedPod, u *podtest.User) string {
	return "@{" + u.Name + "; " + p.DiasporaID(u.Name) + "}"
}

// awaitMailCount waits until n mails to address arrived and returns them.
func awaitMailCount(t *testing.T, address string, n int) []*podtest.Mail {
	t.Helper()
	var ms []*podtest.Mail
	podtest.Eventually(t, 30*time.Second, func() bool {
		ms = podtest.MailsTo(t, address)
		return len(ms) >= n
	}, "%d mails to %s", n, address)
	return ms
}

// checkNotificationMail checks the parts and headers every notification
// mail has: both parts, its own Message-ID, and, for a mail about a post,
// In-Reply-To and References naming the post so a mail client threads
// every mail about it together.
func checkNotificationMail(t *testing.T, p *podtest.FedPod, m *podtest.Mail, what, postGUID string, wants ...string) {
	t.Helper()
	host, _, _ := strings.Cut(p.Addr, ":")
	if m.Text == "" || m.HTML == "" || !strings.Contains(m.HTML, "<html") {
		t.Errorf("%s: a mail needs a text and an HTML part:\ntext: %q\nhtml: %q", what, m.Text, m.HTML)
	}
	if id := m.Header.Get("Message-Id"); !strings.HasSuffix(id, "@"+host+">") {
		t.Errorf("%s: Message-ID %q", what, id)
	}
	if postGUID != "" {
		root := "<" + postGUID + "@" + host + ">"
		if m.Header.Get("In-Reply-To") != root || !strings.Contains(m.Header.Get("References"), root) {
			t.Errorf("%s: In-Reply-To %q, References %q, want %s", what, m.Header.Get("In-Reply-To"), m.Header.Get("References"), root)
		}
	}
	for _, w := range wants {
		if !strings.Contains(m.Text, w) || !strings.Contains(m.HTML, strings.ReplaceAll(w, "'", "&#39;")) {
			t.Errorf("%s: both parts must say %q:\ntext: %s\nhtml: %s", what, w, m.Text, m.HTML)
		}
	}
	if !strings.Contains(m.Text, "http://"+p.Addr+"/user/edit") {
		t.Errorf("%s: no link to the mail settings:\n%s", what, m.Text)
	}
}

func TestNotificationMailForEachType(t *testing.T) {
	p := mailPod(t, "webnmail", 13)
	ctx := context.Background()
	u := mailUsers(t, p, "alice", "bob", "carol")
	alice, bob, carol := u[0], u[1], u[2]
	pub := posts.PostInput{Audience: aspects.Selection{Public: true}}

	// started_sharing
	if _, err := p.App.Contacts.AddToAspect(ctx, bob.Session, bob.Aspects["Friends"], alice.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	m := podtest.AwaitMail(t, addr(alice), 30*time.Second)
	checkNotificationMail(t, p, m, "started_sharing", "", bob.Name+" ("+p.DiasporaID(bob.Name)+") started sharing with you", "/people/"+bob.Session.GUID)

	// mentioned (in a post)
	in := pub
	in.Text = "Garden party on Sunday, " + mention(p, alice) + " brings the cake"
	bobsPost, err := p.App.Posts.CreatePost(ctx, bob.Session, in)
	if err != nil {
		t.Fatal(err)
	}
	m = awaitMailCount(t, addr(alice), 2)[1]
	checkNotificationMail(t, p, m, "mentioned", bobsPost.GUID, bob.Name+" mentioned you in a post", "Garden party on Sunday")
	if s := subject(m); s != "Re: Garden party on Sunday, "+alice.Name+" brings the cake" {
		t.Errorf("subject of a mail about a public post: %q", s)
	}

	// comment_on_post, also_commented, mentioned_in_comment, liked,
	// liked_comment, reshared: all about alice's post.
	in.Text = "My tomatoes are ripe"
	post, err := p.App.Posts.CreatePost(ctx, alice.Session, in)
	if err != nil {
		t.Fatal(err)
	}
	bobsComment, err := p.App.Posts.Comment(ctx, bob.Session, post.GUID, "They look delicious")
	if err != nil {
		t.Fatal(err)
	}
	m = awaitMailCount(t, addr(alice), 3)[2]
	checkNotificationMail(t, p, m, "comment_on_post", post.GUID, bob.Name+" commented on your post", "They look delicious")

	if _, err := p.App.Posts.Comment(ctx, carol.Session, post.GUID, "Save me some"); err != nil {
		t.Fatal(err)
	}
	m = podtest.AwaitMail(t, addr(bob), 30*time.Second)
	checkNotificationMail(t, p, m, "also_commented", post.GUID, carol.Name+" also commented on "+alice.Name+"'s post", "Save me some")

	if _, err := p.App.Posts.Comment(ctx, carol.Session, post.GUID, "Right, "+mention(p, bob)+"?"); err != nil {
		t.Fatal(err)
	}
	ms := awaitMailCount(t, addr(bob), 2)
	checkNotificationMail(t, p, ms[1], "mentioned_in_comment", post.GUID, carol.Name+" mentioned you in a comment on "+alice.Name+"'s post", "Right, "+bob.Name+"?")

	if _, err := p.App.Posts.Like(ctx, carol.Session, post.GUID, bobsComment.ID); err != nil {
		t.Fatal(err)
	}
	ms = awaitMailCount(t, addr(bob), 3)
	checkNotificationMail(t, p, ms[2], "liked_comment", post.GUID, carol.Name+" liked your comment on "+alice.Name+"'s post", "They look delicious")

	if _, err := p.App.Posts.Like(ctx, bob.Session, post.GUID, 0); err != nil {
		t.Fatal(err)
	}
	ms = awaitMailCount(t, addr(alice), 5) // carol's comment is the fourth
	checkNotificationMail(t, p, ms[4], "liked", post.GUID, bob.Name+" liked your post", "My tomatoes are ripe")

	if _, err := p.App.Posts.Reshare(ctx, carol.Session, post.GUID); err != nil {
		t.Fatal(err)
	}
	ms = awaitMailCount(t, addr(alice), 6)
	checkNotificationMail(t, p, ms[5], "reshared", post.GUID, carol.Name+" reshared your post", "My tomatoes are ripe")

	// Every mail about alice's post has the same subject and threads
	// under the post.
	for _, m := range ms[2:] {
		if s := subject(m); s != "Re: My tomatoes are ripe" {
			t.Errorf("mails about one post must share a subject to thread everywhere: %q", s)
		}
	}

	// mentioned_in_comment told bob instead of also_commented: he has
	// exactly the three mails above.
	podtest.Settled(t, 30*time.Second, p)
	if n := len(podtest.MailsTo(t, addr(bob))); n != 3 {
		t.Errorf("bob got %d mails, want 3 (one per event, a mention not also as a comment)", n)
	}

	// private_message, the way conversations queue it: one call.
	err = p.App.Core.Store().Tx(ctx, func(tx *models.Store) error {
		return p.App.Core.QueueNotificationMail(ctx, tx, tasks.NotificationMail{UserID: alice.Session.UserID, Type: models.NotifyPrivateMessage,
			ActorID: carol.Session.PersonID, Thread: "conversation-c0ffee", Subject: "Seeds for next year", Excerpt: "Do you keep **seeds**?", Link: "/conversations/42"})
	})
	if err != nil {
		t.Fatal(err)
	}
	ms = awaitMailCount(t, addr(alice), 7)
	checkNotificationMail(t, p, ms[6], "private_message", "conversation-c0ffee", carol.Name+" sent you a private message", "Do you keep seeds?", "/conversations/42")
	if s := subject(ms[6]); s != "Seeds for next year" {
		t.Errorf("private message subject %q", s)
	}
}

func TestNotificationMailSwitches(t *testing.T) {
	p := mailPod(t, "webnswitch", 14)
	ctx := context.Background()
	u := mailUsers(t, p, "alice", "bob")
	alice, bob := u[0], u[1]
	c := p.Client()
	if r := c.SignIn(alice.Name, "password1", false); r.StatusCode != http.StatusFound {
		t.Fatalf("sign in: %d", r.StatusCode)
	}
	page := c.Get("/user/edit").Body
	for _, typ := range []string{"mentioned", "mentioned_in_comment", "comment_on_post", "also_commented", "liked", "liked_comment", "reshared", "started_sharing", "private_message"} {
		if !regexp.MustCompile(`name="user\[email_preferences\]\[` + typ + `\]" value="false" checked`).MatchString(page) {
			t.Errorf("the settings page has no checked switch for %s", typ)
		}
	}
	if strings.Contains(page, "cannot send mail") {
		t.Error("a pod with mail says it cannot send mail")
	}
	// Switch "liked" off (diaspora*'s form: hidden "true", checkbox "false").
	form := url.Values{"form": {"email_preferences"}, "user[disable_mail]": {"false"}}
	for _, typ := range []string{"mentioned", "comment_on_post", "liked"} {
		form.Add("user[email_preferences]["+typ+"]", "true")
		if typ != "liked" {
			form.Add("user[email_preferences]["+typ+"]", "false")
		}
	}
	if r := c.Post("/user", form); r.StatusCode != http.StatusFound {
		t.Fatalf("save mail settings: %d\n%s", r.StatusCode, r.Body)
	}
	page = c.Get("/user/edit").Body
	if !strings.Contains(page, `name="user[email_preferences][liked]" value="false">`) || !strings.Contains(page, `name="user[email_preferences][reshared]" value="false" checked`) {
		t.Fatalf("liked must be off and the types not in the form untouched:\n%s", page)
	}
	post, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "Switches", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Posts.Like(ctx, bob.Session, post.GUID, 0); err != nil {
		t.Fatal(err)
	}
	podtest.Settled(t, 30*time.Second, p)
	// A comment is still mailed: it arrives, and the like never did.
	if _, err := p.App.Posts.Comment(ctx, bob.Session, post.GUID, "sentinel one"); err != nil {
		t.Fatal(err)
	}
	ms := awaitMailCount(t, addr(alice), 1)
	podtest.Settled(t, 30*time.Second, p)
	if ms = podtest.MailsTo(t, addr(alice)); len(ms) != 1 || !strings.Contains(ms[0].Text, "sentinel one") {
		t.Fatalf("with liked off, alice must get the comment mail only: %d mails", len(ms))
	}
	// Disable all: nothing at all, and the per-type switches are kept.
	form.Set("user[disable_mail]", "false")
	form.Add("user[disable_mail]", "true")
	if r := c.Post("/user", form); r.StatusCode != http.StatusFound {
		t.Fatalf("disable all: %d", r.StatusCode)
	}
	if _, err := p.App.Posts.Comment(ctx, bob.Session, post.GUID, "never mailed"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Posts.CreatePost(ctx, bob.Session, posts.PostInput{Text: "hey " + mention(p, alice), Audience: aspects.Selection{Public: true}}); err != nil {
		t.Fatal(err)
	}
	podtest.Settled(t, 30*time.Second, p)
	// Switch mail on again: the next comment is mailed, nothing before it.
	form.Set("user[disable_mail]", "false")
	if r := c.Post("/user", form); r.StatusCode != http.StatusFound {
		t.Fatalf("enable: %d", r.StatusCode)
	}
	if page := c.Get("/user/edit").Body; !strings.Contains(page, `name="user[email_preferences][liked]" value="false">`) {
		t.Error("switching all mail off and on again lost the per-type switch")
	}
	carol := p.NewUser(t, uniqueName("carol"))
	if _, err := p.App.Posts.Comment(ctx, carol.Session, post.GUID, "sentinel two"); err != nil {
		t.Fatal(err)
	}
	awaitMailCount(t, addr(alice), 2)
	podtest.Settled(t, 30*time.Second, p)
	for _, m := range podtest.MailsTo(t, addr(alice)) {
		if strings.Contains(m.Text, "never mailed") || strings.Contains(m.Text, "mentioned you") {
			t.Errorf("mailed while all mail was off:\n%s", m.Text)
		}
	}
	if n := len(podtest.MailsTo(t, addr(alice))); n != 2 {
		t.Errorf("alice got %d mails, want 2", n)
	}
}

func TestNotificationMailPrivacyAndStorms(t *testing.T) {
	p := mailPod(t, "webnpriv", 15)
	ctx := context.Background()
	u := mailUsers(t, p, "alice", "bob", "carol", "dave")
	alice, bob, carol, dave := u[0], u[1], u[2], u[3]
	if _, err := p.App.Contacts.AddToAspect(ctx, alice.Session, alice.Aspects["Friends"], bob.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	// A limited post to Friends (bob) mentioning carol, who is outside its
	// audience: carol hears nothing, bob (in it) is mailed its text.
	lim, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{
		Text:     "Secret plans " + mention(p, carol) + " " + mention(p, bob),
		Audience: aspects.Selection{Aspects: []int64{alice.Aspects["Friends"]}}})
	if err != nil {
		t.Fatal(err)
	}
	var m *podtest.Mail
	for _, x := range awaitMailCount(t, addr(bob), 2) { // and alice's "started sharing"
		if x.Header.Get("In-Reply-To") != "" {
			m = x
		}
	}
	if m == nil {
		t.Fatal("bob got no mail about the post")
	}
	checkNotificationMail(t, p, m, "mentioned in a limited post", lim.GUID, alice.Name+" mentioned you in a post", "Secret plans")
	if s := subject(m); strings.Contains(s, "Secret") || s != "Re: a limited post by "+alice.Name {
		t.Errorf("a limited post's text must stay out of the subject: %q", s)
	}
	// bob comments on it: alice is mailed; carol and dave, outside, never.
	for i := 0; i < 2; i++ {
		if _, err := p.App.Posts.Comment(ctx, bob.Session, lim.GUID, "limited comment"); err != nil {
			t.Fatal(err)
		}
	}
	// Storms: bob's second comment on the unread notification is no news.
	podtest.Settled(t, 30*time.Second, p)
	// A public post: dave, carol and bob each comment; bob twice.
	pubPost, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "Open thread", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	for _, who := range []*podtest.User{bob, bob, carol} {
		if _, err := p.App.Posts.Comment(ctx, who.Session, pubPost.GUID, "comment by "+who.Name); err != nil {
			t.Fatal(err)
		}
	}
	// alice reads her notifications; bob's next comment is news again.
	podtest.Settled(t, 30*time.Second, p)
	if err := p.App.Notifications.ReadAllNotifications(ctx, alice.Session, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Posts.Comment(ctx, bob.Session, pubPost.GUID, "after reading"); err != nil {
		t.Fatal(err)
	}
	ms := awaitMailCount(t, addr(alice), 4)
	podtest.Settled(t, 30*time.Second, p)
	ms = podtest.MailsTo(t, addr(alice))
	var got []string
	for _, m := range ms {
		got = append(got, subject(m)+" | "+firstLine(m.Text))
	}
	// limited: one mail for bob's two comments; public: bob once, carol
	// once, bob again after alice read them.
	if len(ms) != 4 {
		t.Errorf("alice got %d mails, want 4:\n%s", len(ms), strings.Join(got, "\n"))
	}
	if !strings.Contains(ms[len(ms)-1].Text, "after reading") {
		t.Errorf("the comment after alice read her notifications must be mailed:\n%s", strings.Join(got, "\n"))
	}
	for _, who := range []*podtest.User{carol, dave} {
		for _, m := range podtest.MailsTo(t, addr(who)) {
			if strings.Contains(m.Text, "Secret") || strings.Contains(m.Text, "limited comment") || strings.Contains(subject(m), "limited") {
				t.Errorf("%s, outside the audience, was mailed about the limited post:\n%s", who.Name, m.Text)
			}
		}
	}
	// Ignored actors: alice ignores dave; his comment sends nothing.
	if _, err := p.App.Contacts.Block(ctx, alice.Session, dave.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Posts.Comment(ctx, dave.Session, pubPost.GUID, "from an ignored person"); err == nil {
		podtest.Settled(t, 30*time.Second, p)
	}
	for _, m := range podtest.MailsTo(t, addr(alice)) {
		if strings.Contains(m.Text, "ignored person") {
			t.Error("mailed about an ignored person's comment")
		}
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "Hello"))
	lines := strings.Split(s, "\n")
	if len(lines) > 2 {
		return lines[2]
	}
	return s
}

// withConfirmSignups turns POD_CONFIRM_SIGNUPS on in a test pod.
func withConfirmSignups() podtest.Option {
	return func(o *pod.Options, _ *web.Options) { o.ConfirmSignups = true }
}

var confirmLink = regexp.MustCompile(`http://[^\s"<>]+/users/confirmation\?confirmation_token=[A-Za-z0-9_\-%]+`)

func TestSignUpConfirmation(t *testing.T) {
	p := podtest.NewFedPod(t, "webconfirmsu", 5, podtest.FedOptions{RetryUnit: time.Millisecond}, podtest.WithMail(), withConfirmSignups())
	name := uniqueName("newbie")
	c := p.Client()
	r := c.Post("/users", podtest.SignUpForm(name))
	if r.StatusCode != http.StatusFound || r.Location() != "/users/sign_in" {
		t.Fatalf("sign-up with confirmation must not sign in: %d %s", r.StatusCode, r.Location())
	}
	if page := c.Get("/users/sign_in").Body; !strings.Contains(page, "open it to confirm your address") || !strings.Contains(page, `href="/users/confirmation/new"`) {
		t.Errorf("the sign-in page must say a link was mailed and offer a new one:\n%s", page)
	}
	if r := c.Get("/stream"); r.StatusCode != http.StatusFound {
		t.Errorf("signed in before confirming: %d", r.StatusCode)
	}
	// The right password is not enough yet, and says why.
	r = p.Client().SignIn(name, "password1", false)
	if r.StatusCode != http.StatusForbidden || !strings.Contains(r.Body, "confirm your mail address") {
		t.Fatalf("sign-in before confirming: %d\n%s", r.StatusCode, r.Body)
	}
	// A wrong password says nothing about the account.
	if r := p.Client().SignIn(name, "wrong-password", false); r.StatusCode != http.StatusUnauthorized || strings.Contains(r.Body, "confirm your mail address") {
		t.Errorf("wrong password of an unconfirmed account: %d", r.StatusCode)
	}
	first := podtest.AwaitMail(t, name+"@example.org", 30*time.Second)
	if !strings.Contains(subject(first), "Confirm your mail address") || first.HTML == "" {
		t.Errorf("confirmation mail: %v", first.Header)
	}
	oldLink := confirmLink.FindString(first.Text)
	if oldLink == "" || !strings.Contains(first.HTML, oldLink) {
		t.Fatalf("no confirmation link in both parts:\n%s", first.Text)
	}
	// Resend: the same answer for an unknown address, a new link for ours.
	v := p.Client()
	if r := v.Get("/users/confirmation/new"); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `action="/users/confirmation"`) {
		t.Fatalf("resend form: %d", r.StatusCode)
	}
	unknown := uniqueName("nobody") + "@example.org"
	a := v.Post("/users/confirmation", url.Values{"user[email]": {name + "@example.org"}})
	b := v.Post("/users/confirmation", url.Values{"user[email]": {unknown}})
	if a.StatusCode != http.StatusOK || b.StatusCode != http.StatusOK ||
		strings.ReplaceAll(a.Body, name+"@example.org", "") != strings.ReplaceAll(b.Body, unknown, "") {
		t.Errorf("resend answers differ for known and unknown addresses: %d %d", a.StatusCode, b.StatusCode)
	}
	second := awaitMailCount(t, name+"@example.org", 2)[1]
	newLink := confirmLink.FindString(second.Text)
	if newLink == "" || newLink == oldLink {
		t.Fatalf("resent link %q (old %q)", newLink, oldLink)
	}
	old, _ := url.Parse(oldLink)
	if r := v.Get(old.RequestURI()); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("the replaced link still works: %d", r.StatusCode)
	}
	nu, _ := url.Parse(newLink)
	if r := v.Get(nu.RequestURI()); r.StatusCode != http.StatusFound || r.Location() != "/users/sign_in" {
		t.Fatalf("confirm: %d %s", r.StatusCode, r.Location())
	}
	if r := p.Client().SignIn(name, "password1", false); r.StatusCode != http.StatusFound {
		t.Fatalf("sign-in after confirming: %d\n%s", r.StatusCode, r.Body)
	}
	// A confirmed account asks for no new link: no third mail.
	v.Post("/users/confirmation", url.Values{"user[email]": {name + "@example.org"}})
	podtest.Settled(t, 30*time.Second, p)
	if n := len(podtest.MailsTo(t, unknown)); n != 0 {
		t.Errorf("an unknown address was mailed %d times", n)
	}
	if n := len(podtest.MailsTo(t, name+"@example.org")); n != 2 {
		t.Errorf("%d mails to the new account, want 2", n)
	}
}

func TestMailSettingsWithoutMail(t *testing.T) {
	p := podtest.New(t)
	c := p.Client()
	c.SignUp(uniqueName("nomail"))
	page := c.Get("/user/edit").Body
	if !strings.Contains(page, "This pod cannot send mail") || !strings.Contains(page, "Notification mails") {
		t.Errorf("without SMTP the settings page must say no mail is sent:\n%s", page)
	}
	// The switches are kept all the same; a name that is no type is a 422
	// that says so and changes nothing.
	bad := url.Values{"form": {"email_preferences"}, "user[email_preferences][liked]": {"true"}, "user[email_preferences][birthday]": {"true"}}
	if r := c.Post("/user", bad); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "birthday is not a notification type") {
		t.Errorf("unknown mail type: %d", r.StatusCode)
	}
	if page := c.Get("/user/edit").Body; !strings.Contains(page, `name="user[email_preferences][liked]" value="false" checked`) {
		t.Error("a refused form changed a switch")
	}
	if r := c.Post("/user", url.Values{"form": {"email_preferences"}, "user[email_preferences][liked]": {"true"}}); r.StatusCode != http.StatusFound {
		t.Fatalf("switch liked off: %d", r.StatusCode)
	}
	page = c.Get("/user/edit").Body
	if !strings.Contains(page, `name="user[email_preferences][liked]" value="false">`) || !strings.Contains(page, `name="user[email_preferences][reshared]" value="false" checked`) {
		t.Error("switching liked off must leave the other types on")
	}
}
