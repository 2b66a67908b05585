package web_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/pod/podtest"
)

// uploadAvatar posts the profile form with a file in profile[avatar].
func uploadAvatar(t *testing.T, c *podtest.Client, filename string, data []byte) *podtest.Response {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("authenticity_token", c.CSRF())
	w.WriteField("profile[first_name]", "Grace")
	w.WriteField("profile[searchable]", "1")
	fw, err := w.CreateFormFile("profile[avatar]", filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, c.Pod.Server.URL+"/profile", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.Do(req)
}

func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 200, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestAvatarUpload(t *testing.T) {
	p := podtest.New(t)
	c := p.Client()
	c.SignUp("grace")
	ctx := context.Background()
	person, _ := p.Store.PersonByDiasporaID(ctx, "grace@pod.test")

	t.Run("non-image renamed to .png is refused", func(t *testing.T) {
		r := uploadAvatar(t, c, "evil.png", []byte("#!/bin/sh\necho this is not a picture\n"))
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "not a JPEG, PNG, WebP or GIF") {
			t.Fatalf("status %d, want 422 with a clear message:\n%s", r.StatusCode, r.Body)
		}
		prof, _ := p.Store.ProfileOf(ctx, person.ID)
		if prof.ImageURL != "" {
			t.Errorf("avatar set to %q", prof.ImageURL)
		}
	})
	t.Run("oversized file is refused", func(t *testing.T) {
		big := append(pngBytes(t, 8, 8), make([]byte, p.Opt.AvatarMaxBytes)...)
		r := uploadAvatar(t, c, "big.png", big)
		if r.StatusCode != http.StatusUnprocessableEntity && r.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413 or 422", r.StatusCode)
		}
		if body := strings.ToLower(r.Body); !strings.Contains(body, "too large") && !strings.Contains(body, "larger than 1 mb") {
			t.Errorf("no size message:\n%s", r.Body)
		}
		prof, _ := p.Store.ProfileOf(ctx, person.ID)
		if prof.ImageURL != "" {
			t.Errorf("avatar set to %q", prof.ImageURL)
		}
	})
	t.Run("a real picture becomes the avatar in three sizes", func(t *testing.T) {
		r := uploadAvatar(t, c, "me.png", pngBytes(t, 400, 300))
		if r.StatusCode != http.StatusFound {
			t.Fatalf("status %d:\n%s", r.StatusCode, r.Body)
		}
		prof, _ := p.Store.ProfileOf(ctx, person.ID)
		for _, u := range []string{prof.ImageURL, prof.ImageURLMedium, prof.ImageURLSmall} {
			if !strings.HasPrefix(u, "/uploads/avatars/") {
				t.Fatalf("avatar URL %q", u)
			}
			img := c.Get(u)
			if img.StatusCode != http.StatusOK || !strings.HasPrefix(img.Header.Get("Content-Type"), "image/") {
				t.Fatalf("GET %s: %d %s", u, img.StatusCode, img.Header.Get("Content-Type"))
			}
		}
		large := c.Get(prof.ImageURL)
		cfg, _, err := image.DecodeConfig(strings.NewReader(large.Body))
		if err != nil || cfg.Width != 300 || cfg.Height != 300 {
			t.Errorf("large thumbnail is %dx%d (%v), want 300x300", cfg.Width, cfg.Height, err)
		}
		if prof.FirstName != "Grace" {
			t.Errorf("first name %q", prof.FirstName)
		}
	})
}

