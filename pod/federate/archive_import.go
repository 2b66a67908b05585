package federate

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	mbits "math/bits"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/cryptobyte"
	casn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/federate/fedhost"
	"github.com/aspenpod/aspen/pod/tasks"
)

// Importing a diaspora* archive (issue 14, diaspora*'s ArchiveValidator,
// ArchiveImporter and MigrationService). In the request (QueueImport), the
// upload is read within size limits (gzip or plain JSON, the decompressed
// size bounded too) and checked against the archive format's schema and
// the entities' own rules; bad input is an InvalidError (422) and nothing
// is stored. A good upload is kept in the media store and the
// archives:import job (RunImport, archive_import_job.go) does the rest:
// the private key the archive carries must be the key of the identity it
// claims (the old identity is discovered, or known here). Then, in one
// transaction, the signed-in account gets the archive's profile, aspects,
// contacts (those the old account shared with, into their aspects),
// posts, followed tags, blocks and settings, and an account_migration
// event: the federation layer tells the pods of the contacts and of the
// old identity that this account replaces it. What the job finds wrong
// is recorded on the job for the user to read, and nothing is stored.

// Limits of an imported archive.
const (
	// MaxArchiveUpload is the largest upload (compressed or not).
	MaxArchiveUpload = 64 << 20
	// MaxArchiveJSON bounds the decompressed JSON (gzip bombs).
	MaxArchiveJSON = 128 << 20
	// MaxArchiveDepth bounds JSON nesting (the format needs 6).
	MaxArchiveDepth = 32
	maxArchivePosts = 200000
	maxArchiveItems = 20000 // contacts, aspects, tags, blocks each
)

// ImportDiscoveryTime bounds how long an import looks for the people its
// archive names (contacts and blocks).
const ImportDiscoveryTime = 2 * time.Minute

// importing admits one import job at a time per process, checking one
// upload at a time: an archive is held in memory while it is checked and
// imported (up to MaxArchiveJSON and what it parses into).
var (
	importing = make(chan struct{}, 1)
	checking  = make(chan struct{}, 1)
)

// ImportResult says what an import did.
type ImportResult struct {
	OldID      string   `json:"old_id"`
	Posts      int      `json:"posts"`
	Skipped    int      `json:"skipped"`    // posts that exist here already or whose root is unknown
	Contacts   int      `json:"contacts"`   // contacts recreated
	Unresolved []string `json:"unresolved"` // contacts and blocks that could not be found
	Aspects    int      `json:"aspects"`
	Tags       int      `json:"tags"`
	Blocks     int      `json:"blocks"`
	// Migrated: the account_migration is being sent (the old identity was
	// found and the archive's key is its key). Otherwise only the data was
	// imported, as diaspora* does when the old pod cannot be reached.
	Migrated bool `json:"migrated"`
}

// Archive is a parsed and checked archive.
type Archive struct {
	// OldID is the identity the archive belongs to (its profile's author).
	OldID string
	// Key is the archive's private key, the old identity's.
	Key *rsa.PrivateKey
	// Raw is the archive's JSON as decoded.
	Raw *archiveJSON
	// Posts are the archive's posts, valid entities by OldID.
	Posts []archivePost
	// Profile is the archive's profile entity.
	Profile *entity.Profile
}

type archivePost struct {
	Entity      entity.Entity
	Subscribers []string
}

type archiveJSON struct {
	Version *string `json:"version"`
	User    *struct {
		Username             *string         `json:"username"`
		Email                *string         `json:"email"`
		Language             string          `json:"language"`
		PrivateKey           *string         `json:"private_key"`
		DisableMail          *bool           `json:"disable_mail"`
		AutoFollowBack       *bool           `json:"auto_follow_back"`
		AutoFollowBackAspect *string         `json:"auto_follow_back_aspect"`
		Blocks               []string        `json:"blocks"`
		Profile              json.RawMessage `json:"profile"`
		ContactGroups        []struct {
			Name *string `json:"name"`
		} `json:"contact_groups"`
		Contacts []struct {
			Sharing    *bool    `json:"sharing"`
			Following  *bool    `json:"following"`
			Receiving  *bool    `json:"receiving"`
			Followed   *bool    `json:"followed"`
			AccountID  *string  `json:"account_id"`
			Groups     []string `json:"contact_groups_membership"`
			PersonGUID string   `json:"person_guid"`
		} `json:"contacts"`
		Posts             []json.RawMessage `json:"posts"`
		Relayables        []json.RawMessage `json:"relayables"`
		FollowedTags      []string          `json:"followed_tags"`
		PostSubscriptions []string          `json:"post_subscriptions"`
	} `json:"user"`
	OthersData *struct {
		Relayables []json.RawMessage `json:"relayables"`
	} `json:"others_data"`
}

