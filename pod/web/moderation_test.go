package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/moderation"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
	"github.com/aspenpod/aspen/pod/web"
)

// adminOnly says whether a moderation route is for admins alone
// (moderators reach the reports).
func adminOnly(path string) bool {
	return !strings.HasPrefix(path, "/report") && !strings.HasPrefix(path, "/admin/reports")
}

// moderationRoutes lists every registered admin and report-queue route
// (the job dashboard has its own test), with its parameters filled in.
func moderationRoutes(t *testing.T, p *podtest.Pod) [][2]string {
	t.Helper()
	srv, err := web.New(p.App, p.Web, nil)
	if err != nil {
		t.Fatal(err)
	}
	fill := strings.NewReplacer(":id", "1", ":action", "lock", ":host", "example.org")
	var out [][2]string
	for _, r := range srv.Routes() {
		staffRoute := strings.HasPrefix(r.Path, "/admin") || strings.HasPrefix(r.Path, "/report")
		if !staffRoute || strings.HasPrefix(r.Path, "/admin/jobs") || r.Path == "/report/new" || r.Method == http.MethodPost && r.Path == "/report" {
			continue
		}
		out = append(out, [2]string{r.Method, fill.Replace(r.Path)})
	}
	if len(out) < 20 {
		t.Fatalf("only %d moderation routes: %v", len(out), out)
	}
	return out
}

// request sends method to path (a form POST with the method override for
// PUT and DELETE, as the pages' forms do).
func request(c *podtest.Client, method, path string) *podtest.Response {
	if method == http.MethodGet {
		return c.Get(path)
	}
	form := url.Values{}
	if method != http.MethodPost {
		form.Set("_method", method)
	}
	return c.Post(path, form)
}

// TestModerationRoutesAre404ForOthers: every admin route answers 404 to
// users, moderators (admin-only routes) and signed-out visitors, exactly
// as an unknown page does.
func TestModerationRoutesAre404ForOthers(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	user := p.Client()
	user.SignUp("alice")
	p.NewUser(t, "molly")
	if err := p.App.Moderation.SetRoleByName(ctx, "molly", "moderator", true); err != nil {
		t.Fatal(err)
	}
	mod := p.Client()
	mustStatus(t, mod.SignIn("molly", "password1", false), http.StatusFound)
	anon := p.Client()
	routes := moderationRoutes(t, p)
	for name, c := range map[string]*podtest.Client{"user": user, "signed out": anon, "moderator": mod} {
		for _, r := range routes {
			if name == "moderator" && !adminOnly(r[1]) {
				continue
			}
			got := request(c, r[0], r[1])
			if got.StatusCode != http.StatusNotFound {
				t.Errorf("%s %s %s: %d, want 404", name, r[0], r[1], got.StatusCode)
			}
		}
	}
	// The moderator reaches the queue, and has its link.
	mustStatus(t, mod.Get("/admin/reports"), http.StatusOK)
	if !strings.Contains(mod.Get("/stream").Body, `href="/admin/reports"`) {
		t.Error("the moderator has no link to the reports")
	}
}