func TestProfilePrivateFieldsOnlyForOwner(t *testing.T) {
	p := podtest.New(t)
	owner := p.Client()
	owner.SignUp("heidi")
	r := owner.Post("/profile", url.Values{
		"profile[first_name]": {"Heidi"}, "profile[last_name]": {"Klum"},
		"profile[bio]":      {"I like **hiking** <script>alert(1)</script>"},
		"profile[location]": {"Secret Valley"}, "profile[gender]": {"private-gender"},
		"profile[date][year]": {"1990"}, "profile[date][month]": {"4"}, "profile[date][day]": {"12"},
		"profile[searchable]": {"1"},
	})
	if r.StatusCode != http.StatusFound {
		t.Fatalf("save profile: %d\n%s", r.StatusCode, r.Body)
	}
	page := owner.Get(r.Location())
	for _, want := range []string{"Heidi Klum", "heidi@pod.test", "<strong>hiking</strong>", "Secret Valley", "April 12, 1990"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("owner's view lacks %q", want)
		}
	}
	if strings.Contains(page.Body, "<script>alert") {
		t.Error("bio script not removed")
	}

	viewers := map[string]*podtest.Client{"signed out": p.Client(), "other user": p.Client()}
	viewers["other user"].SignUp("ivan")
	for name, c := range viewers {
		for _, path := range []string{r.Location(), r.Location() + ".json", "/u/heidi"} {
			resp := c.Get(path)
			if resp.StatusCode == http.StatusFound {
				resp = c.Get(resp.Location())
			}
			if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "Heidi") {
				t.Fatalf("%s %s: %d", name, path, resp.StatusCode)
			}
			for _, secret := range []string{"hiking", "Secret Valley", "private-gender", "April 12", "1990-04-12"} {
				if strings.Contains(resp.Body, secret) {
					t.Errorf("%s sees private field %q at %s", name, secret, path)
				}
			}
		}
	}

	// Making details public shows them to everyone.
	owner.Post("/profile", url.Values{"profile[first_name]": {"Heidi"}, "profile[location]": {"Secret Valley"}, "profile[public_details]": {"1"}})
	if !strings.Contains(p.Client().Get(r.Location()).Body, "Secret Valley") {
		t.Error("public details not shown signed out")
	}
}

func TestProfileEditRejectsBadInput(t *testing.T) {
	p := podtest.New(t)
	c := p.Client()
	c.SignUp("judy")
	cases := map[string]url.Values{
		"long first name": {"profile[first_name]": {strings.Repeat("x", 33)}},
		"bad birthday":    {"profile[date][year]": {"1990"}, "profile[date][month]": {"2"}, "profile[date][day]": {"31"}},
		"angle brackets":  {"profile[last_name]": {"<b>"}},
	}
	for name, form := range cases {
		r := c.Post("/profile", form)
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "field-error") {
			t.Errorf("%s: %d", name, r.StatusCode)
		}
	}
	person, _ := p.Store.PersonByDiasporaID(context.Background(), "judy@pod.test")
	prof, _ := p.Store.ProfileOf(context.Background(), person.ID)
	if prof.FirstName != "" || prof.LastName != "" || prof.Birthday != nil {
		t.Errorf("bad input was stored: %+v", prof)
	}
}

func TestUnknownPagesAreFriendly404s(t *testing.T) {
	p := podtest.New(t)
	c := p.Client()
	for _, path := range []string{"/no/such/page", "/people/0123456789abcdef0123456789abcdef", "/u/nobody", "/assets/nope.css", "/uploads/avatars/x/y.jpg"} {
		r := c.Get(path)
		if r.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, r.StatusCode)
		}
	}
	r := c.Get("/no/such/page")
	if !strings.Contains(r.Body, "Page not found") || !strings.Contains(r.Body, `href="/"`) {
		t.Errorf("404 page not friendly:\n%s", r.Body)
	}
	if r := c.Get("/people/nope.json"); r.StatusCode != http.StatusNotFound || !strings.Contains(r.Body, `"error"`) {
		t.Errorf("JSON 404: %d %s", r.StatusCode, r.Body)
	}
}

func TestFrontPageAndHealth(t *testing.T) {
	p := podtest.New(t)
	c := p.Client()
	if r := c.Get("/"); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `name="csrf-token"`) {
		t.Fatalf("front page: %d", r.StatusCode)
	}
	if r := c.Get("/healthz"); r.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %d", r.StatusCode)
	}
	if r := c.Get("/readyz"); r.StatusCode != http.StatusOK {
		t.Fatalf("readyz: %d %s", r.StatusCode, r.Body)
	}
	if r := c.Get("/assets/css/app.css"); r.StatusCode != http.StatusOK || !strings.Contains(r.Header.Get("Content-Type"), "css") {
		t.Fatalf("css: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
}
