package models_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/models/modeltest"
)

// TestIDsAreRandom checks that no table numbers its rows in sequence, so
// that an ID someone sees (of a post, comment, like, person, notification,
// ...) does not tell them how many other rows exist or were made between
// two of theirs; and that IDs stay exact as JavaScript numbers. Internal
// tables whose IDs never leave the server keep their sequences: the outbox
// and the key pool (their sequence is their order) and deliveries (the
// busiest insert of a fan-out).
func TestIDsAreRandom(t *testing.T) {
	st := modeltest.New(t)
	ctx := context.Background()
	const idDefaults = `FROM information_schema.columns
		WHERE table_schema = current_schema() AND column_name = 'id' AND column_default IS NOT NULL
		AND table_name NOT IN ('outbox', 'key_pool', 'deliveries')`
	n, err := st.Count(ctx, `SELECT count(*) `+idDefaults)
	if err != nil {
		t.Fatal(err)
	}
	if n < 15 {
		t.Fatalf("only %d tables with an id default", n)
	}
	var bad string
	if err := st.Scalar(ctx, &bad, `SELECT COALESCE(string_agg(table_name || '.id DEFAULT ' || column_default, ', '), '') `+idDefaults+`
		AND column_default <> 'aspen_random_id()'`); err != nil {
		t.Fatal(err)
	}
	if bad != "" {
		t.Errorf("IDs not random: %s", bad)
	}

	// Rows made one after another get scattered IDs in [1, 2^53).
	names := make([]string, 40)
	for i := range names {
		names[i] = fmt.Sprintf("randomids%d", i)
	}
	var ids []int64
	for _, n := range names {
		got, err := st.EnsureTags(ctx, []string{n})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, got...)
	}
	if slices.IsSorted(ids) {
		t.Errorf("IDs of successive rows increase: %v", ids)
	}
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	for i, id := range sorted {
		if id < 1 || id >= 1<<53 {
			t.Errorf("ID %d outside [1, 2^53)", id)
		}
		if i > 0 && id-sorted[i-1] < 1000 {
			t.Errorf("IDs %d and %d are neighbours", sorted[i-1], id)
		}
	}
}

// TestVisiblePostBySixteenDigitID finds a post by a numeric ID as long as a
// GUID, which random IDs often are.
func TestVisiblePostBySixteenDigitID(t *testing.T) {
	st := modeltest.New(t)
	ctx := context.Background()
	u := &models.User{Username: "sixteen", Email: "sixteen@example.org", EncryptedPassword: "x", SerializedPrivateKey: "x"}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	pe := &models.Person{GUID: guid(), DiasporaID: "sixteen@ids.test", PodHost: "ids.test", OwnerID: &u.ID}
	if err := st.CreatePerson(ctx, pe); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	p := &models.Post{ID: 9007199254740991, GUID: guid(), AuthorID: pe.ID, Type: models.TypeStatusMessage, Public: true,
		Text: "big id", CreatedAt: now, UpdatedAt: now, InteractedAt: now}
	if err := st.CreatePost(ctx, p); err != nil {
		t.Fatal(err)
	}
	got, err := st.VisiblePost(ctx, models.Viewer{}, strconv.FormatInt(p.ID, 10))
	if err != nil || got.GUID != p.GUID {
		t.Fatalf("VisiblePost(%d) = %v, %v", p.ID, got, err)
	}
	// A GUID made of digits only still names its own post.
	q := &models.Post{GUID: "1234567890123456", AuthorID: pe.ID, Type: models.TypeStatusMessage, Public: true,
		Text: "digit guid", CreatedAt: now, UpdatedAt: now, InteractedAt: now}
	if err := st.CreatePost(ctx, q); err != nil {
		t.Fatal(err)
	}
	if got, err := st.VisiblePost(ctx, models.Viewer{}, q.GUID); err != nil || got.ID != q.ID {
		t.Fatalf("VisiblePost(%s) = %v, %v", q.GUID, got, err)
	}
	if _, err := st.VisiblePost(ctx, models.Viewer{}, "12x"); err == nil {
		t.Error("VisiblePost of a short non-number found something")
	}
}

// TestRepresentativeUserIsTheFirstToSignUp checks that "the first user" is
// the first by sign-up time, not by ID (IDs are random).
func TestRepresentativeUserIsTheFirstToSignUp(t *testing.T) {
	st := modeltest.New(t)
	ctx := context.Background()
	older := &models.User{ID: 8000000000000000, Username: "older", Email: "older@example.org", EncryptedPassword: "x", SerializedPrivateKey: "x",
		CreatedAt: time.Now().Add(-time.Hour)}
	newer := &models.User{ID: 7, Username: "newer", Email: "newer@example.org", EncryptedPassword: "x", SerializedPrivateKey: "x"}
	for _, u := range []*models.User{older, newer} {
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if id, err := st.RepresentativeUser(ctx); err != nil || id != older.ID {
		t.Errorf("RepresentativeUser = %d, %v; want the older user %d", id, err, older.ID)
	}
}
