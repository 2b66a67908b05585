package photos

import (
	"slices"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/pod"
)

func TestParseFileName(t *testing.T) {
	for name, want := range map[string][2]string{
		"0123abcd.jpg":              {"original", "0123abcd"},
		"thumb_small_0123abcd.png":  {"thumb_small", "0123abcd"},
		"scaled_full_0123abcd.jpeg": {"scaled_full", "0123abcd"},
		"thumb_huge_0123abcd.jpg":   {"original", "thumb_huge_0123abcd"},
		"":                          {"original", ""},
	} {
		if size, guid := parseFileName(name); size != want[0] || guid != want[1] {
			t.Errorf("parseFileName(%q) = %q, %q, want %q, %q", name, size, guid, want[0], want[1])
		}
	}
}

// FuzzParseFileName: any name other pods ask for yields a known size and a
// GUID part that is a piece of the name without a dot.
func FuzzParseFileName(f *testing.F) {
	f.Add("thumb_large_0123456789abcdef0123456789abcdef.jpg")
	f.Add("0123456789abcdef.png")
	f.Add("scaled_full_")
	f.Fuzz(func(t *testing.T, name string) {
		size, guid := parseFileName(name)
		if !slices.Contains(pod.PhotoSizes, size) {
			t.Fatalf("size %q", size)
		}
		if strings.Contains(guid, ".") || !strings.Contains(name, guid) {
			t.Fatalf("guid %q of %q", guid, name)
		}
	})
}
