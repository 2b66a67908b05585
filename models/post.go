package models

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aspenpod/aspen/aspects"
	"gorm.io/gorm"
)

// Post types.
const (
	TypeStatusMessage = "StatusMessage"
	TypeReshare       = "Reshare"
)

// Post is a status message or a reshare.
type Post struct {
	ID                  int64
	GUID                string `gorm:"column:guid"`
	AuthorID            int64
	Type                string
	Public              bool
	Text                string
	TextHTML            string `gorm:"column:text_html"`
	RootID              *int64
	RootGUID            *string `gorm:"column:root_guid"`
	ProviderDisplayName string
	NSFW                bool `gorm:"column:nsfw"`
	CommentsCount       int
	LikesCount          int
	ResharesCount       int
	CreatedAt           time.Time
	UpdatedAt           time.Time
	InteractedAt        time.Time
}

// CreatePost inserts a post.
func (s *Store) CreatePost(ctx context.Context, p *Post) error {
	return translate(s.conn(ctx).Create(p).Error, "create post")
}

// PostByID finds a post by ID, whoever may see it (callers check).
func (s *Store) PostByID(ctx context.Context, id int64) (*Post, error) {
	var p Post
	err := s.conn(ctx).Where("id = ?", id).Take(&p).Error
	return &p, translate(err, "post")
}

// PostByGUID finds a post by GUID, whoever may see it (callers check).
func (s *Store) PostByGUID(ctx context.Context, guid string) (*Post, error) {
	var p Post
	err := s.conn(ctx).Where("guid = ?", guid).Take(&p).Error
	return &p, translate(err, "post")
}

// Viewer identifies who reads: a local user and their person. Zero values
// mean a signed-out visitor, who sees public posts only.
type Viewer struct {
	UserID   int64
	PersonID int64
	// PublicOnly limits the viewer to public posts (an API token without
	// private:read): @vpriv is false.
	PublicOnly bool
}

func (v Viewer) args(extra map[string]any) map[string]any {
	m := map[string]any{"vuser": v.UserID, "vperson": v.PersonID, "vpriv": !v.PublicOnly}
	for k, val := range extra {
		m[k] = val
	}
	return m
}

// VisiblePost finds a post by GUID or numeric ID (see postKey) if the
// viewer may see it; otherwise ErrNotFound, exactly as if it did not exist.
func (s *Store) VisiblePost(ctx context.Context, v Viewer, guidOrID string) (*Post, error) {
	var p Post
	where, args, ok := postKey(guidOrID)
	if !ok {
		return nil, fmt.Errorf("post: %w", ErrNotFound)
	}
	err := s.conn(ctx).Raw(`SELECT p.* FROM posts p WHERE `+where+` AND `+visibleSQL+`
		ORDER BY p.guid = @key DESC LIMIT 1`, v.args(args)).Scan(&p).Error
	if err == nil && p.ID == 0 {
		err = gorm.ErrRecordNotFound
	}
	return &p, translate(err, "post")
}

