package federate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/federation/envelope"
	"github.com/aspenpod/aspen/federation/receive"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/federate/fedhost"
	"github.com/aspenpod/aspen/pod/tasks"
)

// Inbound federation: the receive endpoints store the raw body (Enqueue)
// and answer 202; the receive job (Receive) decrypts, verifies and applies
// it. Applying is idempotent by GUID, so a repeated delivery changes
// nothing. Invalid input is dropped with a log line naming the reason;
// what may succeed later (unknown parent, unreachable sender) is retried.

// Enqueue implements receive.Enqueuer: it stores a received body for the
// receive job before the endpoint answers 202, so that an accepted
// delivery is never lost. The body goes straight into the job queue
// (Redis), which costs no database write per message; when Redis refuses
// it, into the outbox table, from which the worker's relay queues it once
// Redis is back. Only when both fail is the answer an error (503), and the
// sending pod retries later, as diaspora* does for any failed delivery.
// (Answering 503 whenever Redis is away would also lose nothing, but would
// leave each sender's retry schedule, hours apart, to decide when the
// message arrives; storing it here makes it arrive as soon as Redis does.)
func (a *Service) Enqueue(ctx context.Context, d receive.Delivery) error {
	if a.queue == nil {
		return errors.New("no job queue configured")
	}
	t := tasks.NewReceive(tasks.Receive{Body: d.Body, RecipientGUID: d.RecipientGUID})
	// Right after the job queue failed, bodies go to the outbox without
	// waiting on it again.
	err := errors.New("job queue failed moments ago")
	if !a.core.QueueResting() {
		if err = a.core.EnqueueNow(ctx, t); err == nil {
			return nil
		}
	}
	row, rerr := pod.OutboxRow(t)
	if rerr == nil {
		_, rerr = a.store.AddOutbox(ctx, []models.OutboxRow{row})
	}
	if rerr != nil {
		return fmt.Errorf("queue received body: %w; store it in the outbox: %w", err, rerr)
	}
	// Once a minute at most, not once per message of an outage.
	if now := time.Now().UnixNano(); now-a.inboxWarned.Load() > int64(time.Minute) {
		a.inboxWarned.Store(now)
		a.log.Warn("federation: job queue unreachable, received bodies are kept in the outbox", "task", row.TaskID, "err", err)
	}
	return nil
}

// HasRecipient implements receive.Recipients: whether an active local user
// owns the person GUID.
func (a *Service) HasRecipient(ctx context.Context, personGUID string) (bool, error) {
	_, _, err := a.localRecipient(ctx, personGUID)
	if errors.Is(err, federation.ErrUnknownRecipient) {
		return false, nil
	}
	return err == nil, err
}

func (a *Service) localRecipient(ctx context.Context, personGUID string) (*models.Person, *models.User, error) {
	if !entity.ValidGUID(personGUID) {
		return nil, nil, federation.Errorf(federation.ErrUnknownRecipient, "%q is not a GUID", personGUID)
	}
	p, err := a.store.PersonByGUID(ctx, personGUID)
	if errors.Is(err, models.ErrNotFound) || err == nil && (!p.Local() || p.ClosedAccount) {
		return nil, nil, federation.Errorf(federation.ErrUnknownRecipient, "no local user owns person %s", personGUID)
	} else if err != nil {
		return nil, nil, err
	}
	u, err := a.store.UserByID(ctx, *p.OwnerID)
	if err != nil {
		return nil, nil, err
	}
	if u.Locked {
		return nil, nil, federation.Errorf(federation.ErrUnknownRecipient, "the account of %s is locked", p.DiasporaID)
	}
	return p, u, nil
}

