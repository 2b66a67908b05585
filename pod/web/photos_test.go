package web_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/media/mediatest"
	"github.com/aspenpod/aspen/pod/podtest"
)

// testPNGAlpha is a small PNG with transparency.
func testPNGAlpha(t testing.TB) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 40, 30))
	img.Set(1, 1, color.NRGBA{255, 0, 0, 128})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngBomb is a valid grey PNG of w×h whose pixels are all zero: a few
// bytes of file that would decode to w×h bytes (with a header-only file
// when rows is false).
func pngBomb(t testing.TB, w, h int, rows bool) []byte {
	t.Helper()
	chunk := func(typ string, data []byte) []byte {
		var b bytes.Buffer
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
		return b.Bytes()
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 0 // 8-bit greyscale
	out := append([]byte("\x89PNG\r\n\x1a\n"), chunk("IHDR", ihdr)...)
	if rows {
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		row := make([]byte, 1+w)
		for y := 0; y < h; y++ {
			zw.Write(row)
		}
		zw.Close()
		out = append(out, chunk("IDAT", z.Bytes())...)
	}
	return append(out, chunk("IEND", nil)...)
}

// uploadPhoto sends one file to POST /photos as c's JavaScript does.
func uploadPhoto(t *testing.T, c *podtest.Client, name string, data []byte) *podtest.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.Pod.Server.URL+"/photos", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", c.CSRF())
	return c.Do(req)
}

// uploaded uploads a photo, runs its processing job and returns it.
func uploaded(t *testing.T, p *podtest.Pod, c *podtest.Client, name string, data []byte) pod.PhotoView {
	t.Helper()
	r := mustStatus(t, uploadPhoto(t, c, name, data), http.StatusOK)
	var js struct {
		Success bool
		Data    struct{ Photo pod.PhotoView }
	}
	if err := json.Unmarshal([]byte(r.Body), &js); err != nil || !js.Success || js.Data.Photo.ID == 0 {
		t.Fatalf("upload answer %s (%v)", r.Body, err)
	}
	if err := p.App.Photos.Process(context.Background(), js.Data.Photo.ID); err != nil {
		t.Fatal(err)
	}
	return js.Data.Photo
}

// postWithPhotos publishes text with the photos as c (the form's photos[]).
func postWithPhotos(t *testing.T, c *podtest.Client, text string, ids []int64, aspectIDs ...string) string {
	t.Helper()
	form := url.Values{"status_message[text]": {text}, "aspect_ids[]": aspectIDs}
	for _, id := range ids {
		form.Add("photos[]", itoa(id))
	}
	r := mustStatus(t, c.Post("/status_messages", form), http.StatusSeeOther)
	return strings.TrimPrefix(r.Location(), "/posts/")
}

// photoPaths are the URL paths of every size of the photos.
func photoPaths(p *podtest.Pod, photos ...pod.PhotoView) []string {
	var out []string
	for _, ph := range photos {
		for _, s := range pod.PhotoSizes {
			out = append(out, "/photos/"+itoa(ph.ID)+"/"+s)
		}
	}
	return out
}

