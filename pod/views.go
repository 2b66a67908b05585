package pod

import (
	"html/template"
	"slices"
	"strings"
	"time"

	"github.com/aspenpod/aspen/models"
)

// OrDefault is the picture at url, or the default avatar when there is none.
func OrDefault(url string) string {
	if url == "" {
		return DefaultAvatar
	}
	return url
}

// The view types below are what pages and JSON show. Their JSON follows
// the shapes diaspora*'s web front end and scripting clients (diaspy) read.

// Avatar holds a person's picture in three sizes.
type Avatar struct {
	Small  string `json:"small"`
	Medium string `json:"medium"`
	Large  string `json:"large"`
}

// PersonView is a person as lists, posts and comments show them.
type PersonView struct {
	ID         int64  `json:"id"`
	GUID       string `json:"guid"`
	Name       string `json:"name"`
	DiasporaID string `json:"diaspora_id"`
	Avatar     Avatar `json:"avatar"`
}

// PersonName is the name a person is shown by: their full name, else the
// user part of their diaspora ID.
func PersonName(first, last, diasporaID string) string {
	if n := strings.TrimSpace(first + " " + last); n != "" {
		return n
	}
	name, _, _ := strings.Cut(diasporaID, "@")
	return name
}

// AvatarOf builds an Avatar, with the default picture for missing sizes.
func AvatarOf(large, medium, small string) Avatar {
	return Avatar{Large: OrDefault(large), Medium: OrDefault(medium), Small: OrDefault(small)}
}

// PersonViewOf shows a person row.
func PersonViewOf(r models.PersonRow) PersonView {
	name := PersonName(r.FirstName, r.LastName, r.DiasporaID)
	if r.Closed {
		// What they left behind (comments, likes) shows no name, as on
		// diaspora*.
		name = DeletedAccountName
	}
	return PersonView{ID: r.ID, GUID: r.GUID, Name: name,
		DiasporaID: r.DiasporaID, Avatar: AvatarOf(r.ImageURL, r.ImageMed, r.ImageSmall)}
}

// DeletedAccountName is how a closed account's comments and likes name it.
const DeletedAccountName = "Deleted account"

// authorName is PersonName, or DeletedAccountName for a closed account.
func authorName(first, last, diasporaID string, closed bool) string {
	if closed {
		return DeletedAccountName
	}
	return PersonName(first, last, diasporaID)
}

// CommentView is one comment.
type CommentView struct {
	ID         int64         `json:"id"`
	GUID       string        `json:"guid"`
	Text       string        `json:"text"`
	HTML       template.HTML `json:"-"`
	Author     PersonView    `json:"author"`
	CreatedAt  time.Time     `json:"created_at"`
	LikesCount int           `json:"likes_count"`
	// CanDelete: the viewer wrote the comment or the post.
	CanDelete bool `json:"-"`
	// Liked: the viewer likes the comment (set on the post page).
	Liked bool `json:"-"`
}

// LikeView is one like.
type LikeView struct {
	ID     int64      `json:"id"`
	GUID   string     `json:"guid"`
	Author PersonView `json:"author"`
}

// Interactions sums up what happened to a post.
type Interactions struct {
	Likes         []LikeView    `json:"likes"`
	Reshares      []LikeView    `json:"reshares"`
	CommentsCount int           `json:"comments_count"`
	LikesCount    int           `json:"likes_count"`
	ResharesCount int           `json:"reshares_count"`
	Comments      []CommentView `json:"comments"`
}

// RootView is the original of a reshare.
type RootView struct {
	ID        int64         `json:"id"`
	GUID      string        `json:"guid"`
	Public    bool          `json:"public"`
	Text      string        `json:"text"`
	HTML      template.HTML `json:"-"`
	CreatedAt time.Time     `json:"created_at"`
	Author    PersonView    `json:"author"`
	PostType  string        `json:"post_type"`
}

// PostView is a post as a stream or the post page shows it.
type PostView struct {
	ID                  int64         `json:"id"`
	GUID                string        `json:"guid"`
	Public              bool          `json:"public"`
	CreatedAt           time.Time     `json:"created_at"`
	InteractedAt        time.Time     `json:"interacted_at"`
	ProviderDisplayName string        `json:"provider_display_name"`
	Text                string        `json:"text"`
	HTML                template.HTML `json:"-"`
	PostType            string        `json:"post_type"`
	NSFW                bool          `json:"nsfw"`
	Title               string        `json:"title"`
	Author              PersonView    `json:"author"`
	Photos              []PhotoView   `json:"photos"`
	Root                *RootView     `json:"root,omitempty"`
	MentionedPeople     []PersonView  `json:"mentioned_people"`
	Location            *LocationView `json:"location"`
	Poll                *PollView     `json:"poll"`
	PollAnswerID        *int64        `json:"poll_participation_answer_id,omitempty"`
	Event               *EventView    `json:"event,omitempty"`
	Participation       bool          `json:"participation"`
	Interactions        Interactions  `json:"interactions"`

	// For pages only.
	Own         bool   `json:"-"`
	CanComment  bool   `json:"-"`
	CanReshare  bool   `json:"-"`
	Liked       bool   `json:"-"`
	MyLikeID    int64  `json:"-"`
	Reshared    bool   `json:"-"`
	RootDeleted bool   `json:"-"`
	Cursor      string `json:"-"`
}

