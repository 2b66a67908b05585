// Package media turns uploaded pictures into the files a pod serves: it
// checks and decodes an upload (JPEG, PNG, WebP or GIF, detected by content),
// makes it upright, drops all metadata by re-encoding from pixels, and
// renders a bounded "original" plus square thumbnails in diaspora*'s sizes.
// A small Store interface, with a LocalStore on disk, keeps the results.
//
// Typical use from a handler:
//
//	saved, err := media.Avatars.Save(ctx, store, file, media.DefaultLimits)
//	if msg, ok := media.UploadMessage(err); ok {
//		// 4xx: show msg in the form
//	} else if err != nil {
//		// 5xx
//	}
//	url := media.URLPath(saved.Key(media.ThumbLarge))
//
// Processing holds the whole decoded source in memory (1.5 to 8 bytes per
// pixel depending on the format, so up to a few hundred MB at the default
// 40 megapixels) plus a scaling buffer of up to about 120 MB for a
// 1600-pixel original; a 12-megapixel phone photo allocates about 130 MB in
// all. Callers should bound how many uploads are processed at once.
package media

import (
	"bytes"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// Limits bound the work Process does for one upload. A zero field means the
// value from DefaultLimits.
type Limits struct {
	// MaxBytes is the largest upload accepted, in bytes.
	MaxBytes int64
	// MaxPixels is the largest width×height accepted, checked from the
	// header before any pixel is decoded.
	MaxPixels int64
	// MaxSide is the largest width or height accepted, checked likewise.
	MaxSide int
	// MaxOutputSide bounds the long side of the kept image and so of the
	// "original" rendition; larger images are scaled down, smaller ones
	// are never scaled up.
	MaxOutputSide int
}

// DefaultLimits suit avatar and photo uploads: 4 MB, 40 megapixels,
// 10000 pixels on a side, and originals kept at most 1600 pixels long.
var DefaultLimits = Limits{
	MaxBytes:      4 << 20,
	MaxPixels:     40_000_000,
	MaxSide:       10_000,
	MaxOutputSide: 1600,
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultLimits.MaxBytes
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = DefaultLimits.MaxPixels
	}
	if l.MaxSide <= 0 {
		l.MaxSide = DefaultLimits.MaxSide
	}
	if l.MaxOutputSide <= 0 {
		l.MaxOutputSide = DefaultLimits.MaxOutputSide
	}
	return l
}

// Source formats Process accepts, as reported in Image.Format.
const (
	FormatJPEG = "jpeg"
	FormatPNG  = "png"
	FormatWebP = "webp"
	FormatGIF  = "gif"
)

// Image is a decoded, upright upload, already scaled down to at most
// Limits.MaxOutputSide on its long side and detached from every byte of the
// original file (so no metadata survives into its renditions).
type Image struct {
	// Format is the detected source format: FormatJPEG, FormatPNG,
	// FormatWebP or FormatGIF.
	Format string
	// Width and Height are the kept image's size, upright.
	Width, Height int
	// HasAlpha reports whether the source has transparent pixels; if so
	// renditions are PNG, otherwise JPEG.
	HasAlpha bool

	img image.Image
}

// Process reads one upload from r and decodes it into an upright Image.
//
// It reads at most lim.MaxBytes bytes (more is ErrTooLarge), detects the
// format from the content alone (anything but JPEG, PNG, WebP or GIF is
// ErrUnsupported; for GIF only the first frame is kept), reads the header
// and refuses images beyond lim.MaxSide or lim.MaxPixels (ErrTooManyPixels)
// before decoding, and applies a JPEG's EXIF orientation. Problems with the
// file are *Error values; other errors come from reading r.
func Process(r io.Reader, lim Limits) (*Image, error) {
	lim = lim.withDefaults()
	data, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("media: read upload: %w", err)
	}
	if int64(len(data)) > lim.MaxBytes {
		return nil, tooLarge(lim.MaxBytes)
	}
	return processBytes(data, lim)
}

// Header is what Check learns from an upload without decoding its pixels.
type Header struct {
	// Format is the detected format (FormatJPEG, ...).
	Format string
	// Width and Height are the upright size (after EXIF orientation).
	Width, Height int
}

// Check does the cheap part of Process: it detects the format from the
// content and refuses files beyond lim's size, side and pixel limits from
// the header alone. A file that passes may still fail to decode.
func Check(data []byte, lim Limits) (*Header, error) {
	lim = lim.withDefaults()
	if int64(len(data)) > lim.MaxBytes {
		return nil, tooLarge(lim.MaxBytes)
	}
	ct := http.DetectContentType(data)
	format := formatOf(ct)
	if format == "" {
		return nil, unsupported(ct)
	}
	cfg, err := decoders[format].config(bytes.NewReader(data))
	if err != nil {
		return nil, corrupt(format, fmt.Errorf("header: %w", err))
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, corrupt(format, fmt.Errorf("empty image %dx%d", cfg.Width, cfg.Height))
	}
	if cfg.Width > lim.MaxSide || cfg.Height > lim.MaxSide ||
		int64(cfg.Width)*int64(cfg.Height) > lim.MaxPixels {
		return nil, tooManyPixels(cfg.Width, cfg.Height, lim)
	}
	h := &Header{Format: format, Width: cfg.Width, Height: cfg.Height}
	if format == FormatJPEG && jpegOrientation(data) >= 5 { // turned by 90°
		h.Width, h.Height = h.Height, h.Width
	}
	return h, nil
}

