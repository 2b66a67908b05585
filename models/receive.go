package models

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// The receive job's fast path for the commonest delivery, a new public
// post from someone a local user has a contact with: the statements that
// store it go to PostgreSQL in one round trip (a pgx batch, which runs as
// one implicit transaction), without gorm. They are the statements of the
// general path (CreatePost, EnsureTags, AddTaggings, FanOut), made
// conditional on the post row being inserted, so that a repeated delivery
// or an author without local contacts changes nothing and the caller takes
// the general path.

// insertReceivedPostSQL inserts the post unless its GUID exists already,
// no local user has a contact with its author (then the general path must
// decide about the participation, pod/federate's subscribe), the author's
// account is closed or their stored key is not the one the post was
// verified with ($13), or the post was retracted before it came (deleted
// here, or retracted by its author, $14: retractedBefore). Parameters
// are typed: INSERT … SELECT does not take types from the columns.
var insertReceivedPostSQL = `INSERT INTO posts (id, guid, author_id, type, public, text, text_html,
		provider_display_name, nsfw, created_at, updated_at, interacted_at)
	SELECT $1::bigint, $2::text, $3::bigint, $4::text, $5::boolean, $6::text, $7::text,
		$8::text, $9::boolean, $10::timestamptz, $11::timestamptz, $12::timestamptz
	WHERE EXISTS (SELECT 1 FROM contacts WHERE person_id = $3::bigint)
		AND EXISTS (SELECT 1 FROM people WHERE id = $3::bigint AND serialized_public_key = $13::text AND NOT closed_account)
		AND NOT EXISTS (SELECT 1 FROM retractions r WHERE ` + retractedBefore("$2::text", "$14::text", "''") + `)
	ON CONFLICT (guid) DO NOTHING RETURNING id`

// receivedTagsSQL is EnsureTags' insert, for an inserted post only.
const receivedTagsSQL = `INSERT INTO tags (name) SELECT unnest($1::text[])
	WHERE EXISTS (SELECT 1 FROM posts WHERE id = $2) ON CONFLICT DO NOTHING`

// receivedTaggingsSQL is AddTaggings with the tag IDs looked up by name
// (in its own statement, so that it sees tags another transaction
// committed while the insert above waited on them).
const receivedTaggingsSQL = `INSERT INTO taggings (tag_id, post_id, created_at, public)
	SELECT t.id, p.id, p.created_at, p.public FROM tags t JOIN posts p ON p.id = $2
	WHERE t.name = ANY($1::text[]) ON CONFLICT DO NOTHING`

// receivedFanOutSQL is FanOut's statement with a positional parameter.
var receivedFanOutSQL = StreamEntriesSQL("p.id = $1", "", EntriesMerge) + "\nRETURNING user_id"

// maxRandomID is the largest ID aspen_random_id() gives (2^53 - 1,
// migration 00005).
const maxRandomID = 1<<53 - 1

// randomID draws a row ID as aspen_random_id() does, uniformly in
// [1, 2^53 - 1], here so that the statements of one batch can name the row
// before it exists.
func randomID() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return int64(binary.LittleEndian.Uint64(b[:])>>11)%maxRandomID + 1
}

// StoreReceivedPublicPost stores a received public post, its tags and its
// main-stream entries (FanOut's rules) in one transaction and one round
// trip, and reports whether it did. It stores nothing, and returns false,
// when a post with its GUID exists, when no local user has a contact with
// its author, when the author's account is closed or their stored key is
// not author.SerializedPublicKey (the PEM the post was verified with), or
// when the post was retracted before it came: the caller then takes the
// general path, which handles each. The post must carry no mentions, poll, location, event or photos
// (the general path stores those). p.ID is set when stored. It must not
// run inside Tx.
func (s *Store) StoreReceivedPublicPost(ctx context.Context, p *Post, tags []string, author *Person) (bool, error) {
	if s.pending != nil {
		return false, errors.New("store received post: must not run inside a transaction")
	}
	if !p.Public || p.Type != TypeStatusMessage {
		return false, errors.New("store received post: only public status messages")
	}
	if author == nil || author.ID != p.AuthorID {
		return false, errors.New("store received post: the author is not the post's")
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return false, fmt.Errorf("store received post: %w", err)
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("store received post: %w", err)
	}
	defer conn.Close()
	id := randomID()
	var users []int64
	stored := false
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("driver connection is a %T, not pgx", dc)
		}
		b := &pgx.Batch{}
		b.Queue(insertReceivedPostSQL, id, p.GUID, p.AuthorID, p.Type, p.Public, p.Text, p.TextHTML,
			p.ProviderDisplayName, p.NSFW, p.CreatedAt, p.UpdatedAt, p.InteractedAt, author.SerializedPublicKey, author.DiasporaID)
		if len(tags) > 0 {
			b.Queue(receivedTagsSQL, tags, id)
			b.Queue(receivedTaggingsSQL, tags, id)
		}
		b.Queue(receivedFanOutSQL, id)
		if n, ok := ctx.Value(countKey{}).(*atomic.Int64); ok {
			n.Add(int64(b.Len()))
		}
		br := c.Conn().SendBatch(ctx, b)
		err := func() error {
			var got int64
			if err := br.QueryRow().Scan(&got); err == nil {
				stored = true
			} else if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			if len(tags) > 0 {
				for range 2 {
					if _, err := br.Exec(); err != nil {
						return err
					}
				}
			}
			rows, err := br.Query()
			if err != nil {
				return err
			}
			users, err = pgx.CollectRows(rows, pgx.RowTo[int64])
			return err
		}()
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		return err
	})
	if err != nil {
		return false, translate(err, "store received post")
	}
	if !stored {
		return false, nil
	}
	p.ID = id
	// A new public post only adds to streams: its record may be batched.
	s.touch(ctx, Change{Users: users, Posts: []int64{id}, Additive: true})
	return true, nil
}
