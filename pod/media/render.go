package media

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
)

// Rendition names: the bounded original and diaspora*'s profile picture
// thumbnails.
const (
	Original    = "original"
	ThumbLarge  = "thumb_large"
	ThumbMedium = "thumb_medium"
	ThumbSmall  = "thumb_small"
)

// Thumb is a square thumbnail size.
type Thumb struct {
	// Name names the rendition and its file, e.g. "thumb_large".
	Name string
	// Side is the width and height in pixels.
	Side int
}

// AvatarThumbs are the profile picture sizes diaspora* uses.
var AvatarThumbs = []Thumb{
	{Name: ThumbLarge, Side: 300},
	{Name: ThumbMedium, Side: 100},
	{Name: ThumbSmall, Side: 50},
}

// JPEGQuality is the quality renditions are encoded at when they are JPEG.
const JPEGQuality = 85

// Rendition is one encoded output file.
type Rendition struct {
	// Name is Original or a Thumb's name.
	Name string
	// Width and Height are the encoded image's size.
	Width, Height int
	// ContentType is "image/jpeg" or "image/png".
	ContentType string
	// Ext is the file extension matching ContentType: ".jpg" or ".png".
	Ext string
	// Data is the encoded file; it holds no metadata.
	Data []byte
}

// Original encodes the whole kept image: upright, at most
// Limits.MaxOutputSide on its long side, with no metadata. It is JPEG, or
// PNG when the source has transparency so that it is not lost.
func (im *Image) Original() (*Rendition, error) {
	return im.encode(Original, im.img)
}

// Thumbnail crops the middle square of the image, scales it to t.Side
// pixels square (halving with box averages while it is at least twice too
// big, then a Catmull-Rom filter; small images are scaled up, as diaspora*
// does) and encodes it as JPEG, or PNG when the source has
// transparency.
func (im *Image) Thumbnail(t Thumb) (*Rendition, error) {
	if t.Side <= 0 {
		return nil, fmt.Errorf("media: thumbnail %q: side %d is not positive", t.Name, t.Side)
	}
	b := im.img.Bounds()
	s := min(b.Dx(), b.Dy())
	crop := image.Rectangle{Min: b.Min.Add(image.Pt((b.Dx()-s)/2, (b.Dy()-s)/2))}
	crop.Max = crop.Min.Add(image.Pt(s, s))
	dst := image.NewRGBA(image.Rect(0, 0, t.Side, t.Side))
	scaleInto(dst, im.img, crop)
	return im.encode(t.Name, dst)
}

func (im *Image) encode(name string, img image.Image) (*Rendition, error) {
	var buf bytes.Buffer
	r := &Rendition{Name: name, Width: img.Bounds().Dx(), Height: img.Bounds().Dy()}
	if im.HasAlpha {
		r.ContentType, r.Ext = "image/png", ".png"
		if err := png.Encode(&buf, img); err != nil {
			return nil, fmt.Errorf("media: encode %s as PNG: %w", name, err)
		}
	} else {
		r.ContentType, r.Ext = "image/jpeg", ".jpg"
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: JPEGQuality}); err != nil {
			return nil, fmt.Errorf("media: encode %s as JPEG: %w", name, err)
		}
	}
	r.Data = buf.Bytes()
	return r, nil
}
