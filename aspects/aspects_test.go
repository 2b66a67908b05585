package aspects

import (
	"slices"
	"testing"

	"github.com/aspenpod/aspen/aspects/aspectstest"
)

func post(c aspectstest.Case) Post {
	p := Post{Public: c.Public, Author: aspectstest.Author, Audience: map[int64]bool{}}
	for _, a := range c.Audience {
		p.Audience[a] = true
	}
	return p
}

func TestCanSeeTruthTable(t *testing.T) {
	for _, c := range aspectstest.Cases {
		if got := CanSee(post(c), Viewer{c.Viewer}); got != c.CanSee {
			t.Errorf("%s: CanSee = %v, want %v", c.Name, got, c.CanSee)
		}
	}
}

func TestInteractAndReshare(t *testing.T) {
	limited := Post{Author: 1, Audience: map[int64]bool{2: true}}
	public := Post{Public: true, Author: 1}
	if !CanInteract(limited, Viewer{2}, false) || CanInteract(limited, Viewer{3}, false) || CanInteract(limited, Viewer{2}, true) {
		t.Error("CanInteract on a limited post")
	}
	if CanInteract(public, Viewer{0}, false) || !CanInteract(public, Viewer{3}, false) || CanInteract(public, Viewer{3}, true) {
		t.Error("CanInteract on a public post")
	}
	if CanReshare(limited, Viewer{2}) || !CanReshare(public, Viewer{2}) || CanReshare(public, Viewer{1}) || CanReshare(public, Viewer{0}) {
		t.Error("CanReshare")
	}
}

func TestRecipients(t *testing.T) {
	members := map[int64][]int64{10: {2, 3}, 11: {3, 4}, 12: {5}}
	got := Recipients(Selection{Aspects: []int64{10, 11}}, 1, members)
	slices.Sort(got)
	if !slices.Equal(got, []int64{2, 3, 4}) {
		t.Errorf("chosen aspects: %v", got)
	}
	got = Recipients(Selection{AllAspects: true}, 1, members)
	slices.Sort(got)
	if !slices.Equal(got, []int64{2, 3, 4, 5}) {
		t.Errorf("all aspects: %v", got)
	}
	if got := Recipients(Selection{Public: true}, 1, members); got != nil {
		t.Errorf("public: %v", got)
	}
	if got := Recipients(Selection{Aspects: []int64{10}}, 2, members); !slices.Equal(got, []int64{3}) {
		t.Errorf("author excluded: %v", got)
	}
}

func TestMainStreamReasons(t *testing.T) {
	limited := Post{Author: 1, Audience: map[int64]bool{2: true}}
	if r := MainStreamReasons(limited, Viewer{3}, true, true, true, false); r != 0 {
		t.Errorf("outsider gets reasons %b", r)
	}
	if r := MainStreamReasons(limited, Viewer{2}, true, false, true, false); r != ReasonAspect|ReasonMention|ReasonAddressed {
		t.Errorf("member reasons %b", r)
	}
	if r := MainStreamReasons(limited, Viewer{2}, true, true, true, true); r != 0 {
		t.Errorf("ignored author gives %b", r)
	}
	if r := MainStreamReasons(limited, Viewer{2}, false, false, false, false); r != ReasonAddressed {
		t.Errorf("a limited post addressed to the viewer gives %b", r)
	}
	if r := MainStreamReasons(limited, Viewer{1}, false, false, false, false); r != ReasonOwn {
		t.Errorf("own post gives %b", r)
	}
	if r := MainStreamReasons(Post{Public: true, Author: 1}, Viewer{0}, true, true, true, false); r != 0 {
		t.Errorf("signed out gives %b", r)
	}
}

func TestRelationshipOf(t *testing.T) {
	if RelationshipOf(true, true) != Mutual || RelationshipOf(true, false) != Sharing || RelationshipOf(false, true) != Receiving || RelationshipOf(false, false) != NotSharing {
		t.Error("RelationshipOf")
	}
}
