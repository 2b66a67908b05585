package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Contact is a local user's relationship with another person. Receiving:
// the user shares with the person (the person is in at least one of the
// user's aspects). Sharing: the person shares with the user.
type Contact struct {
	ID        int64
	UserID    int64
	PersonID  int64
	Sharing   bool
	Receiving bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// AspectMembership puts a contact in one of the user's aspects.
type AspectMembership struct {
	ID        int64
	AspectID  int64
	ContactID int64
	CreatedAt time.Time
}

// Block records that a user ignores a person.
type Block struct {
	ID        int64
	UserID    int64
	PersonID  int64
	CreatedAt time.Time
}

// ContactOf finds the user's contact row for a person.
func (s *Store) ContactOf(ctx context.Context, userID, personID int64) (*Contact, error) {
	var c Contact
	err := s.conn(ctx).Where("user_id = ? AND person_id = ?", userID, personID).Take(&c).Error
	return &c, translate(err, "contact")
}

// ContactByID finds a contact by ID.
func (s *Store) ContactByID(ctx context.Context, id int64) (*Contact, error) {
	var c Contact
	err := s.conn(ctx).Where("id = ?", id).Take(&c).Error
	return &c, translate(err, "contact")
}

// EnsureContact returns the user's contact row for a person, creating an
// empty one (neither sharing nor receiving) when there is none.
func (s *Store) EnsureContact(ctx context.Context, userID, personID int64) (*Contact, error) {
	c := Contact{UserID: userID, PersonID: personID}
	err := s.conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&c).Error
	if err != nil {
		return nil, translate(err, "ensure contact")
	}
	return s.ContactOf(ctx, userID, personID)
}

// SetContactFlags stores a contact's sharing and receiving flags.
func (s *Store) SetContactFlags(ctx context.Context, id int64, sharing, receiving bool) error {
	res := s.conn(ctx).Model(&Contact{}).Where("id = ?", id).
		Updates(map[string]any{"sharing": sharing, "receiving": receiving, "updated_at": time.Now()})
	return rowsOrNotFound(res.Error, res.RowsAffected, "set contact flags")
}

// DeleteContactIfEmpty removes a contact that neither shares nor receives
// and belongs to no aspect.
func (s *Store) DeleteContactIfEmpty(ctx context.Context, id int64) error {
	return translate(s.conn(ctx).Exec(`DELETE FROM contacts c WHERE c.id = ? AND NOT c.sharing AND NOT c.receiving
		AND NOT EXISTS (SELECT 1 FROM aspect_memberships am WHERE am.contact_id = c.id)`, id).Error, "delete empty contact")
}

// AspectOf finds one of the user's aspects; another user's aspect is
// ErrNotFound.
func (s *Store) AspectOf(ctx context.Context, userID, aspectID int64) (*Aspect, error) {
	var a Aspect
	err := s.conn(ctx).Where("id = ? AND user_id = ?", aspectID, userID).Take(&a).Error
	return &a, translate(err, "aspect")
}

// CreateAspect inserts one aspect at the end of the user's list. A name
// the user already has (ignoring case) is ErrConflict.
func (s *Store) CreateAspect(ctx context.Context, a *Aspect) error {
	err := s.conn(ctx).Raw(`INSERT INTO aspects (user_id, name, order_id, post_default)
		VALUES (?, ?, (SELECT COALESCE(MAX(order_id) + 1, 0) FROM aspects WHERE user_id = ?), ?)
		RETURNING id, order_id, created_at, updated_at`, a.UserID, a.Name, a.UserID, true).
		Row().Scan(&a.ID, &a.OrderID, &a.CreatedAt, &a.UpdatedAt)
	if isUniqueViolation(err) {
		return fmt.Errorf("create aspect: %w", ErrConflict)
	}
	return translate(err, "create aspect")
}

