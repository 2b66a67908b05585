package media

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"math/rand/v2"
	"testing"
	"time"
)

// photo12MP is a 4000×3000 JPEG with noise, so that it encodes about as
// large as a phone photo (a few MB), not as a flat image.
func photo12MP(tb testing.TB) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4000, 3000))
	r := rand.New(rand.NewPCG(1, 2))
	for y := 0; y < 3000; y++ {
		for x := 0; x < 4000; x++ {
			n := uint8(r.IntN(48))
			img.SetRGBA(x, y, color.RGBA{uint8(x/16) + n, uint8(y/12) + n, uint8((x+y)/28) + n, 255})
		}
	}
	return encodeJPEG(tb, img)
}

// BenchmarkPhotoSave12MP measures what posting a 12-megapixel phone photo
// costs when all renditions are made at once: decode, orient, scale the
// original and render the four diaspora* sizes, encode and store them.
func BenchmarkPhotoSave12MP(b *testing.B) {
	data := photo12MP(b)
	st, err := NewLocalStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	lim := Limits{MaxBytes: 20 << 20}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := Photos.Save(context.Background(), st, bytes.NewReader(data), lim); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPhotoCheck12MP measures the part of an upload that must happen
// in the request in any case: reading the bytes, detecting the format and
// checking the dimensions from the header.
func BenchmarkPhotoCheck12MP(b *testing.B) {
	data := photo12MP(b)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := Check(data, Limits{MaxBytes: 20 << 20}); err != nil {
			b.Fatal(err)
		}
	}
}

var _ = time.Second
