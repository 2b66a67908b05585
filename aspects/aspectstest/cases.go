// Package aspectstest is the shared truth table of visibility cases. The
// aspects package checks its Go rules against it, and models checks its SQL
// against the very same cases.
package aspectstest

// People in the cases.
const (
	Author   int64 = 1 // wrote the post
	Member   int64 = 2 // in the audience
	Outsider int64 = 3 // a signed-in person outside the audience
	Later    int64 = 4 // added to the aspect after posting: not in the snapshot
	Nobody   int64 = 0 // signed out
)

// Case is one (post, viewer) pair and whether the viewer may see the post.
type Case struct {
	Name     string
	Public   bool
	Audience []int64 // the snapshot of a limited post
	Viewer   int64
	CanSee   bool
}

// Cases covers rules 1 and 4 for every kind of viewer.
var Cases = []Case{
	{"public post, signed out", true, nil, Nobody, true},
	{"public post, author", true, nil, Author, true},
	{"public post, someone else", true, nil, Outsider, true},
	{"limited post, signed out", false, []int64{Member}, Nobody, false},
	{"limited post, author", false, []int64{Member}, Author, true},
	{"limited post, audience member", false, []int64{Member}, Member, true},
	{"limited post, outsider", false, []int64{Member}, Outsider, false},
	{"limited post, added to aspect later", false, []int64{Member}, Later, false},
	{"limited post with empty audience, author", false, nil, Author, true},
	{"limited post with empty audience, outsider", false, nil, Outsider, false},
	{"limited post to several, second member", false, []int64{Member, Later}, Later, true},
}
