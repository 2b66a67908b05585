package profiles

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/markup"
	"github.com/aspenpod/aspen/pod/media"
	"github.com/aspenpod/aspen/pod/tasks"
)

// Profile field limits.
const (
	NameMaxLen     = 32
	LocationMaxLen = 255
	GenderMaxLen   = 255
	BioMaxLen      = 65535
)

// ProfileView is a person's profile as one viewer may see it. Private fields
// are empty unless ShowPrivate is true.
type ProfileView struct {
	ID           int64
	GUID         string
	DiasporaID   string
	Username     string
	Name         string
	FirstName    string
	LastName     string
	AvatarLarge  string
	AvatarMedium string
	AvatarSmall  string
	Local        bool
	// PodHost and PodURL name the pod of a remote person (empty for local
	// people): their home, where their whole profile lives.
	PodHost    string
	PodURL     string
	IsOwner    bool
	NSFW       bool
	Searchable bool
	// ShowPrivate says whether the private part below was filled in.
	ShowPrivate bool
	Bio         template.HTML
	Location    string
	Gender      string
	Birthday    string
	// BioText is the bio's source (markdown), and BirthDate the birthday
	// as an ISO 8601 date ("" when not set): the API's forms of them.
	BioText   string
	BirthDate string
}

// Profile returns the profile of the person with guid as viewer (nil when
// signed out) may see it.
func (a *Service) Profile(ctx context.Context, viewer *pod.Session, guid string) (*ProfileView, error) {
	person, err := a.store.PersonByGUID(ctx, guid)
	if errors.Is(err, models.ErrNotFound) {
		return nil, pod.ErrNotFound
	} else if err != nil {
		return nil, err
	}
	if person.ClosedAccount {
		return nil, a.closedProfile(ctx, person)
	}
	profile, err := a.store.ProfileOf(ctx, person.ID)
	if err != nil {
		return nil, err
	}
	isOwner := viewer != nil && viewer.PersonID == person.ID
	// As on diaspora*: the private part is shown to its owner, to everyone
	// when the owner made it public, and otherwise only to the people the
	// owner shares with.
	showPrivate := isOwner || profile.PublicDetails
	if !showPrivate {
		if showPrivate, err = a.sharesProfileWith(ctx, person, viewer); err != nil {
			return nil, err
		}
	}
	v := profileView(person, profile, isOwner, showPrivate)
	if !person.Local() {
		v.PodHost = person.PodHost
		if v.PodHost == "" {
			_, v.PodHost, _ = strings.Cut(person.DiasporaID, "@")
		}
		v.PodURL = "https://" + v.PodHost + "/"
		if p, err := a.store.PodByHost(ctx, v.PodHost); err == nil {
			v.PodURL = p.URL
		} else if !errors.Is(err, models.ErrNotFound) {
			return nil, err
		}
	}
	return v, nil
}