// TestReportFlow: reports by route, the queue, review and deletion, and
// the privacy of limited posts (README: a reported limited post is shown
// to moderators, and only that one).
func TestReportFlow(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice, bob := p.NewUser(t, "alice"), p.NewUser(t, "bob")
	p.NewUser(t, "eve")
	p.NewUser(t, "molly")
	if _, err := p.App.Contacts.AddToAspect(ctx, alice.Session, alice.Aspects["Friends"], bob.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	pub, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "a public rant", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	limited, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "limited secret for friends", Audience: aspects.Selection{Aspects: []int64{alice.Aspects["Friends"]}}})
	if err != nil {
		t.Fatal(err)
	}
	other, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "another limited post", Audience: aspects.Selection{Aspects: []int64{alice.Aspects["Friends"]}}})
	if err != nil {
		t.Fatal(err)
	}
	b, e, a := p.Client(), p.Client(), p.Client()
	mustStatus(t, b.SignIn("bob", "password1", false), http.StatusFound)
	mustStatus(t, e.SignIn("eve", "password1", false), http.StatusFound)
	mustStatus(t, a.SignIn("alice", "password1", false), http.StatusFound)

	// The post page links the no-JS report form, which works.
	if page := b.Get("/posts/" + pub.GUID).Body; !strings.Contains(page, `href="/report/new?item_type=post&amp;item_id=`+pub.GUID+`"`) {
		t.Fatal("the post has no Report link")
	}
	if a := a.Get("/posts/" + pub.GUID).Body; strings.Contains(a, `/report/new?item_type=post`) {
		t.Error("the author is offered to report their own post")
	}
	mustStatus(t, b.Get("/report/new?item_type=post&item_id="+pub.GUID), http.StatusOK)
	report := func(c *podtest.Client, typ, id, reason string) *podtest.Response {
		return c.Post("/report", url.Values{"report[item_type]": {typ}, "report[item_id]": {id}, "report[text]": {reason}})
	}
	mustStatus(t, report(b, "post", pub.GUID, "insults"), http.StatusFound)
	mustStatus(t, report(b, "post", limited.GUID, "leaks a secret"), http.StatusFound)
	if r := report(b, "post", pub.GUID, "again"); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "already") {
		t.Errorf("a second report of the same post: %d %s", r.StatusCode, trim(r.Body))
	}
	if r := report(b, "post", pub.GUID+"x", "nothing"); r.StatusCode != http.StatusNotFound {
		t.Errorf("a report of nothing: %d", r.StatusCode)
	}
	if r := report(e, "post", limited.GUID, "curious"); r.StatusCode != http.StatusNotFound {
		t.Errorf("eve, outside the audience, reports the limited post: %d (want the 404 of a missing post)", r.StatusCode)
	}
	if r := report(e, "post", pub.GUID, ""); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a report without a reason: %d", r.StatusCode)
	}
	if r := report(a, "post", pub.GUID, "me"); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a report of one's own post: %d", r.StatusCode)
	}
	// A comment, reported by someone who can see it.
	cv, err := p.App.Posts.Comment(ctx, bob.Session, pub.GUID, "a rude comment")
	if err != nil {
		t.Fatal(err)
	}
	mustStatus(t, report(e, "comment", strconv.FormatInt(cv.ID, 10), "rude"), http.StatusFound)
	if n, _ := p.Store.Count(ctx, `SELECT count(*) FROM reports`); n != 3 {
		t.Fatalf("%d reports stored, want 3", n)
	}

	// molly becomes a moderator from the admin's user page.
	admin := adminClient(t, p, "olga")
	molly, err := p.Store.UserByUsername(ctx, "molly")
	if err != nil {
		t.Fatal(err)
	}
	mustStatus(t, admin.Post("/admin/users/"+strconv.FormatInt(molly.ID, 10)+"/role", url.Values{"role": {"moderator"}, "grant": {"1"}}), http.StatusFound)
	m := p.Client()
	mustStatus(t, m.SignIn("molly", "password1", false), http.StatusFound)
	queue := mustStatus(t, m.Get("/admin/reports"), http.StatusOK).Body
	for _, want := range []string{"a public rant", "limited secret for friends", "a rude comment", "insults", "leaks a secret", "alice@", "Reported by bob", "Reported by eve"} {
		if !strings.Contains(queue, want) {
			t.Errorf("the queue lacks %q", want)
		}
	}
	// The reported limited post is the only exception to its audience.
	mustStatus(t, m.Get("/posts/"+limited.GUID), http.StatusNotFound)
	mustStatus(t, m.Get("/posts/"+other.GUID), http.StatusNotFound)
	if strings.Contains(queue, "another limited post") {
		t.Error("the queue shows a limited post nobody reported")
	}
	mustStatus(t, m.Get("/admin"), http.StatusNotFound)

	var page struct {
		Reports []struct {
			ID       int64  `json:"id"`
			ItemGUID string `json:"item_guid"`
			ItemType string `json:"item_type"`
		} `json:"reports"`
	}
	if err := json.Unmarshal([]byte(mustStatus(t, m.Get("/admin/reports.json"), http.StatusOK).Body), &page); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, r := range page.Reports {
		ids[r.ItemGUID] = r.ID
	}
	if len(ids) != 3 {
		t.Fatalf("queue JSON: %+v", page)
	}
	// Deleting the public post: gone for everyone, its report closed.
	mustStatus(t, m.Post("/admin/reports/"+strconv.FormatInt(ids[pub.GUID], 10)+"/delete", nil), http.StatusFound)
	mustStatus(t, b.Get("/posts/"+pub.GUID), http.StatusNotFound)
	mustStatus(t, a.Get("/posts/"+pub.GUID), http.StatusNotFound)
	// The comment went with its post; its report is of a deleted item.
	// Reviewing the limited post's report leaves the post.
	mustStatus(t, m.Post("/admin/reports/"+strconv.FormatInt(ids[limited.GUID], 10)+"/review", nil), http.StatusFound)
	mustStatus(t, b.Get("/posts/"+limited.GUID), http.StatusOK)
	if q := m.Get("/admin/reports").Body; strings.Contains(q, "leaks a secret") || strings.Contains(q, "insults") {
		t.Error("closed reports are still in the open queue")
	}
	if q := m.Get("/admin/reports?all=1").Body; !strings.Contains(q, "Reviewed by molly") || !strings.Contains(q, "Deleted by molly") {
		t.Errorf("the full list does not say who closed the reports:\n%s", trim(q))
	}
	// A user is not a moderator: 404 for the actions too.
	mustStatus(t, b.Post("/admin/reports/"+strconv.FormatInt(ids[limited.GUID], 10)+"/delete", nil), http.StatusNotFound)
	mustStatus(t, b.Get("/posts/"+limited.GUID), http.StatusOK)
}

