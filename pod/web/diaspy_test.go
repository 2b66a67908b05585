package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aspenpod/aspen/pod/podtest"
)

// debianPython is the interpreter python3-diaspy is installed for. The
// python3 on PATH may be another one (pyenv) without diaspy.
const debianPython = "/usr/bin/python3"

// requireDiaspy fails (never skips) when diaspy cannot be imported: the
// scripting-client support is only tested with the real client.
func requireDiaspy(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(debianPython); err != nil {
		t.Fatalf("%s is missing (%v): run .ci/services, which installs python3 and python3-diaspy from Debian's packages", debianPython, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, debianPython, "-c", "import diaspy.connection, diaspy.streams, diaspy.people, diaspy.search").CombinedOutput()
	if err != nil {
		t.Fatalf("diaspy cannot be imported by %s (%v): run .ci/services, which installs python3-diaspy\n%s", debianPython, err, out)
	}
}

// diaspyEnv is the environment for the script: no proxies for the
// loopback pod, no bytecode files in testdata.
func diaspyEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(k) {
		case "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "PYTHONPATH", "PYTHONHOME", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "NO_PROXY=*", "PYTHONDONTWRITEBYTECODE=1", "PYTHONIOENCODING=utf-8")
}

// runDiaspy runs testdata/diaspy_client.py against the pod and decodes
// its JSON summary.
func runDiaspy(t *testing.T, p *podtest.Pod, out any, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, debianPython, append([]string{"testdata/diaspy_client.py", p.Server.URL}, args...)...)
	cmd.Env = diaspyEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("diaspy_client.py did not finish in time\n%s", stderr.String())
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run diaspy_client.py: %v", err)
	}
	if err != nil {
		t.Fatalf("diaspy_client.py failed (%v):\n%s", err, stderr.String())
	}
	if testing.Verbose() {
		t.Logf("diaspy_client.py stderr:\n%s", stderr.String())
	}
	if testing.Verbose() {
		t.Logf("diaspy_client.py summary:\n%s", stdout.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		t.Fatalf("diaspy_client.py printed no JSON summary (%v):\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
}

// The JSON summary diaspy_client.py prints (the parts the test checks).
type diaspyPost struct {
	ID            int64  `json:"id"`
	GUID          string `json:"guid"`
	Public        bool   `json:"public"`
	Text          string `json:"text"`
	Author        string `json:"author"`
	CommentsCount int    `json:"comments_count"`
}

type diaspyStreamItem struct {
	GUID   string `json:"guid"`
	Text   string `json:"text"`
	Public bool   `json:"public"`
}

type diaspyAspect struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type diaspyPerson struct {
	ID         int64  `json:"id"`
	GUID       string `json:"guid"`
	Name       string `json:"name"`
	DiasporaID string `json:"diaspora_id"`
}

type diaspyUserData struct {
	ID                 int64             `json:"id"`
	GUID               string            `json:"guid"`
	Name               string            `json:"name"`
	DiasporaID         string            `json:"diaspora_id"`
	Avatar             map[string]string `json:"avatar"`
	NotificationsCount int               `json:"notifications_count"`
	Aspects            []diaspyAspect    `json:"aspects"`
}

type diaspyMembership struct {
	ID       int64        `json:"id"`
	AspectID int64        `json:"aspect_id"`
	PersonID int64        `json:"person_id"`
	Aspect   diaspyAspect `json:"aspect"`
}

type diaspyRun struct {
	Login           bool                          `json:"login"`
	UserData        diaspyUserData                `json:"user_data"`
	Me              diaspyUserData                `json:"me"`
	Streams         map[string][]diaspyStreamItem `json:"streams"`
	FollowTagStatus int                           `json:"follow_tag_status"`
	PublicPost      diaspyPost                    `json:"public_post"`
	Search          []diaspyPerson                `json:"search"`
	AspectForm      diaspyAspect                  `json:"aspect_form"`
	AspectJSON      diaspyAspect                  `json:"aspect_json"`
	Membership      diaspyMembership              `json:"membership"`
	AspectMembers   []struct {
		PersonID int64        `json:"person_id"`
		Person   diaspyPerson `json:"person"`
	} `json:"aspect_members"`
	AspectJSONMembers []json.RawMessage `json:"aspect_json_members"`
	Contacts          []struct {
		GUID              string             `json:"guid"`
		Handle            string             `json:"handle"`
		AspectMemberships []diaspyMembership `json:"aspect_memberships"`
	} `json:"contacts"`
	LimitedPost            diaspyPost         `json:"limited_post"`
	LimitedPostEmptyAspect diaspyPost         `json:"limited_post_empty_aspect"`
	AllAspectsPost         diaspyPost         `json:"all_aspects_post"`
	AspectStream           []diaspyStreamItem `json:"aspect_stream"`
	StreamAfter            []diaspyStreamItem `json:"stream_after"`
	TagAfter               []diaspyStreamItem `json:"tag_after"`
	FollowedTagsAfter      []diaspyStreamItem `json:"followed_tags_after"`
	Interactions           struct {
		Comment       string   `json:"comment"`
		LikeID        int64    `json:"like_id"`
		Comments      []string `json:"comments"`
		CommentsCount int      `json:"comments_count"`
		LikesCount    int      `json:"likes_count"`
	} `json:"interactions"`
	Person struct {
		GUID              string             `json:"guid"`
		Handle            string             `json:"handle"`
		Stream            []diaspyStreamItem `json:"stream"`
		AspectMemberships []diaspyMembership `json:"aspect_memberships"`
	} `json:"person"`
	Notifications []struct {
		Type   string   `json:"type"`
		Unread bool     `json:"unread"`
		Who    []string `json:"who"`
		About  string   `json:"about"`
		Text   string   `json:"text"`
	} `json:"notifications"`
	UserDataAfter diaspyUserData `json:"user_data_after"`
}

// diaspyRead is the summary of the script's reader mode (--read).
type diaspyRead struct {
	Login  bool               `json:"login"`
	Stream []diaspyStreamItem `json:"stream"`
	Posts  map[string]struct {
		Readable bool   `json:"readable"`
		Text     string `json:"text"`
		Error    string `json:"error"`
	} `json:"posts"`
	Person struct {
		GUID   string             `json:"guid"`
		Stream []diaspyStreamItem `json:"stream"`
	} `json:"person"`
}

func guidsOf(items []diaspyStreamItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.GUID
	}
	return out
}

// podGUIDs reads a JSON stream from the pod as c and lists its posts' GUIDs.
func podGUIDs(t *testing.T, c *podtest.Client, path string) []string {
	t.Helper()
	r := mustStatus(t, c.Get(path), http.StatusOK)
	var posts []struct {
		GUID string `json:"guid"`
	}
	if err := json.Unmarshal([]byte(r.Body), &posts); err != nil {
		t.Fatalf("GET %s: %v\n%s", path, err, trim(r.Body))
	}
	out := make([]string, len(posts))
	for i, p := range posts {
		out[i] = p.GUID
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

func hasAspect(as []diaspyAspect, id int64, name string) bool {
	return slices.ContainsFunc(as, func(a diaspyAspect) bool { return a.ID == id && a.Name == name })
}

// TestDiaspyClient drives the pod with Debian's python3-diaspy, a real
// third-party diaspora* client: sign-in, user data, streams, publishing
// public and limited posts, aspects, aspect memberships, search, comments,
// likes, profiles and notifications. The script only uses diaspy's public
// API; the test then checks the pod's state and that limited posts reach
// exactly their audience.
func TestDiaspyClient(t *testing.T) {
	requireDiaspy(t)
	p := podtest.New(t)
	alice, bob, anon := p.Client(), p.Client(), p.Client()
	alice.SignUp("alice")
	bob.SignUp("bob")
	ctx := context.Background()
	alicePerson, err := p.Store.PersonByDiasporaID(ctx, "alice@pod.test")
	if err != nil {
		t.Fatal(err)
	}
	bobPerson, err := p.Store.PersonByDiasporaID(ctx, "bob@pod.test")
	if err != nil {
		t.Fatal(err)
	}
	bobAspects, err := p.Store.AspectsOf(ctx, *bobPerson.OwnerID)
	if err != nil {
		t.Fatal(err)
	}
	// Something for alice's streams and notifications before diaspy reads
	// them: bob shares with alice, mentions her publicly and writes to his
	// Friends, where she is.
	mustStatus(t, bob.Post("/aspect_memberships", url.Values{"aspect_id": {itoa(bobAspects[1].ID)}, "person_id": {itoa(alicePerson.ID)}}), http.StatusSeeOther)
	bobPublic := post(t, bob, "Public from bob #diaspytest @{alice; alice@pod.test}", "public")
	bobLimited := post(t, bob, "Bob to his friends #diaspytest", itoa(bobAspects[1].ID))

	// What the pod itself answers alice for each stream diaspy reads first.
	streamPaths := map[string]string{
		"stream": "/stream.json", "activity": "/activity.json", "aspects": "/aspects.json", "mentions": "/mentions.json",
		"followed_tags": "/followed_tags.json", "commented": "/commented.json", "liked": "/liked.json", "tag": "/tags/diaspytest.json",
	}
	want := map[string][]string{}
	for name, path := range streamPaths {
		want[name] = podGUIDs(t, alice, path)
	}

	var got diaspyRun
	runDiaspy(t, p, &got, "alice", "password1", "--search", "bob", "--tag", "diaspytest",
		"--aspect-form", "Diaspy form aspect", "--aspect-json", "Diaspy JSON aspect")

	t.Run("sign-in and user data", func(t *testing.T) {
		if !got.Login {
			t.Fatal("diaspy did not sign in")
		}
		for _, ud := range []diaspyUserData{got.UserData, got.Me} {
			// As on diaspora*, the id is the person's, not the account's.
			if ud.ID != alicePerson.ID || ud.GUID != alicePerson.GUID || ud.DiasporaID != "alice@pod.test" || ud.Name != "alice" || ud.Avatar["small"] == "" {
				t.Errorf("user data = %+v, want alice (person %d, guid %s)", ud, alicePerson.ID, alicePerson.GUID)
			}
			if ud.NotificationsCount != 2 {
				t.Errorf("notifications_count = %d, want 2 (bob started sharing and mentioned alice)", ud.NotificationsCount)
			}
		}
		as, err := p.Store.AspectsOf(ctx, *alicePerson.OwnerID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.UserData.Aspects) != 4 {
			t.Errorf("aspects in the user data = %+v, want the 4 default ones", got.UserData.Aspects)
		}
		for _, a := range as[:4] {
			if !hasAspect(got.UserData.Aspects, a.ID, a.Name) {
				t.Errorf("user data lacks aspect %d %q: %+v", a.ID, a.Name, got.UserData.Aspects)
			}
		}
	})

	t.Run("streams", func(t *testing.T) {
		for name, guids := range want {
			if g := guidsOf(got.Streams[name]); !slices.Equal(g, guids) {
				t.Errorf("diaspy read %s as %v, the pod answers %v", streamPaths[name], g, guids)
			}
		}
		for _, name := range []string{"stream", "mentions", "tag"} {
			if !slices.Contains(guidsOf(got.Streams[name]), bobPublic) {
				t.Errorf("diaspy's %s stream lacks bob's public post mentioning alice: %+v", name, got.Streams[name])
			}
		}
		if !slices.Contains(guidsOf(got.Streams["tag"]), bobLimited) {
			t.Errorf("diaspy's tag stream lacks bob's limited post that alice may read: %+v", got.Streams["tag"])
		}
		// After diaspy posted, its streams still match the pod's.
		for _, c := range []struct {
			name  string
			items []diaspyStreamItem
			path  string
		}{
			{"stream", got.StreamAfter, "/stream.json"},
			{"tag", got.TagAfter, "/tags/diaspytest.json"},
			{"followed_tags", got.FollowedTagsAfter, "/followed_tags.json"},
			{"aspect", got.AspectStream, "/aspects.json?a_ids[]=" + itoa(got.AspectForm.ID)},
		} {
			if g, w := guidsOf(c.items), podGUIDs(t, alice, c.path); !sameSet(g, w) {
				t.Errorf("diaspy's %s stream after posting = %v, the pod answers %v", c.name, g, w)
			}
		}
		for _, g := range []string{got.PublicPost.GUID, got.LimitedPost.GUID, got.LimitedPostEmptyAspect.GUID, got.AllAspectsPost.GUID} {
			if !slices.Contains(guidsOf(got.StreamAfter), g) {
				t.Errorf("alice's stream lacks her post %s: %+v", g, got.StreamAfter)
			}
		}
		if !slices.Contains(guidsOf(got.TagAfter), got.PublicPost.GUID) || !slices.Contains(guidsOf(got.FollowedTagsAfter), got.PublicPost.GUID) {
			t.Errorf("the #diaspytest post is missing from the tag (%v) or followed tags (%v) stream", guidsOf(got.TagAfter), guidsOf(got.FollowedTagsAfter))
		}
		if got.FollowTagStatus != http.StatusCreated {
			t.Errorf("following a tag: %d, want 201", got.FollowTagStatus)
		}
		if g := guidsOf(got.AspectStream); !slices.Contains(g, got.LimitedPost.GUID) || slices.Contains(g, got.LimitedPostEmptyAspect.GUID) {
			t.Errorf("aspects.json?a_ids[]=%d = %v: want the post to that aspect and not the one to the other aspect", got.AspectForm.ID, g)
		}
	})

	t.Run("posts are stored as published", func(t *testing.T) {
		for _, c := range []struct {
			p      diaspyPost
			text   string
			public bool
		}{
			{got.PublicPost, "Hello from diaspy #diaspytest", true},
			{got.LimitedPost, "For the form aspect only", false},
			{got.LimitedPostEmptyAspect, "For the JSON aspect only", false},
			{got.AllAspectsPost, "For all my aspects", false},
		} {
			if c.p.GUID == "" || c.p.Text != c.text || c.p.Public != c.public || c.p.Author != "alice@pod.test" {
				t.Errorf("diaspy got back %+v, want %q public=%v by alice", c.p, c.text, c.public)
				continue
			}
			stored, err := p.Store.PostByGUID(ctx, c.p.GUID)
			if err != nil {
				t.Errorf("post %s is not in the pod: %v", c.p.GUID, err)
				continue
			}
			if stored.ID != c.p.ID || stored.Text != c.text || stored.Public != c.public || stored.AuthorID != alicePerson.ID {
				t.Errorf("stored post %+v, want id %d %q public=%v by alice", stored, c.p.ID, c.text, c.public)
			}
		}
		stored, err := p.Store.PostByGUID(ctx, got.PublicPost.GUID)
		if err != nil {
			t.Fatal(err)
		}
		in := got.Interactions
		if in.Comment != "A comment from diaspy" || !slices.Equal(in.Comments, []string{"A comment from diaspy"}) || in.CommentsCount != 1 || in.LikesCount != 1 || in.LikeID == 0 {
			t.Errorf("interactions seen by diaspy = %+v, want one comment and one like", in)
		}
		if stored.CommentsCount != 1 || stored.LikesCount != 1 {
			t.Errorf("stored post has %d comments and %d likes, want 1 and 1", stored.CommentsCount, stored.LikesCount)
		}
	})

	t.Run("aspects and membership", func(t *testing.T) {
		as, err := p.Store.AspectsOf(ctx, *alicePerson.OwnerID)
		if err != nil {
			t.Fatal(err)
		}
		var stored []diaspyAspect
		for _, a := range as {
			stored = append(stored, diaspyAspect{a.ID, a.Name})
		}
		for _, a := range []diaspyAspect{got.AspectForm, got.AspectJSON} {
			if a.ID == 0 || !hasAspect(stored, a.ID, a.Name) {
				t.Errorf("aspect %+v made by diaspy is not alice's: %+v", a, stored)
			}
			if !hasAspect(got.UserDataAfter.Aspects, a.ID, a.Name) {
				t.Errorf("aspect %+v is missing from the user data afterwards: %+v", a, got.UserDataAfter.Aspects)
			}
		}
		if got.AspectForm.Name != "Diaspy form aspect" || got.AspectJSON.Name != "Diaspy JSON aspect" {
			t.Errorf("aspects = %+v and %+v", got.AspectForm, got.AspectJSON)
		}
		members, err := p.Store.AspectMembers(ctx, *alicePerson.OwnerID)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(members[got.AspectForm.ID], []int64{bobPerson.ID}) || len(members[got.AspectJSON.ID]) != 0 {
			t.Errorf("members: %v in %d and %v in %d, want bob (%d) in the first only",
				members[got.AspectForm.ID], got.AspectForm.ID, members[got.AspectJSON.ID], got.AspectJSON.ID, bobPerson.ID)
		}
		m := got.Membership
		if m.ID == 0 || m.AspectID != got.AspectForm.ID || m.PersonID != bobPerson.ID || m.Aspect.ID != got.AspectForm.ID || m.Aspect.Name != got.AspectForm.Name {
			t.Errorf("POST /aspect_memberships answered %+v", m)
		}
		if len(got.AspectMembers) != 1 || got.AspectMembers[0].PersonID != bobPerson.ID || got.AspectMembers[0].Person.GUID != bobPerson.GUID || len(got.AspectJSONMembers) != 0 {
			t.Errorf("Aspect.getUsers: %+v and %d members, want bob and nobody", got.AspectMembers, len(got.AspectJSONMembers))
		}
		if len(got.Contacts) != 1 || got.Contacts[0].GUID != bobPerson.GUID || got.Contacts[0].Handle != "bob@pod.test" ||
			len(got.Contacts[0].AspectMemberships) != 1 || got.Contacts[0].AspectMemberships[0].Aspect.ID != got.AspectForm.ID {
			t.Errorf("Contacts.get = %+v, want bob in %d", got.Contacts, got.AspectForm.ID)
		}
	})

	t.Run("search, profile and notifications", func(t *testing.T) {
		if !slices.ContainsFunc(got.Search, func(pr diaspyPerson) bool {
			return pr.ID == bobPerson.ID && pr.GUID == bobPerson.GUID && pr.DiasporaID == "bob@pod.test" && pr.Name == "bob"
		}) {
			t.Errorf("people.json?q=bob = %+v, want bob", got.Search)
		}
		pp := got.Person
		if pp.GUID != bobPerson.GUID || pp.Handle != "bob@pod.test" {
			t.Errorf("people.User = %s %s, want bob", pp.GUID, pp.Handle)
		}
		if w := podGUIDs(t, alice, "/people/"+bobPerson.GUID+"/stream.json"); !sameSet(guidsOf(pp.Stream), w) || !slices.Contains(w, bobPublic) {
			t.Errorf("bob's profile stream read by diaspy = %v, the pod answers %v", guidsOf(pp.Stream), w)
		}
		if len(pp.AspectMemberships) != 1 || pp.AspectMemberships[0].Aspect.ID != got.AspectForm.ID {
			t.Errorf("bob's aspect memberships = %+v", pp.AspectMemberships)
		}
		var types []string
		for _, n := range got.Notifications {
			types = append(types, n.Type)
			if !slices.Equal(n.Who, []string{bobPerson.GUID}) || !strings.Contains(n.Text, "bob") || !n.Unread {
				t.Errorf("notification %+v: want an unread one from bob", n)
			}
		}
		slices.Sort(types)
		if !slices.Equal(types, []string{"mentioned", "started_sharing"}) {
			t.Errorf("notification types = %v, want mentioned and started_sharing", types)
		}
	})

	// Limited posts reach exactly their aspects: bob is in the form
	// aspect, not in the JSON one. Check with bob's diaspy, his browser
	// and a signed-out visitor.
	t.Run("limited posts reach only their audience", func(t *testing.T) {
		readable := map[string]bool{
			got.PublicPost.GUID: true, got.LimitedPost.GUID: true, got.AllAspectsPost.GUID: true,
			got.LimitedPostEmptyAspect.GUID: false,
		}
		args := []string{"bob", "password1", "--person", alicePerson.GUID}
		for g := range readable {
			args = append(args, "--read", g)
		}
		var asBob diaspyRead
		runDiaspy(t, p, &asBob, args...)
		if !asBob.Login {
			t.Fatal("diaspy did not sign in as bob")
		}
		for g, ok := range readable {
			if r, seen := asBob.Posts[g]; !seen || r.Readable != ok {
				t.Errorf("bob's diaspy reading %s: %+v, want readable=%v", g, r, ok)
			}
			code := map[bool]int{true: http.StatusOK, false: http.StatusNotFound}[ok]
			if r := bob.Get("/posts/" + g + ".json"); r.StatusCode != code {
				t.Errorf("bob GET /posts/%s.json: %d, want %d", g, r.StatusCode, code)
			}
			code = map[bool]int{true: http.StatusOK, false: http.StatusNotFound}[g == got.PublicPost.GUID]
			if r := anon.Get("/posts/" + g + ".json"); r.StatusCode != code {
				t.Errorf("signed-out GET /posts/%s.json: %d, want %d", g, r.StatusCode, code)
			}
			for _, path := range []string{"/public.json", "/tags/diaspytest.json", "/people/" + alicePerson.GUID + "/stream.json"} {
				if r := anon.Get(path); g != got.PublicPost.GUID && strings.Contains(r.Body, g) {
					t.Errorf("signed-out GET %s shows the limited post %s", path, g)
				}
			}
		}
		hidden := got.LimitedPostEmptyAspect.GUID
		for _, c := range []struct {
			name  string
			guids []string
		}{
			{"bob's diaspy stream", guidsOf(asBob.Stream)},
			{"alice's profile stream in bob's diaspy", guidsOf(asBob.Person.Stream)},
			{"bob's /stream.json", podGUIDs(t, bob, "/stream.json")},
			{"alice's profile stream for bob", podGUIDs(t, bob, "/people/"+alicePerson.GUID+"/stream.json")},
		} {
			if slices.Contains(c.guids, hidden) {
				t.Errorf("%s shows the post to an aspect bob is not in", c.name)
			}
			if !slices.Contains(c.guids, got.LimitedPost.GUID) {
				t.Errorf("%s lacks the post to bob's aspect: %v", c.name, c.guids)
			}
		}
		if asBob.Person.GUID != alicePerson.GUID {
			t.Errorf("people.User as bob = %+v", asBob.Person)
		}
	})
}