// Receive is the receive job: verify a received body and apply it. The
// error wraps ErrDropped when retrying cannot help.
func (a *Service) Receive(ctx context.Context, r tasks.Receive) error {
	route := "public"
	if r.RecipientGUID != "" {
		route = "private"
	}
	sender, err := a.receive(ctx, r.Body, r.RecipientGUID, 0)
	var unknown *unknownTargetError
	if errors.As(err, &unknown) {
		// Nothing to delete: done. diaspora* retries for a day in case the
		// target comes late; remembering the retraction (unknownTarget)
		// keeps a late target out without a day of retries.
		a.log.Info("federation: retraction of something this pod does not have, remembered", "reason", err.Error(),
			"route", route, "sender", sender)
		return nil
	}
	if errors.Is(err, errRetracted) {
		// About something deleted already: a second copy of a retraction,
		// or a comment that arrives after its post was retracted.
		a.log.Info("federation: delivery about a retracted object ignored", "reason", err.Error(), "sender", sender)
		return nil
	}
	if err == nil {
		a.stats.Received.Add(1)
		return nil
	}
	if errors.Is(err, ErrDropped) || federation.Permanent(err) {
		a.stats.Dropped.Add(1)
		a.log.Warn("federation: delivery dropped", "reason", err.Error(), "route", route, "recipient", r.RecipientGUID, "sender", sender, "bytes", len(r.Body))
		if errors.Is(err, ErrDropped) {
			return err
		}
		return fmt.Errorf("%w: %w", ErrDropped, err)
	}
	a.log.Info("federation: delivery will be retried", "reason", err.Error(), "route", route, "sender", sender)
	return err
}

// errRetracted: the delivery is about an object that was retracted.
var errRetracted = errors.New("the object was retracted")

// errUnknownTarget: a retraction's target is not stored here.
var errUnknownTarget = errors.New("retraction target unknown")

// unknownTargetError is a verified retraction whose target this pod never
// had (or has deleted): it is done once remembered, never retried.
type unknownTargetError struct {
	typ, guid string
}

func (e *unknownTargetError) Error() string {
	return fmt.Sprintf("%s: %s %s", errUnknownTarget, e.typ, e.guid)
}

func (e *unknownTargetError) Unwrap() error { return errUnknownTarget }

// unknownTarget handles a retraction (envelope signature verified) whose
// target this pod does not have: the sender rules cannot be checked
// without the target, so it deletes nothing, but it is remembered for
// retractedTTL with its author and sender, and a target that arrives later
// is refused if that retraction would have been valid for it
// (retractedBefore).
func (a *Service) unknownTarget(ctx context.Context, env *envelope.Envelope) error {
	e, err := entity.ParseXML(env.Payload)
	if err != nil {
		return err
	}
	x, ok := e.(*entity.Retraction)
	if !ok {
		return fmt.Errorf("%s is no retraction: %w", e.EntityName(), ErrDropped)
	}
	// Every retraction of the GUID is kept (one row per author and
	// sender): a later one by someone else must not replace the author's.
	if err := a.store.RememberRetraction(ctx, x.TargetGUID, x.Author, env.Sender, time.Now().Add(pod.RetractedTTL)); err != nil {
		a.log.Warn("cannot remember a retraction", "guid", x.TargetGUID, "err", err)
	}
	return &unknownTargetError{typ: x.TargetType, guid: x.TargetGUID}
}

// knownGUID reports whether a post, comment or like with the entity's GUID
// is stored here.
func (a *Service) knownGUID(ctx context.Context, e entity.Entity) bool {
	guid := entity.GUIDOf(e)
	var err error
	switch e.(type) {
	case *entity.Comment:
		_, err = a.store.CommentByGUID(ctx, guid)
	case *entity.Like:
		_, err = a.store.LikeByGUID(ctx, guid)
	case *entity.StatusMessage, *entity.Reshare:
		_, err = a.store.PostByGUID(ctx, guid)
	default:
		return a.knownExtraGUID(ctx, e)
	}
	return err == nil
}

// dropped is a permanent, logged refusal of a received entity.
func dropped(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrDropped)
}

// receive verifies and applies one body; depth > 0 for objects fetched
// while processing another (a missing parent), which fetch nothing more.
// It returns the envelope's sender when known, for the log.
func (a *Service) receive(ctx context.Context, body []byte, recipientGUID string, depth int) (string, error) {
	var env *envelope.Envelope
	var err error
	var rcpt *models.Person
	var rcptUser *models.User
	if recipientGUID == "" {
		env, err = envelope.Parse(body)
	} else {
		if rcpt, rcptUser, err = a.localRecipient(ctx, recipientGUID); err != nil {
			return "", err
		}
		env, err = a.keys.Open(body, rcptUser.SerializedPrivateKey)
	}
	if err != nil {
		return "", err
	}
	if a.idBlocked(ctx, env.Sender) {
		return env.Sender, dropped("sender %s: %v", env.Sender, errPodBlocked)
	}
	if strings.HasPrefix(strings.TrimSpace(string(env.Payload)), "<account_migration") {
		if done, err := a.migrationPrecheck(ctx, env.Payload); done || err != nil {
			return env.Sender, err
		}
	}
	keys, err := a.process(ctx, env, recipientGUID, depth, rcpt, rcptUser, true)
	if err != nil && len(keys.hinted) > 0 {
		// A sender hint was out of date (errStaleHint), or a check failed
		// with a hinted key that may be: again, with the stored keys.
		_, err = a.process(ctx, env, recipientGUID, depth, rcpt, rcptUser, false)
	}
	return env.Sender, err
}

