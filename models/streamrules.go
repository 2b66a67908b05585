package models

import (
	"fmt"
	"strings"

	"github.com/aspenpod/aspen/aspects"
)

// The privacy and stream rules in SQL, in one place. Every statement that
// decides who may see a post or writes main-stream entries is built here
// from the rules and constants of package aspects: FanOut, the backfills,
// the restores after unblocking or unhiding, and the seeding command all
// call StreamEntriesSQL, so they cannot drift apart. models tests check the
// SQL against aspects/aspectstest, and pod's randomised model test against
// a reference model.

// visibleSQL is the SQL form of aspects.CanSee for posts aliased p:
// public, or written by the viewer, or shared with the viewer when it was
// posted. Its parameters are @vuser, @vperson and @vpriv (Viewer.args):
// without @vpriv (an API token without private:read, Viewer.PublicOnly)
// only public posts are visible, the viewer's own included.
const visibleSQL = `(p.public OR (@vpriv AND (p.author_id = @vperson OR EXISTS (
	SELECT 1 FROM share_visibilities sv WHERE sv.post_id = p.id AND sv.user_id = @vuser))))`

// entryVisibleSQL is visibleSQL for the main-stream entries aliased se
// (MainStream, AspectStream): an entry is written only for a reader of
// its post (StreamEntriesSQL), so only Viewer.PublicOnly (@vpriv false)
// narrows it, to public posts.
const entryVisibleSQL = `(@vpriv OR EXISTS (SELECT 1 FROM posts pp WHERE pp.id = se.post_id AND pp.public))`

// notFilteredSQL drops posts the viewer hid and posts by people the viewer
// ignores.
const notFilteredSQL = `NOT EXISTS (SELECT 1 FROM post_hides h WHERE h.user_id = @vuser AND h.post_id = p.id)
	AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user_id = @vuser AND b.person_id = p.author_id)
	AND p.pod_state < ` + podStateBlockedSQL

// podStateBlockedSQL is PodStateBlocked as SQL: posts by people of a pod
// the admins blocked leave every stream (migration 00015).
const podStateBlockedSQL = "2"

// reasonSQL renders a stream reason bit as an SQL literal.
func reasonSQL(bit int) string { return fmt.Sprint(bit) }

// hasReasonSQL is the condition "entry alias se has the reason bit".
func hasReasonSQL(bit int) string { return fmt.Sprintf("se.reasons & %d <> 0", bit) }

// streamCandidatesSQL lists, for the posts aliased p that match {posts},
// every local user with a reason of aspects.MainStreamReasons to have the
// post in the main stream who may see it (aspects.CanSee), as rows
// (user_id, post_id, reason): the author's owner (ReasonOwn); for a public
// post, users with the author in an aspect (ReasonAspect), following one of
// its tags (ReasonTag) or mentioned in it (ReasonMention); for a limited
// post, its readers (ReasonAddressed) with those same reasons where they
// have them. Visibility comes first, so no reason is ever computed for a
// user who may not see the post. Filters (hidden, ignored) are the
// caller's.
var streamCandidatesSQL = strings.NewReplacer(
	"{own}", reasonSQL(aspects.ReasonOwn),
	"{aspect}", reasonSQL(aspects.ReasonAspect),
	"{tag}", reasonSQL(aspects.ReasonTag),
	"{mention}", reasonSQL(aspects.ReasonMention),
	"{addressed}", reasonSQL(aspects.ReasonAddressed),
).Replace(`SELECT au.owner_id AS user_id, p.id AS post_id, {own} AS reason
			FROM posts p JOIN people au ON au.id = p.author_id WHERE ({posts}) AND au.owner_id IS NOT NULL
		UNION ALL
		SELECT c.user_id, p.id, {aspect} FROM posts p JOIN contacts c ON c.person_id = p.author_id AND c.receiving
			WHERE ({posts}) AND p.public
		UNION ALL
		SELECT tf.user_id, p.id, {tag} FROM posts p JOIN taggings t ON t.post_id = p.id JOIN tag_followings tf ON tf.tag_id = t.tag_id
			WHERE ({posts}) AND p.public
		UNION ALL
		SELECT pe.owner_id, p.id, {mention} FROM posts p JOIN mentions m ON m.post_id = p.id JOIN people pe ON pe.id = m.person_id
			WHERE ({posts}) AND p.public AND pe.owner_id IS NOT NULL
		UNION ALL
		SELECT sv.user_id, p.id, {addressed}
			| CASE WHEN EXISTS (SELECT 1 FROM contacts c WHERE c.user_id = sv.user_id AND c.person_id = p.author_id AND c.receiving) THEN {aspect} ELSE 0 END
			| CASE WHEN EXISTS (SELECT 1 FROM taggings t JOIN tag_followings tf ON tf.tag_id = t.tag_id AND tf.user_id = sv.user_id WHERE t.post_id = p.id) THEN {tag} ELSE 0 END
			| CASE WHEN EXISTS (SELECT 1 FROM mentions m JOIN people pe ON pe.id = m.person_id AND pe.owner_id = sv.user_id WHERE m.post_id = p.id) THEN {mention} ELSE 0 END
			FROM posts p JOIN share_visibilities sv ON sv.post_id = p.id
			WHERE ({posts}) AND NOT p.public`)