// CanSeePost reports whether the viewer may see the post with this ID.
func (s *Store) CanSeePost(ctx context.Context, v Viewer, postID int64) (bool, error) {
	var ok bool
	err := s.conn(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM posts p WHERE p.id = @id AND `+visibleSQL+`)`, v.args(map[string]any{"id": postID})).Scan(&ok).Error
	return ok, translate(err, "can see post")
}

// DeletePost removes a post; its audience, visibilities, stream entries,
// comments, likes and notifications go with it.
func (s *Store) DeletePost(ctx context.Context, id int64) error {
	res := s.conn(ctx).Exec(`DELETE FROM posts WHERE id = ?`, id)
	if res.Error == nil && res.RowsAffected > 0 {
		s.touchPosts(ctx, id)
	}
	return rowsOrNotFound(res.Error, res.RowsAffected, "delete post")
}

// AddAspectVisibilities records the aspects a limited post went to.
func (s *Store) AddAspectVisibilities(ctx context.Context, postID int64, aspectIDs []int64) error {
	if len(aspectIDs) == 0 {
		return nil
	}
	return translate(s.conn(ctx).Exec(`INSERT INTO aspect_visibilities (post_id, aspect_id)
		SELECT ?, unnest(?::bigint[]) ON CONFLICT DO NOTHING`, postID, int64Array(aspectIDs)).Error, "aspect visibilities")
}

// AddAudience stores a limited post's audience snapshot and gives every
// local person in it a share visibility (the right to read it).
func (s *Store) AddAudience(ctx context.Context, postID int64, personIDs []int64) error {
	if len(personIDs) == 0 {
		return nil
	}
	if err := s.conn(ctx).Exec(`INSERT INTO post_audiences (post_id, person_id)
		SELECT ?, unnest(?::bigint[]) ON CONFLICT DO NOTHING`, postID, int64Array(personIDs)).Error; err != nil {
		return translate(err, "audience")
	}
	return s.ShareWithLocal(ctx, postID, personIDs)
}

// ShareWithLocal gives the local users among personIDs a share visibility
// for a post.
func (s *Store) ShareWithLocal(ctx context.Context, postID int64, personIDs []int64) error {
	return translate(s.conn(ctx).Exec(`INSERT INTO share_visibilities (post_id, user_id)
		SELECT ?, pe.owner_id FROM people pe WHERE pe.id = ANY(?::bigint[]) AND pe.owner_id IS NOT NULL
		ON CONFLICT DO NOTHING`, postID, int64Array(personIDs)).Error, "share visibilities")
}

// AudienceRow is one person in a post's audience snapshot.
type AudienceRow = PersonRow

// Audience lists a post's audience snapshot.
func (s *Store) Audience(ctx context.Context, postID int64) ([]PersonRow, error) {
	var rows []PersonRow
	err := s.conn(ctx).Raw(`SELECT `+personRowCols+` FROM post_audiences pa JOIN people p ON p.id = pa.person_id
		LEFT JOIN profiles pr ON pr.person_id = p.id WHERE pa.post_id = ? ORDER BY lower(p.diaspora_id)`, postID).Scan(&rows).Error
	return rows, translate(err, "audience")
}

// AspectNamesOfPost lists the names of the aspects a post went to.
func (s *Store) AspectNamesOfPost(ctx context.Context, postID int64) ([]string, error) {
	var names []string
	err := s.conn(ctx).Raw(`SELECT a.name FROM aspect_visibilities av JOIN aspects a ON a.id = av.aspect_id
		WHERE av.post_id = ? ORDER BY a.order_id, a.id`, postID).Scan(&names).Error
	return names, translate(err, "aspects of post")
}

// EnsureTags returns the IDs of tags by name, creating missing ones.
func (s *Store) EnsureTags(ctx context.Context, names []string) ([]int64, error) {
	if len(names) == 0 {
		return nil, nil
	}
	if err := s.conn(ctx).Exec(`INSERT INTO tags (name) SELECT unnest(?::text[]) ON CONFLICT DO NOTHING`, textArray(names)).Error; err != nil {
		return nil, translate(err, "tags")
	}
	var ids []int64
	err := s.conn(ctx).Raw(`SELECT id FROM tags WHERE name = ANY(?::text[])`, textArray(names)).Scan(&ids).Error
	return ids, translate(err, "tags")
}

// TagByName finds a tag.
func (s *Store) TagByName(ctx context.Context, name string) (int64, error) {
	var ids []int64
	err := s.conn(ctx).Raw(`SELECT id FROM tags WHERE name = ?`, name).Scan(&ids).Error
	if err == nil && len(ids) == 0 {
		err = gorm.ErrRecordNotFound
	}
	if err != nil {
		return 0, translate(err, "tag")
	}
	return ids[0], nil
}

// AddTaggings tags a post.
func (s *Store) AddTaggings(ctx context.Context, p *Post, tagIDs []int64) error {
	if len(tagIDs) == 0 {
		return nil
	}
	return translate(s.conn(ctx).Exec(`INSERT INTO taggings (tag_id, post_id, created_at, public)
		SELECT unnest(?::bigint[]), ?, ?, ? ON CONFLICT DO NOTHING`, int64Array(tagIDs), p.ID, p.CreatedAt, p.Public).Error, "taggings")
}

// AddMentions records the people a post mentions.
func (s *Store) AddMentions(ctx context.Context, p *Post, personIDs []int64) error {
	if len(personIDs) == 0 {
		return nil
	}
	return translate(s.conn(ctx).Exec(`INSERT INTO mentions (post_id, person_id, created_at)
		SELECT ?, unnest(?::bigint[]), ? ON CONFLICT DO NOTHING`, p.ID, int64Array(personIDs), p.CreatedAt).Error, "mentions")
}

// FanOut writes the stream entries of a new post (or of a received one
// seen again): its author's own entry, and one for every local user who
// may see it and either has its author in an aspect, follows one of its
// tags, is mentioned in it or is in its audience, unless they ignore the
// author (StreamEntriesSQL).
func (s *Store) FanOut(ctx context.Context, p *Post) error {
	var users []int64
	if err := s.conn(ctx).Raw(StreamEntriesSQL("p.id = @post", "", EntriesMerge)+"\nRETURNING user_id",
		map[string]any{"post": p.ID}).Scan(&users).Error; err != nil {
		return translate(err, "fan out")
	}
	s.touch(ctx, Change{Users: users, Posts: []int64{p.ID}})
	return nil
}

// BackfillAuthor puts into a user's stream the posts of a person they just
// put in an aspect, as far as they may see them, with every reason they
// have to be there.
func (s *Store) BackfillAuthor(ctx context.Context, userID, personID int64) error {
	return translate(s.restoreEntries(ctx, userID, `p.author_id = @author`, map[string]any{"author": personID}), "backfill author")
}

// DropAuthorReason removes the "author in an aspect" reason from a user's
// entries of one author, deleting entries left with no reason.
func (s *Store) DropAuthorReason(ctx context.Context, userID, personID int64) error {
	if err := s.conn(ctx).Exec(dropReasonSQL(aspects.ReasonAspect, "se.author_id = @author"),
		map[string]any{"u": userID, "author": personID}).Error; err != nil {
		return translate(err, "drop author reason")
	}
	return s.dropEmptyEntries(ctx, userID)
}

func (s *Store) dropEmptyEntries(ctx context.Context, userID int64) error {
	defer s.touchUsers(ctx, userID)
	return translate(s.conn(ctx).Exec(`DELETE FROM stream_entries WHERE user_id = ? AND reasons = 0`, userID).Error, "drop entries")
}

// DropAuthorEntries removes every entry of an author from a user's stream
// (the user ignores them).
func (s *Store) DropAuthorEntries(ctx context.Context, userID, personID int64) error {
	defer s.touchUsers(ctx, userID)
	return translate(s.conn(ctx).Exec(`DELETE FROM stream_entries WHERE user_id = ? AND author_id = ?`, userID, personID).Error, "drop author entries")
}

// BackfillTag puts into a user's stream the posts with a tag they just
// followed, as far as they may see them.
func (s *Store) BackfillTag(ctx context.Context, userID, personID, tagID int64) error {
	return translate(s.restoreEntries(ctx, userID, `p.id IN (SELECT t.post_id FROM taggings t WHERE t.tag_id = @tag)`,
		map[string]any{"tag": tagID}), "backfill tag")
}

// RecomputeTagReason clears the tag reason of entries whose post carries no
// tag the user still follows.
func (s *Store) RecomputeTagReason(ctx context.Context, userID int64) error {
	if err := s.conn(ctx).Exec(dropReasonSQL(aspects.ReasonTag, `NOT EXISTS (
			SELECT 1 FROM taggings t JOIN tag_followings tf ON tf.tag_id = t.tag_id AND tf.user_id = @u
			WHERE t.post_id = se.post_id)`), map[string]any{"u": userID}).Error; err != nil {
		return translate(err, "recompute tags")
	}
	return s.dropEmptyEntries(ctx, userID)
}

// HidePost hides a post from a user's streams.
func (s *Store) HidePost(ctx context.Context, userID, postID int64) error {
	defer s.touchUsers(ctx, userID)
	if err := s.conn(ctx).Exec(`INSERT INTO post_hides (user_id, post_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, userID, postID).Error; err != nil {
		return translate(err, "hide post")
	}
	return translate(s.conn(ctx).Exec(`DELETE FROM stream_entries WHERE user_id = ? AND post_id = ?`, userID, postID).Error, "hide post")
}

