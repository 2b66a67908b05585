package models_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/aspects/aspectstest"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/models/modeltest"
)

// DESIGN.md (Privacy): "the SQL that the stream queries use is tested
// against the same table of cases". This file builds every case of
// aspectstest.Cases in a real database and asks each query that can show
// the post whether the viewer sees it.

// scopeWorld is one case built in the database: the four symbolic people
// of aspectstest as real users, the author's aspects, the post.
type scopeWorld struct {
	st *models.Store
	// users and people by symbolic ID (aspectstest.Author, Member, ...).
	users, people map[int64]int64
	// The author's aspects: the post goes to friends; the outsider is in work.
	friends, work int64
	// follows[v] is viewer v's aspect holding the author.
	follows map[int64]int64
	post    *models.Post
	tagID   int64
}

func guid() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

var symbolicNames = map[int64]string{
	aspectstest.Author: "author", aspectstest.Member: "member",
	aspectstest.Outsider: "outsider", aspectstest.Later: "later",
}

// viewerOf maps a symbolic viewer to the store's Viewer (zero: signed out).
func (w *scopeWorld) viewerOf(sym int64) models.Viewer {
	if sym == aspectstest.Nobody {
		return models.Viewer{}
	}
	return models.Viewer{UserID: w.users[sym], PersonID: w.people[sym]}
}

