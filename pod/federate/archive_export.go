package federate

import (
	"bufio"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"strings"

	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod/archives"
	"github.com/aspenpod/aspen/pod/federate/fedhost"
)

// The data export's archive (issue 14), in diaspora*'s archive format
// version 2.0 (diaspora: lib/schemas/archive-format.json and
// app/serializers/export/*): the user with their private key, settings,
// blocks, profile, aspects ("contact_groups"), contacts with their aspects,
// their posts (federation entities in JSON form, with the people or pods
// subscribed to them), their own comments, likes and poll votes, followed
// tags and subscriptions; and under "others_data" the comments, likes and
// votes of other people on the user's posts. Written as it is read, in
// keyset batches, so memory stays flat whatever the size of the account.
//
// Privacy: everything is the user's own, or others' interactions on the
// user's own posts; the GUIDs of other people's posts (subscriptions, the
// parents of the user's comments) are listed only where the user may
// still read the post.

// ArchiveVersion is the archive format version written.
const ArchiveVersion = "2.0"

// archiveBatch is how many rows one read of a section takes.
const archiveBatch = 1000

// WriteArchive implements archives.Writer.
func (a *Service) WriteArchive(ctx context.Context, out io.Writer, userID int64, progress archives.Progress) error {
	w := bufio.NewWriterSize(out, 64<<10)
	aw := &archiveWriter{a: a, w: w, progress: progress}
	if err := aw.write(ctx, userID); err != nil {
		return err
	}
	return w.Flush()
}

type archiveWriter struct {
	a        *Service
	w        *bufio.Writer
	progress archives.Progress
	done     int
	total    int
}

func (aw *archiveWriter) raw(s string) { aw.w.WriteString(s) }

func (aw *archiveWriter) value(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	aw.w.Write(b)
	return nil
}

func (aw *archiveWriter) key(k string) {
	aw.value(k)
	aw.w.WriteByte(':')
}

func (aw *archiveWriter) tick(n int) {
	aw.done += n
	if aw.progress != nil {
		aw.progress(aw.done, aw.total)
	}
}