// TestReportedCommentDeleted: a moderator deletes a reported comment;
// the post stays, the comment and its count go.
func TestReportedCommentDeleted(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice, bob, eve := p.NewUser(t, "alice"), p.NewUser(t, "bob"), p.NewUser(t, "eve")
	post, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "hello", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	cv, err := p.App.Posts.Comment(ctx, bob.Session, post.GUID, "spam spam spam")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.App.Moderation.Report(ctx, eve.Session, reportInput("comment", strconv.FormatInt(cv.ID, 10))); err != nil {
		t.Fatal(err)
	}
	admin := adminClient(t, p, "olga")
	var page struct {
		Reports []struct {
			ID int64 `json:"id"`
		} `json:"reports"`
	}
	if err := json.Unmarshal([]byte(admin.Get("/admin/reports.json").Body), &page); err != nil || len(page.Reports) != 1 {
		t.Fatalf("queue: %v %+v", err, page)
	}
	mustStatus(t, admin.Post("/report/"+strconv.FormatInt(page.Reports[0].ID, 10), url.Values{"_method": {"DELETE"}}), http.StatusFound)
	if n, _ := p.Store.Count(ctx, `SELECT count(*) FROM comments WHERE id = ?`, cv.ID); n != 0 {
		t.Error("the reported comment is still there")
	}
	if n, _ := p.Store.Count(ctx, `SELECT comments_count FROM posts WHERE guid = ?`, post.GUID); n != 0 {
		t.Errorf("the post counts %d comments", n)
	}
}

// TestReportMailsModerators: with mail configured, each moderator and
// admin gets a mail naming the reason and linking the queue.
func TestReportMailsModerators(t *testing.T) {
	p := mailPod(t, "webreport", 10)
	ctx := context.Background()
	modName := uniqueName("mod")
	alice, bob := p.NewUser(t, "alice"), p.NewUser(t, "bob")
	p.NewUser(t, modName)
	if err := p.App.Moderation.SetRoleByName(ctx, modName, "moderator", true); err != nil {
		t.Fatal(err)
	}
	post, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "hello", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.App.Moderation.Report(ctx, bob.Session, reportInput("post", post.GUID)); err != nil {
		t.Fatal(err)
	}
	mail := podtest.AwaitMail(t, modName+"@example.org", 30*time.Second)
	if !strings.Contains(mail.Text, "a reason to report") || !strings.Contains(mail.Text, "/admin/reports") || strings.Contains(mail.Text, "hello") {
		t.Errorf("the report mail:\n%s", mail.Text)
	}

	// An admin mails a user a password reset link from the user's page.
	userName := uniqueName("forgetful")
	p.NewUser(t, userName)
	staff := *alice.Session
	staff.Admin = true
	if err := p.App.Moderation.SendPasswordReset(ctx, &staff, userID(t, p.Pod, userName)); err != nil {
		t.Fatal(err)
	}
	reset := podtest.AwaitMail(t, userName+"@example.org", 30*time.Second)
	if resetLink.FindString(reset.Text) == "" {
		t.Errorf("the reset mail has no link:\n%s", reset.Text)
	}
}

func reportInput(typ, id string) moderation.ReportInput {
	return moderation.ReportInput{ItemType: typ, ItemID: id, Reason: "a reason to report"}
}