// RenameAspect changes an aspect's name.
func (s *Store) RenameAspect(ctx context.Context, userID, aspectID int64, name string) error {
	res := s.conn(ctx).Model(&Aspect{}).Where("id = ? AND user_id = ?", aspectID, userID).
		Updates(map[string]any{"name": name, "updated_at": time.Now()})
	return rowsOrNotFound(res.Error, res.RowsAffected, "rename aspect")
}

// DeleteAspect removes an aspect and its memberships.
func (s *Store) DeleteAspect(ctx context.Context, userID, aspectID int64) error {
	res := s.conn(ctx).Where("id = ? AND user_id = ?", aspectID, userID).Delete(&Aspect{})
	return rowsOrNotFound(res.Error, res.RowsAffected, "delete aspect")
}

// SetAspectOrder stores the position of each of the user's aspects.
func (s *Store) SetAspectOrder(ctx context.Context, userID int64, ids []int64) error {
	for i, id := range ids {
		if err := s.conn(ctx).Model(&Aspect{}).Where("id = ? AND user_id = ?", id, userID).
			Updates(map[string]any{"order_id": i, "updated_at": time.Now()}).Error; err != nil {
			return translate(err, "order aspects")
		}
	}
	return nil
}

// AddMembership puts a contact in an aspect; an existing membership is
// returned as it is.
func (s *Store) AddMembership(ctx context.Context, aspectID, contactID int64) (*AspectMembership, error) {
	m := AspectMembership{AspectID: aspectID, ContactID: contactID}
	if err := s.conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&m).Error; err != nil {
		return nil, translate(err, "add membership")
	}
	err := s.conn(ctx).Where("aspect_id = ? AND contact_id = ?", aspectID, contactID).Take(&m).Error
	return &m, translate(err, "add membership")
}

// MembershipOf finds a membership that belongs to one of the user's aspects.
func (s *Store) MembershipOf(ctx context.Context, userID, membershipID int64) (*AspectMembership, error) {
	var m AspectMembership
	err := s.conn(ctx).Raw(`SELECT am.* FROM aspect_memberships am JOIN aspects a ON a.id = am.aspect_id
		WHERE am.id = ? AND a.user_id = ?`, membershipID, userID).Scan(&m).Error
	if err == nil && m.ID == 0 {
		err = gorm.ErrRecordNotFound
	}
	return &m, translate(err, "membership")
}

// MembershipIn finds the membership of a contact in an aspect.
func (s *Store) MembershipIn(ctx context.Context, aspectID, contactID int64) (*AspectMembership, error) {
	var m AspectMembership
	err := s.conn(ctx).Where("aspect_id = ? AND contact_id = ?", aspectID, contactID).Take(&m).Error
	return &m, translate(err, "membership")
}

// DeleteMembership removes one membership.
func (s *Store) DeleteMembership(ctx context.Context, id int64) error {
	res := s.conn(ctx).Where("id = ?", id).Delete(&AspectMembership{})
	return rowsOrNotFound(res.Error, res.RowsAffected, "delete membership")
}

// CountMemberships counts the aspects a contact is in.
func (s *Store) CountMemberships(ctx context.Context, contactID int64) (int64, error) {
	var n int64
	err := s.conn(ctx).Model(&AspectMembership{}).Where("contact_id = ?", contactID).Count(&n).Error
	return n, translate(err, "count memberships")
}

// ReceivingWithoutMembership lists the user's contacts marked receiving
// that are in no aspect any more (after an aspect was deleted).
func (s *Store) ReceivingWithoutMembership(ctx context.Context, userID int64) ([]Contact, error) {
	var cs []Contact
	err := s.conn(ctx).Raw(`SELECT c.* FROM contacts c WHERE c.user_id = ? AND c.receiving
		AND NOT EXISTS (SELECT 1 FROM aspect_memberships am WHERE am.contact_id = c.id)`, userID).Scan(&cs).Error
	return cs, translate(err, "contacts without aspects")
}