func (aw *archiveWriter) write(ctx context.Context, userID int64) error {
	a := aw.a
	st := a.store
	user, err := st.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	person, err := st.PersonOfUser(ctx, userID)
	if err != nil {
		return err
	}
	profile, err := st.ProfileOf(ctx, person.ID)
	if err != nil {
		return err
	}
	key, err := a.sealer.Open(user.SerializedPrivateKey)
	if err != nil {
		return fmt.Errorf("key of %s: %w", person.DiasporaID, err)
	}
	privatePEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	v := models.Viewer{UserID: userID, PersonID: person.ID}
	if aw.total, err = a.archiveTotal(ctx, person.ID); err != nil {
		return err
	}
	aw.tick(0)

	aspects, err := st.AspectsOf(ctx, userID)
	if err != nil {
		return err
	}
	var followBackAspect any
	if user.AutoFollowBackAspectID != nil {
		for _, as := range aspects {
			if as.ID == *user.AutoFollowBackAspectID {
				followBackAspect = as.Name
			}
		}
	}
	blocks, err := st.BlockedIDs(ctx, userID)
	if err != nil {
		return err
	}
	prof, err := entity.MarshalJSON(fedhost.Profile(person, profile, a.opt.BaseURL, true))
	if err != nil {
		return err
	}

	aw.raw(`{"version":"` + ArchiveVersion + `","user":{`)
	for _, f := range []struct {
		k string
		v any
	}{
		{"username", user.Username}, {"email", user.Email}, {"language", "en"}, {"private_key", privatePEM},
		{"disable_mail", false}, {"show_community_spotlight_in_stream", false},
		{"auto_follow_back", user.AutoFollowBack}, {"auto_follow_back_aspect", followBackAspect},
		{"blocks", nonNil(blocks)},
	} {
		aw.key(f.k)
		if err := aw.value(f.v); err != nil {
			return err
		}
		aw.raw(",")
	}
	aw.key("profile")
	aw.w.Write(prof)

	aw.raw(`,"contact_groups":[`)
	for i, as := range aspects {
		if i > 0 {
			aw.raw(",")
		}
		aw.value(map[string]string{"name": as.Name})
	}
	aw.raw("]")

	if err := aw.contacts(ctx, userID); err != nil {
		return err
	}
	if err := aw.posts(ctx, userID, person); err != nil {
		return err
	}
	aw.raw(`,"relayables":[`)
	first := true
	for _, kind := range []string{"comment", "like", "poll_participation"} {
		if err := aw.relayables(ctx, &first, func(after int64) ([]models.ArchiveRelayable, error) {
			return st.OwnRelayablesAfter(ctx, v, kind, after, archiveBatch)
		}, false); err != nil {
			return err
		}
	}
	aw.raw("]")
	tags, err := st.FollowedTagNames(ctx, userID)
	if err != nil {
		return err
	}
	aw.raw(`,"followed_tags":`)
	aw.value(nonNil(tags))
	subs, err := st.SubscribedPostGUIDs(ctx, v)
	if err != nil {
		return err
	}
	aw.raw(`,"post_subscriptions":`)
	aw.value(nonNil(subs))
	aw.raw(`},"others_data":{"relayables":[`)
	if err := aw.othersRelayables(ctx, person.ID); err != nil {
		return err
	}
	aw.raw("]}}\n")
	return ctx.Err()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// archiveTotal is the progress total: posts and relayables to write.
func (a *Service) archiveTotal(ctx context.Context, personID int64) (int, error) {
	n, err := a.store.Count(ctx, `SELECT
		(SELECT count(*) FROM posts WHERE author_id = @p) +
		(SELECT count(*) FROM comments WHERE author_id = @p) +
		(SELECT count(*) FROM likes WHERE author_id = @p) +
		(SELECT count(*) FROM comments c JOIN posts p ON p.id = c.post_id WHERE p.author_id = @p AND c.author_id <> @p) +
		(SELECT count(*) FROM likes l JOIN posts p ON p.id = l.post_id WHERE p.author_id = @p AND l.author_id <> @p)`,
		map[string]any{"p": personID})
	return int(n), err
}

// archiveContact is one contact in the archive (Export::ContactSerializer).
type archiveContact struct {
	Sharing    bool     `json:"sharing"`
	Receiving  bool     `json:"receiving"`
	Following  bool     `json:"following"`
	Followed   bool     `json:"followed"`
	PersonGUID string   `json:"person_guid"`
	PersonName string   `json:"person_name"`
	AccountID  string   `json:"account_id"`
	PublicKey  string   `json:"public_key"`
	Groups     []string `json:"contact_groups_membership"`
}

func (aw *archiveWriter) contacts(ctx context.Context, userID int64) error {
	st := aw.a.store
	rows, err := st.ArchiveContacts(ctx, userID)
	if err != nil {
		return err
	}
	groups, err := st.ArchiveMemberships(ctx, userID)
	if err != nil {
		return err
	}
	aw.raw(`,"contacts":[`)
	for i, c := range rows {
		if i > 0 {
			aw.raw(",")
		}
		if err := aw.value(archiveContact{Sharing: c.Sharing, Receiving: c.Receiving, Following: c.Sharing, Followed: c.Receiving,
			PersonGUID: c.GUID, PersonName: strings.TrimSpace(c.FirstName + " " + c.LastName), AccountID: strings.ToLower(c.DiasporaID),
			PublicKey: c.PublicKey, Groups: nonNil(groups[c.ContactID])}); err != nil {
			return err
		}
	}
	aw.raw("]")
	return nil
}

// posts writes the user's posts: each its entity's JSON form with, for a
// public post or a reshare, the pods to tell of changes
// (subscribed_pods_uris, always including this pod) and for a limited one
// the people (subscribed_users_ids, its audience snapshot).
func (aw *archiveWriter) posts(ctx context.Context, userID int64, author *models.Person) error {
	a := aw.a
	st := a.store
	pods, err := st.ContactPodURLs(ctx, userID)
	if err != nil {
		return err
	}
	pods = append(pods, fedhost.PodURL(a.opt.BaseURL))
	podsJSON, _ := json.Marshal(pods)
	aw.raw(`,"posts":[`)
	var cur models.Cursor
	first := true
	for {
		rows, err := st.OwnPostsBefore(ctx, author.ID, cur, first, archiveBatch)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			break
		}
		ids := make([]int64, len(rows))
		var limited []int64
		for i, r := range rows {
			ids[i] = r.ID
			if !r.Public && r.Type == models.TypeStatusMessage {
				limited = append(limited, r.ID)
			}
		}
		audiences := map[int64][]string{}
		if len(limited) > 0 {
			if audiences, err = st.AudienceIDsOfPosts(ctx, limited); err != nil {
				return err
			}
		}
		photos, err := st.PhotosOfPosts(ctx, ids)
		if err != nil {
			return err
		}
		locations, err := st.LocationsOfPosts(ctx, ids)
		if err != nil {
			return err
		}
		polls, err := st.PollsOfPosts(ctx, author.ID, ids)
		if err != nil {
			return err
		}
		for i := range rows {
			r := &rows[i]
			cur = models.Cursor{Time: r.CreatedAt, ID: r.ID}
			var e entity.Entity
			if r.Type == models.TypeReshare {
				rs := fedhost.Reshare(&r.Post, author, nil, nil)
				if r.RootGUID != nil && r.RootAuthor != nil {
					rs.RootGUID, rs.RootAuthor = *r.RootGUID, strings.ToLower(*r.RootAuthor)
				}
				e = rs
			} else {
				sm := fedhost.StatusMessage(&r.Post, author)
				if l, ok := locations[r.ID]; ok && l.Lat != "" && l.Lng != "" {
					sm.Location = &entity.Location{Address: l.Address, Lat: l.Lat, Lng: l.Lng}
				}
				if p := polls[r.ID]; p != nil {
					sm.Poll = &entity.Poll{GUID: p.GUID, Question: p.Question}
					for _, an := range p.Answers {
						sm.Poll.Answers = append(sm.Poll.Answers, &entity.PollAnswer{GUID: an.GUID, Answer: an.Answer})
					}
				}
				fedhost.AddPhotos(sm, photos[r.ID], author, a.opt.BaseURL)
				e = sm
			}
			b, err := entity.MarshalJSON(e)
			if err != nil {
				return err
			}
			if !first {
				aw.raw(",")
			}
			first = false
			aw.w.Write(b[:len(b)-1]) // the object without its closing brace
			if r.Public || r.Type == models.TypeReshare {
				aw.raw(`,"subscribed_pods_uris":`)
				aw.w.Write(podsJSON)
			} else {
				aw.raw(`,"subscribed_users_ids":`)
				aw.value(nonNil(audiences[r.ID]))
			}
			aw.raw("}")
		}
		aw.tick(len(rows))
		if len(rows) < archiveBatch {
			break
		}
	}
	aw.raw("]")
	return ctx.Err()
}

