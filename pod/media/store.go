package media

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Store keeps media files under slash-separated keys such as
// "avatars/<id>/thumb_large.jpg".
type Store interface {
	// Put writes data under key, replacing any previous file, so that a
	// reader sees either the old or the new file in full.
	Put(ctx context.Context, key string, data []byte, contentType string) error
	// Open returns the file under key and its content type. A missing key
	// is an error wrapping ErrNotFound. The caller closes the reader.
	Open(ctx context.Context, key string) (io.ReadCloser, string, error)
	// Delete removes the file under key. Deleting a missing key is not an
	// error.
	Delete(ctx context.Context, key string) error
}

// Store errors.
var (
	// ErrNotFound means no file is stored under the key.
	ErrNotFound = errors.New("media: not found")
	// ErrInvalidKey means the key is empty, absolute, or has "." or ".."
	// elements, empty elements, backslashes or NUL bytes.
	ErrInvalidKey = errors.New("media: invalid key")
)

// LocalStore is a Store in a folder on the local disk. Keys map to paths
// below the folder; all access goes through an os.Root, so neither ".."
// nor symbolic links can reach outside it. The content type is not stored:
// Open derives it from the key's extension.
type LocalStore struct {
	dir string
}

// NewLocalStore returns a LocalStore rooted at dir, creating dir if needed.
func NewLocalStore(dir string) (*LocalStore, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("media: local store %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("media: local store: %w", err)
	}
	return &LocalStore{dir: abs}, nil
}

// Dir returns the absolute folder the store is rooted at.
func (s *LocalStore) Dir() string { return s.dir }

// checkKey refuses keys that are not plain relative slash paths.
func checkKey(key string) error {
	if !fs.ValidPath(key) || key == "." || strings.ContainsAny(key, "\\\x00") {
		return fmt.Errorf("%w: %q", ErrInvalidKey, key)
	}
	if _, err := filepath.Localize(key); err != nil {
		return fmt.Errorf("%w: %q", ErrInvalidKey, key)
	}
	return nil
}

// Put writes data to a temporary file in the key's folder, syncs it and
// renames it over the key, creating folders as needed.
func (s *LocalStore) Put(ctx context.Context, key string, data []byte, contentType string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("media: put %s: %w", key, err)
	}
	root, err := os.OpenRoot(s.dir)
	if err != nil {
		return fmt.Errorf("media: put %s: %w", key, err)
	}
	defer root.Close()

	// A concurrent Delete may prune the folder between MkdirAll and the
	// file's creation; one retry covers that.
	for attempt := 0; ; attempt++ {
		err = putAtomic(root, key, data)
		if err == nil || attempt == 1 || !errors.Is(err, fs.ErrNotExist) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("media: put %s: %w", key, err)
	}
	return nil
}

func putAtomic(root *os.Root, key string, data []byte) (err error) {
	dir := path.Dir(key)
	if err := root.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp := path.Join(dir, ".tmp-"+NewID())
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			root.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return root.Rename(tmp, key)
}

// Open opens the file under key. The content type comes from the key's
// extension.
func (s *LocalStore) Open(ctx context.Context, key string) (io.ReadCloser, string, error) {
	if err := checkKey(key); err != nil {
		return nil, "", err
	}
	if err := ctx.Err(); err != nil {
		return nil, "", fmt.Errorf("media: open %s: %w", key, err)
	}
	root, err := os.OpenRoot(s.dir)
	if err != nil {
		return nil, "", fmt.Errorf("media: open %s: %w", key, err)
	}
	defer root.Close() // files opened through a Root outlive it
	f, err := root.Open(key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("media: open %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, "", fmt.Errorf("media: open %s: %w", key, err)
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, "", fmt.Errorf("media: open %s: %w", key, ErrNotFound)
	}
	return f, contentTypeOf(key), nil
}

// Delete removes the file under key, then the folders above it that are
// left empty, stopping below the top-level folder (e.g. "avatars").
func (s *LocalStore) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("media: delete %s: %w", key, err)
	}
	root, err := os.OpenRoot(s.dir)
	if err != nil {
		return fmt.Errorf("media: delete %s: %w", key, err)
	}
	defer root.Close()
	if err := root.Remove(key); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("media: delete %s: %w", key, err)
	}
	for dir := path.Dir(key); strings.Contains(dir, "/"); dir = path.Dir(dir) {
		if root.Remove(dir) != nil { // not empty (or already gone): stop
			break
		}
	}
	return nil
}

// contentTypeOf returns the content type for a key's extension.
func contentTypeOf(key string) string {
	switch strings.ToLower(path.Ext(key)) {
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".png":
		return "image/png"
	case ".webp":
		return "image/webp"
	case ".gif":
		return "image/gif"
	}
	return "application/octet-stream"
}

// NewID returns 32 random hex characters from crypto/rand, for naming a set
// of stored files.
func NewID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails; see crypto/rand.Read
	return hex.EncodeToString(b[:])
}

// validID reports whether id looks like a NewID result.
func validID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for _, c := range []byte(id) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

var _ Store = (*LocalStore)(nil)