// TestPhotoPostPrivacy: photos of a limited post are served to its author
// and audience, and are a 404 (post, photo page, every file) for an
// outsider and a signed-out visitor; a pending photo is its uploader's
// only; deleting the post deletes the photos' files.
func TestPhotoPostPrivacy(t *testing.T) {
	w := newWorld(t)
	ph1 := uploaded(t, w.p, w.alice, "a.jpg", mediatest.JPEG(t, 120, 80))
	ph2 := uploaded(t, w.p, w.alice, "b.png", testPNGAlpha(t))
	pending := uploaded(t, w.p, w.alice, "c.jpg", mediatest.JPEG(t, 30, 30))
	guid := postWithPhotos(t, w.alice, "two photos for friends", []int64{ph1.ID, ph2.ID}, itoa(w.friends))
	files := photoPaths(w.p, ph1, ph2)

	for _, c := range []struct {
		name   string
		c      *podtest.Client
		reader bool
	}{{"author", w.alice, true}, {"audience member", w.bob, true}, {"outsider", w.carol, false}, {"signed out", w.anon, false}} {
		t.Run(c.name, func(t *testing.T) {
			want := http.StatusNotFound
			if c.reader {
				want = http.StatusOK
			}
			pages := []string{"/posts/" + guid, "/posts/" + guid + ".json", "/photos/" + itoa(ph1.ID), "/photos/" + itoa(ph2.ID) + ".json"}
			for _, path := range append(pages, files...) {
				r := c.c.Get(path)
				if r.StatusCode == http.StatusFound && c.reader && strings.HasPrefix(path, "/photos/") && !strings.Contains(path[8:], "/") {
					continue // the photo page sends readers to its post
				}
				if r.StatusCode != want {
					t.Errorf("GET %s: %d, want %d", path, r.StatusCode, want)
				}
				if c.reader && strings.Count(path, "/") == 3 && !strings.HasPrefix(r.Header.Get("Content-Type"), "image/") {
					t.Errorf("GET %s: content type %q", path, r.Header.Get("Content-Type"))
				}
				if !c.reader && (strings.Contains(r.Body, ph1.GUID) || len(r.Body) > 5000) {
					t.Errorf("GET %s tells something about the photo", path)
				}
			}
			// The person's photo pages list them for readers only.
			for _, path := range []string{"/people/" + w.aliceGUID + "/photos", "/people/" + w.aliceGUID + "/photos.json"} {
				r := mustStatus(t, c.c.Get(path), http.StatusOK)
				has := strings.Contains(r.Body, "/photos/"+itoa(ph1.ID)+"/") && strings.Contains(r.Body, "/photos/"+itoa(ph2.ID)+"/")
				if has != c.reader {
					t.Errorf("GET %s lists the photos: %v, want %v", path, has, c.reader)
				}
				if strings.Contains(r.Body, "/photos/"+itoa(pending.ID)) {
					t.Errorf("GET %s lists a pending photo", path)
				}
			}
			// Only the uploader sees a pending photo.
			for _, path := range photoPaths(w.p, pending) {
				r := c.c.Get(path)
				if got, wantP := r.StatusCode, map[bool]int{true: 200, false: 404}[c.c == w.alice]; got != wantP {
					t.Errorf("pending photo GET %s: %d, want %d", path, got, wantP)
				}
			}
		})
	}

	// The JSON of the post carries the photos as diaspora* shapes them.
	var js struct {
		Photos []struct {
			ID         int64
			Dimensions struct{ Width, Height int }
			Sizes      struct{ Small, Medium, Large string }
		}
	}
	json.Unmarshal([]byte(mustStatus(t, w.bob.Get("/posts/"+guid+".json"), 200).Body), &js)
	if len(js.Photos) != 2 || js.Photos[0].ID != ph1.ID || js.Photos[0].Dimensions.Width != 120 || js.Photos[0].Sizes.Large == "" {
		t.Errorf("post JSON photos: %+v", js.Photos)
	}
	// diaspora*'s sizes: thumb_small 50×50, scaled_full at most 700 wide.
	for size, want := range map[string][2]int{"thumb_small": {50, 50}, "thumb_medium": {100, 67}, "thumb_large": {120, 80}, "scaled_full": {120, 80}} {
		r := mustStatus(t, w.bob.Get(photoPaths(w.p, ph1)[indexOf(pod.PhotoSizes, size)]), 200)
		cfg, _, err := image.DecodeConfig(strings.NewReader(r.Body))
		if err != nil || cfg.Width != want[0] || cfg.Height != want[1] {
			t.Errorf("%s: %dx%d (%v), want %v", size, cfg.Width, cfg.Height, err, want)
		}
	}

	// Other pods fetch the files at the token URL the photo entity names
	// (sent only to the post's audience); a wrong token or name is a 404.
	row, err := w.p.Store.PhotoByID(context.Background(), ph1.ID)
	if err != nil {
		t.Fatal(err)
	}
	fed := "/photo-files/" + row.Token + "/"
	other := row.Token[:31] + map[bool]string{true: "1", false: "0"}[row.Token[31] == '0'] // one digit off
	// The media store's files are not public under /uploads/ (avatars are).
	for _, path := range []string{"/uploads/photos/" + row.MediaID + "/original.jpg", "/uploads/photos/" + row.MediaID + "/thumb_small.jpg"} {
		if r := w.bob.Get(path); r.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404 (photos only behind the access check)", path, r.StatusCode)
		}
	}
	for path, want := range map[string]int{
		fed + row.RemotePhotoName:                           200,
		fed + "scaled_full_" + row.RemotePhotoName:          200,
		fed + ph2.GUID + ".jpg":                             404,
		"/photo-files/" + strings.Repeat("0", 32) + "/x":    404,
		"/photo-files/" + other + "/" + row.RemotePhotoName: 404,
	} {
		if r := w.anon.Get(path); r.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, r.StatusCode, want)
		}
	}

	// Deleting the post deletes the photos and, after the sweep, their files.
	before := len(mediaFiles(t, w.p))
	req, _ := http.NewRequest(http.MethodDelete, w.p.Server.URL+"/posts/"+guid, nil)
	req.Header.Set("X-CSRF-Token", w.alice.CSRF())
	mustStatus(t, w.alice.Do(req), http.StatusNoContent)
	if err := w.p.App.Photos.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := mediaFiles(t, w.p)
	if want := before - 2*len(pod.PhotoSizes); len(after) != want {
		t.Errorf("%d files before deleting the post, %d after, want %d: %v", before, len(after), want, after)
	}
	for _, path := range append(files, fed+row.RemotePhotoName) {
		if r := w.alice.Get(path); r.StatusCode != http.StatusNotFound {
			t.Errorf("after deletion GET %s: %d", path, r.StatusCode)
		}
	}
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// TestPhotoBadInput: files that are not images, decompression bombs,
// absurd headers, huge uploads, too many photos and someone else's photo
// are each a 4xx naming what is wrong, and leave no photo, no post, no
// queued task and no file behind.
func TestPhotoBadInput(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	count := func(table string) int64 {
		n, err := w.p.Store.Count(ctx, "SELECT count(*) FROM "+table)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	type state struct{ photos, posts, outbox, files int64 }
	now := func() state {
		return state{count("photos"), count("posts"), count("outbox"), int64(len(mediaFiles(t, w.p)))}
	}
	start := now()
	for _, c := range []struct {
		name string
		data []byte
		code int
		msg  string
	}{
		{"text file", []byte("just some text, not a picture at all"), 422, "not a JPEG, PNG, WebP or GIF"},
		{"html named .jpg", []byte("<html><script>alert(1)</script></html>"), 422, "not a JPEG"},
		{"decompression bomb", pngBomb(t, 8000, 8000, true), 422, "the most allowed is 10000 pixels"},
		{"60000x60000 header", pngBomb(t, 60000, 60000, false), 422, "the most allowed is 10000 pixels"},
		{"truncated jpeg", mediatest.JPEG(t, 64, 64)[:40], 422, "damaged"},
		{"empty file", nil, 422, "choose a photo"},
		{"50 MB", append(mediatest.JPEG(t, 10, 10), make([]byte, 50<<20)...), 413, "too large"},
	} {
		r := uploadPhoto(t, w.alice, "x.jpg", c.data)
		if r.StatusCode != c.code || !strings.Contains(r.Body, c.msg) {
			t.Errorf("%s: %d %s, want %d naming %q", c.name, r.StatusCode, trim(r.Body), c.code, c.msg)
		}
		if got := now(); got != start {
			t.Errorf("%s left something behind: %+v, before %+v", c.name, got, start)
		}
	}

	// More photos than a post may carry, and someone else's photo: the
	// post is refused and the photos stay pending, unattached.
	var many []int64
	for i := 0; i <= pod.MaxPhotosPerPost; i++ {
		many = append(many, uploaded(t, w.p, w.alice, "p.jpg", mediatest.JPEG(t, 8, 8)).ID)
	}
	bobs := uploaded(t, w.p, w.bob, "b.jpg", mediatest.JPEG(t, 8, 8))
	posts := count("posts")
	for name, ids := range map[string][]int64{"too many": many, "someone else's": {many[0], bobs.ID}, "unknown": {12345}, "twice": {many[0], many[0]}} {
		form := url.Values{"status_message[text]": {"look"}, "aspect_ids[]": {"public"}}
		for _, id := range ids {
			form.Add("photos[]", itoa(id))
		}
		r := w.alice.Post("/status_messages", form)
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "photo") {
			t.Errorf("%s: %d, want 422 naming the photos\n%s", name, r.StatusCode, trim(r.Body))
		}
		if count("posts") != posts {
			t.Errorf("%s: a post was stored", name)
		}
	}
	if attached := count("photos WHERE post_id IS NOT NULL"); attached != 0 {
		t.Errorf("%d photos attached by refused posts", attached)
	}
	// Bob cannot remove Alice's pending photo either.
	req, _ := http.NewRequest(http.MethodDelete, w.p.Server.URL+"/photos/"+itoa(many[0]), nil)
	req.Header.Set("X-CSRF-Token", w.bob.CSRF())
	mustStatus(t, w.bob.Do(req), http.StatusNotFound)

	// A bad file in the no-JS publisher: the form comes back with the
	// message, nothing is posted, no file of that request is kept.
	before := now()
	r := publisherForm(t, w.alice, url.Values{"status_message[text]": {"with a bad file"}, "aspect_ids[]": {"public"}},
		map[string][]byte{"good.jpg": mediatest.JPEG(t, 16, 16), "bad.jpg": []byte("not an image")})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "bad.jpg: the file is not a JPEG") {
		t.Errorf("no-JS publisher with a bad file: %d\n%s", r.StatusCode, trim(r.Body))
	}
	if got := now(); got.photos != before.photos || got.posts != before.posts || got.files != before.files {
		t.Errorf("the refused publisher form left %+v, before %+v", got, before)
	}
}