// relayables writes comments, likes or votes read by next in batches.
// Own ones go without signature (diaspora* drops it: they are re-signed
// when imported); others' keep the signature they were received with.
func (aw *archiveWriter) relayables(ctx context.Context, first *bool, next func(after int64) ([]models.ArchiveRelayable, error), signed bool) error {
	var after int64
	for {
		rows, err := next(after)
		if err != nil {
			return err
		}
		for i := range rows {
			r := &rows[i]
			after = r.ID
			var e entity.Entity
			if signed && r.SignedXML != nil {
				if rl, err := fedhost.ParseRelayable(*r.SignedXML); err == nil {
					e = rl
				}
			}
			if e == nil {
				e = archiveRelayable(r)
			}
			b, err := entity.MarshalJSON(e)
			if err != nil {
				return err
			}
			if !*first {
				aw.raw(",")
			}
			*first = false
			aw.w.Write(b)
		}
		aw.tick(len(rows))
		if len(rows) < archiveBatch {
			return ctx.Err()
		}
	}
}

// othersRelayables writes the comments, likes and votes of other people
// on the user's posts, a batch of the user's posts at a time (the posts'
// indexes find them).
func (aw *archiveWriter) othersRelayables(ctx context.Context, personID int64) error {
	st := aw.a.store
	var cur models.Cursor
	first, start := true, true
	for {
		batch, err := st.OwnPostIDsBefore(ctx, personID, cur, start, archiveBatch)
		if err != nil {
			return err
		}
		start = false
		if len(batch) == 0 {
			return ctx.Err()
		}
		ids := make([]int64, len(batch))
		for i, c := range batch {
			ids[i] = c.ID
		}
		cur = batch[len(batch)-1]
		for _, kind := range []string{"comment", "like", "poll_participation"} {
			done := false
			if err := aw.relayables(ctx, &first, func(int64) ([]models.ArchiveRelayable, error) {
				if done {
					return nil, nil
				}
				done = true
				return st.OthersRelayablesOfPosts(ctx, personID, kind, ids)
			}, true); err != nil {
				return err
			}
		}
		if len(batch) < archiveBatch {
			return ctx.Err()
		}
	}
}

func archiveRelayable(r *models.ArchiveRelayable) entity.Entity {
	author := strings.ToLower(r.AuthorID)
	switch r.Kind {
	case "comment":
		return &entity.Comment{Author: author, GUID: r.GUID, ParentGUID: r.ParentGUID, Text: r.Text, CreatedAt: r.CreatedAt.UTC().Truncate(1e9)}
	case "like":
		return &entity.Like{Author: author, GUID: r.GUID, ParentGUID: r.ParentGUID, ParentType: r.ParentType, Positive: r.Positive}
	}
	return &entity.PollParticipation{Author: author, GUID: r.GUID, ParentGUID: r.ParentGUID, PollAnswerGUID: r.PollAnswerGUID}
}
