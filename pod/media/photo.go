package media

import (
	"image"
)

// Post photo renditions, named as diaspora* names them (its photo URLs are
// remote_photo_path + name + "_" + remote_photo_name).
const (
	// ScaledFull is a post photo at most 700 pixels wide.
	ScaledFull = "scaled_full"
)

// Fit is a rendition scaled down, keeping its aspect ratio, to fit within
// MaxW×MaxH (never scaled up).
type Fit struct {
	// Name names the rendition and its file, e.g. "scaled_full".
	Name string
	// MaxW and MaxH bound the width and height in pixels.
	MaxW, MaxH int
}

// PhotoThumbs are the square sizes of a post photo: diaspora*'s
// thumb_small (50×50).
var PhotoThumbs = []Thumb{{Name: ThumbSmall, Side: 50}}

// PhotoFits are the fitted sizes of a post photo, as diaspora* makes them:
// thumb_medium within 100×100, thumb_large within 300×1500, scaled_full
// 700 wide.
var PhotoFits = []Fit{
	{Name: ThumbMedium, MaxW: 100, MaxH: 100},
	{Name: ThumbLarge, MaxW: 300, MaxH: 1500},
	{Name: ScaledFull, MaxW: 700, MaxH: 1 << 20},
}

// Photos are pictures in posts: the bounded original, thumb_small,
// thumb_medium, thumb_large and scaled_full.
var Photos = Collection{Prefix: "photos", Thumbs: PhotoThumbs, Fits: PhotoFits}

// Fitted scales the image down to fit within f (it is never scaled up) and
// encodes it like Original.
func (im *Image) Fitted(f Fit) (*Rendition, error) {
	b := im.img.Bounds()
	w, h := fitBox(b.Dx(), b.Dy(), f.MaxW, f.MaxH)
	if w == b.Dx() && h == b.Dy() {
		return im.encode(f.Name, im.img)
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	scaleInto(dst, im.img, b)
	return im.encode(f.Name, dst)
}

// fitBox returns w×h scaled down, keeping the aspect ratio, to fit within
// maxW×maxH; sides never drop below one pixel.
func fitBox(w, h, maxW, maxH int) (int, int) {
	if w <= maxW && h <= maxH {
		return w, h
	}
	// Scale by the tighter of the two bounds.
	if int64(w)*int64(maxH) >= int64(h)*int64(maxW) {
		return maxW, clampSide(int((int64(h)*int64(maxW) + int64(w)/2) / int64(w)))
	}
	return clampSide(int((int64(w)*int64(maxH) + int64(h)/2) / int64(h))), maxH
}