// TestLockEndsSessions: a locked user is signed out everywhere and cannot
// sign in; unlocked, they can.
func TestLockEndsSessions(t *testing.T) {
	p := podtest.New(t)
	admin := adminClient(t, p, "olga")
	bob := p.Client()
	bob.SignUp("bob")
	mustStatus(t, bob.Get("/stream"), http.StatusOK)
	u, err := p.Store.UserByUsername(context.Background(), "bob")
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(u.ID, 10)
	if page := admin.Get("/admin/users?q=bo").Body; !strings.Contains(page, `href="/admin/users/`+id+`"`) {
		t.Fatalf("the user search does not find bob:\n%s", trim(page))
	}
	mustStatus(t, admin.Post("/admin/users/"+id+"/lock", nil), http.StatusFound)
	if r := bob.Get("/stream"); r.StatusCode != http.StatusFound || !strings.HasPrefix(r.Location(), "/users/sign_in") {
		t.Errorf("a locked user's session still works: %d %s", r.StatusCode, r.Location())
	}
	if r := p.Client().SignIn("bob", "password1", false); r.StatusCode == http.StatusFound {
		t.Error("a locked user signs in")
	}
	if page := admin.Get("/admin/users/" + id).Body; !strings.Contains(page, "locked: cannot sign in") {
		t.Errorf("the user page does not say bob is locked:\n%s", trim(page))
	}
	mustStatus(t, admin.Post("/admin/users/"+id+"/unlock", nil), http.StatusFound)
	mustStatus(t, p.Client().SignIn("bob", "password1", false), http.StatusFound)
	// Closing an account locks it until account deletion is wired.
	mustStatus(t, admin.Post("/admin/users/"+id+"/close", nil), http.StatusFound)
	if r := p.Client().SignIn("bob", "password1", false); r.StatusCode == http.StatusFound {
		t.Error("a closed account signs in")
	}
	// Invites and the admin's own account.
	mustStatus(t, admin.Post("/admin/users/"+id+"/invites", url.Values{"count": {"7"}}), http.StatusFound)
	if n, _ := p.Store.Count(context.Background(), `SELECT count FROM invitation_codes WHERE user_id = ?`, u.ID); n != 5+7 {
		t.Errorf("bob's invites: %d", n)
	}
	mustStatus(t, admin.Post("/admin/users/"+id+"/invites", url.Values{"count": {"0"}}), http.StatusUnprocessableEntity)
	olga, _ := p.Store.UserByUsername(context.Background(), "olga")
	mustStatus(t, admin.Post("/admin/users/"+strconv.FormatInt(olga.ID, 10)+"/lock", nil), http.StatusUnprocessableEntity)
}

// TestCommentRateLimit: the 31st comment in a minute is a 429 with
// Retry-After and is not stored; another person may still comment.
func TestCommentRateLimit(t *testing.T) {
	p := podtest.New(t, func(o *pod.Options, _ *web.Options) {
		o.RateLimits.Comments = pod.RateLimit{Count: 30, Window: time.Minute}
	})
	ctx := context.Background()
	alice := p.NewUser(t, "alice")
	post, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "comment away", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	bob := p.Client()
	bob.SignUp("bob")
	for i := range 30 {
		mustStatus(t, bob.Post("/posts/"+post.GUID+"/comments", url.Values{"text": {"comment " + strconv.Itoa(i)}}), http.StatusSeeOther)
	}
	r := bob.Post("/posts/"+post.GUID+"/comments", url.Values{"text": {"one too many"}})
	if r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the 31st comment: %d", r.StatusCode)
	}
	secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > 60 {
		t.Errorf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	if !strings.Contains(r.Body, "too many attempts, please wait") {
		t.Errorf("the 429 page does not say why:\n%s", trim(r.Body))
	}
	if n, _ := p.Store.Count(ctx, `SELECT count(*) FROM comments WHERE text = 'one too many'`); n != 0 {
		t.Error("the refused comment was stored")
	}
	carol := p.Client()
	carol.SignUp("carol")
	mustStatus(t, carol.Post("/posts/"+post.GUID+"/comments", url.Values{"text": {"carol's turn"}}), http.StatusSeeOther)
}