// process verifies a parsed envelope and applies it, with the sender hints
// or without (senderKeys). It returns the keys it used.
func (a *Service) process(ctx context.Context, env *envelope.Envelope, recipientGUID string, depth int,
	rcpt *models.Person, rcptUser *models.User, hints bool) (*senderKeys, error) {
	// A retraction never fetches its target: a missing one is remembered
	// (unknownTarget).
	retraction := strings.HasPrefix(strings.TrimSpace(string(env.Payload)), "<retraction")
	keys := &senderKeys{a: a, hints: hints}
	proc := receive.Processor{Keys: keys, Objects: objectLookup{a: a, sender: env.Sender, fetch: depth == 0 && !retraction, retraction: retraction}}
	res, err := proc.ProcessEnvelope(ctx, env, recipientGUID)
	if errors.Is(err, errUnknownTarget) {
		if err := keys.confirm(ctx); err != nil {
			return keys, err
		}
		return keys, a.unknownTarget(ctx, env)
	}
	if err != nil {
		return keys, err
	}
	return keys, a.apply(ctx, res, depth, keys, rcpt, rcptUser)
}

// objectLookup answers the sender rules' questions about parents and
// targets, fetching a missing parent post from the sender's pod (which
// owns it or redirects to its owner, §5.4).
type objectLookup struct {
	a      *Service
	sender string
	fetch  bool
	// retraction: the lookup is for a retraction's target, and a missing
	// one is errUnknownTarget.
	retraction bool
}

func (l objectLookup) LookupObject(ctx context.Context, typ, guid string) (*federation.ObjectInfo, error) {
	info, err := l.a.objectInfo(ctx, typ, guid)
	if errors.Is(err, models.ErrNotFound) && l.a.core.Retracted(ctx, guid) {
		return nil, errRetracted
	}
	if errors.Is(err, models.ErrNotFound) && l.retraction {
		return nil, fmt.Errorf("%s %s: %w", typ, guid, errUnknownTarget)
	}
	if !errors.Is(err, models.ErrNotFound) || !l.fetch {
		return info, err
	}
	fetchType := map[string]string{"Post": "post", "StatusMessage": "post", "Reshare": "post", "Comment": "comment"}[typ]
	if fetchType == "" {
		return nil, err
	}
	if err := l.a.fetchAndReceive(ctx, l.sender, fetchType, guid); err != nil {
		return nil, err
	}
	return l.a.objectInfo(ctx, typ, guid)
}

// fetchAndReceive fetches a missing object (a parent post or comment, a
// reshared post) from the pod of author, who signed it, and receives it as
// if it had been delivered (without fetching further). A failure is
// ErrParentNotFound, so the delivery that needed it is retried.
func (a *Service) fetchAndReceive(ctx context.Context, author, fetchType, guid string) error {
	if a.idBlocked(ctx, author) {
		return dropped("fetch %s %s from %s: %v", fetchType, guid, author, errPodBlocked)
	}
	fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	body, err := a.discovery.FetchFrom(fctx, author, fetchType, guid)
	if err != nil {
		return federation.Wrap(federation.ErrParentNotFound, err, "fetch %s %s from %s", fetchType, guid, author)
	}
	if _, err := a.receive(ctx, body, "", 1); err != nil {
		return federation.Wrap(federation.ErrParentNotFound, err, "fetched %s %s", fetchType, guid)
	}
	return nil
}

