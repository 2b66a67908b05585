package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"strings"
	"testing"
)

func TestProcessAcceptsFormats(t *testing.T) {
	half := image.NewNRGBA(image.Rect(0, 0, 20, 10)) // left half opaque, right half clear
	for y := 0; y < 10; y++ {
		for x := 0; x < 10; x++ {
			half.Set(x, y, red)
		}
	}
	tests := []struct {
		name      string
		data      []byte
		format    string
		w, h      int
		alpha     bool
		topLeft   color.RGBA
		tolerance int
	}{
		{"jpeg", encodeJPEG(t, quadrants(40, 20)), FormatJPEG, 40, 20, false, red, 40},
		{"png", encodePNG(t, quadrants(40, 20)), FormatPNG, 40, 20, false, red, 0},
		{"png with alpha", encodePNG(t, half), FormatPNG, 20, 10, true, red, 0},
		{"gif", encodeGIF(t, quadrants(40, 20)), FormatGIF, 40, 20, false, red, 0},
		{"gif animated, first frame", animatedGIF(t, 12, 12), FormatGIF, 12, 12, false, red, 0},
		{"webp lossy", readFixture(t, "opaque-lossy.webp"), FormatWebP, 16, 8, false, red, 40},
		{"webp lossless alpha", readFixture(t, "alpha-lossless.webp"), FormatWebP, 8, 8, true, color.RGBA{0, 200, 0, 255}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			im, err := Process(bytes.NewReader(tt.data), DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			if im.Format != tt.format || im.Width != tt.w || im.Height != tt.h || im.HasAlpha != tt.alpha {
				t.Fatalf("got %s %dx%d alpha=%v, want %s %dx%d alpha=%v",
					im.Format, im.Width, im.Height, im.HasAlpha, tt.format, tt.w, tt.h, tt.alpha)
			}
			orig, err := im.Original()
			if err != nil {
				t.Fatal(err)
			}
			wantType := "image/jpeg"
			if tt.alpha {
				wantType = "image/png"
			}
			if orig.ContentType != wantType || orig.Width != tt.w || orig.Height != tt.h {
				t.Fatalf("original is %s %dx%d, want %s %dx%d", orig.ContentType, orig.Width, orig.Height, wantType, tt.w, tt.h)
			}
			out := decodeRendition(t, orig)
			if c := out.At(1, 1); !near(c, tt.topLeft, tt.tolerance+10) {
				t.Errorf("top-left pixel %v, want about %v", c, tt.topLeft)
			}
			if tt.alpha {
				if _, _, _, a := out.At(tt.w-1, tt.h-1).RGBA(); a != 0 {
					t.Errorf("bottom-right pixel alpha %d, want transparent", a)
				}
			}
		})
	}
}

