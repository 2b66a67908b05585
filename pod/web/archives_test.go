package web_test

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
)

// signedIn signs up name through the use cases and signs a web client in.
func signedIn(t *testing.T, p *podtest.Pod, name string) (*podtest.User, *podtest.Client) {
	t.Helper()
	u := p.NewUser(t, name)
	c := p.Client()
	if r := c.SignIn(name, "password1", false); r.StatusCode != http.StatusFound {
		t.Fatalf("sign in %s: %d", name, r.StatusCode)
	}
	return u, c
}

// TestExportPageAndArchive: "download my data" on a pod without a worker
// and without mail: the request shows its progress on a page that reloads
// itself and says no mail will come; the job (run here) makes an archive
// with the format's fields, holding only what the user may see.
func TestExportPageAndArchive(t *testing.T) {
	ctx := context.Background()
	p := podtest.New(t)
	alice, c := signedIn(t, p, "alice")
	frank := p.NewUser(t, "frank")
	mallory := p.NewUser(t, "mallory")
	if _, err := p.App.Contacts.AddToAspect(ctx, alice.Session, alice.Aspects["Friends"], frank.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Contacts.AddToAspect(ctx, frank.Session, frank.Aspects["Family"], alice.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Contacts.AddToAspect(ctx, frank.Session, frank.Aspects["Work"], mallory.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	photo := uploaded(t, p, c, "garden.png", testPNGAlpha(t))
	pub, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "hello #world", Audience: aspects.Selection{Public: true},
		Photos: []int64{photo.ID}})
	if err != nil {
		t.Fatal(err)
	}
	lim, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "friends only",
		Audience: aspects.Selection{Aspects: []int64{alice.Aspects["Friends"]}}})
	if err != nil {
		t.Fatal(err)
	}
	franks, err := p.App.Posts.CreatePost(ctx, frank.Session, posts.PostInput{Text: "family news",
		Audience: aspects.Selection{Aspects: []int64{frank.Aspects["Family"]}}})
	if err != nil {
		t.Fatal(err)
	}
	hidden, err := p.App.Posts.CreatePost(ctx, frank.Session, posts.PostInput{Text: "work secret",
		Audience: aspects.Selection{Aspects: []int64{frank.Aspects["Work"]}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Posts.Comment(ctx, alice.Session, franks.GUID, "congrats"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Posts.Comment(ctx, frank.Session, pub.GUID, "hi alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Posts.Like(ctx, frank.Session, lim.GUID, 0); err != nil {
		t.Fatal(err)
	}

	if r := c.Get("/user/export"); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "Request my data") {
		t.Fatalf("GET /user/export: %d", r.StatusCode)
	}
	if r := c.Get("/user/download_profile"); r.StatusCode != http.StatusNotFound {
		t.Errorf("download before any export: %d, want 404", r.StatusCode)
	}
	if r := c.Post("/user/export_profile", nil); r.StatusCode != http.StatusSeeOther || r.Location() != "/user/export" {
		t.Fatalf("POST /user/export_profile: %d %s", r.StatusCode, r.Location())
	}
	r := c.Get("/user/export")
	if !strings.Contains(r.Body, `data-state="queued"`) || r.Header.Get("Refresh") == "" {
		t.Errorf("queued export page: refresh %q, body:\n%s", r.Header.Get("Refresh"), r.Body)
	}
	if !strings.Contains(r.Body, "no mail will come") {
		t.Errorf("the page does not say that no mail will come on a pod without mail")
	}
	if n, _ := p.Store.Count(ctx, `SELECT count(*) FROM outbox WHERE task_type = 'archives:export'`); n != 1 {
		t.Errorf("%d export tasks in the outbox, want 1", n)
	}

	// The worker's job.
	e, err := p.Store.ExportOf(ctx, alice.Session.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.App.Archives.Run(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	r = c.Get("/user/export")
	if !strings.Contains(r.Body, `data-state="ready"`) || r.Header.Get("Refresh") != "" || !strings.Contains(r.Body, `href="/user/download_profile"`) {
		t.Errorf("ready export page:\n%s", r.Body)
	}
	dl := c.Get("/user/download_profile")
	if dl.StatusCode != http.StatusOK || dl.Header.Get("Content-Type") != "application/gzip" ||
		!strings.Contains(dl.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %v", dl.StatusCode, dl.Header)
	}
	// Nobody else downloads it.
	_, fc := signedIn(t, p, "eve")
	if r := fc.Get("/user/download_profile"); r.StatusCode != http.StatusNotFound {
		t.Errorf("another user downloads alice's export: %d", r.StatusCode)
	}
	if r := p.Client().Get("/user/download_profile"); r.StatusCode == http.StatusOK {
		t.Errorf("a visitor downloads an export")
	}

	zr, err := gzip.NewReader(strings.NewReader(dl.Body))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(plain), hidden.GUID) || strings.Contains(string(plain), "work secret") {
		t.Errorf("the archive holds frank's limited post alice is not in the audience of")
	}
	var doc struct {
		Version string `json:"version"`
		User    struct {
			Username      string                  `json:"username"`
			Email         string                  `json:"email"`
			PrivateKey    string                  `json:"private_key"`
			Profile       entityJSON              `json:"profile"`
			ContactGroups []struct{ Name string } `json:"contact_groups"`
			Contacts      []map[string]any        `json:"contacts"`
			Posts         []json.RawMessage       `json:"posts"`
			Relayables    []entityJSON            `json:"relayables"`
			FollowedTags  []string                `json:"followed_tags"`
			Subscriptions []string                `json:"post_subscriptions"`
			Blocks        []string                `json:"blocks"`
		} `json:"user"`
		OthersData struct {
			Relayables []entityJSON `json:"relayables"`
		} `json:"others_data"`
	}
	if err := json.Unmarshal(plain, &doc); err != nil {
		t.Fatal(err)
	}
	u := doc.User
	if doc.Version != "2.0" || u.Username != "alice" || u.Email != "alice@example.org" || u.Profile.EntityType != "profile" ||
		u.Profile.EntityData["author"] != "alice@pod.test" {
		t.Errorf("archive head: version %q user %q %q profile %+v", doc.Version, u.Username, u.Email, u.Profile)
	}
	block, _ := pem.Decode([]byte(u.PrivateKey))
	if block == nil {
		t.Fatal("private_key is not PEM")
	}
	key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		t.Fatalf("private_key: %v", err)
	}
	me, _ := p.Store.PersonOfUser(ctx, alice.Session.UserID)
	if !strings.Contains(me.SerializedPublicKey, "PUBLIC KEY") || key.N.BitLen() < 1024 {
		t.Errorf("odd keys")
	}
	if len(u.ContactGroups) != 4 {
		t.Errorf("contact_groups: %+v", u.ContactGroups)
	}
	if len(u.Contacts) != 1 || u.Contacts[0]["account_id"] != "frank@pod.test" || u.Contacts[0]["receiving"] != true ||
		u.Contacts[0]["sharing"] != true || fmt.Sprint(u.Contacts[0]["contact_groups_membership"]) != "[Friends]" {
		t.Errorf("contacts: %+v", u.Contacts)
	}
	for _, k := range []string{"sharing", "following", "receiving", "followed", "account_id", "contact_groups_membership", "person_guid", "public_key"} {
		if _, ok := u.Contacts[0][k]; !ok {
			t.Errorf("a contact lacks %s", k)
		}
	}
	if len(u.Posts) != 2 {
		t.Fatalf("%d posts, want 2", len(u.Posts))
	}
	for _, raw := range u.Posts {
		var post struct {
			entityJSON
			Pods  *[]string `json:"subscribed_pods_uris"`
			Users *[]string `json:"subscribed_users_ids"`
		}
		json.Unmarshal(raw, &post)
		switch post.EntityData["guid"] {
		case pub.GUID:
			if post.Pods == nil || post.Users != nil || post.EntityData["public"] != true {
				t.Errorf("public post: %s", raw)
			}
			if ph, _ := post.EntityData["photos"].([]any); len(ph) != 1 || !strings.Contains(string(mustJSONOf(t, ph[0])), photo.GUID) {
				t.Errorf("public post's photos: %v", post.EntityData["photos"])
			}
		case lim.GUID:
			if post.Users == nil || fmt.Sprint(*post.Users) != "[frank@pod.test]" || post.Pods != nil || post.EntityData["public"] != false {
				t.Errorf("limited post: %s", raw)
			}
		default:
			t.Errorf("unexpected post %s", raw)
		}
	}
	if len(u.Relayables) != 1 || u.Relayables[0].EntityType != "comment" || u.Relayables[0].EntityData["parent_guid"] != franks.GUID {
		t.Errorf("own relayables: %+v", u.Relayables)
	}
	kinds := map[string]bool{}
	for _, r := range doc.OthersData.Relayables {
		kinds[r.EntityType] = true
		if r.EntityData["author"] != "frank@pod.test" {
			t.Errorf("others' relayable by %v", r.EntityData["author"])
		}
	}
	if len(doc.OthersData.Relayables) != 2 || !kinds["comment"] || !kinds["like"] {
		t.Errorf("others_data.relayables: %+v", doc.OthersData.Relayables)
	}
	if len(u.Subscriptions) != 1 || u.Subscriptions[0] != franks.GUID {
		t.Errorf("post_subscriptions: %v (want frank's family post she commented on)", u.Subscriptions)
	}

	// The photo zip holds the original.
	zp := c.Get("/user/download_photos")
	if zp.StatusCode != http.StatusOK || zp.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("photos download: %d", zp.StatusCode)
	}
	zrd, err := zip.NewReader(strings.NewReader(zp.Body), int64(len(zp.Body)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zrd.File) != 1 || !strings.HasPrefix(zrd.File[0].Name, photo.GUID+".") {
		t.Errorf("photo zip: %d files", len(zrd.File))
	} else if rc, err := zrd.File[0].Open(); err == nil {
		b, _ := io.ReadAll(rc)
		if !bytes.HasPrefix(b, []byte("\x89PNG")) && !bytes.HasPrefix(b, []byte("\xff\xd8")) && !bytes.HasPrefix(b, []byte("RIFF")) {
			t.Errorf("the zipped photo is not an image")
		}
	}

	// Kept 14 days, then swept with its file.
	if n, err := p.App.Archives.Sweep(ctx, time.Now()); err != nil || n != 0 {
		t.Errorf("sweep now: %d %v", n, err)
	}
	if n, err := p.App.Archives.Sweep(ctx, time.Now().Add(15*24*time.Hour)); err != nil || n != 1 {
		t.Errorf("sweep in 15 days: %d %v", n, err)
	}
	if r := c.Get("/user/download_profile"); r.StatusCode != http.StatusNotFound {
		t.Errorf("download after the sweep: %d", r.StatusCode)
	}
	if _, _, err := p.Media.Open(ctx, e.ArchiveKey); err == nil {
		t.Errorf("the swept archive's file is still there")
	}
}

func mustJSONOf(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type entityJSON struct {
	EntityType string         `json:"entity_type"`
	EntityData map[string]any `json:"entity_data"`
}

// TestExportMail: with a worker and mail, the export is made by the
// worker and mailed about.
func TestExportMail(t *testing.T) {
	p := mailPod(t, "webexport", 5)
	name := uniqueName("exp")
	u := p.NewUser(t, name)
	if err := p.App.Archives.Request(context.Background(), u.Session); err != nil {
		t.Fatal(err)
	}
	m := podtest.AwaitMail(t, name+"@example.org", 30*time.Second)
	if !strings.Contains(m.Header.Get("Subject"), "is ready") || !strings.Contains(m.Text, "/user/export") || !strings.Contains(m.HTML, "/user/export") {
		t.Errorf("mail: %v\n%s", m.Header, m.Text)
	}
	st, err := p.App.Archives.Status(context.Background(), u.Session)
	if err != nil || !st.Ready() || !st.MailEnabled {
		t.Errorf("status after the mail: %+v %v", st, err)
	}
}

// upload posts an archive file to /user/import.
func upload(t *testing.T, c *podtest.Client, data []byte) *podtest.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("authenticity_token", c.CSRF())
	fw, _ := mw.CreateFormFile("archive", "archive.json.gz")
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.Pod.Server.URL+"/user/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.Do(req)
}

// diasporaArchive builds an archive as diaspora* 0.7+ writes it
// (lib/schemas/archive-format.json, app/serializers/export): a person on
// a pod that cannot be reached, with their key.
func diasporaArchive(t *testing.T, key *rsa.PrivateKey, author string, mutate func(m map[string]any)) []byte {
	t.Helper()
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	ent := func(typ string, data map[string]any) map[string]any {
		return map[string]any{"entity_type": typ, "entity_data": data}
	}
	m := map[string]any{
		"version": "2.0",
		"user": map[string]any{
			"username": "olduser", "email": "old@example.net", "language": "de", "private_key": keyPEM,
			"disable_mail": false, "show_community_spotlight_in_stream": true, "auto_follow_back": true, "auto_follow_back_aspect": "Bekannte",
			"blocks": []string{},
			"profile": ent("profile", map[string]any{"author": author, "first_name": "Olga", "last_name": "Old", "image_url": nil,
				"bio": "from diaspora", "birthday": "1980-02-03", "gender": "", "location": "Berlin", "searchable": true, "public": false, "nsfw": false,
				"tag_string": "#garden"}),
			"contact_groups": []map[string]any{{"name": "Familie"}, {"name": "Bekannte"}},
			"contacts":       []map[string]any{},
			"posts": []map[string]any{
				{"entity_type": "status_message", "entity_data": map[string]any{"author": author, "guid": "f1e2d3c4b5a6978812345678abcdef01",
					"created_at": "2017-08-01T10:00:00Z", "public": true, "text": "Hallo #welt"}, "subscribed_pods_uris": []string{"https://old.example/"}},
				{"entity_type": "status_message", "entity_data": map[string]any{"author": author, "guid": "f1e2d3c4b5a6978812345678abcdef02",
					"created_at": "2017-08-02T10:00:00Z", "public": false, "text": "nur Familie",
					"poll": ent("poll", map[string]any{"guid": "f1e2d3c4b5a6978812345678abcdef03", "question": "Tee?",
						"poll_answers": []any{ent("poll_answer", map[string]any{"guid": "f1e2d3c4b5a6978812345678abcdef04", "answer": "ja"}),
							ent("poll_answer", map[string]any{"guid": "f1e2d3c4b5a6978812345678abcdef05", "answer": "nein"})}})},
					"subscribed_users_ids": []string{"nobody@old.example"}},
				{"entity_type": "reshare", "entity_data": map[string]any{"author": author, "guid": "f1e2d3c4b5a6978812345678abcdef06",
					"created_at": "2017-08-03T10:00:00Z", "root_author": "x@elsewhere.example", "root_guid": "f1e2d3c4b5a6978812345678abcdef07"},
					"subscribed_pods_uris": []string{}},
			},
			"relayables":         []any{},
			"followed_tags":      []string{"garten", "welt"},
			"post_subscriptions": []string{},
		},
		"others_data": map[string]any{"relayables": []any{}},
	}
	if mutate != nil {
		mutate(m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(b)
	zw.Close()
	return z.Bytes()
}

func testKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// counts is what an import could have written.
func counts(t *testing.T, p *podtest.Pod, userID, personID int64) string {
	t.Helper()
	var out []string
	for _, q := range []string{
		`SELECT count(*) FROM posts WHERE author_id = ?`, `SELECT count(*) FROM aspects WHERE user_id = ?`,
		`SELECT count(*) FROM tag_followings WHERE user_id = ?`, `SELECT count(*) FROM archive_imports WHERE user_id = ?`,
		`SELECT count(*) FROM outbox WHERE task_type = 'federation:account-migrated'`,
		`SELECT count(*) FROM profiles WHERE person_id = ? AND first_name <> ''`,
	} {
		args := []any{userID}
		if strings.Contains(q, "author_id") || strings.Contains(q, "person_id") {
			args = []any{personID}
		}
		if !strings.Contains(q, "?") {
			args = nil
		}
		n, err := p.Store.Count(context.Background(), q, args...)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(n))
	}
	return strings.Join(out, ",")
}

// TestImportDiasporaArchive imports an archive as diaspora* writes it, of
// an identity whose pod cannot be reached: the data is imported, no
// migration is sent (diaspora* does the same).
func TestImportDiasporaArchive(t *testing.T) {
	ctx := context.Background()
	p := podtest.New(t)
	u, c := signedIn(t, p, "newme")
	archive := diasporaArchive(t, testKey(t), "olduser@old.invalid", nil)
	r := upload(t, c, archive)
	if r.StatusCode != http.StatusSeeOther || r.Location() != "/user/import" {
		t.Fatalf("import: %d %s\n%s", r.StatusCode, r.Location(), r.Body)
	}
	runImport(t, p, u.Session.UserID)
	r = c.Get("/user/import")
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `id="import-result" data-state="done"`) || r.Header.Get("Refresh") != "" {
		t.Fatalf("import page: %d refresh %q\n%s", r.StatusCode, r.Header.Get("Refresh"), r.Body)
	}
	if !strings.Contains(r.Body, "only your data was imported") {
		t.Errorf("the page does not say that nobody is told")
	}
	if got := counts(t, p, u.Session.UserID, u.Session.PersonID); got != "2,6,2,1,0,1" {
		t.Errorf("after import (posts, aspects, tags, imports, migrations, profile) = %s, want 2,6,2,1,0,1", got)
	}
	prof, _, err := p.App.Profiles.ProfileForm(ctx, u.Session.UserID)
	if err != nil || prof.FirstName != "Olga" || prof.Bio != "from diaspora" || prof.Location != "Berlin" || prof.BirthYear != "1980" {
		t.Errorf("profile: %+v %v", prof, err)
	}
	post, err := p.Store.PostByGUID(ctx, "f1e2d3c4b5a6978812345678abcdef02")
	if err != nil || post.Public || post.AuthorID != u.Session.PersonID {
		t.Fatalf("limited post: %+v %v", post, err)
	}
	if poll, err := p.Store.PollOfPost(ctx, post.ID); err != nil || poll.Question != "Tee?" {
		t.Errorf("poll: %+v %v", poll, err)
	}
	// Nobody here was in its audience: no one else reads it.
	_, other := signedIn(t, p, "someone")
	if r := other.Get("/posts/f1e2d3c4b5a6978812345678abcdef02"); r.StatusCode != http.StatusNotFound {
		t.Errorf("another user reads the imported limited post: %d", r.StatusCode)
	}
	if r := c.Get("/posts/f1e2d3c4b5a6978812345678abcdef02"); r.StatusCode != http.StatusOK {
		t.Errorf("its author cannot read the imported limited post: %d", r.StatusCode)
	}
	if n, _ := p.Store.Count(ctx, `SELECT count(*) FROM users WHERE id = ? AND auto_follow_back AND auto_follow_back_aspect_id IS NOT NULL`,
		u.Session.UserID); n != 1 {
		t.Errorf("auto follow back (with its aspect) not imported")
	}
}

// TestImportBadInput: broken, hostile or foreign archives are a 4xx with
// a message, and nothing is stored.
func TestImportBadInput(t *testing.T) {
	p := podtest.New(t)
	u, c := signedIn(t, p, "target")
	key := testKey(t)
	gz := func(b []byte) []byte {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(b)
		zw.Close()
		return z.Bytes()
	}
	bomb := func() []byte {
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
		zw.Write([]byte(`{"version":"2.0","user":{"username":"`))
		zeros := make([]byte, 1<<20)
		for i := range zeros {
			zeros[i] = 'a'
		}
		for range 150 {
			zw.Write(zeros)
		}
		zw.Write([]byte(`"}}`))
		zw.Close()
		return z.Bytes()
	}
	own, _ := p.Store.PersonOfUser(context.Background(), u.Session.UserID)
	cases := map[string]struct {
		data []byte
		msg  string
	}{
		"not an archive": {[]byte("hello, world"), "is not a diaspora* archive"},
		"corrupt gzip":   {append([]byte{0x1f, 0x8b, 8, 0}, bytes.Repeat([]byte{0xff}, 100)...), "archive"},
		"truncated gzip": {diasporaArchive(t, key, "a@old.invalid", nil)[:200], "could not be read"},
		"gzip bomb":      {bomb(), "larger than"},
		"deep JSON":      {gz([]byte(strings.Repeat("[", 100000) + strings.Repeat("]", 100000))), "nested deeper"},
		"wrong version":  {diasporaArchive(t, key, "a@old.invalid", func(m map[string]any) { m["version"] = "1.0" }), "version"},
		"no private key": {diasporaArchive(t, key, "a@old.invalid", func(m map[string]any) { delete(m["user"].(map[string]any), "private_key") }), "private_key"},
		"bad private key": {diasporaArchive(t, key, "a@old.invalid", func(m map[string]any) {
			m["user"].(map[string]any)["private_key"] = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"
		}), "private_key"},
		"post of someone else": {diasporaArchive(t, key, "a@old.invalid", func(m map[string]any) {
			posts := m["user"].(map[string]any)["posts"].([]map[string]any)
			posts[0]["entity_data"].(map[string]any)["author"] = "victim@old.invalid"
		}), "not by the archive"},
		"contact without fields": {diasporaArchive(t, key, "a@old.invalid", func(m map[string]any) {
			m["user"].(map[string]any)["contacts"] = []map[string]any{{"account_id": "x@y.example"}}
		}), "contacts[0]"},
		"own archive": {diasporaArchive(t, key, own.DiasporaID, nil), "this account itself"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := upload(t, c, tc.data)
			if r.StatusCode < 400 || r.StatusCode >= 500 {
				t.Fatalf("status %d, want 4xx", r.StatusCode)
			}
			if !strings.Contains(r.Body, tc.msg) {
				t.Errorf("the answer does not say %q:\n%s", tc.msg, r.Body)
			}
			if got := counts(t, p, u.Session.UserID, u.Session.PersonID); got != "0,4,0,0,0,0" {
				t.Errorf("something was stored: %s", got)
			}
			if got := jobCounts(t, p); got != "0,0,0" {
				t.Errorf("an import was kept or queued (jobs, tasks, files) = %s", got)
			}
		})
	}
	t.Run("too large an upload", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, p.Server.URL+"/user/import", io.LimitReader(zeroReader{}, 70<<20))
		req.ContentLength = 70 << 20
		req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
		req.Header.Set("X-CSRF-Token", c.CSRF())
		r := c.Do(req)
		if r.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d, want 413", r.StatusCode)
		}
	})
	t.Run("no file", func(t *testing.T) {
		r := c.Post("/user/import", url.Values{})
		if r.StatusCode != http.StatusUnprocessableEntity && r.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d", r.StatusCode)
		}
	})
}

// runImport runs the user's queued import job, as the worker does.
func runImport(t *testing.T, p *podtest.Pod, userID int64) *models.ArchiveImportJob {
	t.Helper()
	j, err := p.Store.ImportJobOf(context.Background(), userID)
	if err != nil {
		t.Fatalf("no import job: %v", err)
	}
	if err := p.App.Federate.RunImport(context.Background(), j.ID, false); err != nil {
		t.Fatalf("import job: %v", err)
	}
	return j
}

type zeroReader struct{}

func (zeroReader) Read(b []byte) (int, error) {
	clear(b)
	return len(b), nil
}
