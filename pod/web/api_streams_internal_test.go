package web

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/app"
)

// TestAPIPostJSONMatchesAPIPost: the streams' struct presenter writes the
// very JSON of apiPost, the posts' gin.H one, for posts with and without
// each optional part.
func TestAPIPostJSONMatchesAPIPost(t *testing.T) {
	s := &Server{app: &app.App{Core: pod.New(pod.Options{BaseURL: "https://pod.example"}, pod.Deps{})}}
	lat, votes, three := 52.5, 2, 3
	at := time.Date(2026, 1, 2, 3, 4, 5, 678900000, time.UTC)
	alice := pod.PersonView{GUID: "g1", DiasporaID: "alice@pod.example", Name: "Alice", Avatar: pod.Avatar{Medium: "/uploads/a.jpg"}}
	bob := pod.PersonView{GUID: "g2", DiasporaID: "bob@pod.example", Name: "bob@pod.example"}
	full := pod.PostView{GUID: "p1", Text: "hello", Title: "hello", Public: true, CreatedAt: at, NSFW: true, Author: alice,
		ProviderDisplayName: "app", MentionedPeople: []pod.PersonView{bob, alice},
		Photos:       []pod.PhotoView{{Dimensions: pod.PhotoDimensions{Height: 1, Width: 2}, Sizes: pod.PhotoSizeURLs{Small: "s", Medium: "m", Large: "l", Raw: "r"}}},
		Location:     &pod.LocationView{Address: "Berlin", Lat: &lat},
		Poll:         &pod.PollView{GUID: "q", Question: "?", Participations: &three, Voted: true, Answers: []pod.PollAnswerView{{ID: 1, Answer: "a", VoteCount: &votes, Mine: true}, {ID: 2, Answer: "b"}}},
		Interactions: pod.Interactions{CommentsCount: 1, LikesCount: 2, ResharesCount: 3}, Liked: true, Reshared: true, Participation: true}
	reshare := pod.PostView{GUID: "p2", PostType: "Reshare", CreatedAt: at, Author: bob,
		Root: &pod.RootView{GUID: "p1", Text: "hello", PostType: "StatusMessage", Public: true, CreatedAt: at, Author: alice}}
	for name, p := range map[string]pod.PostView{"full": full, "reshare": reshare, "bare": {GUID: "p3", Author: bob, Poll: &pod.PollView{}}} {
		a, _ := json.Marshal(s.apiPost(p))
		b, _ := json.Marshal(s.apiPostStruct(p))
		var am, bm any
		json.Unmarshal(a, &am)
		json.Unmarshal(b, &bm)
		if !reflect.DeepEqual(am, bm) {
			t.Errorf("%s:\napiPost       %s\napiPostStruct %s", name, a, b)
		}
	}
}
