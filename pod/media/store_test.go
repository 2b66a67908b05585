package media

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func newStore(t *testing.T) *LocalStore {
	t.Helper()
	s, err := NewLocalStore(filepath.Join(t.TempDir(), "uploads"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func readKey(t *testing.T, s Store, key string) ([]byte, string) {
	t.Helper()
	rc, ct, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("open %s: %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b, ct
}

func TestLocalStoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	key := "avatars/" + NewID() + "/thumb_large.jpg"
	if err := s.Put(ctx, key, []byte("first"), "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	if b, ct := readKey(t, s, key); string(b) != "first" || ct != "image/jpeg" {
		t.Fatalf("got %q %q", b, ct)
	}
	if err := s.Put(ctx, key, []byte("second"), "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	if b, _ := readKey(t, s, key); string(b) != "second" {
		t.Fatalf("after overwrite got %q", b)
	}
	if _, ct := readKey(t, s, key); ct != "image/jpeg" {
		t.Errorf("content type %q", ct)
	}
	if err := s.Put(ctx, "avatars/x/thumb_small.png", []byte("p"), "image/png"); err != nil {
		t.Fatal(err)
	}
	if _, ct := readKey(t, s, "avatars/x/thumb_small.png"); ct != "image/png" {
		t.Errorf("png content type %q", ct)
	}

	// No temporary files are left behind.
	entries, err := os.ReadDir(filepath.Join(s.Dir(), filepath.FromSlash(strings.TrimSuffix(key, "/thumb_large.jpg"))))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want 1", len(entries))
	}

	if err := s.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Open(ctx, key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("open after delete: err = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Errorf("deleting again: %v", err)
	}
	// The emptied <id> folder is pruned; the top-level folder stays.
	if _, err := os.Stat(filepath.Join(s.Dir(), filepath.FromSlash(key), "..")); !os.IsNotExist(err) {
		t.Errorf("id folder still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "avatars")); err != nil {
		t.Errorf("top-level folder gone: %v", err)
	}
	// A folder is not a file.
	if _, _, err := s.Open(ctx, "avatars/x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("open folder: err = %v, want ErrNotFound", err)
	}
}

func TestLocalStoreRefusesBadKeys(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	outside := filepath.Join(filepath.Dir(s.Dir()), "escaped.txt")
	for _, key := range []string{
		"", ".", "..", "../escaped.txt", "avatars/../../escaped.txt", "a/./b", "a//b", "a/",
		"/etc/passwd", "/" + outside, `..\escaped.txt`, `a\b`, "a\x00b",
	} {
		if err := s.Put(ctx, key, []byte("x"), "text/plain"); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Put(%q): err = %v, want ErrInvalidKey", key, err)
		}
		if _, _, err := s.Open(ctx, key); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Open(%q): err = %v, want ErrInvalidKey", key, err)
		}
		if err := s.Delete(ctx, key); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Delete(%q): err = %v, want ErrInvalidKey", key, err)
		}
	}
	if _, err := os.Stat(outside); !os.IsNotExist(err) {
		t.Fatalf("a file was written outside the store: %v", err)
	}
}

func TestLocalStoreDoesNotFollowSymlinksOut(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.jpg"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(s.Dir(), "link")); err != nil {
		t.Skip("symlinks unavailable:", err)
	}
	if _, _, err := s.Open(ctx, "link/secret.jpg"); err == nil {
		t.Error("Open followed a symlink out of the store")
	}
	if err := s.Put(ctx, "link/new.jpg", []byte("x"), "image/jpeg"); err == nil {
		t.Error("Put followed a symlink out of the store")
	}
	if _, err := os.Stat(filepath.Join(outside, "new.jpg")); !os.IsNotExist(err) {
		t.Error("a file was written outside the store")
	}
}

func TestLocalStoreHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := newStore(t)
	if err := s.Put(ctx, "a/b.jpg", []byte("x"), "image/jpeg"); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestNewID(t *testing.T) {
	a, b := NewID(), NewID()
	if !validID(a) || !validID(b) || a == b {
		t.Fatalf("ids %q %q", a, b)
	}
	for _, bad := range []string{"", "../../etc", strings.Repeat("g", 32), strings.ToUpper(a), a + "0"} {
		if validID(bad) {
			t.Errorf("validID(%q) = true", bad)
		}
	}
}

