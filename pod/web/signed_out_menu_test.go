package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// signedInMenu are the side-menu links that only make sense to a
// signed-in user.
var signedInMenu = []string{`href="/activity"`, `href="/mentions"`, `href="/aspects"`, `href="/followed_tags"`,
	`href="/liked"`, `href="/commented"`, ">My activity<", ">@Mentions<", ">My aspects<"}

// TestSignedOutPagesHaveNoSignedInMenu: the public stream, a post, a
// profile and a tag page show a signed-out visitor none of the signed-in
// side menu; a signed-in user still has it on the streams.
func TestSignedOutPagesHaveNoSignedInMenu(t *testing.T) {
	w := newWorld(t)
	guid := post(t, w.alice, "hello #menutest", "public")
	paths := []string{"/public", "/posts/" + guid, "/people/" + w.aliceGUID, "/tags/menutest"}
	for _, path := range paths {
		body := mustStatus(t, w.anon.Get(path), http.StatusOK).Body
		for _, link := range signedInMenu {
			if strings.Contains(body, link) {
				t.Errorf("signed out: GET %s shows %s", path, link)
			}
		}
	}
	for _, path := range []string{"/public", "/tags/menutest", "/stream"} {
		body := mustStatus(t, w.bob.Get(path), http.StatusOK).Body
		for _, link := range signedInMenu {
			if !strings.Contains(body, link) {
				t.Errorf("signed in: GET %s lacks %s", path, link)
			}
		}
	}
}