func badArchive(format string, args ...any) error {
	return &pod.InvalidError{Fields: map[string]string{"archive": fmt.Sprintf(format, args...)}}
}

// ReadArchive reads an uploaded archive: gzip or plain JSON, within the
// limits, parsed and checked against the format (see ParseArchive).
func ReadArchive(r io.Reader) (*Archive, error) { return ReadArchiveWithin(r, MaxArchiveJSON) }

// ReadArchiveWithin is ReadArchive with maxJSON bytes of decompressed
// JSON at most (the fuzz target uses less than MaxArchiveJSON).
func ReadArchiveWithin(r io.Reader, maxJSON int) (*Archive, error) {
	br := bufio.NewReader(io.LimitReader(r, MaxArchiveUpload+1))
	head, _ := br.Peek(2)
	var src io.Reader = br
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, badArchive("is not a valid gzip file: %v", err)
		}
		defer gz.Close()
		src = gz
	}
	data, err := io.ReadAll(io.LimitReader(src, int64(maxJSON)+1))
	if err != nil {
		return nil, badArchive("could not be read: %v", err)
	}
	if len(data) > maxJSON {
		return nil, badArchive("is larger than %d MB once decompressed", maxJSON>>20)
	}
	return ParseArchive(data)
}

// checkDepth refuses JSON nested deeper than MaxArchiveDepth before it is
// decoded.
func checkDepth(data []byte) error {
	depth, inString, escaped := 0, false, false
	for _, c := range data {
		switch {
		case inString:
			if escaped {
				escaped = false
			} else if c == '\\' {
				escaped = true
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			if depth++; depth > MaxArchiveDepth {
				return badArchive("is nested deeper than %d levels", MaxArchiveDepth)
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

// ParseArchive checks an archive's JSON against diaspora*'s archive format
// (version 2.0; the required fields; every post and the profile valid
// entities of the archive's author) and parses its private key.
func ParseArchive(data []byte) (*Archive, error) {
	if err := checkDepth(data); err != nil {
		return nil, err
	}
	var raw archiveJSON
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, badArchive("is not a diaspora* archive (JSON): %v", err)
	}
	if raw.Version == nil || *raw.Version != "2.0" {
		return nil, badArchive("has no version or an unsupported one (2.0 is supported)")
	}
	u := raw.User
	if u == nil {
		return nil, badArchive("has no user")
	}
	switch {
	case u.Username == nil || *u.Username == "":
		return nil, badArchive("has no user.username")
	case u.Email == nil:
		return nil, badArchive("has no user.email")
	case u.PrivateKey == nil || *u.PrivateKey == "":
		return nil, badArchive("has no user.private_key")
	case len(u.Profile) == 0:
		return nil, badArchive("has no user.profile")
	case len(u.Posts) > maxArchivePosts:
		return nil, badArchive("has more than %d posts", maxArchivePosts)
	case len(u.Contacts) > maxArchiveItems || len(u.ContactGroups) > maxArchiveItems || len(u.FollowedTags) > maxArchiveItems ||
		len(u.Blocks) > maxArchiveItems:
		return nil, badArchive("has more than %d contacts, aspects, tags or blocks", maxArchiveItems)
	}
	pe, err := entity.ParseJSON(u.Profile)
	if err != nil {
		return nil, badArchive("user.profile is not a valid profile: %v", err)
	}
	profile, ok := pe.(*entity.Profile)
	if !ok {
		return nil, badArchive("user.profile is a %s, not a profile", pe.EntityName())
	}
	a := &Archive{OldID: strings.ToLower(profile.Author), Raw: &raw, Profile: profile}
	if a.Key, err = parseArchiveKey(*u.PrivateKey); err != nil {
		return nil, err
	}
	for i, g := range u.ContactGroups {
		if g.Name == nil || strings.TrimSpace(*g.Name) == "" {
			return nil, badArchive("contact_groups[%d] has no name", i)
		}
	}
	for i, c := range u.Contacts {
		if c.Sharing == nil || c.Receiving == nil || c.Following == nil || c.Followed == nil || c.AccountID == nil || c.Groups == nil {
			return nil, badArchive("contacts[%d] lacks a required field (sharing, following, receiving, followed, account_id, contact_groups_membership)", i)
		}
		if !entity.ValidDiasporaID(strings.ToLower(*c.AccountID)) {
			return nil, badArchive("contacts[%d].account_id is not a diaspora* ID", i)
		}
	}
	for i, p := range u.Posts {
		var subs struct {
			Pods  *[]string `json:"subscribed_pods_uris"`
			Users *[]string `json:"subscribed_users_ids"`
		}
		if err := json.Unmarshal(p, &subs); err != nil {
			return nil, badArchive("posts[%d] is not an object", i)
		}
		e, err := entity.ParseJSON(p)
		if err != nil {
			return nil, badArchive("posts[%d] is not a valid post: %v", i, err)
		}
		ap := archivePost{Entity: e}
		switch e := e.(type) {
		case *entity.StatusMessage:
			if strings.ToLower(e.Author) != a.OldID {
				return nil, badArchive("posts[%d] is by %s, not by the archive's owner", i, e.Author)
			}
			if e.Public && subs.Pods == nil || !e.Public && subs.Users == nil {
				return nil, badArchive("posts[%d] lacks its subscribers (subscribed_pods_uris or subscribed_users_ids)", i)
			}
			if subs.Users != nil {
				ap.Subscribers = *subs.Users
			}
		case *entity.Reshare:
			if strings.ToLower(e.Author) != a.OldID {
				return nil, badArchive("posts[%d] is by %s, not by the archive's owner", i, e.Author)
			}
		default:
			return nil, badArchive("posts[%d] is a %s, not a status_message or reshare", i, e.EntityName())
		}
		a.Posts = append(a.Posts, ap)
	}
	for i, t := range u.FollowedTags {
		if len(t) == 0 || len(t) > 255 {
			return nil, badArchive("followed_tags[%d] is not a tag", i)
		}
	}
	for i, b := range u.Blocks {
		if !entity.ValidDiasporaID(strings.ToLower(b)) {
			return nil, badArchive("blocks[%d] is not a diaspora* ID", i)
		}
	}
	return a, nil
}

// parseArchiveKey reads the archive's private key: PEM, PKCS#1 (as
// diaspora* writes it) or PKCS#8, RSA of 2048 to 8192 bits.
func parseArchiveKey(s string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(s)))
	if block == nil {
		return nil, badArchive("user.private_key is not a PEM key")
	}
	// Parsing checks the key with arithmetic on its numbers: a forged key
	// with a huge modulus would take minutes, so its size is read first.
	if len(block.Bytes) > maxKeyDER {
		return nil, badArchive("user.private_key is too large for an RSA key of at most 8192 bits")
	}
	if bits := modulusBits(block.Bytes); bits < 1024 || bits > 8192 {
		return nil, badArchive("user.private_key is not an RSA key of 1024 to 8192 bits")
	}
	var key *rsa.PrivateKey
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		key = k
	} else if k8, err8 := x509.ParsePKCS8PrivateKey(block.Bytes); err8 == nil {
		if rk, ok := k8.(*rsa.PrivateKey); ok {
			key = rk
		}
	}
	if key == nil {
		return nil, badArchive("user.private_key is not an RSA private key")
	}
	if bits := key.N.BitLen(); bits < 1024 || bits > 8192 {
		return nil, badArchive("user.private_key has %d bits (1024 to 8192 are accepted)", bits)
	}
	if err := key.Validate(); err != nil {
		return nil, badArchive("user.private_key is not a valid RSA key: %v", err)
	}
	return key, nil
}

// maxKeyDER bounds a private key's DER: an 8192-bit PKCS#8 key takes about
// 4.8 kB.
const maxKeyDER = 8 << 10

// modulusBits reads the bit length of an RSA private key's modulus from its
// PKCS#1 or PKCS#8 DER without parsing the rest; -1 when it is neither.
func modulusBits(der []byte) int {
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	var version int64
	if !in.ReadASN1(&seq, casn1.SEQUENCE) || !seq.ReadASN1Integer(&version) {
		return -1
	}
	if seq.PeekASN1Tag(casn1.SEQUENCE) { // PKCS#8: the algorithm, then the PKCS#1 key
		var alg, inner cryptobyte.String
		if !seq.ReadASN1(&alg, casn1.SEQUENCE) || !seq.ReadASN1(&inner, casn1.OCTET_STRING) {
			return -1
		}
		return modulusBits(inner)
	}
	var n cryptobyte.String
	if !seq.ReadASN1(&n, casn1.INTEGER) {
		return -1
	}
	b := []byte(n)
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0
	}
	return (len(b)-1)*8 + mbits.Len8(b[0])
}

