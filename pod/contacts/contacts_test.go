package contacts_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/accounts"
	"github.com/aspenpod/aspen/pod/contacts"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/streams"
)

func TestSharingReceivingAndMutual(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice, bob := p.NewUser(t, "alice"), p.NewUser(t, "bob")

	m, err := p.App.Contacts.AddToAspect(ctx, alice.Session, alice.Aspects["Friends"], bob.Session.PersonID)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Relationship(t, alice, bob); got != "receiving" {
		t.Errorf("alice→bob = %s, want receiving (alice shares with bob)", got)
	}
	if got := p.Relationship(t, bob, alice); got != "sharing" {
		t.Errorf("bob→alice = %s, want sharing", got)
	}
	// bob is told alice started sharing.
	list, _ := p.App.Notifications.Notifications(ctx, bob.Session, true, "started_sharing", 1, 10)
	if len(list.Items) != 1 || list.Items[0].Actors[0].GUID != alice.Session.GUID {
		t.Errorf("started sharing notification: %+v", list.Items)
	}
	// bob's contacts page lists alice as "only sharing with me".
	only, _ := p.App.Contacts.Contacts(ctx, bob.Session, contacts.ContactFilter{Set: "only_sharing"})
	if len(only) != 1 || only[0].PersonID != alice.Session.PersonID {
		t.Errorf("bob's only_sharing = %+v", only)
	}
	// Adding to a second aspect keeps a single contact.
	if _, err := p.App.Contacts.AddToAspect(ctx, alice.Session, alice.Aspects["Work"], bob.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	mine, _ := p.App.Contacts.Contacts(ctx, alice.Session, contacts.ContactFilter{Set: "receiving"})
	if len(mine) != 1 || len(mine[0].AspectMemberships) != 2 {
		t.Errorf("alice's contacts = %+v", mine)
	}
	// bob shares back: mutual.
	if _, err := p.App.Contacts.AddToAspect(ctx, bob.Session, bob.Aspects["Family"], alice.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	if p.Relationship(t, alice, bob) != "mutual" || p.Relationship(t, bob, alice) != "mutual" {
		t.Error("not mutual after both share")
	}
	// Removing from one aspect keeps sharing; from the last stops it.
	if _, err := p.App.Contacts.RemoveFromAspect(ctx, alice.Session, m.ID, 0, 0); err != nil {
		t.Fatal(err)
	}
	if p.Relationship(t, alice, bob) != "mutual" {
		t.Error("removing from one of two aspects stopped sharing")
	}
	if _, err := p.App.Contacts.RemoveFromAspect(ctx, alice.Session, 0, alice.Aspects["Work"], bob.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	if got := p.Relationship(t, alice, bob); got != "sharing" {
		t.Errorf("after leaving the last aspect alice→bob = %s, want sharing (bob still shares)", got)
	}
	if got := p.Relationship(t, bob, alice); got != "receiving" {
		t.Errorf("bob→alice = %s, want receiving", got)
	}
	// Someone else's membership ID is not found.
	if _, err := p.App.Contacts.RemoveFromAspect(ctx, bob.Session, m.ID, 0, 0); !errors.Is(err, pod.ErrNotFound) {
		t.Errorf("removing another user's membership: %v", err)
	}
}

func TestAutoFollowBack(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice, bob := p.NewUser(t, "alice"), p.NewUser(t, "bob")
	if err := p.App.Accounts.UpdateSettings(ctx, bob.Session.UserID, accounts.UpdateSettingsInput{Email: "bob@example.org", AutoFollowBack: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Contacts.AddToAspect(ctx, alice.Session, alice.Aspects["Friends"], bob.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	if p.Relationship(t, bob, alice) != "mutual" {
		t.Errorf("bob did not follow back: %s", p.Relationship(t, bob, alice))
	}
}

func TestAspectsManagement(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice, bob := p.NewUser(t, "alice"), p.NewUser(t, "bob")
	as, err := p.App.Contacts.CreateAspect(ctx, alice.Session, "Climbing", bob.Session.PersonID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Contacts.CreateAspect(ctx, alice.Session, "CLIMBING", 0); err == nil {
		t.Error("duplicate name (other case) accepted")
	}
	if _, err := p.App.Contacts.CreateAspect(ctx, alice.Session, "123456789012345678901", 0); err == nil {
		t.Error("21-character name accepted")
	}
	if err := p.App.Contacts.RenameAspect(ctx, alice.Session, as.ID, "Bouldering"); err != nil {
		t.Fatal(err)
	}
	if err := p.App.Contacts.RenameAspect(ctx, bob.Session, as.ID, "Mine now"); !errors.Is(err, pod.ErrNotFound) {
		t.Errorf("renaming someone else's aspect: %v", err)
	}
	list, _ := p.App.Contacts.Aspects(ctx, alice.Session)
	if len(list) != 5 || list[4].Name != "Bouldering" {
		t.Fatalf("aspects = %+v", list)
	}
	// Reorder: last first.
	ids := []int64{list[4].ID, list[0].ID, list[1].ID, list[2].ID, list[3].ID}
	if err := p.App.Contacts.OrderAspects(ctx, alice.Session, ids); err != nil {
		t.Fatal(err)
	}
	list, _ = p.App.Contacts.Aspects(ctx, alice.Session)
	if list[0].Name != "Bouldering" {
		t.Errorf("order = %+v", list)
	}
	// Deleting bob's only aspect stops sharing with bob.
	if err := p.App.Contacts.DeleteAspect(ctx, alice.Session, as.ID); err != nil {
		t.Fatal(err)
	}
	if got := p.Relationship(t, bob, alice); got != "not_sharing" {
		t.Errorf("after deleting the aspect bob→alice = %s", got)
	}
	// Aspects are private: bob cannot read alice's aspect stream.
	if _, err := p.App.Streams.Stream(ctx, bob.Session, streams.StreamQuery{Kind: streams.StreamAspects, AspectIDs: []int64{alice.Aspects["Family"]}}); err == nil {
		t.Error("bob read alice's aspect stream")
	}
}