func TestProcessRefusesOtherContent(t *testing.T) {
	for name, data := range map[string][]byte{
		"text named .png": []byte("this is just a text file someone renamed to avatar.png\n"),
		"empty":           nil,
		"html":            []byte("<html><body><img src=x></body></html>"),
		"svg":             []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>`),
		"bmp":             append([]byte("BM"), make([]byte, 60)...),
		"pdf":             []byte("%PDF-1.4\n%âãÏÓ\n"),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Process(bytes.NewReader(data), DefaultLimits)
			if !errors.Is(err, ErrUnsupported) {
				t.Fatalf("err = %v, want ErrUnsupported", err)
			}
			if got, want := err.Error(), "the file is not a JPEG, PNG, WebP or GIF image"; got != want {
				t.Errorf("message %q, want %q", got, want)
			}
		})
	}
}

func TestProcessTooLarge(t *testing.T) {
	_, err := Process(bytes.NewReader(make([]byte, 4<<20+1)), DefaultLimits)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if got, want := err.Error(), "the image is larger than 4 MB"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}

	// An image exactly at the limit is fine; one byte less of limit is not.
	data := encodePNG(t, quadrants(8, 8))
	if _, err := Process(bytes.NewReader(data), Limits{MaxBytes: int64(len(data))}); err != nil {
		t.Errorf("at the limit: %v", err)
	}
	_, err = Process(bytes.NewReader(data), Limits{MaxBytes: int64(len(data)) - 1})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the limit: err = %v, want ErrTooLarge", err)
	}
}

// endless is a reader that never ends, like a client streaming forever.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	e.n += int64(len(p))
	return len(p), nil
}

func TestProcessReadsAtMostLimit(t *testing.T) {
	r := &endless{}
	_, err := Process(r, Limits{MaxBytes: 1000})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if err.Error() != "the image is larger than 1000 bytes" {
		t.Errorf("message %q", err.Error())
	}
	if r.n > 1<<16 {
		t.Errorf("read %d bytes for a 1000-byte limit", r.n)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestProcessReadErrorIsNotUploadError(t *testing.T) {
	_, err := Process(failingReader{}, DefaultLimits)
	if err == nil || IsUploadError(err) {
		t.Fatalf("err = %v; a failing reader is a server-side error", err)
	}
}

func TestProcessRefusesPixelBombs(t *testing.T) {
	bomb := pngHeaderOnly(100000, 100000)
	_, err := Process(bytes.NewReader(bomb), DefaultLimits)
	if !errors.Is(err, ErrTooManyPixels) {
		t.Fatalf("err = %v, want ErrTooManyPixels", err)
	}
	want := "the image is 100000×100000 pixels; the most allowed is 10000 pixels on a side and 40 megapixels in total"
	if err.Error() != want {
		t.Errorf("message %q, want %q", err.Error(), want)
	}

	// Within each side's bound but too many pixels in total.
	_, err = Process(bytes.NewReader(pngHeaderOnly(9000, 9000)), DefaultLimits)
	if !errors.Is(err, ErrTooManyPixels) {
		t.Errorf("9000x9000: err = %v, want ErrTooManyPixels", err)
	}
	// One very long side.
	_, err = Process(bytes.NewReader(pngHeaderOnly(20000, 10)), DefaultLimits)
	if !errors.Is(err, ErrTooManyPixels) {
		t.Errorf("20000x10: err = %v, want ErrTooManyPixels", err)
	}
	// Custom, smaller limits apply to real images too.
	lim := Limits{MaxSide: 32, MaxPixels: 32 * 32}
	if _, err := Process(bytes.NewReader(encodeJPEG(t, quadrants(33, 10))), lim); !errors.Is(err, ErrTooManyPixels) {
		t.Errorf("33x10 with MaxSide 32: err = %v, want ErrTooManyPixels", err)
	}
	if _, err := Process(bytes.NewReader(encodeJPEG(t, quadrants(32, 32))), lim); err != nil {
		t.Errorf("32x32 at the bound: %v", err)
	}
}

func TestProcessCorrupt(t *testing.T) {
	full := encodePNG(t, quadrants(64, 64))
	for name, data := range map[string][]byte{
		"truncated png":  full[:len(full)/2],
		"png zero width": pngHeaderOnly(0, 10),
		"jpeg soi only":  {0xFF, 0xD8, 0xFF},
		"gif header":     []byte("GIF89a"),
		"webp header":    []byte("RIFF\x10\x00\x00\x00WEBPVP8 "),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Process(bytes.NewReader(data), DefaultLimits)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
			if strings.Contains(err.Error(), "png") || strings.Contains(err.Error(), ":") {
				t.Errorf("message shows internals: %q", err.Error())
			}
			var e *Error
			if !errors.As(err, &e) || e.Err == nil {
				t.Errorf("want the cause kept for logs, got %#v", err)
			}
		})
	}
}

func TestMetadataIsStripped(t *testing.T) {
	const (
		gps     = "GPSLatitude=52.5200N GPSLongitude=13.4050E SECRET-HOME-LOCATION"
		comment = "SECRET-COMMENT by camera owner"
		icc     = "ICC_PROFILE\x00\x01\x01SECRET-ICC-DESCRIPTION"
		xmp     = "http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>SECRET-XMP</x:xmpmeta>"
	)
	jpg := insertSegments(encodeJPEG(t, quadrants(64, 48)),
		jpegSegment(0xE1, exifPayload(binary.BigEndian, 1, gps)),
		jpegSegment(0xE1, []byte(xmp)),
		jpegSegment(0xE2, []byte(icc)),
		jpegSegment(0xFE, []byte(comment)),
	)
	pngData := insertPNGChunk(encodePNG(t, quadrants(64, 48)),
		pngChunk("tEXt", []byte("Comment\x00"+comment)))
	pngData = insertPNGChunk(pngData, pngChunk("eXIf", exifPayload(binary.BigEndian, 1, gps)[6:]))

	for name, data := range map[string][]byte{"jpeg": jpg, "png": pngData} {
		t.Run(name, func(t *testing.T) {
			if !bytes.Contains(data, []byte("SECRET-HOME-LOCATION")) {
				t.Fatal("test input lacks the marker")
			}
			im, err := Process(bytes.NewReader(data), DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			outs := []*Rendition{}
			orig, err := im.Original()
			if err != nil {
				t.Fatal(err)
			}
			outs = append(outs, orig)
			for _, th := range AvatarThumbs {
				r, err := im.Thumbnail(th)
				if err != nil {
					t.Fatal(err)
				}
				outs = append(outs, r)
			}
			for _, r := range outs {
				decodeRendition(t, r)
				for _, secret := range []string{"SECRET", "GPS", "Exif", "ICC_PROFILE", "xmpmeta"} {
					if bytes.Contains(r.Data, []byte(secret)) {
						t.Errorf("%s still contains %q", r.Name, secret)
					}
				}
				if r.ContentType == "image/jpeg" && hasJPEGMarker(r.Data, 0xE1, 0xE2, 0xFE) {
					t.Errorf("%s has an APP1, APP2 or COM segment", r.Name)
				}
			}
		})
	}
}

// hasJPEGMarker reports whether any of the given markers appears before
// the first scan.
func hasJPEGMarker(b []byte, markers ...byte) bool {
	for i := 2; i+4 <= len(b) && b[i] == 0xFF; {
		m := b[i+1]
		if m == 0xDA {
			return false
		}
		for _, want := range markers {
			if m == want {
				return true
			}
		}
		i += 2 + int(binary.BigEndian.Uint16(b[i+2:]))
	}
	return false
}

func TestOrientationTurnsTinyImage(t *testing.T) {
	// A 2×1 photo taken with the camera on its side (orientation 6) is
	// shown 1×2.
	jpg := insertSegments(encodeJPEG(t, quadrants(2, 1)),
		jpegSegment(0xE1, exifPayload(binary.LittleEndian, 6, "")))
	im, err := Process(bytes.NewReader(jpg), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if im.Width != 1 || im.Height != 2 {
		t.Fatalf("kept image is %dx%d, want 1x2", im.Width, im.Height)
	}
	orig, err := im.Original()
	if err != nil {
		t.Fatal(err)
	}
	if out := decodeRendition(t, orig); out.Bounds().Dx() != 1 || out.Bounds().Dy() != 2 {
		t.Fatalf("original is %v, want 1x2", out.Bounds())
	}
}

func TestOrientationAllEight(t *testing.T) {
	// Stored 32×16: red | green over blue | white. Each row lists the
	// displayed quadrants top-left, top-right, bottom-left, bottom-right.
	want := map[uint16][4]color.RGBA{
		1: {red, green, blue, white},
		2: {green, red, white, blue},
		3: {white, blue, green, red},
		4: {blue, white, red, green},
		5: {red, blue, green, white},
		6: {blue, red, white, green},
		7: {white, green, blue, red},
		8: {green, white, red, blue},
	}
	src := encodeJPEG(t, quadrants(32, 16))
	for o := uint16(1); o <= 8; o++ {
		for _, order := range []byteOrder{binary.BigEndian, binary.LittleEndian} {
			t.Run(fmt.Sprintf("%d/%v", o, order), func(t *testing.T) {
				jpg := insertSegments(src, jpegSegment(0xE1, exifPayload(order, o, "")))
				im, err := Process(bytes.NewReader(jpg), DefaultLimits)
				if err != nil {
					t.Fatal(err)
				}
				w, h := 32, 16
				if o >= 5 {
					w, h = 16, 32
				}
				if im.Width != w || im.Height != h {
					t.Fatalf("size %dx%d, want %dx%d", im.Width, im.Height, w, h)
				}
				orig, err := im.Original()
				if err != nil {
					t.Fatal(err)
				}
				out := decodeRendition(t, orig)
				pts := []image.Point{{w / 4, h / 4}, {3 * w / 4, h / 4}, {w / 4, 3 * h / 4}, {3 * w / 4, 3 * h / 4}}
				for i, p := range pts {
					if c := out.At(p.X, p.Y); !near(c, want[o][i], 60) {
						t.Errorf("quadrant %d at %v is %v, want %v", i, p, c, want[o][i])
					}
				}
			})
		}
	}
}

func TestJPEGOrientationParser(t *testing.T) {
	base := encodeJPEG(t, quadrants(8, 8))
	exif6 := exifPayload(binary.BigEndian, 6, "")
	tests := []struct {
		name string
		data []byte
		want int
	}{
		{"none", base, 1},
		{"orientation 6", insertSegments(base, jpegSegment(0xE1, exif6)), 6},
		{"after XMP APP1", insertSegments(base, jpegSegment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00x")), jpegSegment(0xE1, exif6)), 6},
		{"fill bytes", insertSegments(base, []byte{0xFF, 0xFF}, jpegSegment(0xE1, exif6)), 6},
		{"out of range", insertSegments(base, jpegSegment(0xE1, exifPayload(binary.BigEndian, 9, ""))), 1},
		{"zero", insertSegments(base, jpegSegment(0xE1, exifPayload(binary.BigEndian, 0, ""))), 1},
		{"bad byte order", insertSegments(base, jpegSegment(0xE1, append([]byte("Exif\x00\x00XX"), exif6[8:]...))), 1},
		{"IFD offset past end", insertSegments(base, jpegSegment(0xE1, []byte("Exif\x00\x00MM\x00\x2a\xff\xff\xff\xf0"))), 1},
		{"entry count past end", insertSegments(base, jpegSegment(0xE1, []byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\xff\xff\x01\x12"))), 1},
		{"segment length past end", []byte{0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 'E', 'x'}, 1},
		{"segment length too small", []byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01, 0xFF, 0xD9}, 1},
		{"truncated exif", []byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x08, 'E', 'x', 'i', 'f', 0, 0}, 1},
		{"not a jpeg", []byte("hello"), 1},
		{"empty", nil, 1},
	}
	for _, tt := range tests {
		if got := jpegOrientation(tt.data); got != tt.want {
			t.Errorf("%s: got %d, want %d", tt.name, got, tt.want)
		}
	}
	// Every prefix of a file with EXIF parses without panicking.
	full := insertSegments(base, jpegSegment(0xE1, exif6))
	for i := range full {
		jpegOrientation(full[:i])
	}
}

func TestThumbnailsHaveExactSizes(t *testing.T) {
	for _, size := range []image.Point{{640, 480}, {480, 640}, {30, 70}, {1, 1}, {301, 300}} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			im, err := Process(bytes.NewReader(encodePNG(t, quadrants(size.X, size.Y))), DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			for _, th := range AvatarThumbs {
				r, err := im.Thumbnail(th)
				if err != nil {
					t.Fatal(err)
				}
				if r.Width != th.Side || r.Height != th.Side || r.ContentType != "image/jpeg" || r.Ext != ".jpg" {
					t.Errorf("%s: %dx%d %s %s, want %dx%d JPEG", th.Name, r.Width, r.Height, r.ContentType, r.Ext, th.Side, th.Side)
				}
				decodeRendition(t, r)
			}
		})
	}
}

func TestThumbnailCropsCenter(t *testing.T) {
	// 300×100: red, green, blue thirds. The square crop is the green third.
	img := image.NewRGBA(image.Rect(0, 0, 300, 100))
	for y := 0; y < 100; y++ {
		for x := 0; x < 300; x++ {
			img.SetRGBA(x, y, []color.RGBA{red, green, blue}[x/100])
		}
	}
	im, err := Process(bytes.NewReader(encodePNG(t, img)), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	r, err := im.Thumbnail(Thumb{Name: ThumbLarge, Side: 300})
	if err != nil {
		t.Fatal(err)
	}
	out := decodeRendition(t, r)
	for _, p := range []image.Point{{2, 2}, {150, 150}, {297, 297}} {
		if c := out.At(p.X, p.Y); !near(c, green, 30) {
			t.Errorf("pixel %v is %v, want green", p, c)
		}
	}
}

func TestThumbnailTransparentIsPNG(t *testing.T) {
	im, err := Process(bytes.NewReader(readFixture(t, "alpha-lossless.webp")), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	r, err := im.Thumbnail(Thumb{Name: ThumbSmall, Side: 50})
	if err != nil {
		t.Fatal(err)
	}
	if r.ContentType != "image/png" || r.Ext != ".png" {
		t.Fatalf("got %s %s, want PNG", r.ContentType, r.Ext)
	}
	out := decodeRendition(t, r)
	if _, _, _, a := out.At(25, 45).RGBA(); a != 0 {
		t.Errorf("bottom pixel alpha %d, want transparent", a)
	}
	if c := out.At(25, 5); !near(c, color.RGBA{0, 200, 0, 255}, 5) {
		t.Errorf("top pixel %v, want green", c)
	}
	if _, err := im.Thumbnail(Thumb{Name: "bad", Side: 0}); err == nil {
		t.Error("a zero-sided thumbnail should fail")
	}
}

func TestOriginalIsBounded(t *testing.T) {
	for _, tt := range []struct{ w, h, ww, wh int }{
		{4000, 1000, 1600, 400},
		{1000, 4000, 400, 1600},
		{1600, 1600, 1600, 1600},
		{1601, 3, 1600, 3},
		{5000, 1, 1600, 1},
		{800, 600, 800, 600}, // never scaled up
	} {
		im, err := Process(bytes.NewReader(encodeJPEG(t, solid(tt.w, tt.h, blue))), DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		orig, err := im.Original()
		if err != nil {
			t.Fatal(err)
		}
		if orig.Width != tt.ww || orig.Height != tt.wh {
			t.Errorf("%dx%d: original %dx%d, want %dx%d", tt.w, tt.h, orig.Width, orig.Height, tt.ww, tt.wh)
		}
		decodeRendition(t, orig)
	}

	// The bound is applied to the upright image, after orientation.
	jpg := insertSegments(encodeJPEG(t, solid(2000, 500, blue)),
		jpegSegment(0xE1, exifPayload(binary.BigEndian, 8, "")))
	im, err := Process(bytes.NewReader(jpg), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if im.Width != 400 || im.Height != 1600 {
		t.Errorf("turned and bounded: %dx%d, want 400x1600", im.Width, im.Height)
	}
}

func TestHumanUnits(t *testing.T) {
	for n, want := range map[int64]string{
		1: "1 byte", 900: "900 bytes", 1024: "1 KB", 1536: "1.5 KB",
		4 << 20: "4 MB", 5<<20 + 1<<19: "5.5 MB", 2 << 30: "2 GB",
	} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
	for n, want := range map[int64]string{40_000_000: "40 megapixels", 2_500_000: "2.5 megapixels", 4096: "4096 pixels"} {
		if got := humanPixels(n); got != want {
			t.Errorf("humanPixels(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestUploadMessage(t *testing.T) {
	_, err := Process(strings.NewReader("plain text"), DefaultLimits)
	wrapped := fmt.Errorf("update profile: %w", err)
	msg, ok := UploadMessage(wrapped)
	if !ok || msg != ErrUnsupported.Error() {
		t.Errorf("UploadMessage = %q, %v", msg, ok)
	}
	if !IsUploadError(wrapped) || !errors.Is(wrapped, ErrUnsupported) {
		t.Error("wrapped upload error not recognised")
	}
	if _, ok := UploadMessage(errors.New("disk full")); ok || IsUploadError(nil) {
		t.Error("other errors are not upload errors")
	}
}

// BenchmarkAvatarFromPhoto measures a typical phone photo (12 megapixels,
// turned by EXIF) becoming an original and the three avatar thumbnails.
func BenchmarkAvatarFromPhoto(b *testing.B) {
	jpg := insertSegments(encodeJPEG(b, quadrants(4000, 3000)),
		jpegSegment(0xE1, exifPayload(binary.BigEndian, 6, "")))
	lim := Limits{MaxBytes: int64(len(jpg))}
	b.SetBytes(int64(len(jpg)))
	for b.Loop() {
		im, err := Process(bytes.NewReader(jpg), lim)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := im.Original(); err != nil {
			b.Fatal(err)
		}
		for _, th := range AvatarThumbs {
			if _, err := im.Thumbnail(th); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func TestScalingDoesNotAlias(t *testing.T) {
	// A one-pixel checkerboard scaled down must come out an even grey, not
	// a pattern picked from single pixels.
	img := image.NewGray(image.Rect(0, 0, 1001, 999))
	for y := 0; y < 999; y++ {
		for x := 0; x < 1001; x++ {
			if (x+y)%2 == 0 {
				img.Pix[img.PixOffset(x, y)] = 255
			}
		}
	}
	im, err := Process(bytes.NewReader(encodePNG(t, img)), Limits{MaxOutputSide: 400})
	if err != nil {
		t.Fatal(err)
	}
	outs := []image.Image{im.img}
	for _, th := range AvatarThumbs {
		r, err := im.Thumbnail(th)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, decodeRendition(t, r))
	}
	for i, out := range outs {
		b := out.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y += 7 {
			for x := b.Min.X; x < b.Max.X; x += 7 {
				if c := out.At(x, y); !near(c, color.RGBA{128, 128, 128, 255}, 12) {
					t.Fatalf("output %d (%v): pixel (%d,%d) is %v, want grey", i, b, x, y, c)
				}
			}
		}
	}
}

// webpExtended wraps a simple lossless WebP in the extended (VP8X) layout
// with EXIF and XMP chunks after the image, as cameras and editors write it.
func webpExtended(t testing.TB, simple []byte, w, h int, exif, xmp []byte) []byte {
	t.Helper()
	if string(simple[12:16]) != "VP8L" {
		t.Fatal("fixture is not a simple lossless WebP")
	}
	chunk := func(fourcc string, data []byte) []byte {
		c := append([]byte(fourcc), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
		c = append(c, data...)
		if len(data)%2 == 1 {
			c = append(c, 0)
		}
		return c
	}
	vp8x := []byte{0x08 | 0x04 | 0x10, 0, 0, 0} // EXIF, XMP, alpha
	vp8x = append(vp8x, byte(w-1), byte((w-1)>>8), byte((w-1)>>16), byte(h-1), byte((h-1)>>8), byte((h-1)>>16))
	body := []byte("WEBP")
	body = append(body, chunk("VP8X", vp8x)...)
	body = append(body, simple[12:]...) // the VP8L chunk as is
	body = append(body, chunk("EXIF", exif)...)
	body = append(body, chunk("XMP ", xmp)...)
	return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...), body...)
}

func TestWebPMetadataIsStripped(t *testing.T) {
	exif := exifPayload(binary.BigEndian, 1, "GPSLatitude SECRET-WEBP-GPS")[6:]
	data := webpExtended(t, readFixture(t, "alpha-lossless.webp"), 8, 8, exif, []byte("<x:xmpmeta>SECRET-WEBP-XMP</x:xmpmeta>"))
	im, err := Process(bytes.NewReader(data), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if im.Format != FormatWebP || im.Width != 8 || im.Height != 8 || !im.HasAlpha {
		t.Fatalf("got %+v", im)
	}
	r, err := im.Thumbnail(AvatarThumbs[0])
	if err != nil {
		t.Fatal(err)
	}
	orig, err := im.Original()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Rendition{r, orig} {
		decodeRendition(t, r)
		if bytes.Contains(r.Data, []byte("SECRET")) {
			t.Errorf("%s keeps WebP metadata", r.Name)
		}
	}
}