// checkImportable refuses, cheaply and before anything is stored, an
// archive of the account itself or of an identity imported here already.
// It returns the account's person.
func (a *Service) checkImportable(ctx context.Context, userID int64, ar *Archive) (*models.Person, error) {
	me, err := a.store.PersonOfUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	if ar.OldID == strings.ToLower(me.DiasporaID) {
		return nil, badArchive("is the archive of this account itself")
	}
	if done, err := a.store.ArchiveImported(ctx, ar.OldID); err != nil {
		return nil, err
	} else if done {
		return nil, badArchive("of %s was imported here already", ar.OldID)
	}
	return me, nil
}

// importArchive imports a checked archive into the account of userID
// (see the comment at the top of this file): the old identity and the
// people the archive names are discovered, then one transaction imports
// everything and, with it, runs finish (which marks the job done). prog
// hears of the people discovered and the posts imported.
func (a *Service) importArchive(ctx context.Context, userID int64, ar *Archive, prog *importProgress,
	finish func(tx *models.Store, res *ImportResult) error) (*ImportResult, error) {
	me, err := a.checkImportable(ctx, userID, ar)
	if err != nil {
		return nil, err
	}
	// The key proves the account: it must be the old identity's key, as
	// its pod publishes it. An identity nobody can find (its pod is gone)
	// is imported as data only, without a migration (diaspora* does so).
	res := &ImportResult{OldID: ar.OldID}
	old, err := a.RemotePerson(ctx, ar.OldID, true)
	var de *DiscoveryError
	switch {
	case err == nil:
		pub, perr := a.keys.Public(old.SerializedPublicKey)
		if perr != nil || !pub.Equal(&ar.Key.PublicKey) {
			return nil, badArchive("holds a private key that is not the key of %s: it is not that account's archive", ar.OldID)
		}
		if old.OwnerID != nil {
			return nil, badArchive("belongs to an account of this pod; moving between accounts of one pod is not supported")
		}
		res.Migrated = true
	case errors.As(err, &de):
		a.log.Info("archive import: old identity not found, importing data only", "old", ar.OldID, "err", err)
		old = nil
	default:
		return nil, err
	}
	// People the archive names: discovered before the transaction, eight
	// at a time, for ImportDiscoveryTime at most (who is not found by
	// then is left out and listed).
	u := ar.Raw.User
	people := map[string]*models.Person{}
	var ids []string
	for _, c := range u.Contacts {
		if *c.Receiving {
			ids = append(ids, strings.ToLower(*c.AccountID))
		}
	}
	for _, b := range u.Blocks {
		ids = append(ids, strings.ToLower(b))
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	prog.people(0, len(ids))
	dctx, cancel := context.WithTimeout(ctx, ImportDiscoveryTime)
	found := make([]*models.Person, len(ids))
	var wg sync.WaitGroup
	var discovered atomic.Int64
	sem := make(chan struct{}, 8)
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { prog.people(int(discovered.Add(1)), len(ids)) }()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-dctx.Done():
				return
			}
			if p, err := a.RemotePerson(dctx, id, false); err == nil {
				found[i] = p
			}
		}()
	}
	wg.Wait()
	cancel()
	for i, id := range ids {
		people[id] = found[i]
		if found[i] == nil {
			res.Unresolved = append(res.Unresolved, id)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var sig string
	if res.Migrated {
		m := &entity.AccountMigration{Author: strings.ToLower(me.DiasporaID), Profile: &entity.Profile{Author: strings.ToLower(me.DiasporaID)},
			OldIdentity: ar.OldID}
		if err := entity.SignMigration(m, ar.Key); err != nil {
			return nil, err
		}
		sig = m.Signature
	}
	err = a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		*res = ImportResult{OldID: res.OldID, Migrated: res.Migrated, Unresolved: res.Unresolved}
		imp := &models.ArchiveImport{UserID: userID, OldDiasporaID: ar.OldID, Signature: sig}
		if old != nil {
			imp.OldPersonID = &old.ID
		}
		if err := tx.CreateArchiveImport(ctx, imp); errors.Is(err, models.ErrConflict) {
			return badArchive("of %s was imported here already", ar.OldID)
		} else if err != nil {
			return err
		}
		if err := a.importAccount(ctx, tx, out, userID, me, ar, people, res); err != nil {
			return err
		}
		if err := a.importPosts(ctx, tx, me, ar, people, res, prog); err != nil {
			return err
		}
		if res.Migrated {
			out.Add(&tasks.AccountMigrated{UserID: userID, ImportID: imp.ID})
			// This pod applies the move itself, as the pods it tells do
			// (receiveMigration for a local new identity): the old
			// identity closes and points here, and local users' contacts
			// with it move to this account.
			if old != nil {
				if err := tx.RecordMigration(ctx, &models.AccountMigration{OldPersonID: old.ID, NewPersonID: me.ID}); err != nil {
					return err
				}
				if err := tx.RepointContacts(ctx, old.ID, me.ID); err != nil {
					return err
				}
			}
		}
		return finish(tx, res)
	})
	if err != nil {
		return nil, err
	}
	a.log.Info("archive imported", "user", userID, "old", ar.OldID, "posts", res.Posts, "contacts", res.Contacts, "migrated", res.Migrated)
	return res, nil
}