// AspectMembers maps each of the user's aspects to the people in it who
// can receive a post: people on a pod the admins blocked are left out
// (nothing is delivered to them, so a post's audience does not name them).
func (s *Store) AspectMembers(ctx context.Context, userID int64) (map[int64][]int64, error) {
	rows, err := s.conn(ctx).Raw(`SELECT a.id, pe.id FROM aspects a
		LEFT JOIN aspect_memberships am ON am.aspect_id = a.id
		LEFT JOIN contacts c ON c.id = am.contact_id
		LEFT JOIN people pe ON pe.id = c.person_id AND pe.pod_state < `+podStateBlockedSQL+`
		WHERE a.user_id = ?`, userID).Rows()
	if err != nil {
		return nil, translate(err, "aspect members")
	}
	defer rows.Close()
	out := map[int64][]int64{}
	for rows.Next() {
		var aspect int64
		var person *int64
		if err := rows.Scan(&aspect, &person); err != nil {
			return nil, err
		}
		if person == nil { // an empty aspect, or a member on a blocked pod
			if _, ok := out[aspect]; !ok {
				out[aspect] = []int64{}
			}
			continue
		}
		out[aspect] = append(out[aspect], *person)
	}
	return out, translate(rows.Err(), "aspect members")
}

// MembershipRow is one aspect a contact is in.
type MembershipRow struct {
	ID         int64
	AspectID   int64
	AspectName string
	ContactID  int64
}

// MembershipsOfContacts lists the aspects each of the given contacts is in.
func (s *Store) MembershipsOfContacts(ctx context.Context, contactIDs []int64) (map[int64][]MembershipRow, error) {
	out := map[int64][]MembershipRow{}
	if len(contactIDs) == 0 {
		return out, nil
	}
	var rows []MembershipRow
	err := s.conn(ctx).Raw(`SELECT am.id, am.aspect_id, a.name AS aspect_name, am.contact_id
		FROM aspect_memberships am JOIN aspects a ON a.id = am.aspect_id
		WHERE am.contact_id IN ? ORDER BY a.order_id, a.id`, contactIDs).Scan(&rows).Error
	for _, r := range rows {
		out[r.ContactID] = append(out[r.ContactID], r)
	}
	return out, translate(err, "memberships of contacts")
}

// ContactFilter selects contacts for the contacts page.
type ContactFilter struct {
	// Set is "all" (default: people I share with or who share with me),
	// "receiving" (I share with them), "only_sharing" (they share with me,
	// I don't share back).
	Set string
	// AspectID limits to one aspect's members.
	AspectID int64
	Limit    int
	Offset   int
}

// ContactRow is a contact with the person and profile fields a list needs.
type ContactRow struct {
	ID         int64
	PersonID   int64
	Sharing    bool
	Receiving  bool
	GUID       string `gorm:"column:guid"`
	DiasporaID string
	FirstName  string
	LastName   string
	ImageURL   string
	ImageSmall string
	ImageMed   string
}

// Contacts lists a user's contacts by filter, by name.
func (s *Store) Contacts(ctx context.Context, userID int64, f ContactFilter) ([]ContactRow, error) {
	q := `SELECT c.id, c.person_id, c.sharing, c.receiving, p.guid, p.diaspora_id,
		pr.first_name, pr.last_name, pr.image_url, pr.image_url_small AS image_small, pr.image_url_medium AS image_med
		FROM contacts c JOIN people p ON p.id = c.person_id LEFT JOIN profiles pr ON pr.person_id = p.id
		WHERE c.user_id = @user`
	switch f.Set {
	case "receiving":
		q += ` AND c.receiving`
	case "only_sharing":
		q += ` AND c.sharing AND NOT c.receiving`
	default:
		q += ` AND (c.sharing OR c.receiving)`
	}
	if f.AspectID != 0 {
		q += ` AND EXISTS (SELECT 1 FROM aspect_memberships am WHERE am.contact_id = c.id AND am.aspect_id = @aspect)`
	}
	if f.Limit == 0 {
		f.Limit = 1000
	}
	q += ` ORDER BY lower(COALESCE(NULLIF(pr.first_name, ''), p.diaspora_id)), p.id LIMIT @limit OFFSET @offset`
	var rows []ContactRow
	err := s.conn(ctx).Raw(q, map[string]any{"user": userID, "aspect": f.AspectID, "limit": f.Limit, "offset": f.Offset}).Scan(&rows).Error
	return rows, translate(err, "contacts")
}