// share puts person into one of user's aspects the way pod.AddToAspect
// stores it: a receiving contact plus a membership, and the other side's
// contact marked sharing.
func (w *scopeWorld) share(t *testing.T, userSym, aspectID, personSym int64) {
	t.Helper()
	ctx := context.Background()
	c, err := w.st.EnsureContact(ctx, w.users[userSym], w.people[personSym])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.AddMembership(ctx, aspectID, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.st.SetContactFlags(ctx, c.ID, c.Sharing, true); err != nil {
		t.Fatal(err)
	}
	theirs, err := w.st.EnsureContact(ctx, w.users[personSym], w.people[userSym])
	if err != nil {
		t.Fatal(err)
	}
	if err := w.st.SetContactFlags(ctx, theirs.ID, true, theirs.Receiving); err != nil {
		t.Fatal(err)
	}
}

func (w *scopeWorld) aspect(t *testing.T, userSym int64, name string) int64 {
	t.Helper()
	a := &models.Aspect{UserID: w.users[userSym], Name: name}
	if err := w.st.CreateAspect(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return a.ID
}

// buildScopeWorld creates the people, aspects and contacts of a case (the
// names carry the case's number n, so all cases share one database and
// stay apart), then writes the post with its audience, a tag and a mention
// of the viewer, and fans it out, as pod.CreatePost does. The "later" person joins the chosen
// aspect after the post unless the case has them in the audience.
func buildScopeWorld(t *testing.T, st *models.Store, n int, c aspectstest.Case) *scopeWorld {
	t.Helper()
	ctx := context.Background()
	w := &scopeWorld{st: st, users: map[int64]int64{}, people: map[int64]int64{}, follows: map[int64]int64{}}
	for _, sym := range []int64{aspectstest.Author, aspectstest.Member, aspectstest.Outsider, aspectstest.Later} {
		name := fmt.Sprintf("%s%d", symbolicNames[sym], n)
		u := &models.User{Username: name, Email: name + "@example.org", EncryptedPassword: "x", SerializedPrivateKey: "x"}
		if err := w.st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		p := &models.Person{GUID: guid(), DiasporaID: name + "@scopes.test", PodHost: "scopes.test", OwnerID: &u.ID}
		if err := w.st.CreatePerson(ctx, p); err != nil {
			t.Fatal(err)
		}
		w.users[sym], w.people[sym] = u.ID, p.ID
	}
	w.friends = w.aspect(t, aspectstest.Author, "Friends")
	w.work = w.aspect(t, aspectstest.Author, "Work")
	// Everyone but the author shares with the author, so the post would
	// reach their main stream if they may read it.
	for _, sym := range []int64{aspectstest.Member, aspectstest.Outsider, aspectstest.Later} {
		w.follows[sym] = w.aspect(t, sym, "Follows")
		w.share(t, sym, w.follows[sym], aspectstest.Author)
	}
	for _, sym := range c.Audience {
		w.share(t, aspectstest.Author, w.friends, sym)
	}
	if !slices.Contains(c.Audience, aspectstest.Outsider) {
		w.share(t, aspectstest.Author, w.work, aspectstest.Outsider)
	}

	now := time.Now().UTC()
	w.post = &models.Post{GUID: guid(), AuthorID: w.people[aspectstest.Author], Type: models.TypeStatusMessage,
		Public: c.Public, Text: "a case #scopes", CreatedAt: now, UpdatedAt: now, InteractedAt: now}
	if err := w.st.CreatePost(ctx, w.post); err != nil {
		t.Fatal(err)
	}
	if !c.Public {
		sel := aspects.Selection{Aspects: []int64{w.friends}}
		if err := w.st.AddAspectVisibilities(ctx, w.post.ID, sel.Aspects); err != nil {
			t.Fatal(err)
		}
		members, err := w.st.AspectMembers(ctx, w.users[aspectstest.Author])
		if err != nil {
			t.Fatal(err)
		}
		recipients := aspects.Recipients(sel, w.people[aspectstest.Author], members)
		if got, want := sorted(recipients), w.realPeople(c.Audience); !slices.Equal(got, want) {
			t.Fatalf("aspects.Recipients over the stored aspects = %v, want the case's audience %v", got, want)
		}
		if err := w.st.AddAudience(ctx, w.post.ID, recipients); err != nil {
			t.Fatal(err)
		}
	}
	tags, err := w.st.EnsureTags(ctx, []string{"scopes"})
	if err != nil {
		t.Fatal(err)
	}
	w.tagID = tags[0]
	if err := w.st.AddTaggings(ctx, w.post, tags); err != nil {
		t.Fatal(err)
	}
	// The viewer is mentioned even where pod.CreatePost would have turned
	// the mention into plain text: the SQL must not rely on that.
	if c.Viewer != aspectstest.Nobody {
		if err := w.st.AddMentions(ctx, w.post, []int64{w.people[c.Viewer]}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.st.FanOut(ctx, w.post); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(c.Audience, aspectstest.Later) {
		w.share(t, aspectstest.Author, w.friends, aspectstest.Later)
	}
	return w
}

func sorted(xs []int64) []int64 {
	out := slices.Clone(xs)
	slices.Sort(out)
	if out == nil {
		out = []int64{}
	}
	return out
}

func (w *scopeWorld) realPeople(syms []int64) []int64 {
	out := []int64{}
	for _, s := range syms {
		out = append(out, w.people[s])
	}
	return sorted(out)
}

type streamFunc func(ctx context.Context, v models.Viewer, c models.Cursor, limit int) ([]models.PostRow, error)

func inRows(rows []models.PostRow, id int64) bool {
	for _, r := range rows {
		if r.ID == id {
			return true
		}
	}
	return false
}

// expectIn checks that a query's answer holds the post exactly when want.
func expectIn(t *testing.T, what string, want bool, rows []models.PostRow, err error, id int64) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	if got := inRows(rows, id); got != want {
		t.Errorf("%s: post listed = %v, want %v", what, got, want)
	}
}

func TestVisibilitySQLMatchesAspectsCases(t *testing.T) {
	ctx := context.Background()
	st := modeltest.New(t)
	for n, c := range aspectstest.Cases {
		t.Run(c.Name, func(t *testing.T) {
			// The Go rule, on the symbolic IDs of the case.
			rule := aspects.Post{Public: c.Public, Author: aspectstest.Author, Audience: map[int64]bool{}}
			for _, a := range c.Audience {
				rule.Audience[a] = true
			}
			if got := aspects.CanSee(rule, aspects.Viewer{Person: c.Viewer}); got != c.CanSee {
				t.Errorf("aspects.CanSee = %v, want %v", got, c.CanSee)
			}

			w := buildScopeWorld(t, st, n, c)
			post, v, want := w.post, w.viewerOf(c.Viewer), c.CanSee
			signedIn := c.Viewer != aspectstest.Nobody

			// The same rule in SQL, on real rows.
			if got, err := st.CanSeePost(ctx, v, post.ID); err != nil || got != want {
				t.Errorf("CanSeePost = %v, %v; want %v", got, err, want)
			}
			for _, key := range []string{post.GUID, strconv.FormatInt(post.ID, 10)} {
				got, err := st.VisiblePost(ctx, v, key)
				switch {
				case want && (err != nil || got.ID != post.ID):
					t.Errorf("VisiblePost(%s) = %v; want the post", key, err)
				case !want && !errors.Is(err, models.ErrNotFound):
					t.Errorf("VisiblePost(%s) = post %d, %v; want ErrNotFound", key, got.ID, err)
				}
			}
			if row, err := st.SinglePost(ctx, v, post.ID); want && (err != nil || row.ID != post.ID) {
				t.Errorf("SinglePost = %v; want the post", err)
			} else if !want && !errors.Is(err, models.ErrNotFound) {
				t.Errorf("SinglePost = %v; want ErrNotFound", err)
			}
			if got, err := st.Audience(ctx, post.ID); err != nil {
				t.Fatal(err)
			} else {
				ids := []int64{}
				for _, r := range got {
					ids = append(ids, r.ID)
				}
				if !slices.Equal(sorted(ids), w.realPeople(c.Audience)) {
					t.Errorf("Audience = %v, want %v", sorted(ids), w.realPeople(c.Audience))
				}
			}

			// Streams anyone may read. The public stream lists public posts
			// only, even to their author.
			rows, err := st.PublicStream(ctx, v, models.Cursor{}, 100)
			expectIn(t, "PublicStream", want && c.Public, rows, err, post.ID)
			rows, err = st.PersonStream(ctx, v, w.people[aspectstest.Author], models.Cursor{}, 100)
			expectIn(t, "PersonStream", want, rows, err, post.ID)
			rows, err = st.TagStream(ctx, v, w.tagID, models.Cursor{}, 100)
			expectIn(t, "TagStream", want, rows, err, post.ID)
			rows, err = st.TagStreamByName(ctx, v, "scopes", models.Cursor{}, 100)
			expectIn(t, "TagStreamByName", want, rows, err, post.ID)
			if !signedIn {
				return
			}

			// Streams of signed-in users. The viewer is mentioned, has the
			// author in an aspect (the author: wrote it) and, from here on,
			// took part in the post, liked it, commented on it and got a
			// notification about it: rows that pod's use cases would
			// never write for a non-reader, so that only the visibility
			// SQL stands between them and the viewer.
			rows, err = st.MentionsStream(ctx, v, models.Cursor{}, 100)
			expectIn(t, "MentionsStream", want, rows, err, post.ID)
			rows, err = st.MainStream(ctx, v, models.Cursor{}, 100)
			expectIn(t, "MainStream (fan-out)", want, rows, err, post.ID)
			aspectSel := []int64{w.friends}
			if c.Viewer != aspectstest.Author {
				aspectSel = []int64{w.follows[c.Viewer]}
			}
			rows, err = st.AspectStream(ctx, v, aspectSel, models.Cursor{}, 100)
			expectIn(t, "AspectStream", want, rows, err, post.ID)

			if err := st.AddParticipation(ctx, post.ID, v.PersonID); err != nil {
				t.Fatal(err)
			}
			if err := st.CreateLike(ctx, &models.Like{GUID: guid(), PostID: post.ID, AuthorID: v.PersonID, Positive: true, CreatedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
			if err := st.CreateComment(ctx, &models.Comment{GUID: guid(), PostID: post.ID, AuthorID: v.PersonID, Text: "hi"}); err != nil {
				t.Fatal(err)
			}
			if err := st.Notify(ctx, v.UserID, models.NotifyMentioned, &post.ID, nil, w.people[aspectstest.Author]); err != nil {
				t.Fatal(err)
			}
			for _, s := range []struct {
				name string
				f    streamFunc
			}{{"ActivityStream", st.ActivityStream}, {"LikedStream", st.LikedStream}, {"CommentedStream", st.CommentedStream}} {
				rows, err := s.f(ctx, v, models.Cursor{}, 100)
				expectIn(t, s.name, want, rows, err, post.ID)
			}
			ns, err := st.Notifications(ctx, v, false, "", 100, 0)
			if err != nil {
				t.Fatal(err)
			}
			listed := false
			for _, n := range ns {
				listed = listed || (n.PostID != nil && *n.PostID == post.ID)
			}
			if listed != want {
				t.Errorf("Notifications: post listed = %v, want %v", listed, want)
			}
			if counts, err := st.UnreadCounts(ctx, v); err != nil || (counts[models.NotifyMentioned] == 1) != want {
				t.Errorf("UnreadCounts = %v, %v; want a mention counted: %v", counts, err, want)
			}

			if c.Viewer != aspectstest.Author {
				// Backfills use the same rule: putting the author in an
				// aspect, or following one of the post's tags, adds the
				// post to the stream only for a reader.
				if err := st.Exec(ctx, `DELETE FROM stream_entries WHERE user_id = ?`, v.UserID); err != nil {
					t.Fatal(err)
				}
				if err := st.BackfillAuthor(ctx, v.UserID, w.people[aspectstest.Author]); err != nil {
					t.Fatal(err)
				}
				rows, err = st.MainStream(ctx, v, models.Cursor{}, 100)
				expectIn(t, "MainStream (author backfill)", want, rows, err, post.ID)
				if err := st.Exec(ctx, `DELETE FROM stream_entries WHERE user_id = ?`, v.UserID); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := st.FollowTag(ctx, v.UserID, w.tagID); err != nil {
				t.Fatal(err)
			}
			if err := st.BackfillTag(ctx, v.UserID, v.PersonID, w.tagID); err != nil {
				t.Fatal(err)
			}
			rows, err = st.MainStream(ctx, v, models.Cursor{}, 100)
			expectIn(t, "MainStream (tag backfill)", want, rows, err, post.ID)
			rows, err = st.FollowedTagsStream(ctx, v, models.Cursor{}, 100)
			expectIn(t, "FollowedTagsStream", want, rows, err, post.ID)

			if c.Viewer == aspectstest.Author {
				return
			}
			// Ignoring the author takes the post out of every stream but
			// the author's page; the post itself stays readable by URL to
			// whoever could read it (as on diaspora*).
			if _, err := st.CreateBlock(ctx, v.UserID, w.people[aspectstest.Author]); err != nil {
				t.Fatal(err)
			}
			if got, err := st.CanSeePost(ctx, v, post.ID); err != nil || got != want {
				t.Errorf("blocked: CanSeePost = %v, %v; want %v", got, err, want)
			}
			rows, err = st.PersonStream(ctx, v, w.people[aspectstest.Author], models.Cursor{}, 100)
			expectIn(t, "blocked: PersonStream", want, rows, err, post.ID)
			for _, s := range []struct {
				name string
				f    streamFunc
			}{{"PublicStream", st.PublicStream}, {"MentionsStream", st.MentionsStream}, {"FollowedTagsStream", st.FollowedTagsStream},
				{"ActivityStream", st.ActivityStream}, {"LikedStream", st.LikedStream}, {"CommentedStream", st.CommentedStream}} {
				rows, err := s.f(ctx, v, models.Cursor{}, 100)
				expectIn(t, fmt.Sprintf("blocked: %s", s.name), false, rows, err, post.ID)
			}
			rows, err = st.TagStream(ctx, v, w.tagID, models.Cursor{}, 100)
			expectIn(t, "blocked: TagStream", false, rows, err, post.ID)
		})
	}
}