// EntryWrite says what StreamEntriesSQL does with an entry that exists.
type EntryWrite int

const (
	// EntriesMerge ORs the new reasons into an existing entry.
	EntriesMerge EntryWrite = iota
	// EntriesReplace sets an existing entry's reasons to the recomputed ones.
	EntriesReplace
	// EntriesFresh writes into a table known to have no entry for these
	// posts (a bulk load whose indexes are dropped): no conflict clause.
	EntriesFresh
)

// StreamEntriesSQL is the one statement that writes main-stream entries
// (aspects.MainStreamReasons in SQL): for every post aliased p matching
// postWhere and every local user r.user_id matching userWhere (empty: every
// user), an entry with every reason the user has, written only when the
// user may see the post (aspects.CanSee), has not hidden it and does not
// ignore its author; an author's own post has ReasonOwn alone, unless they
// hid it. An existing entry gets the reasons OR-ed in or recomputed, as w
// says. postWhere is repeated on the outer join to posts, which the
// candidates already match: without it, a plan prepared once for all
// values (a generic plan, as PostgreSQL chooses for a statement prepared
// on a connection) may scan every post to join them.
// Parameters are named (@...) as postWhere and userWhere use them; the
// seeding command fills {lo}/{hi} chunk bounds in postWhere itself.
func StreamEntriesSQL(postWhere, userWhere string, w EntryWrite) string {
	if userWhere == "" {
		userWhere = "TRUE"
	}
	conflict := ""
	switch w {
	case EntriesMerge:
		conflict = "\n\tON CONFLICT (user_id, post_id) DO UPDATE SET reasons = stream_entries.reasons | EXCLUDED.reasons"
	case EntriesReplace:
		conflict = "\n\tON CONFLICT (user_id, post_id) DO UPDATE SET reasons = EXCLUDED.reasons"
	}
	return `INSERT INTO stream_entries (user_id, post_id, author_id, created_at, reasons)
	SELECT r.user_id, p.id, p.author_id, p.created_at, bit_or(r.reason)::smallint
	FROM (` + strings.ReplaceAll(streamCandidatesSQL, "{posts}", postWhere) + `) r
	JOIN posts p ON p.id = r.post_id JOIN people au ON au.id = p.author_id
	WHERE (` + postWhere + `) AND (` + userWhere + `)
		AND NOT EXISTS (SELECT 1 FROM post_hides h WHERE h.user_id = r.user_id AND h.post_id = p.id)
		AND (r.reason = ` + reasonSQL(aspects.ReasonOwn) + ` OR (r.user_id IS DISTINCT FROM au.owner_id
			AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user_id = r.user_id AND b.person_id = p.author_id)))
	GROUP BY r.user_id, p.id, p.author_id, p.created_at` + conflict
}

// dropReasonSQL clears one reason bit from a user's entries matching where
// (on alias se) and is followed by dropEmptyEntries.
func dropReasonSQL(bit int, where string) string {
	return fmt.Sprintf(`UPDATE stream_entries se SET reasons = se.reasons & ~%d WHERE se.user_id = @u AND %s AND (%s)`,
		bit, hasReasonSQL(bit), where)
}