// TestRegistrationModes: admins switch registrations at runtime: closed
// (invite links only), approval (the account waits, locked), open.
func TestRegistrationModes(t *testing.T) {
	p := podtest.New(t)
	admin := adminClient(t, p, "olga")
	set := func(mode string) {
		t.Helper()
		mustStatus(t, admin.Post("/admin/settings", url.Values{"registrations": {mode}, "description": {"A pod for gardeners."},
			"terms": {"Be kind."}, "publish_statistics": {"1"}}), http.StatusFound)
	}
	set("closed")
	if r := p.Client().Post("/users", podtest.SignUpForm("bob")); r.StatusCode != http.StatusForbidden {
		t.Errorf("sign-up while closed: %d", r.StatusCode)
	}
	if ni := p.Client().Get("/nodeinfo/2.1").Body; !strings.Contains(ni, `"openRegistrations":false`) || !strings.Contains(ni, `"nodeDescription":"A pod for gardeners."`) {
		t.Errorf("NodeInfo while closed: %s", ni)
	}
	set("approval")
	form := p.Client()
	page := form.Get("/users/sign_up").Body
	if !strings.Contains(page, "A pod for gardeners.") || !strings.Contains(page, `href="/terms"`) || !strings.Contains(page, "approval") {
		t.Errorf("the sign-up page lacks the description, terms or approval note:\n%s", trim(page))
	}
	r := form.Post("/users", podtest.SignUpForm("carol"))
	if r.StatusCode != http.StatusFound || r.Location() != "/users/sign_in" {
		t.Fatalf("sign-up waiting for approval: %d %s", r.StatusCode, r.Location())
	}
	if r := p.Client().SignIn("carol", "password1", false); r.StatusCode != http.StatusForbidden || !strings.Contains(r.Body, "approve") {
		t.Errorf("signing in before approval: %d %s", r.StatusCode, trim(r.Body))
	}
	carol, err := p.Store.UserByUsername(context.Background(), "carol")
	if err != nil {
		t.Fatal(err)
	}
	if page := admin.Get("/admin/users?pending=1").Body; !strings.Contains(page, "carol") {
		t.Error("carol is not among the sign-ups waiting")
	}
	mustStatus(t, admin.Post("/admin/users/"+strconv.FormatInt(carol.ID, 10)+"/approve", nil), http.StatusFound)
	mustStatus(t, p.Client().SignIn("carol", "password1", false), http.StatusFound)
	set("open")
	p.Client().SignUp("dave")
	if ni := p.Client().Get("/nodeinfo/2.1").Body; !strings.Contains(ni, `"openRegistrations":true`) {
		t.Errorf("NodeInfo while open: %s", ni)
	}
	if r := admin.Post("/admin/settings", url.Values{"registrations": {"sometimes"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a mode that does not exist: %d", r.StatusCode)
	}
	if terms := p.Client().Get("/terms"); terms.StatusCode != http.StatusOK || !strings.Contains(terms.Body, "Be kind.") {
		t.Errorf("/terms: %d", terms.StatusCode)
	}
}

// TestStatisticsAndDashboard: /statistics(.json) as diaspora* has it,
// gone when the admins do not publish it; the dashboard counts, and
// last_seen_at is written by requests.
func TestStatisticsAndDashboard(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	admin := adminClient(t, p, "olga")
	bob := p.Client()
	bob.SignUp("bob")
	if _, err := p.App.Posts.CreatePost(ctx, p.NewUser(t, "carol").Session, posts.PostInput{Text: "hi", Audience: aspects.Selection{Public: true}}); err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(mustStatus(t, p.Client().Get("/statistics.json"), http.StatusOK).Body), &st); err != nil {
		t.Fatal(err)
	}
	if st["total_users"] != float64(3) || st["local_posts"] != float64(1) || st["registrations_open"] != true || st["active_users_monthly"] != float64(3) {
		t.Errorf("statistics: %v", st)
	}
	mustStatus(t, p.Client().Get("/statistics"), http.StatusOK)
	mustStatus(t, admin.Post("/admin/settings", url.Values{"registrations": {"open"}}), http.StatusFound)
	mustStatus(t, p.Client().Get("/statistics.json"), http.StatusNotFound)
	mustStatus(t, p.Client().Get("/statistics"), http.StatusNotFound)

	// Last seen: a request of a signed-in user writes it (at most every
	// SeenEvery). This process saw bob when he signed up, so the request
	// goes to a second serve process over the same database and Redis,
	// which has not seen him yet.
	if err := p.Store.Exec(ctx, `UPDATE users SET last_seen_at = now() - interval '40 days' WHERE username = 'bob'`); err != nil {
		t.Fatal(err)
	}
	p.Redis.Del(ctx, p.Opt.RedisPrefix+"seen:"+strconv.FormatInt(userID(t, p, "bob"), 10))
	other := podtest.Start(t, p.Store, p.Opt.RedisPrefix).Client()
	other.HTTP.Jar = bob.HTTP.Jar // bob's session cookie (loopback cookies ignore the port)
	mustStatus(t, other.Get("/stream"), http.StatusOK)
	if n, _ := p.Store.Count(ctx, `SELECT count(*) FROM users WHERE username = 'bob' AND last_seen_at > now() - interval '1 minute'`); n != 1 {
		t.Error("bob's request did not write last_seen_at")
	}
	// Within SeenEvery, bob's next request writes nothing.
	if err := p.Store.Exec(ctx, `UPDATE users SET last_seen_at = now() - interval '40 days' WHERE username = 'bob'`); err != nil {
		t.Fatal(err)
	}
	mustStatus(t, other.Get("/stream"), http.StatusOK)
	if n, _ := p.Store.Count(ctx, `SELECT count(*) FROM users WHERE username = 'bob' AND last_seen_at > now() - interval '1 minute'`); n != 0 {
		t.Error("bob's second request within SeenEvery wrote last_seen_at again")
	}
	if err := p.Store.Exec(ctx, `UPDATE users SET last_seen_at = now() WHERE username = 'bob'`); err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(mustStatus(t, admin.Get("/admin.json"), http.StatusOK).Body), &d); err != nil {
		t.Fatal(err)
	}
	if d["users"] != float64(3) || d["new_this_week"] != float64(3) || d["active_month"] != float64(3) || d["local_posts"] != float64(1) || d["version"] == "" {
		t.Errorf("dashboard: %v", d)
	}
	if page := mustStatus(t, admin.Get("/admin"), http.StatusOK).Body; !strings.Contains(page, "Active in the last month") {
		t.Errorf("dashboard page:\n%s", trim(page))
	}
}