// objectInfo describes a stored post, comment or like for the sender rules.
func (a *Service) objectInfo(ctx context.Context, typ, guid string) (*federation.ObjectInfo, error) {
	var postID, authorID int64
	switch typ {
	case "Post", "StatusMessage", "Reshare":
		p, err := a.store.PostByGUID(ctx, guid)
		if err != nil {
			return nil, err
		}
		postID, authorID = p.ID, p.AuthorID
	case "Comment":
		c, err := a.store.CommentByGUID(ctx, guid)
		if err != nil {
			return nil, err
		}
		postID, authorID = c.PostID, c.AuthorID
	case "Like":
		l, err := a.store.LikeByGUID(ctx, guid)
		if err != nil {
			return nil, err
		}
		postID, authorID = l.PostID, l.AuthorID
	default:
		var err error
		if postID, authorID, err = a.extraObjectInfo(ctx, typ, guid); err != nil {
			return nil, err
		}
	}
	post, err := a.store.PostByID(ctx, postID)
	if err != nil {
		return nil, err
	}
	ids, err := a.store.PeopleByIDs(ctx, []int64{authorID, post.AuthorID})
	if err != nil {
		return nil, err
	}
	root := ids[post.AuthorID]
	return &federation.ObjectInfo{Author: strings.ToLower(ids[authorID].DiasporaID), RootAuthor: strings.ToLower(root.DiasporaID),
		RootLocal: root.OwnerID != nil, Public: post.Public}, nil
}

// apply stores a verified entity; keys found the keys that verified it (and
// knows the sender); rcpt and rcptUser are the local recipient of a private
// delivery (nil on the public route).
func (a *Service) apply(ctx context.Context, res *receive.Result, depth int, keys *senderKeys, rcpt *models.Person, rcptUser *models.User) error {
	if a.idBlocked(ctx, entity.AuthorOf(res.Entity)) {
		return dropped("%s by %s: %v", res.Entity.EntityName(), entity.AuthorOf(res.Entity), errPodBlocked)
	}
	author, err := keys.author(ctx, entity.AuthorOf(res.Entity))
	if err != nil {
		if errors.Is(err, models.ErrNotFound) {
			return dropped("author %s is unknown", entity.AuthorOf(res.Entity))
		}
		return err
	}
	sm, post := res.Entity.(*entity.StatusMessage)
	if !post {
		// A status message may take the fast path, which checks the key
		// itself; receiveStatusMessage confirms before the general path.
		if err := keys.confirm(ctx); err != nil {
			return err
		}
	}
	if m, ok := res.Entity.(*entity.AccountMigration); ok {
		return a.receiveMigration(ctx, m)
	}
	if _, retraction := res.Entity.(*entity.Retraction); author.Local() && !retraction {
		if a.knownGUID(ctx, res.Entity) {
			return nil // our own comment or like relayed back to us
		}
		return dropped("%s claims to be by %s, a user of this pod", res.Entity.EntityName(), author.DiasporaID)
	}
	if post {
		return a.receiveStatusMessage(ctx, sm, author, rcpt, keys)
	}
	switch e := res.Entity.(type) {
	case *entity.Reshare:
		return a.receiveReshare(ctx, e, author, depth)
	case *entity.Comment:
		return a.receiveComment(ctx, e, author)
	case *entity.Like:
		return a.receiveLike(ctx, e, author)
	case *entity.Retraction:
		return a.receiveRetraction(ctx, e, res.Sender, rcptUser)
	case *entity.Profile:
		return a.receiveProfile(ctx, e, author, !res.Public() || e.Public)
	case *entity.Contact:
		return a.receiveContact(ctx, e, author, rcpt, rcptUser)
	case *entity.Participation:
		return a.receiveParticipation(ctx, e, author)
	case *entity.PollParticipation:
		return a.receivePollParticipation(ctx, e, author)
	case *entity.EventParticipation:
		return a.receiveEventParticipation(ctx, e, author)
	case *entity.AccountDeletion:
		return a.receiveAccountDeletion(ctx, author)
	case *entity.Conversation:
		return a.receiveConversation(ctx, e, author, rcpt)
	case *entity.Message:
		return a.receiveMessage(ctx, e, author, rcpt)
	}
	return dropped("%s is not supported by this pod yet", res.Entity.EntityName())
}

// retryConflict runs fn again once if it hit a unique constraint: two jobs
// storing the same object at once (one limited post delivered to two users
// here); the second run sees the first's row.
func retryConflict(fn func() error) error {
	err := fn()
	if errors.Is(err, models.ErrConflict) {
		err = fn()
	}
	return err
}