func processBytes(data []byte, lim Limits) (*Image, error) {
	h, err := Check(data, lim)
	if err != nil {
		return nil, err
	}
	format := h.Format
	dec := decoders[format]

	src, err := safeDecode(dec.decode, data)
	if err != nil {
		return nil, corrupt(format, err)
	}
	b := src.Bounds()
	if b.Empty() {
		return nil, corrupt(format, fmt.Errorf("empty image %v", b))
	}
	// The header already bounded the size; this catches a decoder whose
	// image disagrees with its own header.
	if b.Dx() > lim.MaxSide || b.Dy() > lim.MaxSide || int64(b.Dx())*int64(b.Dy()) > lim.MaxPixels {
		return nil, tooManyPixels(b.Dx(), b.Dy(), lim)
	}

	orientation := 1
	if format == FormatJPEG {
		orientation = jpegOrientation(data)
	}
	img := upright(src, orientation, lim.MaxOutputSide)
	ib := img.Bounds()
	return &Image{
		Format:   format,
		Width:    ib.Dx(),
		Height:   ib.Dy(),
		HasAlpha: !opaque(src),
		img:      img,
	}, nil
}

// formatOf maps a sniffed content type to an accepted format, or "".
func formatOf(contentType string) string {
	switch contentType {
	case "image/jpeg":
		return FormatJPEG
	case "image/png":
		return FormatPNG
	case "image/webp":
		return FormatWebP
	case "image/gif":
		return FormatGIF
	}
	return ""
}

type decoder struct {
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}

// decoders are called directly rather than through image.Decode, so that
// formats registered elsewhere in the binary are never accepted here.
var decoders = map[string]decoder{
	FormatJPEG: {jpeg.DecodeConfig, jpeg.Decode},
	FormatPNG:  {png.DecodeConfig, png.Decode},
	FormatWebP: {webp.DecodeConfig, webp.Decode},
	FormatGIF:  {gif.DecodeConfig, gif.Decode}, // gif.Decode keeps the first frame only
}

// safeDecode runs a decoder over untrusted bytes and turns a panic inside
// it into an error, so one bad upload cannot take the pod down.
func safeDecode(decode func(io.Reader) (image.Image, error), data []byte) (img image.Image, err error) {
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, fmt.Errorf("decoder panic: %v", p)
		}
	}()
	return decode(bytes.NewReader(data))
}

// opaque reports whether every pixel of img is fully opaque.
func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a != 0xffff {
				return false
			}
		}
	}
	return true
}

// upright returns src turned by the EXIF orientation and scaled down so its
// long side is at most maxSide. It scales before turning, so only the
// smaller image is copied pixel by pixel. When nothing needs doing it
// returns src itself.
func upright(src image.Image, orientation, maxSide int) image.Image {
	b := src.Bounds()
	w, h := fitWithin(b.Dx(), b.Dy(), maxSide)
	if orientation == 1 && w == b.Dx() && h == b.Dy() {
		return src
	}
	scaled := image.NewRGBA(image.Rect(0, 0, w, h))
	if w == b.Dx() && h == b.Dy() {
		draw.Draw(scaled, scaled.Bounds(), src, b.Min, draw.Src)
	} else {
		scaleInto(scaled, src, b)
	}
	return orient(scaled, orientation)
}

// scaleInto scales the part sr of src to fill dst. While the source is at
// least twice the destination's size it is first halved with exact 2×2 box
// averages (ApproxBiLinear at exactly 2:1 is that), which is cheap and
// alias-free; a Catmull-Rom pass then does the last factor below two. This
// keeps both the time and Catmull-Rom's work buffer, which is 32 bytes per
// destination column per source row, small for big photos.
func scaleInto(dst *image.RGBA, src image.Image, sr image.Rectangle) {
	dw, dh := dst.Bounds().Dx(), dst.Bounds().Dy()
	for sr.Dx() >= 2*dw && sr.Dy() >= 2*dh {
		hw, hh := sr.Dx()/2, sr.Dy()/2
		half := image.NewRGBA(image.Rect(0, 0, hw, hh))
		even := image.Rectangle{Min: sr.Min, Max: sr.Min.Add(image.Pt(2*hw, 2*hh))}
		draw.ApproxBiLinear.Scale(half, half.Bounds(), src, even, draw.Src, nil)
		src, sr = half, half.Bounds()
	}
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, sr, draw.Src, nil)
}

// fitWithin returns w×h scaled down, keeping the aspect ratio, so that the
// long side is at most max; sides never drop below one pixel.
func fitWithin(w, h, max int) (int, int) {
	if w <= max && h <= max {
		return w, h
	}
	if w >= h {
		return max, clampSide(int((int64(h)*int64(max) + int64(w)/2) / int64(w)))
	}
	return clampSide(int((int64(w)*int64(max) + int64(h)/2) / int64(h))), max
}

func clampSide(n int) int {
	if n < 1 {
		return 1
	}
	return n
}
