package web

import "testing"

// TestSafeRedirectTargets checks the same-site rule for every redirect target
// a visitor supplies (return_to, Referer).
func TestSafeRedirectTargets(t *testing.T) {
	bad := []string{
		"/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "/ /evil.example", "/\u00a0/evil.example",
		"//evil.example", "/\\evil.example", "\\\\evil.example", "/\\/evil.example", "/x\\y",
		"https://evil.example/", "http:/evil.example", "javascript:alert(1)", "evil.example", "",
		"/%2F/evil.example", "/%5Cevil.example", "/\x00/evil.example", "/\x7f", "/a\u2028b", "/\xff",
		"/a%09b", "/a%0d%0aSet-Cookie:x=1",
	}
	for _, p := range bad {
		if got := safeReturnTo(p); got != "/" {
			t.Errorf("safeReturnTo(%q) = %q, want /", p, got)
		}
	}
	for _, p := range []string{"/", "/stream", "/user/edit", "/tags/x?max_time=1#top", "/posts/abc?q=a%20b", "/people/x/stream.json"} {
		if got := safeReturnTo(p); got != p {
			t.Errorf("safeReturnTo(%q) = %q, want it kept", p, got)
		}
	}
}