// UnhidePost shows a hidden post again, in the main stream too if it
// belongs there.
func (s *Store) UnhidePost(ctx context.Context, userID, personID, postID int64) error {
	defer s.touchUsers(ctx, userID)
	if err := s.conn(ctx).Exec(`DELETE FROM post_hides WHERE user_id = ? AND post_id = ?`, userID, postID).Error; err != nil {
		return translate(err, "unhide post")
	}
	return s.restoreEntries(ctx, userID, `p.id = @post`, map[string]any{"post": postID})
}

// RestoreAuthorEntries puts back into a user's main stream the posts of a
// person they stopped ignoring, with every reason they have to be there.
func (s *Store) RestoreAuthorEntries(ctx context.Context, userID, personID, authorID int64) error {
	return s.restoreEntries(ctx, userID, `p.author_id = @author`, map[string]any{"author": authorID})
}

// restoreEntries recomputes the main stream entries of one user for the
// posts matching where (StreamEntriesSQL for that user alone).
func (s *Store) restoreEntries(ctx context.Context, userID int64, where string, args map[string]any) error {
	defer s.touchUsers(ctx, userID)
	m := map[string]any{"ruser": userID}
	for k, v := range args {
		m[k] = v
	}
	return translate(s.conn(ctx).Exec(StreamEntriesSQL(where, "r.user_id = @ruser", EntriesReplace), m).Error, "restore stream entries")
}