// receiveStatusMessage stores a received post. keys may hold the author
// unconfirmed (a sender hint): the fast path checks the key as it stores,
// the general path runs after keys.confirm.
func (a *Service) receiveStatusMessage(ctx context.Context, e *entity.StatusMessage, author, rcpt *models.Person, keys *senderKeys) error {
	if !e.Public && rcpt == nil {
		return dropped("limited post %s arrived on the public route", e.GUID)
	}
	// The fast path checks the retractions itself, in its statement.
	if created, err := a.storePublicPost(ctx, e, author); err != nil || created != nil {
		if created != nil {
			a.logLeftOut(e, created, author)
		}
		return err
	}
	if a.retractedBefore(ctx, e.GUID, e.Author, "") {
		return errRetracted
	}
	if err := keys.confirm(ctx); err != nil {
		return err
	}
	var created *models.Post
	err := retryConflict(func() error {
		return a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
			created = nil
			existing, err := tx.PostByGUID(ctx, e.GUID)
			if err == nil {
				if existing.AuthorID != author.ID {
					return dropped("post %s exists with another author", e.GUID)
				}
				if existing.Public || rcpt == nil {
					return nil // a repeated delivery
				}
				// The same limited post for one more user here (§7.7).
				if err := tx.ShareWithLocal(ctx, existing.ID, []int64{rcpt.ID}); err != nil {
					return err
				}
				return tx.FanOut(ctx, existing)
			} else if !errors.Is(err, models.ErrNotFound) {
				return err
			}
			post := fedhost.StatusMessagePost(e, author.ID)
			mentioned, targets, err := a.core.ResolveMentions(ctx, tx, post.Text)
			if err != nil {
				return err
			}
			post.TextHTML, post.NSFW = string(pod.RenderText(post.Text, targets)), pod.ContainsTag(post.Text, "nsfw")
			if err := tx.CreatePost(ctx, post); err != nil {
				return err
			}
			if err := a.storeExtras(ctx, tx, e, post); err != nil {
				return err
			}
			if !post.Public {
				if err := tx.ShareWithLocal(ctx, post.ID, []int64{rcpt.ID}); err != nil {
					return err
				}
			}
			if err := a.receivePhotos(ctx, tx, out, post, e); err != nil {
				return err
			}
			if err := a.core.Publish(ctx, tx, post, mentioned); err != nil {
				return err
			}
			created = post
			if post.Public {
				return a.subscribe(ctx, tx, out, post)
			}
			return nil
		})
	})
	if err == nil && created != nil {
		a.logLeftOut(e, created, author)
	}
	return err
}

// logLeftOut tells the log what of a stored post this pod does not keep.
func (a *Service) logLeftOut(e *entity.StatusMessage, created *models.Post, author *models.Person) {
	if left := fedhost.LeftOut(e); left != "" {
		a.log.Info("federation: received post stored without what this pod does not support yet",
			"guid", created.GUID, "author", author.DiasporaID, "left_out", left)
	}
}

// subscribe asks the author's pod of a received public post to relay what
// happens under it (§7.4), unless a local user's contact with the author
// makes it do so already (a post that came by a reshare or a fetch). The
// participation is sent in the name of the pod's representative user
// (none on a pod without users: then nobody here needs the thread).
func (a *Service) subscribe(ctx context.Context, tx *models.Store, out *pod.Outbox, post *models.Post) error {
	if has, err := tx.HasLocalContact(ctx, post.AuthorID); err != nil || has {
		return err
	}
	uid, err := tx.RepresentativeUser(ctx)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	out.Add(&tasks.Participated{UserID: uid, PostID: post.ID})
	return nil
}

