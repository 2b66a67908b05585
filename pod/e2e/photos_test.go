package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/media/mediatest"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
)

// photoFileRequests counts the requests a pod got for its photos' token
// URLs (what other pods fetch).
func photoFileRequests(p *podtest.FedPod) int {
	n := 0
	for _, r := range p.Requests() {
		if strings.HasPrefix(r.Path, "/photo-files/") {
			n++
		}
	}
	return n
}

// TestLimitedPostPhotosFederate: a limited post with two photos reaches its
// audience on another pod, which fetches each photo once and serves it
// itself, to the audience only; the retraction takes the copies with it.
func TestLimitedPostPhotosFederate(t *testing.T) {
	ctx := context.Background()
	pod1 := podtest.NewFedPod(t, "ph1", 11, fast)
	pod2 := podtest.NewFedPod(t, "ph2", 12, fast)
	alice := newUser(t, pod1, "alice")
	bob := newUser(t, pod2, "bob")
	newUser(t, pod2, "mallory")
	alice.share(t, "Friends", bob)
	settled(t, pod1, pod2)

	var ids []int64
	for _, size := range [][2]int{{80, 60}, {60, 90}} {
		v, err := pod1.App.Photos.Upload(ctx, alice.s, bytes.NewReader(mediatest.JPEG(t, size[0], size[1])))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, v.ID)
	}
	settled(t, pod1) // the renditions are made
	limited, err := pod1.App.Posts.CreatePost(ctx, alice.s, posts.PostInput{Text: "two photos for friends",
		Audience: aspects.Selection{Aspects: []int64{alice.aspects["Friends"]}}, Photos: ids})
	if err != nil {
		t.Fatal(err)
	}
	podtest.Eventually(t, wait, func() bool {
		return count(t, pod2, "SELECT count(*) FROM photos WHERE status_message_guid = ? AND state = 'ready'", limited.GUID) == 2
	}, "pod2 to fetch both photos")
	settled(t, pod1, pod2)
	if n := photoFileRequests(pod1); n != 2 {
		t.Errorf("pod1 served %d photo files to pod2, want 2 (each photo once)", n)
	}

	bobC := pod2.Client()
	mustOK(t, bobC.SignIn("bob", "password1", false))
	malC := pod2.Client()
	mustOK(t, malC.SignIn("mallory", "password1", false))
	anon := pod2.Client()
	r := bobC.Get("/posts/" + limited.GUID + ".json")
	var js struct{ Photos []pod.PhotoView }
	if err := json.Unmarshal([]byte(r.Body), &js); err != nil || len(js.Photos) != 2 {
		t.Fatalf("bob's view of the post on pod2: %d %s", r.StatusCode, r.Body)
	}
	if js.Photos[0].Dimensions.Width != 80 || js.Photos[1].Dimensions.Height != 90 {
		t.Errorf("photo sizes on pod2: %+v", js.Photos)
	}
	for _, ph := range js.Photos {
		if !strings.HasPrefix(ph.Sizes.Large, pod2.Opt.BaseURL+"/photos/") {
			t.Errorf("pod2 links a photo at %s, not at itself", ph.Sizes.Large)
		}
		for _, size := range pod.PhotoSizes {
			path := "/photos/" + itoa(ph.ID) + "/" + size
			if r := bobC.Get(path); r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "image/") {
				t.Errorf("bob GET %s on pod2: %d %s", path, r.StatusCode, r.Header.Get("Content-Type"))
			}
			for who, c := range map[string]*podtest.Client{"mallory": malC, "a visitor": anon} {
				if r := c.Get(path); r.StatusCode != http.StatusNotFound {
					t.Errorf("%s GET %s on pod2: %d, want 404", who, path, r.StatusCode)
				}
			}
		}
	}
	for who, c := range map[string]*podtest.Client{"mallory": malC, "a visitor": anon} {
		if r := c.Get("/people/" + personGUID(t, pod2, alice.id()) + "/photos.json"); strings.Contains(r.Body, `"id"`) {
			t.Errorf("%s sees alice's photos on pod2: %s", who, r.Body)
		}
	}
	if n := photoFileRequests(pod1); n != 2 {
		t.Errorf("reading the photos on pod2 made pod1 serve %d files, want still 2", n)
	}

	// The retraction deletes the copies on pod2, files included.
	if err := pod1.App.Posts.DeletePost(ctx, alice.s, limited.GUID); err != nil {
		t.Fatal(err)
	}
	podtest.Eventually(t, wait, func() bool {
		return count(t, pod2, "SELECT count(*) FROM photos") == 0 && count(t, pod2, "SELECT count(*) FROM media_trash") == 0
	}, "pod2 to delete the photos and their files")
	settled(t, pod1, pod2)
	if files := mediaFilesUnder(t, pod2, "photos"); len(files) != 0 {
		t.Errorf("pod2 keeps %d photo files after the retraction: %v", len(files), files)
	}
	if files := mediaFilesUnder(t, pod1, "photos"); len(files) != 0 {
		t.Errorf("pod1 keeps %d photo files after deleting the post: %v", len(files), files)
	}
}

// TestReceivedPhotoVectors: the conformance vectors with photos (the
// documentation's status message with two photos, generated vector 17 with
// one) are accepted, their photos fetched from where they say and shown.
func TestReceivedPhotoVectors(t *testing.T) {
	var served atomic.Int32
	img := mediatest.JPEG(t, 64, 48)
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(img)
	}))
	defer files.Close()
	e := startVecPod(t, roleThird)
	for _, v := range []struct {
		file, guid, author, path string
		photos                   int
	}{
		{"docs-examples/status_message_photos.xml", "e05828d029e7013487753131731751e9", "alice@example.org", "https://example.org/uploads/images/", 2},
		{"generated/17_status_message_with_photo_location_poll.payload.xml", "17f2e3d4c5b6a79880123456789abcde", "alice@pod-a.org", "https://pod-a.org/uploads/images/", 1},
	} {
		payload := strings.NewReplacer(v.author, e.alice.ID, v.path, files.URL+"/uploads/images/").Replace(string(vectorFile(t, v.file)))
		d := e.publicBytes(v.file, []byte(payload), e.alice)
		deliver(t, e.p, d.path, d.body)
		settled(t, e.p)
		post := e.post(v.guid)
		if n := count(t, e.p, "SELECT count(*) FROM photos WHERE post_id = ? AND state = 'ready'", post.ID); n != int64(v.photos) {
			t.Errorf("%s: %d photos ready, want %d (%s)", v.file, n, v.photos, queueState(t, e.p))
		}
		views, err := e.p.App.Posts.PostByID(context.Background(), nil, post.ID)
		if err != nil || len(views.Photos) != v.photos || !views.Photos[0].Ready || views.Photos[0].Dimensions.Width != 64 {
			t.Errorf("%s: the post shows %+v (%v)", v.file, views, err)
		}
	}
	if n := served.Load(); n != 3 {
		t.Errorf("the photos' pod served %d files, want 3 (each photo once)", n)
	}
}

func mustOK(t *testing.T, r *podtest.Response) {
	t.Helper()
	if r.StatusCode >= 400 {
		t.Fatalf("%s %s: %d", r.Request.Method, r.Request.URL.Path, r.StatusCode)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// mediaFilesUnder lists a pod's stored files under a top folder.
func mediaFilesUnder(t *testing.T, p *podtest.FedPod, top string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(filepath.Join(p.Media.Dir(), top), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, path)
		}
		return nil
	})
	return out
}