// AddCounters changes a post's interaction counters and bumps its
// interaction time when something was added.
func (s *Store) AddCounters(ctx context.Context, postID int64, comments, likes, reshares int) error {
	q := `UPDATE posts SET comments_count = comments_count + ?, likes_count = likes_count + ?, reshares_count = reshares_count + ?`
	if comments > 0 || likes > 0 || reshares > 0 {
		q += `, interacted_at = now()`
	}
	defer s.touchPosts(ctx, postID)
	return translate(s.conn(ctx).Exec(q+` WHERE id = ?`, comments, likes, reshares, postID).Error, "post counters")
}

// AddParticipation subscribes a person to a post.
func (s *Store) AddParticipation(ctx context.Context, postID, personID int64) error {
	return translate(s.conn(ctx).Exec(
		`INSERT INTO participations (post_id, person_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, postID, personID).Error, "participation")
}

// RemoveParticipation unsubscribes a person from a post.
func (s *Store) RemoveParticipation(ctx context.Context, postID, personID int64) error {
	return translate(s.conn(ctx).Exec(`DELETE FROM participations WHERE post_id = ? AND person_id = ?`, postID, personID).Error, "participation")
}

// Participates reports whether a person is subscribed to a post.
func (s *Store) Participates(ctx context.Context, postID, personID int64) (bool, error) {
	var ok bool
	err := s.conn(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM participations WHERE post_id = ? AND person_id = ?)`, postID, personID).Scan(&ok).Error
	return ok, translate(err, "participates")
}

// ReshareOf finds a person's reshare of a post.
func (s *Store) ReshareOf(ctx context.Context, rootID, personID int64) (*Post, error) {
	var p Post
	err := s.conn(ctx).Where("root_id = ? AND author_id = ? AND type = ?", rootID, personID, TypeReshare).Take(&p).Error
	return &p, translate(err, "reshare")
}

// int64Array and textArray format Go slices as PostgreSQL array literals.
func int64Array(ids []int64) string {
	b := make([]byte, 0, len(ids)*8+2)
	b = append(b, '{')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, '}'))
}

func textArray(ss []string) string {
	b := []byte{'{'}
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		for _, r := range []byte(s) {
			if r == '"' || r == '\\' {
				b = append(b, '\\')
			}
			b = append(b, r)
		}
		b = append(b, '"')
	}
	return string(append(b, '}'))
}

// InAudience reports whether a person is in a limited post's audience
// snapshot.
func (s *Store) InAudience(ctx context.Context, postID, personID int64) (bool, error) {
	var n int64
	err := s.conn(ctx).Raw(`SELECT count(*) FROM post_audiences WHERE post_id = ? AND person_id = ?`, postID, personID).Scan(&n).Error
	return n > 0, translate(err, "in audience")
}