// CreateBlock records that a user ignores a person; blocking twice is fine.
func (s *Store) CreateBlock(ctx context.Context, userID, personID int64) (*Block, error) {
	defer s.touchUsers(ctx, userID)
	b := Block{UserID: userID, PersonID: personID}
	if err := s.conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&b).Error; err != nil {
		return nil, translate(err, "block")
	}
	err := s.conn(ctx).Where("user_id = ? AND person_id = ?", userID, personID).Take(&b).Error
	return &b, translate(err, "block")
}

// DeleteBlock removes one of the user's blocks.
func (s *Store) DeleteBlock(ctx context.Context, userID, blockID int64) error {
	defer s.touchUsers(ctx, userID)
	res := s.conn(ctx).Where("id = ? AND user_id = ?", blockID, userID).Delete(&Block{})
	return rowsOrNotFound(res.Error, res.RowsAffected, "unblock")
}

// Blocked reports whether the user ignores the person.
func (s *Store) Blocked(ctx context.Context, userID, personID int64) (bool, error) {
	var n int64
	err := s.conn(ctx).Model(&Block{}).Where("user_id = ? AND person_id = ?", userID, personID).Count(&n).Error
	return n > 0, translate(err, "blocked")
}

// BlockedByOwner reports whether the local owner of ownerPersonID ignores personID.
func (s *Store) BlockedByOwner(ctx context.Context, ownerPersonID, personID int64) (bool, error) {
	var n int64
	err := s.conn(ctx).Raw(`SELECT count(*) FROM blocks b JOIN people o ON o.owner_id = b.user_id
		WHERE o.id = ? AND b.person_id = ?`, ownerPersonID, personID).Scan(&n).Error
	return n > 0, translate(err, "blocked by owner")
}

// BlockRow is a block with the blocked person's name.
type BlockRow struct {
	ID         int64
	PersonID   int64
	GUID       string `gorm:"column:guid"`
	DiasporaID string
	FirstName  string
	LastName   string
}

// BlocksOf lists the people a user ignores.
func (s *Store) BlocksOf(ctx context.Context, userID int64) ([]BlockRow, error) {
	var rows []BlockRow
	err := s.conn(ctx).Raw(`SELECT b.id, b.person_id, p.guid, p.diaspora_id, COALESCE(pr.first_name, '') AS first_name, COALESCE(pr.last_name, '') AS last_name
		FROM blocks b JOIN people p ON p.id = b.person_id LEFT JOIN profiles pr ON pr.person_id = p.id
		WHERE b.user_id = ? ORDER BY b.created_at DESC`, userID).Scan(&rows).Error
	return rows, translate(err, "blocks")
}

// PersonRow is a person with profile fields, for lists and search.
type PersonRow struct {
	ID         int64
	GUID       string `gorm:"column:guid"`
	DiasporaID string
	OwnerID    *int64
	FirstName  string
	LastName   string
	ImageURL   string
	ImageSmall string
	ImageMed   string
	Searchable bool
	// Closed: the account was closed (deleted or moved).
	Closed bool
}

const personRowCols = `p.id, p.guid, p.diaspora_id, p.owner_id, p.closed_account AS closed, COALESCE(pr.first_name, '') AS first_name,
	COALESCE(pr.last_name, '') AS last_name, COALESCE(pr.image_url, '') AS image_url,
	COALESCE(pr.image_url_small, '') AS image_small, COALESCE(pr.image_url_medium, '') AS image_med,
	COALESCE(pr.searchable, true) AS searchable`