func (a *Service) receiveReshare(ctx context.Context, e *entity.Reshare, author *models.Person, depth int) error {
	if _, err := a.store.PostByGUID(ctx, e.GUID); err == nil {
		return nil // a repeated delivery
	}
	if a.retractedBefore(ctx, e.GUID, e.Author, "") {
		return errRetracted
	}
	var root *models.Post
	if e.RootGUID != "" {
		r, err := a.store.PostByGUID(ctx, e.RootGUID)
		if errors.Is(err, models.ErrNotFound) && depth == 0 && e.RootAuthor != "" {
			if ferr := a.fetchAndReceive(ctx, e.RootAuthor, "post", e.RootGUID); ferr != nil {
				return ferr
			}
			r, err = a.store.PostByGUID(ctx, e.RootGUID)
		}
		if err != nil {
			if errors.Is(err, models.ErrNotFound) {
				return federation.Errorf(federation.ErrParentNotFound, "reshared post %s", e.RootGUID)
			}
			return err
		}
		if !r.Public {
			return dropped("reshare %s of limited post %s", e.GUID, e.RootGUID)
		}
		root = r
	}
	err := a.store.Tx(ctx, func(tx *models.Store) error {
		post := fedhost.ResharePost(e, author.ID, root)
		if err := tx.CreatePost(ctx, post); err != nil {
			return err
		}
		if root != nil {
			if err := tx.AddCounters(ctx, root.ID, 0, 0, 1); err != nil {
				return err
			}
			if err := tx.AddParticipation(ctx, root.ID, author.ID); err != nil {
				return err
			}
			if err := a.core.NotifyAuthor(ctx, tx, root, models.NotifyReshared, author.ID); err != nil {
				return err
			}
		}
		return tx.FanOut(ctx, post)
	})
	if errors.Is(err, models.ErrConflict) {
		return nil // the same reshare (by GUID, or a second one by its author)
	}
	return err
}

// relayableParent loads the post a received relayable belongs to and
// applies the root author's rules when the post is ours: an ignored author
// or one outside a limited post's audience is refused.
func (a *Service) relayableParent(ctx context.Context, postID int64, author *models.Person, typ, guid string) (*models.Post, bool, error) {
	what := strings.ToLower(typ) + " " + guid
	post, err := a.store.PostByID(ctx, postID)
	if err != nil {
		return nil, false, err
	}
	postAuthor, err := a.store.PersonByID(ctx, post.AuthorID)
	if err != nil {
		return nil, false, err
	}
	if !postAuthor.Local() {
		return post, false, nil
	}
	if blocked, err := a.store.BlockedByOwner(ctx, post.AuthorID, author.ID); err != nil {
		return nil, false, err
	} else if blocked {
		// Tell the author's pod to take it down again (§5.3).
		err := a.core.TxOut(ctx, func(_ *models.Store, out *pod.Outbox) error {
			out.Add(&tasks.Retracted{SenderID: post.AuthorID, TargetType: typ, TargetGUID: guid,
				TargetAuthor: author.DiasporaID, Public: post.Public, Recipients: []int64{author.ID}})
			return nil
		})
		if err != nil {
			return nil, false, err
		}
		return nil, false, dropped("%s by %s: the post's author ignores them", what, author.DiasporaID)
	}
	if !post.Public {
		in, err := a.store.InAudience(ctx, post.ID, author.ID)
		if err != nil {
			return nil, false, err
		}
		if !in {
			return nil, false, dropped("%s by %s on limited post %s: not in its audience", what, author.DiasporaID, post.GUID)
		}
	}
	return post, true, nil
}

func (a *Service) receiveComment(ctx context.Context, e *entity.Comment, author *models.Person) error {
	if _, err := a.store.CommentByGUID(ctx, e.GUID); err == nil {
		return nil // a repeated delivery
	}
	parent, err := a.store.PostByGUID(ctx, e.ParentGUID)
	if err != nil {
		return err
	}
	if a.retractedBefore(ctx, e.GUID, e.Author, a.authorOf(ctx, parent)) {
		return errRetracted
	}
	post, ours, err := a.relayableParent(ctx, parent.ID, author, "Comment", e.GUID)
	if err != nil {
		return err
	}
	c, err := fedhost.CommentRow(e, post.ID, author.ID)
	if err != nil {
		return err
	}
	err = a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		if err := a.posts.AddComment(ctx, tx, post, c); err != nil {
			return err
		}
		if ours { // relayed to the post's audience
			out.Add(&tasks.CommentAdded{CommentID: c.ID})
		}
		return nil
	})
	if errors.Is(err, models.ErrConflict) {
		return nil
	}
	return err
}