func titleOf(text string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
	line = strings.TrimLeft(line, "# ")
	if len(line) > 80 {
		cut := 80
		for cut > 0 && !isRuneStart(line[cut]) {
			cut--
		}
		line = line[:cut] + "…"
	}
	return line
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// PostViewOf shows a post row to viewer v.
func PostViewOf(r models.PostRow, v models.Viewer) PostView {
	pv := PostView{
		ID: r.ID, GUID: r.GUID, Public: r.Public, CreatedAt: r.CreatedAt, InteractedAt: r.InteractedAt,
		ProviderDisplayName: r.ProviderDisplayName, Text: r.Text, HTML: template.HTML(r.TextHTML),
		PostType: r.Type, NSFW: r.NSFW || r.AuthorNSFW, Title: titleOf(r.Text),
		Author: PersonView{ID: r.AuthorID, GUID: r.AuthorGUID, Name: PersonName(r.AuthorFirstName, r.AuthorLastName, r.AuthorDiasporaID),
			DiasporaID: r.AuthorDiasporaID, Avatar: AvatarOf(r.AuthorImage, r.AuthorImageMed, r.AuthorImageSmall)},
		Photos: []PhotoView{}, MentionedPeople: []PersonView{},
		Interactions: Interactions{Likes: []LikeView{}, Reshares: []LikeView{}, Comments: []CommentView{},
			CommentsCount: r.CommentsCount, LikesCount: r.LikesCount, ResharesCount: r.ResharesCount},
		Own:    v.PersonID != 0 && v.PersonID == r.AuthorID,
		Cursor: EncodeCursor(models.Cursor{Time: r.SortAt, ID: r.ID}),
	}
	pv.CanComment = v.PersonID != 0
	if r.Type == models.TypeReshare {
		if r.RootID == nil || r.RootAuthorID == nil {
			pv.RootDeleted = true
		} else {
			pv.Root = &RootView{ID: *r.RootID, GUID: Deref(r.RootGUID), Public: derefBool(r.RootPublic), Text: Deref(r.RootText),
				HTML: template.HTML(Deref(r.RootTextHTML)), PostType: models.TypeStatusMessage,
				Author: PersonView{ID: *r.RootAuthorID, GUID: Deref(r.RootAuthorGUID),
					Name:       PersonName(Deref(r.RootAuthorFirstName), Deref(r.RootAuthorLastName), Deref(r.RootAuthorDiasporaID)),
					DiasporaID: Deref(r.RootAuthorDiasporaID),
					Avatar:     AvatarOf(Deref(r.RootAuthorImage), Deref(r.RootAuthorImageMed), Deref(r.RootAuthorImageSmall))}}
			if r.RootCreatedAt != nil {
				pv.Root.CreatedAt = *r.RootCreatedAt
			}
			pv.Title = titleOf(pv.Root.Text)
			pv.NSFW = derefBool(r.RootNSFW) // a reshare is as NSFW as its original
		}
	}
	// Reshares are public; they reshare the original.
	pv.CanReshare = v.PersonID != 0 && r.Public && !pv.Own && !(pv.Root != nil && pv.Root.Author.ID == v.PersonID) && !pv.RootDeleted
	return pv
}

// CommentViewOf shows a comment row to viewer v, under a post by postAuthor.
func CommentViewOf(c models.CommentRow, v models.Viewer, postAuthor int64) CommentView {
	return CommentView{ID: c.ID, GUID: c.GUID, Text: c.Text, HTML: template.HTML(c.TextHTML), CreatedAt: c.CreatedAt, LikesCount: c.LikesCount,
		Author: PersonView{ID: c.AuthorID, GUID: c.AuthorGUID, Name: authorName(c.AuthorFirstName, c.AuthorLastName, c.AuthorDiasporaID, c.AuthorClosed),
			DiasporaID: c.AuthorDiasporaID, Avatar: AvatarOf(c.AuthorImage, c.AuthorImageMed, c.AuthorImageSmall)},
		CanDelete: v.PersonID != 0 && (v.PersonID == c.AuthorID || v.PersonID == postAuthor)}
}

// LikeViewOf shows a like row.
func LikeViewOf(l models.LikeRow) LikeView {
	return LikeView{ID: l.ID, GUID: l.GUID, Author: PersonView{ID: l.AuthorID, GUID: l.AuthorGUID,
		Name: authorName(l.AuthorFirstName, l.AuthorLastName, l.AuthorDiasporaID, l.AuthorClosed), DiasporaID: l.AuthorDiasporaID,
		Avatar: AvatarOf("", "", l.AuthorImageSmall)}}
}

// Deref is *s, or "" for nil.
func Deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefBool(b *bool) bool { return b != nil && *b }

// SortPeople sorts people by diaspora ID, ignoring case.
func SortPeople(ps []PersonView) {
	slices.SortFunc(ps, func(a, b PersonView) int {
		return strings.Compare(strings.ToLower(a.DiasporaID), strings.ToLower(b.DiasporaID))
	})
}

// DefaultAvatar is shown for people without a profile picture.
const DefaultAvatar = "/assets/img/user-default.svg"