// publisherForm submits the publisher as a browser without JavaScript
// does: multipart, with files in "file".
func publisherForm(t *testing.T, c *podtest.Client, form url.Values, files map[string][]byte) *podtest.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("authenticity_token", c.CSRF())
	for k, vs := range form {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for name, data := range files {
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write(data)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.Pod.Server.URL+"/status_messages", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.Do(req)
}

// TestPublisherPhotosWithoutJavaScript: the no-JS publisher uploads
// ("Upload" shows the form again with the photo listed and checked),
// removes one, and shares a post with the photo in one request.
func TestPublisherPhotosWithoutJavaScript(t *testing.T) {
	w := newWorld(t)
	r := publisherForm(t, w.alice, url.Values{"status_message[text]": {"draft"}, "upload": {"1"}},
		map[string][]byte{"one.jpg": mediatest.JPEG(t, 20, 10)})
	mustStatus(t, r, http.StatusOK)
	list, err := w.p.Store.PendingPhotos(context.Background(), w.aliceID)
	if err != nil || len(list) != 1 {
		t.Fatalf("pending after upload: %v %v", list, err)
	}
	first := list[0]
	if !strings.Contains(r.Body, `name="photos[]" value="`+itoa(first.ID)+`" checked`) || !strings.Contains(r.Body, ">draft</textarea>") {
		t.Errorf("the form does not list the upload checked, or lost the text:\n%s", trim(r.Body))
	}
	// The stream's publisher lists it too.
	if b := mustStatus(t, w.alice.Get("/stream"), 200).Body; !strings.Contains(b, `value="`+itoa(first.ID)+`"`) {
		t.Errorf("the stream's publisher does not list the pending photo")
	}
	// Remove it.
	r = publisherForm(t, w.alice, url.Values{"status_message[text]": {"draft"}, "photos[]": {itoa(first.ID)}, "remove_photo": {itoa(first.ID)}}, nil)
	mustStatus(t, r, http.StatusOK)
	if strings.Contains(r.Body, `value="`+itoa(first.ID)+`"`) {
		t.Errorf("the removed photo is still listed")
	}
	// Upload and share at once; then the post shows the photo.
	r = publisherForm(t, w.alice, url.Values{"status_message[text]": {""}, "aspect_ids[]": {itoa(w.friends)}},
		map[string][]byte{"two.jpg": mediatest.JPEG(t, 30, 20)})
	mustStatus(t, r, http.StatusSeeOther)
	guid := strings.TrimPrefix(r.Location(), "/posts/")
	var js struct{ Photos []pod.PhotoView }
	json.Unmarshal([]byte(mustStatus(t, w.bob.Get("/posts/"+guid+".json"), 200).Body), &js)
	if len(js.Photos) != 1 || js.Photos[0].Dimensions.Width != 30 {
		t.Errorf("the post's photos: %+v", js.Photos)
	}
	// Without text and without photos there is nothing to share.
	r = publisherForm(t, w.alice, url.Values{"status_message[text]": {" "}, "aspect_ids[]": {"public"}}, nil)
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "add a photo") {
		t.Errorf("an empty post: %d", r.StatusCode)
	}
}