func TestAvatarsSaveAndDelete(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	saved, err := Avatars.Save(ctx, s, bytes.NewReader(encodeJPEG(t, quadrants(400, 300))), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]int{Original: {400, 300}, ThumbLarge: {300, 300}, ThumbMedium: {100, 100}, ThumbSmall: {50, 50}}
	if len(saved.Files) != len(want) || saved.Files[0].Name != Original || saved.Format != FormatJPEG {
		t.Fatalf("saved %+v", saved)
	}
	for _, f := range saved.Files {
		if wantKey := "avatars/" + saved.ID + "/" + f.Name + ".jpg"; f.Key != wantKey || saved.Key(f.Name) != wantKey {
			t.Errorf("key %q, want %q", f.Key, wantKey)
		}
		if sz := want[f.Name]; f.Width != sz[0] || f.Height != sz[1] {
			t.Errorf("%s is %dx%d, want %v", f.Name, f.Width, f.Height, sz)
		}
		data, ct := readKey(t, s, f.Key)
		if ct != "image/jpeg" || ct != f.ContentType {
			t.Errorf("%s: content type %q", f.Key, ct)
		}
		decodeRendition(t, &Rendition{Name: f.Name, Width: f.Width, Height: f.Height, ContentType: ct, Data: data})
	}
	if got, want := URLPath(saved.Key(ThumbSmall)), "/uploads/avatars/"+saved.ID+"/thumb_small.jpg"; got != want {
		t.Errorf("URLPath = %q, want %q", got, want)
	}
	if saved.Key("nope") != "" || len(saved.Keys()) != 4 {
		t.Error("Key/Keys")
	}

	if err := Avatars.Delete(ctx, s, saved.ID); err != nil {
		t.Fatal(err)
	}
	for _, k := range saved.Keys() {
		if _, _, err := s.Open(ctx, k); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s after delete: %v", k, err)
		}
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "avatars", saved.ID)); !os.IsNotExist(err) {
		t.Errorf("id folder left behind: %v", err)
	}
	if err := Avatars.Delete(ctx, s, saved.ID); err != nil {
		t.Errorf("deleting twice: %v", err)
	}
	if err := Avatars.Delete(ctx, s, "../../etc"); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("bad id: err = %v, want ErrInvalidKey", err)
	}
}

func TestAvatarsSaveTransparentAsPNG(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	saved, err := Avatars.Save(ctx, s, bytes.NewReader(readFixture(t, "alpha-lossless.webp")), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range saved.Files {
		if !strings.HasSuffix(f.Key, ".png") || f.ContentType != "image/png" {
			t.Errorf("%s: %s", f.Key, f.ContentType)
		}
	}
	if err := Avatars.Delete(ctx, s, saved.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "avatars", saved.ID)); !os.IsNotExist(err) {
		t.Errorf("id folder left behind: %v", err)
	}
}

func TestAvatarsSaveUploadErrorUnchanged(t *testing.T) {
	s := newStore(t)
	_, err := Avatars.Save(context.Background(), s, strings.NewReader("not an image"), DefaultLimits)
	msg, ok := UploadMessage(err)
	if !ok || err.Error() != msg || msg != "the file is not a JPEG, PNG, WebP or GIF image" {
		t.Errorf("err = %v", err)
	}
}

// flakyStore fails the Put after failAfter successful ones.
type flakyStore struct {
	*LocalStore
	failAfter int
	puts      int
}

func (f *flakyStore) Put(ctx context.Context, key string, data []byte, ct string) error {
	if f.puts == f.failAfter {
		return errors.New("disk full")
	}
	f.puts++
	return f.LocalStore.Put(ctx, key, data, ct)
}

func TestAvatarsSaveCleansUpOnStoreFailure(t *testing.T) {
	s := newStore(t)
	fs := &flakyStore{LocalStore: s, failAfter: 2}
	_, err := Avatars.Save(context.Background(), fs, bytes.NewReader(encodePNG(t, quadrants(20, 20))), DefaultLimits)
	if err == nil || IsUploadError(err) || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v, want a wrapped store error", err)
	}
	entries, err := os.ReadDir(filepath.Join(s.Dir(), "avatars"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("left %d entries behind", len(entries))
	}
}
