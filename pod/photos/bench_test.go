package photos_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/aspenpod/aspen/pod/media/mediatest"
	"github.com/aspenpod/aspen/pod/podtest"
)

// BenchmarkUpload12MP is what an upload request costs the pod: reading a
// 12-megapixel JPEG, checking it, writing it and the pending photo with its
// processing job (the renditions are BenchmarkProcess12MP's, in the
// worker).
func BenchmarkUpload12MP(b *testing.B) {
	p := podtest.New(b)
	u := p.NewUser(b, "alice")
	data := mediatest.PhonePhoto(b)
	b.Logf("photo: %.1f MB", float64(len(data))/(1<<20))
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		v, err := p.App.Photos.Upload(ctx, u.Session, bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		p.App.Photos.DeletePending(ctx, u.Session, v.ID) // stay below the pending limit
		b.StartTimer()
	}
}

// BenchmarkProcess12MP is the processing job of one 12-megapixel upload:
// decoding, orienting, the original (at most 1600 pixels) and diaspora*'s
// four sizes, encoded and stored.
func BenchmarkProcess12MP(b *testing.B) {
	p := podtest.New(b)
	u := p.NewUser(b, "alice")
	data := mediatest.PhonePhoto(b)
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		v, err := p.App.Photos.Upload(ctx, u.Session, bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := p.App.Photos.Process(ctx, v.ID); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		p.App.Photos.DeletePending(ctx, u.Session, v.ID)
		b.StartTimer()
	}
}

// BenchmarkUploadHTTP12MP is the whole POST /photos request for a
// 12-megapixel JPEG over loopback, as the publisher's script sends it
// (multipart parsing, CSRF, session, the upload above).
func BenchmarkUploadHTTP12MP(b *testing.B) {
	p := podtest.New(b)
	u := p.NewUser(b, "alice")
	c := p.Client()
	if r := c.SignIn("alice", "password1", false); r.StatusCode >= 400 {
		b.Fatalf("sign in: %d", r.StatusCode)
	}
	data := mediatest.PhonePhoto(b)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "phone.jpg")
	fw.Write(data)
	mw.Close()
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, p.Server.URL+"/photos", bytes.NewReader(body.Bytes()))
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Accept", "application/json")
		req.Header.Set("X-CSRF-Token", c.CSRF())
		if r := c.Do(req); r.StatusCode != http.StatusOK {
			b.Fatalf("upload: %d %s", r.StatusCode, r.Body)
		}
		b.StopTimer()
		list, _ := p.App.Photos.Pending(ctx, u.Session)
		for _, v := range list {
			p.App.Photos.DeletePending(ctx, u.Session, v.ID)
		}
		b.StartTimer()
	}
}