// importAccount recreates the profile, settings, aspects, contacts,
// followed tags and blocks.
func (a *Service) importAccount(ctx context.Context, tx *models.Store, out *pod.Outbox, userID int64, me *models.Person, ar *Archive,
	people map[string]*models.Person, res *ImportResult) error {
	u := ar.Raw.User
	prof, err := tx.ProfileOf(ctx, me.ID)
	if err != nil {
		return err
	}
	fedhost.ApplyProfile(ar.Profile, prof, true)
	prof.PublicDetails = ar.Profile.Public
	if err := tx.SaveProfile(ctx, prof); err != nil {
		return err
	}
	existing, err := tx.AspectsOf(ctx, userID)
	if err != nil {
		return err
	}
	aspectIDs := map[string]int64{}
	for _, as := range existing {
		aspectIDs[strings.ToLower(as.Name)] = as.ID
	}
	for _, g := range u.ContactGroups {
		name := strings.TrimSpace(*g.Name)
		if _, ok := aspectIDs[strings.ToLower(name)]; ok {
			continue
		}
		if len([]rune(name)) > 20 {
			name = string([]rune(name)[:20])
		}
		as := &models.Aspect{UserID: userID, Name: name}
		if err := tx.CreateAspect(ctx, as); errors.Is(err, models.ErrConflict) {
			continue
		} else if err != nil {
			return err
		}
		aspectIDs[strings.ToLower(name)] = as.ID
		res.Aspects++
	}
	for _, b := range u.Blocks {
		p := people[strings.ToLower(b)]
		if p == nil || p.ID == me.ID {
			continue
		}
		if _, err := tx.CreateBlock(ctx, userID, p.ID); err != nil {
			return err
		}
		res.Blocks++
	}
	// Contacts the old account shared with: the same, receiving only
	// (the other side's sharing comes back with their pod's answer to the
	// migration), in their aspects.
	for _, c := range u.Contacts {
		if !*c.Receiving {
			continue
		}
		p := people[strings.ToLower(*c.AccountID)]
		if p == nil || p.ID == me.ID {
			continue
		}
		if blocked, err := tx.Blocked(ctx, userID, p.ID); err != nil {
			return err
		} else if blocked || p.ClosedAccount {
			continue
		}
		ct, err := tx.EnsureContact(ctx, userID, p.ID)
		if err != nil {
			return err
		}
		for _, g := range c.Groups {
			if id, ok := aspectIDs[strings.ToLower(strings.TrimSpace(g))]; ok {
				if _, err := tx.AddMembership(ctx, id, ct.ID); err != nil {
					return err
				}
			}
		}
		if err := a.contacts.ShareAsImported(ctx, tx, out, userID, me.ID, ct, p); err != nil {
			return err
		}
		res.Contacts++
	}
	if len(u.FollowedTags) > 0 {
		ids, err := tx.EnsureTags(ctx, pod.ExtractTags(hashTags(u.FollowedTags)))
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.FollowTag(ctx, userID, id); err != nil {
				return err
			}
			if err := tx.BackfillTag(ctx, userID, me.ID, id); err != nil {
				return err
			}
			res.Tags++
		}
	}
	if u.AutoFollowBack != nil {
		if err := tx.UpdateUserSettings(ctx, userID, *u.AutoFollowBack); err != nil {
			return err
		}
		if u.AutoFollowBackAspect != nil {
			if id, ok := aspectIDs[strings.ToLower(*u.AutoFollowBackAspect)]; ok && *u.AutoFollowBack {
				if err := tx.Exec(ctx, `UPDATE users SET auto_follow_back_aspect_id = ? WHERE id = ?`, id, userID); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// hashTags turns tag names into "#a #b" for pod.ExtractTags, which
// normalises them as posts' tags are.
func hashTags(names []string) string {
	var b strings.Builder
	for _, n := range names {
		b.WriteString(" #")
		b.WriteString(strings.TrimPrefix(strings.TrimSpace(n), "#"))
	}
	return b.String()
}

// importPosts recreates the archive's posts as the new identity's, with
// their GUIDs (a post this pod has already, under the old identity, is
// left to the migration). A limited post keeps, of its subscribers, those
// this pod knows as its audience; nobody else gains access. Reshares of
// posts this pod does not have are left out.
func (a *Service) importPosts(ctx context.Context, tx *models.Store, me *models.Person, ar *Archive,
	people map[string]*models.Person, res *ImportResult, prog *importProgress) error {
	var subscriberIDs []string
	for _, p := range ar.Posts {
		subscriberIDs = append(subscriberIDs, p.Subscribers...)
	}
	known := map[string]models.PersonRow{}
	if len(subscriberIDs) > 0 {
		var err error
		for lo := 0; lo < len(subscriberIDs); lo += 5000 {
			m, err2 := tx.PeopleByDiasporaIDs(ctx, subscriberIDs[lo:min(lo+5000, len(subscriberIDs))])
			if err = err2; err != nil {
				return err
			}
			for k, v := range m {
				known[strings.ToLower(k)] = v
			}
		}
	}
	for i, ap := range ar.Posts {
		prog.posts(i, len(ar.Posts))
		guid := entity.GUIDOf(ap.Entity)
		if _, err := tx.PostByGUID(ctx, guid); err == nil {
			res.Skipped++
			continue
		} else if !errors.Is(err, models.ErrNotFound) {
			return err
		}
		var post *models.Post
		switch e := ap.Entity.(type) {
		case *entity.StatusMessage:
			post = fedhost.StatusMessagePost(e, me.ID)
			post.TextHTML, post.NSFW = string(pod.RenderText(post.Text, nil)), pod.ContainsTag(post.Text, "nsfw")
			if err := tx.CreatePost(ctx, post); err != nil {
				return err
			}
			if err := a.storeExtras(ctx, tx, e, post); err != nil {
				if errors.Is(err, ErrDropped) {
					return badArchive("post %s: %v", guid, err)
				}
				return err
			}
			if !post.Public {
				var ids, local []int64
				for _, id := range ap.Subscribers {
					if p, ok := known[strings.ToLower(id)]; ok && p.ID != me.ID {
						ids = append(ids, p.ID)
						local = append(local, p.ID)
					}
				}
				if err := tx.AddAudience(ctx, post.ID, ids); err != nil {
					return err
				}
				if err := tx.ShareWithLocal(ctx, post.ID, local); err != nil {
					return err
				}
			}
		case *entity.Reshare:
			root, err := tx.PostByGUID(ctx, e.RootGUID)
			if err != nil || !root.Public {
				res.Skipped++
				continue
			}
			post = fedhost.ResharePost(e, me.ID, root)
			if err := tx.CreatePost(ctx, post); err != nil {
				return err
			}
		}
		if err := a.core.Publish(ctx, tx, post, nil); err != nil {
			return err
		}
		res.Posts++
	}
	return nil
}