// SearchPeople finds people by name or diaspora ID. Only searchable
// profiles match by name; an exact diaspora ID always matches (as on
// diaspora*).
func (s *Store) SearchPeople(ctx context.Context, q string, limit int) ([]PersonRow, error) {
	q = strings.ToLower(strings.TrimSpace(q))
	like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q) + "%"
	var rows []PersonRow
	err := s.conn(ctx).Raw(`SELECT `+personRowCols+` FROM people p LEFT JOIN profiles pr ON pr.person_id = p.id
		WHERE NOT p.closed_account AND p.pod_state < `+podStateBlockedSQL+` AND (lower(p.diaspora_id) = @q OR (COALESCE(pr.searchable, true) AND (
			lower(p.diaspora_id) LIKE @like OR lower(pr.first_name || ' ' || pr.last_name) LIKE @like)))
		ORDER BY (lower(p.diaspora_id) = @q) DESC, lower(p.diaspora_id) LIMIT @limit`,
		map[string]any{"q": q, "like": like, "limit": limit}).Scan(&rows).Error
	return rows, translate(err, "search people")
}

// PeopleByIDs loads people rows by ID.
func (s *Store) PeopleByIDs(ctx context.Context, ids []int64) (map[int64]PersonRow, error) {
	out := map[int64]PersonRow{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []PersonRow
	err := s.conn(ctx).Raw(`SELECT `+personRowCols+` FROM people p LEFT JOIN profiles pr ON pr.person_id = p.id WHERE p.id IN ?`, ids).Scan(&rows).Error
	for _, r := range rows {
		out[r.ID] = r
	}
	return out, translate(err, "people by ids")
}

// PeopleByDiasporaIDs loads known people by diaspora ID (lower-cased keys).
func (s *Store) PeopleByDiasporaIDs(ctx context.Context, ids []string) (map[string]PersonRow, error) {
	out := map[string]PersonRow{}
	if len(ids) == 0 {
		return out, nil
	}
	lower := make([]string, len(ids))
	for i, id := range ids {
		lower[i] = strings.ToLower(id)
	}
	var rows []PersonRow
	err := s.conn(ctx).Raw(`SELECT `+personRowCols+` FROM people p LEFT JOIN profiles pr ON pr.person_id = p.id
		WHERE lower(p.diaspora_id) IN ?`, lower).Scan(&rows).Error
	for _, r := range rows {
		out[strings.ToLower(r.DiasporaID)] = r
	}
	return out, translate(err, "people by diaspora ids")
}

// UserIDOfPerson returns the local user owning a person, or ErrNotFound.
func (s *Store) UserIDOfPerson(ctx context.Context, personID int64) (int64, error) {
	var p Person
	err := s.conn(ctx).Select("owner_id").Where("id = ?", personID).Take(&p).Error
	if err != nil {
		return 0, translate(err, "user of person")
	}
	if p.OwnerID == nil {
		return 0, fmt.Errorf("user of person: %w", ErrNotFound)
	}
	return *p.OwnerID, nil
}

// HasLocalContact reports whether any local user has a contact (either
// direction) with a person.
func (s *Store) HasLocalContact(ctx context.Context, personID int64) (bool, error) {
	var n int64
	err := s.conn(ctx).Raw(`SELECT count(*) FROM (SELECT 1 FROM contacts WHERE person_id = ? LIMIT 1) c`, personID).Scan(&n).Error
	return n > 0, translate(err, "has local contact")
}

// RepresentativeUser returns the ID of the user who speaks for the pod
// where the protocol needs one (the first admin, else the first user, by
// sign-up time: IDs are random and say nothing about age), or
// ErrNotFound on a pod without users.
func (s *Store) RepresentativeUser(ctx context.Context) (int64, error) {
	var ids []int64
	err := s.conn(ctx).Raw(`SELECT id FROM users WHERE NOT locked ORDER BY admin DESC, created_at, id LIMIT 1`).Scan(&ids).Error
	if err != nil {
		return 0, translate(err, "representative user")
	}
	if len(ids) == 0 {
		return 0, fmt.Errorf("representative user: %w", ErrNotFound)
	}
	return ids[0], nil
}