func (a *Service) receiveLike(ctx context.Context, e *entity.Like, author *models.Person) error {
	if _, err := a.store.LikeByGUID(ctx, e.GUID); err == nil {
		return nil
	}
	var postID int64
	var comment *models.Comment
	if e.ParentType == "Comment" {
		c, err := a.store.CommentByGUID(ctx, e.ParentGUID)
		if err != nil {
			return err
		}
		postID, comment = c.PostID, c
	} else {
		p, err := a.store.PostByGUID(ctx, e.ParentGUID)
		if err != nil {
			return err
		}
		postID = p.ID
	}
	post, ours, err := a.relayableParent(ctx, postID, author, "Like", e.GUID)
	if err != nil {
		return err
	}
	if a.retractedBefore(ctx, e.GUID, e.Author, a.authorOf(ctx, post)) {
		return errRetracted
	}
	var commentID *int64
	if comment != nil {
		commentID = &comment.ID
	}
	l, err := fedhost.LikeRow(e, post.ID, commentID, author.ID)
	if err != nil {
		return err
	}
	err = a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		if err := tx.CreateLike(ctx, l); err != nil {
			return err
		}
		if ours { // relayed to the post's audience
			out.Add(&tasks.LikeAdded{LikeID: l.ID})
		}
		// A dislike (positive false) is stored, relayed and retractable,
		// but it is no like: no like counter, no "liked" notification.
		if comment != nil {
			if !l.Positive {
				return nil
			}
			if err := tx.AddCommentLikes(ctx, comment.ID, 1); err != nil {
				return err
			}
			return a.core.NotifyCommentLiked(ctx, tx, comment, author.ID)
		}
		if err := tx.AddParticipation(ctx, post.ID, author.ID); err != nil {
			return err
		}
		if !l.Positive {
			return nil
		}
		if err := tx.AddCounters(ctx, post.ID, 0, 1, 0); err != nil {
			return err
		}
		return a.core.NotifyAuthor(ctx, tx, post, models.NotifyLiked, author.ID)
	})
	if errors.Is(err, models.ErrConflict) {
		return nil // the same like, or a second like by the same person
	}
	return err
}

// authorOf returns the diaspora ID of a post's author ("" if unknown).
func (a *Service) authorOf(ctx context.Context, p *models.Post) string {
	pe, err := a.store.PersonByID(ctx, p.AuthorID)
	if err != nil {
		return ""
	}
	return pe.DiasporaID
}

// receiveRetraction deletes what a retraction targets (the sender rules
// were checked). When the target is a comment or like on our post and its
// author retracted it, the retraction is relayed to the post's audience.
func (a *Service) receiveRetraction(ctx context.Context, e *entity.Retraction, sender string, rcptUser *models.User) error {
	switch e.TargetType {
	case "Post", "StatusMessage", "Reshare":
		p, err := a.store.PostByGUID(ctx, e.TargetGUID)
		if err != nil {
			return err
		}
		err = a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
			if p.Type == models.TypeReshare && p.RootID != nil {
				if err := tx.AddCounters(ctx, *p.RootID, 0, 0, -1); err != nil {
					return err
				}
			}
			out.AddTask(tasks.NewPhotosSweep()) // its photos' copies
			return tx.DeletePost(ctx, p.ID)
		})
		if err == nil {
			a.core.MarkRetracted(ctx, p.GUID)
		}
		return err
	case "Comment", "Like":
		var postID, authorID int64
		var del func(tx *models.Store) error
		if e.TargetType == "Comment" {
			c, err := a.store.CommentByGUID(ctx, e.TargetGUID)
			if err != nil {
				return err
			}
			postID, authorID = c.PostID, c.AuthorID
			del = func(tx *models.Store) error {
				if err := tx.DeleteComment(ctx, c.ID); err != nil {
					return err
				}
				return tx.AddCounters(ctx, c.PostID, -1, 0, 0)
			}
		} else {
			l, err := a.store.LikeByGUID(ctx, e.TargetGUID)
			if err != nil {
				return err
			}
			postID, authorID = l.PostID, l.AuthorID
			del = func(tx *models.Store) error {
				if err := tx.DeleteLike(ctx, l.ID); err != nil {
					return err
				}
				if !l.Positive {
					return nil // a dislike was never counted
				}
				if l.CommentID != nil {
					return tx.AddCommentLikes(ctx, *l.CommentID, -1)
				}
				return tx.AddCounters(ctx, l.PostID, 0, -1, 0)
			}
		}
		post, err := a.store.PostByID(ctx, postID)
		if err != nil {
			return err
		}
		postAuthor, err := a.store.PersonByID(ctx, post.AuthorID)
		if err != nil {
			return err
		}
		defer a.core.MarkRetracted(ctx, e.TargetGUID)
		return a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
			if err := del(tx); err != nil {
				return err
			}
			if postAuthor.Local() && !strings.EqualFold(sender, postAuthor.DiasporaID) {
				out.Add(&tasks.Retracted{SenderID: postAuthor.ID, PostID: post.ID, PersonID: authorID,
					RelayedFrom: authorID, TargetType: e.TargetType, TargetGUID: e.TargetGUID, TargetAuthor: e.Author})
			}
			return nil
		})
	case "Person":
		// The old way to stop sharing (§7.1).
		if rcptUser == nil {
			return dropped("person retraction on the public route")
		}
		author, err := a.store.PersonByDiasporaID(ctx, e.Author)
		if err != nil {
			return err
		}
		return a.stoppedSharing(ctx, rcptUser.ID, author.ID)
	}
	return dropped("retraction of %s objects is not supported", e.TargetType)
}

