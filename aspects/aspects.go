// Package aspects states the pod's privacy rules as plain Go: who may see a
// post, who may interact with it, who receives it. It imports nothing but
// the standard library. The SQL that streams and pages use (models) is
// tested against the same table of cases (aspects/aspectstest), so the two
// cannot drift apart.
//
// The rules (DESIGN.md, Privacy):
//
//  1. A limited post is readable only by its author and by the people it
//     was addressed to at the time of posting (its audience snapshot).
//  2. Someone who may not read a post learns nothing about it: callers
//     answer 404, never 403, and show no counts or notifications.
//  3. Limited posts cannot be reshared; interactions on them go to the
//     author's pod, which relays them to the audience.
//  4. Public posts are readable by anyone, signed in or not.
package aspects

// Post is what the rules need to know about a post.
type Post struct {
	// Public posts are readable by anyone.
	Public bool
	// Author is the person who wrote it.
	Author int64
	// Audience holds the people a limited post was addressed to when it
	// was posted; nil for public posts.
	Audience map[int64]bool
}

// Viewer is who asks. A zero Person means a signed-out visitor.
type Viewer struct {
	Person int64
}

// SignedIn reports whether the viewer has an account.
func (v Viewer) SignedIn() bool { return v.Person != 0 }

// CanSee reports whether the viewer may read the post (rules 1 and 4).
func CanSee(p Post, v Viewer) bool {
	if p.Public {
		return true
	}
	if !v.SignedIn() {
		return false
	}
	return v.Person == p.Author || p.Audience[v.Person]
}

// CanInteract reports whether the viewer may comment on or like the post:
// they must see it and must not be ignored by its author.
func CanInteract(p Post, v Viewer, ignoredByAuthor bool) bool {
	return v.SignedIn() && CanSee(p, v) && !ignoredByAuthor
}

// CanReshare reports whether the viewer may reshare the post (rule 3): it
// must be public and not their own.
func CanReshare(p Post, v Viewer) bool {
	return v.SignedIn() && p.Public && v.Person != p.Author
}

// Selection is the audience an author chooses in the publisher.
type Selection struct {
	// Public posts go to everyone.
	Public bool
	// AllAspects addresses every aspect the author has when posting.
	AllAspects bool
	// Aspects lists the chosen aspects (ignored when Public or AllAspects).
	Aspects []int64
}

// Limited reports whether the selection makes a limited post.
func (s Selection) Limited() bool { return !s.Public }

// Recipients returns the people a limited post must reach: everyone who is
// a member of at least one chosen aspect when the post is written, without
// duplicates and without the author. members maps each of the author's
// aspects to its member people. Public selections return nil: public posts
// have no audience snapshot.
func Recipients(s Selection, author int64, members map[int64][]int64) []int64 {
	if s.Public {
		return nil
	}
	chosen := s.Aspects
	if s.AllAspects {
		chosen = chosen[:0:0]
		for id := range members {
			chosen = append(chosen, id)
		}
	}
	seen := map[int64]bool{}
	var out []int64
	for _, a := range chosen {
		for _, p := range members[a] {
			if p != author && !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// Stream reasons: why a post appears in a user's main stream.
const (
	// ReasonAspect: the author is in one of the user's aspects.
	ReasonAspect = 1 << iota
	// ReasonTag: the post carries a tag the user follows.
	ReasonTag
	// ReasonMention: the post mentions the user.
	ReasonMention
	// ReasonOwn: the user wrote it.
	ReasonOwn
	// ReasonAddressed: a limited post addressed to the user. diaspora*
	// shows these only when the user also has the author in an aspect; a
	// post sent to you should never be invisible in your stream.
	ReasonAddressed
)

// MainStreamReasons says why the post belongs in the main stream of a user
// (person viewer), or 0 if it does not. Only posts the user can see and
// whose author they do not ignore ever appear. inAspects: the author is in
// one of the viewer's aspects; followsTag: the post has a tag the viewer
// follows; mentioned: the post mentions the viewer. A limited post whose
// audience holds the viewer always has ReasonAddressed.
func MainStreamReasons(p Post, v Viewer, inAspects, followsTag, mentioned, ignoresAuthor bool) int {
	if !CanSee(p, v) || !v.SignedIn() {
		return 0
	}
	if v.Person == p.Author {
		return ReasonOwn
	}
	if ignoresAuthor {
		return 0
	}
	r := 0
	if inAspects {
		r |= ReasonAspect
	}
	if followsTag {
		r |= ReasonTag
	}
	if mentioned {
		r |= ReasonMention
	}
	if !p.Public && p.Audience[v.Person] {
		r |= ReasonAddressed
	}
	return r
}

// Relationship is how a user and another person relate, from the user's
// side, in diaspora*'s words.
type Relationship string

// Relationships.
const (
	NotSharing Relationship = "not_sharing"
	Sharing    Relationship = "sharing"   // they share with me
	Receiving  Relationship = "receiving" // I share with them
	Mutual     Relationship = "mutual"
)

// RelationshipOf names a contact's state: sharing = they share with the
// user; receiving = the user shares with them.
func RelationshipOf(sharing, receiving bool) Relationship {
	switch {
	case sharing && receiving:
		return Mutual
	case sharing:
		return Sharing
	case receiving:
		return Receiving
	}
	return NotSharing
}
