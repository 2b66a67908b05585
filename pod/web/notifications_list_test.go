package web_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
)

func TestNotificationListGroupsActors(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice := p.NewUser(t, "alice")
	post, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "Our *first* harvest", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bob", "carol", "dave"} {
		if _, err := p.App.Posts.Like(ctx, p.NewUser(t, name).Session, post.GUID, 0); err != nil {
			t.Fatal(err)
		}
	}
	c := p.Client()
	c.SignIn("alice", "password1", false)
	page := c.Get("/notifications").Body
	for _, want := range []string{"dave and 2 others liked your post", `class="notification-excerpt">Our first harvest</blockquote>`,
		`<img class="avatar-xs"`, `alt="carol"`, `href="/posts/` + post.GUID + `"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the notification list lacks %q:\n%s", want, page)
		}
	}
	if n := strings.Count(page, `<img class="avatar-xs"`); n != 3 {
		t.Errorf("%d avatars, want the 3 actors'", n)
	}
	// The JSON keeps diaspora*'s shape: each entry under its type.
	var body struct {
		UnreadCount      int                          `json:"unread_count"`
		NotificationList []map[string]json.RawMessage `json:"notification_list"`
	}
	if err := json.Unmarshal([]byte(c.Get("/notifications.json").Body), &body); err != nil {
		t.Fatal(err)
	}
	if body.UnreadCount != 1 || len(body.NotificationList) != 1 {
		t.Fatalf("notifications.json: %+v", body)
	}
	var liked struct {
		TargetType string `json:"target_type"`
		NoteHTML   string `json:"note_html"`
	}
	if err := json.Unmarshal(body.NotificationList[0]["liked"], &liked); err != nil || liked.TargetType != "Post" ||
		!strings.Contains(liked.NoteHTML, `href="/people/`) || !strings.Contains(liked.NoteHTML, "liked your post") {
		t.Errorf("entry: %v %+v", err, liked)
	}
}