func (a *Service) receiveProfile(ctx context.Context, e *entity.Profile, author *models.Person, withPrivate bool) error {
	return a.store.Tx(ctx, func(tx *models.Store) error {
		p, err := tx.ProfileOf(ctx, author.ID)
		if errors.Is(err, models.ErrNotFound) {
			p = &models.Profile{PersonID: author.ID}
			fedhost.ApplyProfile(e, p, withPrivate)
			return tx.CreateProfile(ctx, p)
		} else if err != nil {
			return err
		}
		fedhost.ApplyProfile(e, p, withPrivate)
		return tx.SaveProfile(ctx, p)
	})
}

// receiveContact records that a remote person started or stopped sharing
// with a local user (or blocked them), notifies the user and follows back
// if they asked to.
func (a *Service) receiveContact(ctx context.Context, e *entity.Contact, author, rcpt *models.Person, user *models.User) error {
	if rcpt == nil {
		return dropped("contact from %s arrived on the public route", e.Author)
	}
	if !strings.EqualFold(e.Recipient, rcpt.DiasporaID) {
		return dropped("contact for %s was delivered to %s", e.Recipient, rcpt.DiasporaID)
	}
	if !e.Sharing || e.Blocking {
		return a.stoppedSharing(ctx, user.ID, author.ID)
	}
	return a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		c, err := tx.EnsureContact(ctx, user.ID, author.ID)
		if err != nil {
			return err
		}
		if c.Sharing {
			return nil // a repeated delivery
		}
		if err := tx.SetContactFlags(ctx, c.ID, true, c.Receiving); err != nil {
			return err
		}
		if blocked, err := tx.Blocked(ctx, user.ID, author.ID); err != nil || blocked {
			return err
		}
		if err := a.core.NotifyStartedSharing(ctx, tx, user.ID, author.ID); err != nil {
			return err
		}
		if c.Receiving {
			return nil
		}
		c.Sharing = true
		return a.contacts.FollowBack(ctx, tx, out, user, rcpt.ID, c, author)
	})
}

// stoppedSharing records that a person no longer shares with a user.
func (a *Service) stoppedSharing(ctx context.Context, userID, personID int64) error {
	return a.store.Tx(ctx, func(tx *models.Store) error {
		c, err := tx.ContactOf(ctx, userID, personID)
		if errors.Is(err, models.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		if err := tx.SetContactFlags(ctx, c.ID, false, c.Receiving); err != nil {
			return err
		}
		return tx.DeleteContactIfEmpty(ctx, c.ID)
	})
}

// receiveParticipation subscribes a remote person to one of our posts, so
// that what happens under it is relayed to their pod.
func (a *Service) receiveParticipation(ctx context.Context, e *entity.Participation, author *models.Person) error {
	if e.ParentType != "Post" {
		return dropped("participation in a %s", e.ParentType)
	}
	p, err := a.store.PostByGUID(ctx, e.ParentGUID)
	if errors.Is(err, models.ErrNotFound) {
		return dropped("participation in unknown post %s", e.ParentGUID)
	} else if err != nil {
		return err
	}
	pa, err := a.store.PersonByID(ctx, p.AuthorID)
	if err != nil {
		return err
	}
	if !pa.Local() {
		return dropped("participation in post %s, which is not ours", e.ParentGUID)
	}
	if !p.Public {
		if in, err := a.store.InAudience(ctx, p.ID, author.ID); err != nil || !in {
			if err != nil {
				return err
			}
			return dropped("participation by %s in limited post %s: not in its audience", author.DiasporaID, p.GUID)
		}
	}
	return a.store.AddParticipation(ctx, p.ID, author.ID)
}
