package media

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// URLPrefix is the URL path under which the web layer serves Store keys.
const URLPrefix = "/uploads/"

// URLPath returns the URL path serving key, e.g.
// "/uploads/avatars/<id>/thumb_large.jpg".
func URLPath(key string) string { return URLPrefix + key }

// Collection is a kind of stored image: where its files go and which
// thumbnails it gets. Keys are "<Prefix>/<id>/<name><ext>", with id from
// NewID, name Original or a thumbnail's name, and ext ".jpg" or ".png".
type Collection struct {
	// Prefix is the first key element, e.g. "avatars".
	Prefix string
	// Thumbs are the square thumbnails made besides the original.
	Thumbs []Thumb
	// Fits are the renditions scaled to fit a box, made after the
	// thumbnails.
	Fits []Fit
}

// Avatars are profile pictures: an original plus diaspora*'s thumb_large,
// thumb_medium and thumb_small.
var Avatars = Collection{Prefix: "avatars", Thumbs: AvatarThumbs}

// Saved describes one image whose renditions are in a Store.
type Saved struct {
	// ID is the random part of the keys; Collection.Delete takes it.
	ID string
	// Format is the detected source format.
	Format string
	// Files are the stored renditions: Original first, then the
	// thumbnails in Collection order.
	Files []SavedFile
}

// SavedFile is one stored rendition.
type SavedFile struct {
	// Name is Original or a thumbnail's name.
	Name string
	// Key is where the file is in the Store.
	Key string
	// ContentType is "image/jpeg" or "image/png".
	ContentType string
	// Width and Height are the file's image size.
	Width, Height int
}

// Key returns the key of the named rendition, or "" if there is none.
func (s *Saved) Key(name string) string {
	for _, f := range s.Files {
		if f.Name == name {
			return f.Key
		}
	}
	return ""
}

// Keys returns the keys of all stored renditions.
func (s *Saved) Keys() []string {
	keys := make([]string, len(s.Files))
	for i, f := range s.Files {
		keys[i] = f.Key
	}
	return keys
}

// Save processes one upload (see Process) and puts its original and
// thumbnails in st under a new random ID. Problems with the file are
// returned as the *Error from Process, unchanged, so their message can be
// shown to the uploader; store failures are wrapped. If a Put fails, the
// files already written are deleted.
func (c Collection) Save(ctx context.Context, st Store, r io.Reader, lim Limits) (*Saved, error) {
	im, err := Process(r, lim)
	if err != nil {
		return nil, err
	}
	renditions := make([]*Rendition, 0, 1+len(c.Thumbs))
	orig, err := im.Original()
	if err != nil {
		return nil, err
	}
	renditions = append(renditions, orig)
	for _, t := range c.Thumbs {
		r, err := im.Thumbnail(t)
		if err != nil {
			return nil, err
		}
		renditions = append(renditions, r)
	}
	for _, f := range c.Fits {
		r, err := im.Fitted(f)
		if err != nil {
			return nil, err
		}
		renditions = append(renditions, r)
	}

	saved := &Saved{ID: NewID(), Format: im.Format}
	for _, r := range renditions {
		key := c.key(saved.ID, r.Name, r.Ext)
		if err := st.Put(ctx, key, r.Data, r.ContentType); err != nil {
			cleanup := context.WithoutCancel(ctx)
			for _, k := range saved.Keys() {
				st.Delete(cleanup, k) // best effort; the Put error matters
			}
			return nil, fmt.Errorf("media: save %s: %w", c.Prefix, err)
		}
		saved.Files = append(saved.Files, SavedFile{
			Name: r.Name, Key: key, ContentType: r.ContentType, Width: r.Width, Height: r.Height,
		})
	}
	return saved, nil
}

// Delete removes every file Save may have stored for id, whichever format
// it was saved in. Missing files are not an error. An id that NewID could
// not have made is refused with ErrInvalidKey.
func (c Collection) Delete(ctx context.Context, st Store, id string) error {
	if !validID(id) {
		return fmt.Errorf("media: delete %s: %w: id %q", c.Prefix, ErrInvalidKey, id)
	}
	names := []string{Original}
	for _, t := range c.Thumbs {
		names = append(names, t.Name)
	}
	for _, f := range c.Fits {
		names = append(names, f.Name)
	}
	var errs []error
	for _, name := range names {
		for _, ext := range []string{".jpg", ".png"} {
			if err := st.Delete(ctx, c.key(id, name, ext)); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("media: delete %s %s: %w", c.Prefix, id, err)
	}
	return nil
}

func (c Collection) key(id, name, ext string) string {
	return c.Prefix + "/" + id + "/" + name + ext
}
