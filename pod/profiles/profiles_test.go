package profiles_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/pod/podtest"
)

// TestSetAvatarKeepsTheFields: a new picture alone changes the picture
// only. The fields are left as the transaction finds them, even one that
// today's rules would refuse (so an old profile never blocks a picture),
// and nothing read before the transaction is written back over an edit
// saved meanwhile.
func TestSetAvatarKeepsTheFields(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice := p.NewUser(t, "alice")
	// A name stored before ';' was refused.
	if err := p.Store.Exec(ctx, `UPDATE profiles SET first_name = 'Al;ice', bio = 'kept bio' WHERE person_id = ?`, alice.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 64, 64))); err != nil {
		t.Fatal(err)
	}
	if err := p.App.Profiles.SetAvatar(ctx, alice.Session.UserID, &buf); err != nil {
		t.Fatalf("SetAvatar with an old, now refused name stored: %v", err)
	}
	prof, err := p.Store.ProfileOf(ctx, alice.Session.PersonID)
	if err != nil {
		t.Fatal(err)
	}
	if prof.FirstName != "Al;ice" || prof.Bio != "kept bio" || !strings.Contains(prof.ImageURL, "/uploads/avatars/") {
		t.Errorf("after SetAvatar: name %q bio %q image %q", prof.FirstName, prof.Bio, prof.ImageURL)
	}
}
