package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// FuzzProcess feeds arbitrary bytes through Process and the renditions.
// Limits are kept small so each input stays fast: any refusal is fine, a
// panic or an unexpected error kind is not.
func FuzzProcess(f *testing.F) {
	small := quadrants(12, 8)
	jpg := encodeJPEG(f, small)
	f.Add(jpg)
	f.Add(insertSegments(jpg, jpegSegment(0xE1, exifPayload(binary.BigEndian, 6, "GPS"))))
	f.Add(insertSegments(jpg, jpegSegment(0xE1, exifPayload(binary.LittleEndian, 7, ""))))
	f.Add(encodePNG(f, small))
	f.Add(encodeGIF(f, small))
	f.Add(animatedGIF(f, 4, 4))
	f.Add(readFixture(f, "opaque-lossy.webp"))
	f.Add(readFixture(f, "alpha-lossless.webp"))
	f.Add(webpExtended(f, readFixture(f, "alpha-lossless.webp"), 8, 8, exifPayload(binary.LittleEndian, 3, "")[6:], []byte("<x/>")))
	f.Add(pngHeaderOnly(100000, 100000))
	f.Add([]byte("just text, named .png"))

	lim := Limits{MaxBytes: 1 << 16, MaxPixels: 64 * 64, MaxSide: 128, MaxOutputSide: 48}
	thumb := Thumb{Name: ThumbSmall, Side: 16}
	f.Fuzz(func(t *testing.T, data []byte) {
		jpegOrientation(data)
		im, err := Process(bytes.NewReader(data), lim)
		if err != nil {
			if !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrUnsupported) &&
				!errors.Is(err, ErrTooManyPixels) && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if im.Width < 1 || im.Height < 1 || im.Width > lim.MaxOutputSide || im.Height > lim.MaxOutputSide {
			t.Fatalf("kept image %dx%d", im.Width, im.Height)
		}
		orig, err := im.Original()
		if err != nil {
			t.Fatal(err)
		}
		if orig.Width != im.Width || orig.Height != im.Height || len(orig.Data) == 0 {
			t.Fatalf("original %dx%d for %dx%d", orig.Width, orig.Height, im.Width, im.Height)
		}
		th, err := im.Thumbnail(thumb)
		if err != nil {
			t.Fatal(err)
		}
		if th.Width != thumb.Side || th.Height != thumb.Side {
			t.Fatalf("thumbnail %dx%d", th.Width, th.Height)
		}
	})
}
