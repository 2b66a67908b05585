package media

import (
	"bytes"
	"context"
	"testing"

	"github.com/aspenpod/aspen/pod/media/mediatest"
)

// BenchmarkPhotoSave12MP measures what posting a 12-megapixel phone photo
// costs when all renditions are made at once: decode, orient, scale the
// original and render the four diaspora* sizes, encode and store them.
func BenchmarkPhotoSave12MP(b *testing.B) {
	data := mediatest.PhonePhoto(b)
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
	data := mediatest.PhonePhoto(b)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := Check(data, Limits{MaxBytes: 20 << 20}); err != nil {
			b.Fatal(err)
		}
	}
}