// sharesProfileWith reports whether owner shares with viewer, which lets the
// viewer see the private part of owner's profile. A local owner shares with
// the viewer when the owner's contact with the viewer is receiving (the
// viewer is in one of the owner's aspects) and the owner does not ignore
// the viewer. A remote owner shares with a local viewer when the viewer's
// contact with them is sharing: their pod sent us the private part for the
// viewer. Signed-out visitors are shared with by nobody.
func (a *Service) sharesProfileWith(ctx context.Context, owner *models.Person, viewer *pod.Session) (bool, error) {
	if viewer == nil {
		return false, nil
	}
	if owner.Local() {
		c, err := a.store.ContactOf(ctx, *owner.OwnerID, viewer.PersonID)
		if errors.Is(err, models.ErrNotFound) {
			return false, nil
		} else if err != nil {
			return false, err
		}
		if !c.Receiving {
			return false, nil
		}
		blocked, err := a.store.Blocked(ctx, *owner.OwnerID, viewer.PersonID)
		return !blocked && err == nil, err
	}
	c, err := a.store.ContactOf(ctx, viewer.UserID, owner.ID)
	if errors.Is(err, models.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return c.Sharing, nil
}

// PersonGUIDByUsername finds the GUID of a local user's person, for /u/:username.
func (a *Service) PersonGUIDByUsername(ctx context.Context, username string) (string, error) {
	user, err := a.store.UserByUsername(ctx, pod.NormalizeUsername(username))
	if errors.Is(err, models.ErrNotFound) {
		return "", pod.ErrNotFound
	} else if err != nil {
		return "", err
	}
	person, err := a.store.PersonOfUser(ctx, user.ID)
	if err != nil {
		return "", err
	}
	return person.GUID, nil
}

func profileView(person *models.Person, p *models.Profile, isOwner, showPrivate bool) *ProfileView {
	v := &ProfileView{
		ID: person.ID, GUID: person.GUID, DiasporaID: person.DiasporaID, Username: person.Username(),
		FirstName: p.FirstName, LastName: p.LastName,
		AvatarLarge: pod.OrDefault(p.ImageURL), AvatarMedium: pod.OrDefault(p.ImageURLMedium), AvatarSmall: pod.OrDefault(p.ImageURLSmall),
		Local: person.Local(), IsOwner: isOwner, NSFW: p.NSFW, Searchable: p.Searchable,
	}
	v.Name = strings.TrimSpace(p.FirstName + " " + p.LastName)
	if v.Name == "" {
		v.Name = v.Username
	}
	if showPrivate {
		v.ShowPrivate = true
		v.Bio = markup.Render(p.Bio)
		v.BioText = p.Bio
		v.Location = p.Location
		v.Gender = p.Gender
		if p.Birthday != nil {
			v.Birthday = p.Birthday.Format("January 2, 2006")
			v.BirthDate = p.Birthday.Format("2006-01-02")
		}
	}
	return v
}

// ProfileInput is the profile edit form.
type ProfileInput struct {
	FirstName     string
	LastName      string
	Bio           string
	Location      string
	Gender        string
	BirthYear     string
	BirthMonth    string
	BirthDay      string
	Searchable    bool
	PublicDetails bool
	NSFW          bool
}

// ProfileForm returns the current values of a user's profile for the edit form.
func (a *Service) ProfileForm(ctx context.Context, userID int64) (*ProfileInput, *ProfileView, error) {
	person, err := a.store.PersonOfUser(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	p, err := a.store.ProfileOf(ctx, person.ID)
	if err != nil {
		return nil, nil, err
	}
	in := &ProfileInput{
		FirstName: p.FirstName, LastName: p.LastName, Bio: p.Bio, Location: p.Location, Gender: p.Gender,
		Searchable: p.Searchable, PublicDetails: p.PublicDetails, NSFW: p.NSFW,
	}
	if p.Birthday != nil {
		in.BirthYear = fmt.Sprint(p.Birthday.Year())
		in.BirthMonth = fmt.Sprint(int(p.Birthday.Month()))
		in.BirthDay = fmt.Sprint(p.Birthday.Day())
	}
	return in, profileView(person, p, true, true), nil
}

func (in *ProfileInput) validate() (*time.Time, *pod.InvalidError) {
	inv := pod.Invalid()
	trim := func(s *string) { *s = strings.TrimSpace(*s) }
	trim(&in.FirstName)
	trim(&in.LastName)
	trim(&in.Location)
	trim(&in.Gender)
	maxLen := func(field, v string, n int) {
		if utf8.RuneCountInString(v) > n {
			inv.Add(field, fmt.Sprintf("is too long (at most %d characters)", n))
		}
	}
	maxLen("first_name", in.FirstName, NameMaxLen)
	maxLen("last_name", in.LastName, NameMaxLen)
	maxLen("location", in.Location, LocationMaxLen)
	maxLen("gender", in.Gender, GenderMaxLen)
	maxLen("bio", in.Bio, BioMaxLen)
	for field, v := range map[string]string{"first_name": in.FirstName, "last_name": in.LastName} {
		if strings.ContainsAny(v, ";<>") {
			inv.Add(field, "may not contain ';', '<' or '>'")
		}
	}
	var birthday *time.Time
	y, m, d := strings.TrimSpace(in.BirthYear), strings.TrimSpace(in.BirthMonth), strings.TrimSpace(in.BirthDay)
	if y != "" || m != "" || d != "" {
		t, err := time.Parse("2006-1-2", y+"-"+m+"-"+d)
		if err != nil || t.Year() < 1900 || t.After(time.Now()) {
			inv.Add("birthday", "is not a valid date (give year, month and day)")
		} else {
			birthday = &t
		}
	}
	return birthday, inv
}

// UpdateProfile saves the edit form (without a new picture).
func (a *Service) UpdateProfile(ctx context.Context, userID int64, in ProfileInput) error {
	return a.SaveProfile(ctx, userID, in, nil)
}

// SaveProfile saves the edit form and, when avatar is not nil, a new
// profile picture, all or nothing: the fields are checked first, then the
// picture is processed (checked by content, metadata stripped, resized to
// diaspora*'s three sizes), and only then is everything saved in one
// transaction. Any problem (an InvalidError naming the field, "avatar"
// for a bad file) changes nothing and leaves no file behind.
func (a *Service) SaveProfile(ctx context.Context, userID int64, in ProfileInput, avatar io.Reader) error {
	return a.saveProfile(ctx, userID, &in, avatar)
}

// saveProfile is SaveProfile; with in nil only the picture changes, and
// the fields are left as the transaction finds them (an edit saved
// meanwhile in another tab is kept).
func (a *Service) saveProfile(ctx context.Context, userID int64, in *ProfileInput, avatar io.Reader) error {
	var birthday *time.Time
	if in != nil {
		var inv *pod.InvalidError
		birthday, inv = in.validate()
		if err := inv.OrNil(); err != nil {
			return err
		}
	}
	var saved *media.Saved
	if avatar != nil {
		s, err := media.Avatars.Save(ctx, a.media, avatar, media.Limits{MaxBytes: a.opt.AvatarMaxBytes})
		if msg, ok := media.UploadMessage(err); ok {
			return &pod.InvalidError{Fields: map[string]string{"avatar": msg}}
		} else if err != nil {
			return fmt.Errorf("store avatar: %w", err)
		}
		saved = s
	}
	var old string
	err := a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		person, err := tx.PersonOfUser(ctx, userID)
		if err != nil {
			return err
		}
		p, err := tx.ProfileOf(ctx, person.ID)
		if err != nil {
			return err
		}
		if in != nil {
			p.FirstName, p.LastName, p.Bio, p.Location, p.Gender = in.FirstName, in.LastName, in.Bio, in.Location, in.Gender
			p.Birthday, p.Searchable, p.PublicDetails, p.NSFW = birthday, in.Searchable, in.PublicDetails, in.NSFW
		}
		if saved != nil {
			old = p.ImageURL
			p.ImageURL = media.URLPath(saved.Key(media.ThumbLarge))
			p.ImageURLMedium = media.URLPath(saved.Key(media.ThumbMedium))
			p.ImageURLSmall = media.URLPath(saved.Key(media.ThumbSmall))
		}
		out.Add(&tasks.ProfileChanged{UserID: userID})
		return tx.SaveProfile(ctx, p)
	})
	if err != nil {
		if saved != nil {
			if derr := media.Avatars.Delete(context.WithoutCancel(ctx), a.media, saved.ID); derr != nil {
				a.log.Warn("could not delete an unused avatar", "id", saved.ID, "err", derr)
			}
		}
		return err
	}
	if id := avatarID(old); id != "" && saved != nil {
		if err := media.Avatars.Delete(ctx, a.media, id); err != nil {
			a.log.Warn("could not delete old avatar", "id", id, "err", err)
		}
	}
	return nil
}

// SetAvatar processes an uploaded picture and makes it the user's profile
// picture, keeping the rest of the profile. A bad file gives an
// InvalidError for field "avatar" and changes nothing.
func (a *Service) SetAvatar(ctx context.Context, userID int64, r io.Reader) error {
	return a.saveProfile(ctx, userID, nil, r)
}

// avatarID extracts the media ID from an avatar URL made by SetAvatar
// ("/uploads/avatars/<id>/<size>.<ext>"), or "" for anything else.
func avatarID(url string) string {
	rest, ok := strings.CutPrefix(url, media.URLPath(media.Avatars.Prefix+"/"))
	if !ok {
		return ""
	}
	id, _, ok := strings.Cut(rest, "/")
	if !ok {
		return ""
	}
	return id
}

// PersonSeen records that the viewer looked at a person's page: their
// "started sharing" notification about that person is read.
func (a *Service) PersonSeen(ctx context.Context, viewer *pod.Session, personID int64) error {
	if viewer == nil || viewer.PersonID == personID {
		return nil
	}
	return a.store.ReadStartedSharing(ctx, viewer.UserID, personID)
}
