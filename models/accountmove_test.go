package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/models/modeltest"
)

func movePerson(t *testing.T, st *models.Store, name string) *models.Person {
	t.Helper()
	p := &models.Person{GUID: guid(), DiasporaID: name + "@moves.test", PodHost: "moves.test"}
	if err := st.CreatePerson(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return p
}

func movePost(t *testing.T, st *models.Store, author int64, root *models.Post) *models.Post {
	t.Helper()
	now := time.Now().UTC()
	p := &models.Post{GUID: guid(), AuthorID: author, Type: models.TypeStatusMessage, Public: true, Text: "x",
		CreatedAt: now, UpdatedAt: now, InteractedAt: now}
	if root != nil {
		p.Type, p.RootID, p.RootGUID = models.TypeReshare, &root.ID, &root.GUID
	}
	if err := st.CreatePost(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if root != nil {
		if err := st.AddCounters(context.Background(), root.ID, 0, 0, 1); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// TestDeletePostsOfIsBatched: a closed person's posts go in bounded
// batches, and the posts they reshared lose the count.
func TestDeletePostsOfIsBatched(t *testing.T) {
	st := modeltest.New(t)
	ctx := context.Background()
	gone, other := movePerson(t, st, "gone"), movePerson(t, st, "other")
	root := movePost(t, st, other.ID, nil)
	for i := 0; i < 4; i++ {
		movePost(t, st, gone.ID, nil)
	}
	movePost(t, st, gone.ID, root)
	var got []int64
	for {
		n, err := st.DeletePostsOf(ctx, gone.ID, 2)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
		if n < 2 {
			break
		}
	}
	if fmt.Sprint(got) != "[2 2 1]" {
		t.Errorf("batches %v, want [2 2 1]", got)
	}
	if r, _ := st.PostByID(ctx, root.ID); r.ResharesCount != 0 {
		t.Errorf("the reshared post still counts %d reshares", r.ResharesCount)
	}
	if n, _ := st.Count(ctx, `SELECT count(*) FROM posts WHERE author_id = ?`, other.ID); n != 1 {
		t.Errorf("%d posts of someone else left, want 1", n)
	}
}

// TestRepointMergesAndDropsDuplicates: moving old to new merges a user's
// two contacts (flags or-ed, aspects joined) and drops the old person's
// like where the new one liked the same post, with the counter.
func TestRepointMergesAndDropsDuplicates(t *testing.T) {
	st := modeltest.New(t)
	ctx := context.Background()
	u := &models.User{Username: "mover", Email: "mover@example.org", EncryptedPassword: "x", SerializedPrivateKey: "x"}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	oldP, newP := movePerson(t, st, "old"), movePerson(t, st, "new")
	family := &models.Aspect{UserID: u.ID, Name: "Family"}
	work := &models.Aspect{UserID: u.ID, Name: "Work"}
	for _, a := range []*models.Aspect{family, work} {
		if err := st.CreateAspect(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	co, _ := st.EnsureContact(ctx, u.ID, oldP.ID)
	cn, _ := st.EnsureContact(ctx, u.ID, newP.ID)
	if err := st.SetContactFlags(ctx, co.ID, true, true); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddMembership(ctx, work.ID, co.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddMembership(ctx, family.ID, cn.ID); err != nil {
		t.Fatal(err)
	}
	post := movePost(t, st, movePerson(t, st, "poster").ID, nil)
	for _, who := range []int64{oldP.ID, newP.ID} {
		if err := st.CreateLike(ctx, &models.Like{GUID: guid(), PostID: post.ID, AuthorID: who, Positive: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.AddCounters(ctx, post.ID, 0, 2, 0); err != nil {
		t.Fatal(err)
	}
	if err := st.Tx(ctx, func(tx *models.Store) error {
		if err := tx.RepointContacts(ctx, oldP.ID, newP.ID); err != nil {
			return err
		}
		return tx.RepointContent(ctx, oldP.ID, newP.ID, "")
	}); err != nil {
		t.Fatal(err)
	}
	c, err := st.ContactOf(ctx, u.ID, newP.ID)
	if err != nil || !c.Sharing || !c.Receiving {
		t.Errorf("merged contact %+v %v, want sharing and receiving", c, err)
	}
	if n, _ := st.CountMemberships(ctx, c.ID); n != 2 {
		t.Errorf("merged contact in %d aspects, want 2", n)
	}
	if _, err := st.ContactOf(ctx, u.ID, oldP.ID); err == nil {
		t.Error("the old contact is still there")
	}
	if n, _ := st.Count(ctx, `SELECT count(*) FROM likes WHERE post_id = ?`, post.ID); n != 1 {
		t.Errorf("%d likes, want 1 (the duplicate dropped)", n)
	}
	if p, _ := st.PostByID(ctx, post.ID); p.LikesCount != 1 {
		t.Errorf("likes_count %d, want 1", p.LikesCount)
	}
}