func userID(t *testing.T, p *podtest.Pod, name string) int64 {
	t.Helper()
	u, err := p.Store.UserByUsername(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// TestPodBlocksPagesAndCSV: admins block and silence domains from the
// page, see the reason, and export and import the list as CSV.
func TestPodBlocksPagesAndCSV(t *testing.T) {
	p := podtest.New(t)
	admin := adminClient(t, p, "olga")
	mustStatus(t, admin.Post("/admin/blocks", url.Values{"domain": {"https://Spam.Example/"}, "subdomains": {"1"}, "severity": {"block"}, "reason": {"spam waves"}}), http.StatusFound)
	mustStatus(t, admin.Post("/admin/blocks", url.Values{"domain": {"loud.example"}, "severity": {"silence"}}), http.StatusFound)
	if r := admin.Post("/admin/blocks", url.Values{"domain": {"not a domain"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a bad domain: %d", r.StatusCode)
	}
	if r := admin.Post("/admin/blocks", url.Values{"domain": {p.Opt.Host}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("blocking the pod itself: %d", r.StatusCode)
	}
	page := admin.Get("/admin/blocks").Body
	if !strings.Contains(page, "spam.example") || !strings.Contains(page, "spam waves") || !strings.Contains(page, "silenced") {
		t.Errorf("the blocks page:\n%s", trim(page))
	}
	csv := mustStatus(t, admin.Get("/admin/blocks.csv"), http.StatusOK).Body
	want := "domain,severity,subdomains,reason\nloud.example,silence,false,\nspam.example,block,true,spam waves\n"
	if csv != want {
		t.Errorf("CSV export:\n%s\nwant:\n%s", csv, want)
	}
	for _, d := range []string{"spam.example", "loud.example"} {
		mustStatus(t, admin.Post("/admin/blocks/remove", url.Values{"domain": {d}}), http.StatusFound)
	}
	mustStatus(t, admin.Post("/admin/blocks/import", url.Values{"csv": {want}}), http.StatusFound)
	if again := admin.Get("/admin/blocks.csv").Body; again != want {
		t.Errorf("after importing the export:\n%s", again)
	}
	// Mastodon's export, and a bad line refusing the whole file.
	mustStatus(t, admin.Post("/admin/blocks/import", url.Values{"csv": {"#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\nbad.example,suspend,false,false,harassment,false\n"}}), http.StatusFound)
	if r := admin.Post("/admin/blocks/import", url.Values{"csv": {"ok.example\nnot a domain\n"}}); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "line 2") {
		t.Errorf("a bad line: %d %s", r.StatusCode, trim(r.Body))
	}
	if list := admin.Get("/admin/blocks.csv").Body; !strings.Contains(list, "bad.example,block,true,harassment") || strings.Contains(list, "ok.example") {
		t.Errorf("after the imports:\n%s", list)
	}
}

// TestRecheckPodNow: "Check now" asks the pod at once and records the
// answer (here, a refused connection); the pods page shows the admins'
// decision about a pod with its reason.
func TestRecheckPodNow(t *testing.T) {
	p := podtest.New(t, func(o *pod.Options, _ *web.Options) { o.FederationInsecure = true })
	ctx := context.Background()
	admin := adminClient(t, p, "olga")
	if _, err := p.Store.EnsurePod(ctx, "127.0.0.1:1", "http://127.0.0.1:1/"); err != nil {
		t.Fatal(err)
	}
	mustStatus(t, admin.Post("/admin/pods/127.0.0.1:1/recheck", nil), http.StatusFound)
	pd, err := p.Store.PodByHost(ctx, "127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	if pd.CheckedAt == nil || pd.OfflineSince == nil || !strings.HasPrefix(pd.LastError, "check:") {
		t.Errorf("after the check: %+v", pd)
	}
	mustStatus(t, admin.Post("/admin/pods/unknown.example/recheck", nil), http.StatusNotFound)
	mustStatus(t, admin.Post("/admin/blocks", url.Values{"domain": {"127.0.0.1:1"}, "severity": {"block"}, "reason": {"never answers"}}), http.StatusFound)
	if page := admin.Get("/admin/pods").Body; !strings.Contains(page, "blocked") || !strings.Contains(page, "Reason: never answers") {
		t.Errorf("the pods page does not show the block and its reason:\n%s", trim(page))
	}
}

// TestConversationRateLimit: messages count against POD_RATELIMIT_CONVERSATIONS
// like new conversations do: over the limit, a 429 with Retry-After and
// nothing stored.
func TestConversationRateLimit(t *testing.T) {
	p := podtest.New(t, func(o *pod.Options, _ *web.Options) {
		o.RateLimits.Conversations = pod.RateLimit{Count: 3, Window: time.Minute}
	})
	ctx := context.Background()
	alice, bob := p.Client(), p.Client()
	alice.SignUp("alice")
	bob.SignUp("bob")
	ap, _ := p.Store.PersonByDiasporaID(ctx, "alice@pod.test")
	bp, _ := p.Store.PersonByDiasporaID(ctx, "bob@pod.test")
	for _, x := range []struct {
		c       *podtest.Client
		user    int64
		contact int64
	}{{alice, *ap.OwnerID, bp.ID}, {bob, *bp.OwnerID, ap.ID}} {
		as, err := p.Store.AspectsOf(ctx, x.user)
		if err != nil {
			t.Fatal(err)
		}
		mustStatus(t, x.c.Post("/aspect_memberships", url.Values{"aspect_id": {itoa(as[0].ID)}, "person_id": {itoa(x.contact)}}), http.StatusSeeOther)
	}
	r := mustStatus(t, alice.Post("/conversations", url.Values{"conversation[subject]": {"hi"}, "conversation[text]": {"first"},
		"person_ids[]": {itoa(bp.ID)}}), http.StatusFound)
	id := strings.TrimPrefix(r.Location(), "/conversations/")
	for i := range 2 {
		mustStatus(t, alice.Post("/conversations/"+id+"/messages", url.Values{"message[text]": {"more " + strconv.Itoa(i)}}), http.StatusFound)
	}
	r = alice.Post("/conversations/"+id+"/messages", url.Values{"message[text]": {"one too many"}})
	if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("the 4th conversation action in a minute: %d, Retry-After %q", r.StatusCode, r.Header.Get("Retry-After"))
	}
	if n, _ := p.Store.Count(ctx, `SELECT count(*) FROM messages WHERE text = 'one too many'`); n != 0 {
		t.Error("the refused message was stored")
	}
	mustStatus(t, bob.Post("/conversations/"+id+"/messages", url.Values{"message[text]": {"bob's turn"}}), http.StatusFound)
}
