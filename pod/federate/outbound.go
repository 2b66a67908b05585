package federate

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/federation/envelope"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/federate/fedhost"
	"github.com/aspenpod/aspen/pod/tasks"
)

// Outbound federation (DESIGN.md, Federation pipeline): a use case writes
// its event into the outbox table in its transaction (TxOut, outbox.go);
// the relay moves it into the job queue; the event's dispatch job loads
// what happened,
// resolves the remote recipients, signs once, and makes the first attempt
// at its deliveries itself (deliverNow): one body per remote pod (public)
// or one per remote person there (limited, sealed for that person). What
// that attempt leaves goes into one delivery task per pod, which posts
// the finished bytes and records the outcomes (deliver_pod.go).

// ErrDropped marks a federation job that must not be retried: bad input
// from a remote pod, or a delivery given up. pod/jobs turns it into
// asynq.SkipRetry.
var ErrDropped = errors.New("dropped")

// FederationStats counts this process's federation work since it started;
// the worker logs them periodically.
type FederationStats struct {
	Dispatched     atomic.Int64 // dispatch jobs done
	Delivered      atomic.Int64 // delivery attempts answered 2xx
	DeliveryErrors atomic.Int64 // delivery attempts that failed (retried or not)
	GivenUp        atomic.Int64 // deliveries that will not be tried again
	Received       atomic.Int64 // received entities applied
	Dropped        atomic.Int64 // received deliveries dropped as invalid
}

// Stats returns the process's federation counters.
func (a *Service) Stats() *FederationStats { return &a.stats }

// DispatchPost federates a published post.
func (a *Service) DispatchPost(ctx context.Context, e *tasks.PostPublished) error {
	return a.dispatched(e, a.dispatchPost(ctx, e))
}

// DispatchComment federates a comment, or relays a remote one.
func (a *Service) DispatchComment(ctx context.Context, e *tasks.CommentAdded) error {
	return a.dispatched(e, a.dispatchRelayable(ctx, e.Key, e.CommentID, 0))
}

// DispatchLike federates a like, or relays a remote one.
func (a *Service) DispatchLike(ctx context.Context, e *tasks.LikeAdded) error {
	return a.dispatched(e, a.dispatchRelayable(ctx, e.Key, 0, e.LikeID))
}

// DispatchRetraction federates a deletion, or relays a remote one.
func (a *Service) DispatchRetraction(ctx context.Context, e *tasks.Retracted) error {
	return a.dispatched(e, a.dispatchRetraction(ctx, e))
}

// DispatchProfile federates a profile.
func (a *Service) DispatchProfile(ctx context.Context, e *tasks.ProfileChanged) error {
	return a.dispatched(e, a.dispatchProfile(ctx, e))
}

// DispatchContact federates a contact change.
func (a *Service) DispatchContact(ctx context.Context, e *tasks.ContactChanged) error {
	return a.dispatched(e, a.dispatchContact(ctx, e))
}

// DispatchParticipation federates a participation.
func (a *Service) DispatchParticipation(ctx context.Context, e *tasks.Participated) error {
	return a.dispatched(e, a.dispatchParticipation(ctx, e))
}

// dispatched ends a dispatch job: what was to be sent may be gone (deleted
// before the job ran), which finishes it.
func (a *Service) dispatched(e tasks.Event, err error) error {
	if errors.Is(err, models.ErrNotFound) {
		a.log.Info("dispatch skipped: its object is gone", "event", e.TaskType(), "err", err)
		return nil
	}
	if err == nil {
		a.stats.Dispatched.Add(1)
	}
	return err
}

// outgoing is one entity to send to a set of remote recipients.
type outgoing struct {
	key        string // event key: with the URL, the delivery task ID
	entityType string
	postID     *int64 // the post it carries, for the author's delivery status
	payload    []byte // entity XML, relayables already signed by their author
	sender     *models.Person
	public     bool
	recipients []models.RemoteRecipient
	// skipHost is the pod a relayed entity came from: on the public route it
	// gets nothing (it has the entity); on the private route only its author
	// (skipPerson) is left out, as every recipient gets their own copy.
	skipHost   string
	skipPerson int64
	maxRetry   int
	// closedSender: the sender's account is closing, and this is its
	// account_deletion (nothing else is sent for a closed account).
	closedSender bool
}

// senderKey returns the sealed private key of a local person.
func (a *Service) senderKey(ctx context.Context, p *models.Person) (string, error) {
	if !p.Local() {
		return "", fmt.Errorf("%s is not a local person", p.DiasporaID)
	}
	u, err := a.store.UserByID(ctx, *p.OwnerID)
	if err != nil {
		return "", err
	}
	return u.SerializedPrivateKey, nil
}

// send signs an entity once and delivers it (deliverNow): one delivery
// per pod on the public route, one per person (sealed for them) on the
// private route, grouped by pod.
func (a *Service) send(ctx context.Context, o outgoing) error {
	var targets []models.RemoteRecipient
	seen := map[string]bool{}
	for _, r := range o.recipients {
		if o.public && o.skipHost != "" && pod.EqualHost(r.PodHost, o.skipHost) || o.skipPerson != 0 && r.PersonID == o.skipPerson || a.core.OwnHost(r.PodHost) {
			continue
		}
		if a.PodBlocked(ctx, r.PodHost) {
			continue // contacts there are frozen while the block lasts
		}
		k := r.GUID
		if o.public {
			k = r.PodHost
		}
		if !seen[k] {
			seen[k] = true
			targets = append(targets, r)
		}
	}
	if len(targets) == 0 {
		return nil
	}
	health := map[int64]podHealth{}
	for _, r := range targets {
		health[r.PodID] = podHealth{offlineSince: r.PodOfflineSince, lastSuccessAt: r.PodLastSuccessAt}
	}
	if o.sender.ClosedAccount && !o.closedSender {
		a.log.Info("federation: nothing is sent for a closed account", "sender", o.sender.DiasporaID, "entity", o.entityType)
		return nil
	}
	if a.queue == nil {
		return errors.New("federation needs a job queue, and none is configured")
	}
	sealed, err := a.senderKey(ctx, o.sender)
	if err != nil {
		return err
	}
	doc, err := a.keys.Sign(o.payload, o.sender.DiasporaID, sealed)
	if err != nil {
		return err
	}
	maxRetry := o.maxRetry
	if maxRetry == 0 {
		maxRetry = tasks.MaxDeliveryRetries
	}
	// In chunks: seal (private route, on all cores), record the chunk's
	// deliveries, queue them; the first recipients get the entity while
	// the rest are being sealed. A delivery is recorded before its task is
	// queued, so that the job always finds its row.
	const chunk = 100
	rows := make([]models.Delivery, 0, min(chunk, len(targets)))
	jobs := make([]tasks.Deliver, 0, cap(rows))
	pems := make([]string, 0, cap(rows))
	for lo := 0; lo < len(targets); lo += chunk {
		part := targets[lo:min(lo+chunk, len(targets))]
		var bodies [][]byte
		var errs []error
		if !o.public {
			pems = pems[:0]
			for _, r := range part {
				pems = append(pems, r.PublicKey)
			}
			bodies, errs = a.keys.SealMany(doc, pems)
		}
		rows, jobs = rows[:0], jobs[:0]
		for i, r := range part {
			d := tasks.Deliver{PodID: r.PodID}
			var rcpt *string
			if o.public {
				d.URL, d.ContentType, d.Body = r.PodURL+"receive/public", envelope.ContentType, doc
			} else {
				if errs[i] != nil {
					a.log.Warn("cannot seal for recipient, skipped", "recipient", r.DiasporaID, "err", errs[i])
					continue
				}
				guid := r.GUID
				d.URL, d.ContentType, d.Body, rcpt = r.PodURL+"receive/users/"+r.GUID, envelope.PrivateContentType, bodies[i], &guid
			}
			rows = append(rows, models.Delivery{TaskID: tasks.DeliveryTaskID(o.key, d.URL), PodID: r.PodID, PostID: o.postID,
				EntityType: o.entityType, RecipientGUID: rcpt})
			jobs = append(jobs, d)
		}
		// A delivery recorded as sent or given up by an earlier run of
		// this dispatch (same event key, same task ID) is not queued again.
		finished, err := a.store.RecordDeliveriesToSend(ctx, rows)
		if err != nil {
			return err
		}
		if err := a.deliverNow(ctx, o.key, podTasks(o.key, rows, jobs, finished, health), maxRetry); err != nil {
			return err
		}
	}
	return nil
}

// podTask is a chunk's deliveries to one pod, not finished yet: the ID
// of the task that carries them when they are queued (DeliverPodTaskID of
// all the chunk's recipients there, finished or not, so that a dispatch
// run again makes the same), the task, and the pod's health as read with
// the recipients.
type podTask struct {
	id     string
	t      tasks.DeliverPod
	health podHealth
}

// podHealth is a pod's health as last read (Pod.OfflineSince,
// Pod.LastSuccessAt).
type podHealth struct{ offlineSince, lastSuccessAt *time.Time }

// podTasks groups a chunk's deliveries (rows[i] is the record of jobs[i])
// by pod, at most tasks.MaxDeliverPodItems to a task, leaving out the
// deliveries finished already.
func podTasks(key string, rows []models.Delivery, jobs []tasks.Deliver, finished map[string]bool, health map[int64]podHealth) []podTask {
	byPod := map[int64][]int{}
	var order []int64
	for i, d := range jobs {
		if _, ok := byPod[d.PodID]; !ok {
			order = append(order, d.PodID)
		}
		byPod[d.PodID] = append(byPod[d.PodID], i)
	}
	var out []podTask
	for _, podID := range order {
		idx := byPod[podID]
		for lo := 0; lo < len(idx); lo += tasks.MaxDeliverPodItems {
			part := idx[lo:min(lo+tasks.MaxDeliverPodItems, len(idx))]
			ids := make([]string, len(part))
			t := tasks.DeliverPod{PodID: podID, ContentType: jobs[part[0]].ContentType}
			for k, i := range part {
				ids[k] = rows[i].TaskID
				if !finished[rows[i].TaskID] {
					t.Items = append(t.Items, tasks.DeliverItem{DeliveryID: rows[i].TaskID, URL: jobs[i].URL, Body: jobs[i].Body})
				}
			}
			if len(t.Items) > 0 {
				out = append(out, podTask{id: tasks.DeliverPodTaskID(key, ids), t: t, health: health[podID]})
			}
		}
	}
	return out
}

// The first attempt in the dispatch job (issue 17, goal 4): queueing a
// task per pod and taking it from the queue again costs a pod more CPU
// (Redis scripts, the task's decoding and its read of the delivery
// records) than posting there, and a poll interval of delay. So the
// dispatch job posts the bodies itself, inlinePods pods at a time, and
// queues a task only for what that attempt left: the deliveries to retry
// (DeliverPod.Tried = 1, after the first retry's delay) and those it had
// no time for (none starts after Options.FirstAttemptBudget; queued at
// once). A pod that was failing when the recipients were read gets its
// task straight away, so that it does not hold up the others. The job
// ends, and is acknowledged, only after every outcome is recorded: a
// process that stops before runs the dispatch again, which sends only
// what was not recorded as sent (the remote pod applies a repeat once, by
// its GUID).
const inlinePods = 8

// deliverNow makes the first attempt at a chunk's deliveries (see above).
// An error means outcomes or tasks could not be recorded or queued: the
// dispatch runs again.
func (a *Service) deliverNow(ctx context.Context, key string, pts []podTask, maxRetry int) error {
	stopAt := time.Now().Add(a.opt.FirstAttemptBudget)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	keep := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	sem := make(chan struct{}, inlinePods)
	for _, pt := range pts {
		if pt.health.offlineSince == nil {
			sem <- struct{}{}
			if !time.Now().After(stopAt) {
				wg.Add(1)
				go func() {
					defer func() { <-sem; wg.Done() }()
					defer func() {
						// As the worker does for a job: a bug here fails
						// the dispatch, not the process.
						if p := recover(); p != nil {
							keep(fmt.Errorf("delivery to pod %d panicked: %v", pt.t.PodID, p))
						}
					}()
					if err := a.firstAttempt(ctx, key, pt, maxRetry, stopAt); err != nil {
						keep(err)
					}
				}()
				continue
			}
			<-sem
		}
		// A pod failing when its recipients were read, or no time left:
		// its task, at once.
		if err := a.queuePod(ctx, pt.id, pt.t, maxRetry, 0); err != nil {
			keep(err)
		}
	}
	wg.Wait()
	return firstErr
}

// firstAttempt posts a pod's deliveries and queues what is left.
func (a *Service) firstAttempt(ctx context.Context, key string, pt podTask, maxRetry int, stopAt time.Time) error {
	r := a.attemptPod(ctx, podAttempt{podID: pt.t.PodID, contentType: pt.t.ContentType, items: pt.t.Items,
		health: pt.health, maxRetry: maxRetry, stopAt: stopAt})
	if r.err != nil && !errors.Is(r.err, ErrDropped) {
		return r.err // given up (ErrDropped) is done; anything else runs the dispatch again
	}
	if len(r.retry) > 0 {
		t := tasks.DeliverPod{PodID: pt.t.PodID, ContentType: pt.t.ContentType, Items: r.retry, Tried: 1}
		if err := a.queuePod(ctx, tasks.DeliverPodTaskID(key+"/retry", itemIDs(r.retry)), t, maxRetry-1,
			tasks.FederationBackoff(1, a.opt.RetryUnit)); err != nil {
			return err
		}
	}
	if len(r.untried) > 0 {
		t := tasks.DeliverPod{PodID: pt.t.PodID, ContentType: pt.t.ContentType, Items: r.untried}
		if err := a.queuePod(ctx, tasks.DeliverPodTaskID(key, itemIDs(r.untried)), t, maxRetry, 0); err != nil {
			return err
		}
	}
	return nil
}

// queuePod queues a per-pod delivery task to run after delay (a task with
// its ID queued already is left as it is).
func (a *Service) queuePod(ctx context.Context, id string, t tasks.DeliverPod, maxRetry int, delay time.Duration) error {
	if _, err := a.queue.EnqueueContext(ctx, tasks.NewDeliverPod(id, t, maxRetry, delay)); err != nil && !pod.IsDuplicateTask(err) {
		return fmt.Errorf("queue deliveries to %s: %w", t.Items[0].URL, err)
	}
	return nil
}

func itemIDs(items []tasks.DeliverItem) []string {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.DeliveryID
	}
	return ids
}

func (a *Service) dispatchPost(ctx context.Context, d *tasks.PostPublished) error {
	post, err := a.store.PostByID(ctx, d.PostID)
	if err != nil {
		return err
	}
	author, err := a.store.PersonByID(ctx, post.AuthorID)
	if err != nil || !author.Local() {
		return err
	}
	var root *models.Post
	var rootAuthor *models.Person
	if post.RootID != nil {
		if root, err = a.store.PostByID(ctx, *post.RootID); err == nil {
			rootAuthor, err = a.store.PersonByID(ctx, root.AuthorID)
		}
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			return err
		}
		if err != nil {
			root, rootAuthor = nil, nil
		}
	}
	e, err := fedhost.Post(post, author, root, rootAuthor)
	if err != nil {
		return err
	}
	if err := fedhost.WithExtras(ctx, a.store, e, post.ID); err != nil {
		return err
	}
	if err := a.addPhotos(ctx, e, post, author); err != nil {
		return err
	}
	payload, err := marshalValid(e)
	if err != nil {
		return err
	}
	var rcpts []models.RemoteRecipient
	if post.Public {
		if rcpts, err = a.store.PublicPostRecipients(ctx, author.ID, post.ID); err != nil {
			return err
		}
		if root != nil && !rootAuthor.Local() {
			more, err := a.store.RecipientsByID(ctx, []int64{rootAuthor.ID})
			if err != nil {
				return err
			}
			rcpts = append(rcpts, more...)
		}
	} else if rcpts, err = a.store.AudienceRecipients(ctx, post.ID); err != nil {
		return err
	}
	return a.send(ctx, outgoing{key: d.Key, entityType: e.EntityName(), postID: &post.ID, payload: payload,
		sender: author, public: post.Public, recipients: rcpts})
}

// dispatchRelayable federates a comment or like: a local one (signed here
// by its author) goes to the post's author, or, when the post is ours, to
// the post's audience; a remote one on our post is relayed to the audience
// with its original signature, except to the pod it came from (§5.1).
// dispatchRelayable federates (or relays) a comment (commentID) or a like
// (likeID) under the event key.
func (a *Service) dispatchRelayable(ctx context.Context, key string, commentID, likeID int64) error {
	rl := relayable{kind: "like", id: commentID + likeID}
	if commentID != 0 {
		rl.kind = "comment"
		c, err := a.store.CommentByID(ctx, commentID)
		if err != nil {
			return err
		}
		rl.postID, rl.authorID, rl.signed = c.PostID, c.AuthorID, c.SignedXML
		rl.build = func(author *models.Person, post *models.Post) (entity.Relayable, error) {
			return fedhost.Comment(c, author, post), nil
		}
		rl.save = func(xml string) error { return a.store.SetCommentSignedXML(ctx, c.ID, xml) }
	} else {
		l, err := a.store.LikeByID(ctx, likeID)
		if err != nil {
			return err
		}
		rl.postID, rl.authorID, rl.signed = l.PostID, l.AuthorID, l.SignedXML
		rl.build = func(author *models.Person, post *models.Post) (entity.Relayable, error) {
			var comment *models.Comment
			if l.CommentID != nil {
				c, err := a.store.CommentByID(ctx, *l.CommentID)
				if err != nil {
					return nil, err
				}
				comment = c
			}
			return fedhost.Like(l, author, post, comment), nil
		}
		rl.save = func(xml string) error { return a.store.SetLikeSignedXML(ctx, l.ID, xml) }
	}
	return a.sendRelayable(ctx, key, rl)
}

// relayable is a comment, like or poll participation to federate: its
// post, its author, its signed XML when it has one (received, or signed
// by an earlier run), how to build the entity of a local one and how to
// keep its signed XML.
type relayable struct {
	kind             string
	id               int64
	postID, authorID int64
	signed           *string
	build            func(author *models.Person, post *models.Post) (entity.Relayable, error)
	save             func(xml string) error
}

// sendRelayable sends a local relayable (signed here by its author) to the
// post's author, or, when the post is ours, to the post's audience; a
// remote one on our post is relayed with its original signature.
func (a *Service) sendRelayable(ctx context.Context, key string, rl relayable) error {
	postID, authorID, signed, build, save, kind := rl.postID, rl.authorID, rl.signed, rl.build, rl.save, rl.kind
	post, err := a.store.PostByID(ctx, postID)
	if err != nil {
		return err
	}
	author, err := a.store.PersonByID(ctx, authorID)
	if err != nil {
		return err
	}
	postAuthor, err := a.store.PersonByID(ctx, post.AuthorID)
	if err != nil {
		return err
	}
	if !author.Local() && !postAuthor.Local() {
		return nil // a remote relayable on a remote post: not ours to send
	}
	var r entity.Relayable
	if signed != nil {
		if r, err = fedhost.ParseRelayable(*signed); err != nil {
			return err
		}
	} else {
		if !author.Local() {
			return fmt.Errorf("remote %s %d has no signed XML: %w", kind, rl.id, ErrDropped)
		}
		if r, err = build(author, post); err != nil {
			return err
		}
		if err := r.Validate(); err != nil {
			return fmt.Errorf("%s: %w", kind, err)
		}
		sealed, err := a.senderKey(ctx, author)
		if err != nil {
			return err
		}
		// Always signed, even by the root author: Friendica insists (§5.3).
		if err := a.keys.SignAuthor(r, sealed); err != nil {
			return err
		}
		xml, err := fedhost.SignedXML(r)
		if err != nil {
			return err
		}
		if err := save(xml); err != nil {
			return err
		}
	}
	payload, err := entity.MarshalXML(r)
	if err != nil {
		return err
	}
	o := outgoing{key: key, entityType: r.EntityName(), payload: payload, public: post.Public}
	if postAuthor.Local() {
		o.sender = postAuthor
		if o.recipients, err = a.core.PostAudience(ctx, post); err != nil {
			return err
		}
		if !author.Local() {
			o.skipHost, o.skipPerson = author.PodHost, author.ID
		}
	} else {
		o.sender = author
		if o.recipients, err = a.store.RecipientsByID(ctx, []int64{postAuthor.ID}); err != nil {
			return err
		}
	}
	return a.send(ctx, o)
}

// dispatchRetraction federates the deletion of a post, comment or like.
// A post's retraction goes to the recipients resolved before it was
// deleted (for a limited post: its whole audience snapshot, including
// people removed from the aspect since). A comment's or like's retraction
// goes where the relayable went, and to the relayable's author (PersonID)
// unless the retraction is theirs, relayed (RelayedFrom).
func (a *Service) dispatchRetraction(ctx context.Context, d *tasks.Retracted) error {
	sender, err := a.store.PersonByID(ctx, d.SenderID)
	if err != nil || !sender.Local() {
		return err
	}
	payload, err := marshalValid(fedhost.Retraction(d.TargetType, d.TargetGUID, d.TargetAuthor))
	if err != nil {
		return err
	}
	o := outgoing{key: d.Key, entityType: "retraction", payload: payload, sender: sender, public: d.Public}
	switch {
	case d.PostID == 0:
		if o.recipients, err = a.store.RecipientsByID(ctx, d.Recipients); err != nil {
			return err
		}
	default:
		post, err := a.store.PostByID(ctx, d.PostID)
		if err != nil {
			return err
		}
		o.public = post.Public
		postAuthor, err := a.store.PersonByID(ctx, post.AuthorID)
		if err != nil {
			return err
		}
		if postAuthor.Local() {
			o.sender = postAuthor
			if o.recipients, err = a.core.PostAudience(ctx, post); err != nil {
				return err
			}
			switch {
			case d.RelayedFrom != 0: // relaying a remote author's retraction
				from, err := a.store.PersonByID(ctx, d.RelayedFrom)
				if err != nil {
					return err
				}
				if !from.Local() {
					o.skipHost, o.skipPerson = from.PodHost, from.ID
				}
			case d.PersonID != 0:
				// The target's author gets it too, as with diaspora*: a
				// comment deleted by the post's author must disappear on
				// the pod of the person who wrote it. (They are in the
				// audience of a limited post, as they could comment.)
				more, err := a.store.RecipientsByID(ctx, []int64{d.PersonID})
				if err != nil {
					return err
				}
				o.recipients = append(o.recipients, more...)
			}
		} else if o.recipients, err = a.store.RecipientsByID(ctx, []int64{postAuthor.ID}); err != nil {
			return err
		}
	}
	return a.send(ctx, o)
}

// dispatchProfile federates a profile: to the people the user shares with,
// privately and with the extended fields; to the pods of the other
// contacts (who only share with the user), publicly and without them —
// unless the user made them public. With d.PersonID only to that person.
func (a *Service) dispatchProfile(ctx context.Context, d *tasks.ProfileChanged) error {
	person, err := a.store.PersonOfUser(ctx, d.UserID)
	if err != nil {
		return err
	}
	profile, err := a.store.ProfileOf(ctx, person.ID)
	if err != nil {
		return err
	}
	full, err := marshalValid(fedhost.Profile(person, profile, a.opt.BaseURL, true))
	if err != nil {
		return err
	}
	if d.PersonID != 0 {
		rcpts, err := a.store.RecipientsByID(ctx, []int64{d.PersonID})
		if err != nil {
			return err
		}
		return a.send(ctx, outgoing{key: d.Key, entityType: "profile", payload: full, sender: person, recipients: rcpts})
	}
	shared, err := a.store.ContactRecipients(ctx, d.UserID, true)
	if err != nil {
		return err
	}
	others, err := a.store.ContactRecipients(ctx, d.UserID, false)
	if err != nil {
		return err
	}
	if profile.PublicDetails {
		return a.send(ctx, outgoing{key: d.Key, entityType: "profile", payload: full, sender: person, public: true,
			recipients: append(shared, others...)})
	}
	if err := a.send(ctx, outgoing{key: d.Key, entityType: "profile", payload: full, sender: person, recipients: shared}); err != nil {
		return err
	}
	// A pod that holds someone the user shares with gets the full profile
	// privately; a public copy without the extended fields could make it
	// forget them.
	sharedPods := map[int64]bool{}
	for _, r := range shared {
		sharedPods[r.PodID] = true
	}
	var rest []models.RemoteRecipient
	for _, r := range others {
		if !sharedPods[r.PodID] {
			rest = append(rest, r)
		}
	}
	limited, err := marshalValid(fedhost.Profile(person, profile, a.opt.BaseURL, false))
	if err != nil {
		return err
	}
	return a.send(ctx, outgoing{key: d.Key + ":public", entityType: "profile", payload: limited, sender: person, public: true, recipients: rest})
}

// dispatchContact tells a remote person that the user started or stopped
// sharing with them, or blocked them; starting to share also sends them
// the user's full profile (§7.2).
func (a *Service) dispatchContact(ctx context.Context, d *tasks.ContactChanged) error {
	me, err := a.store.PersonOfUser(ctx, d.UserID)
	if err != nil {
		return err
	}
	them, err := a.store.PersonByID(ctx, d.PersonID)
	if err != nil || them.Local() {
		return err
	}
	payload, err := marshalValid(fedhost.Contact(me, them, d.Sharing, d.Blocking))
	if err != nil {
		return err
	}
	rcpts, err := a.store.RecipientsByID(ctx, []int64{them.ID})
	if err != nil {
		return err
	}
	if err := a.send(ctx, outgoing{key: d.Key, entityType: "contact", payload: payload, sender: me, recipients: rcpts,
		maxRetry: tasks.ContactDeliveryRetries}); err != nil {
		return err
	}
	if d.Sharing && !d.Blocking {
		return a.dispatchProfile(ctx, &tasks.ProfileChanged{EventKey: tasks.EventKey{Key: d.Key + ":profile"}, UserID: d.UserID, PersonID: them.ID})
	}
	return nil
}

// dispatchParticipation subscribes the user's pod to a remote post.
func (a *Service) dispatchParticipation(ctx context.Context, d *tasks.Participated) error {
	me, err := a.store.PersonOfUser(ctx, d.UserID)
	if err != nil {
		return err
	}
	post, err := a.store.PostByID(ctx, d.PostID)
	if err != nil {
		return err
	}
	payload, err := marshalValid(fedhost.Participation(d.Key, me, post))
	if err != nil {
		return err
	}
	rcpts, err := a.store.RecipientsByID(ctx, []int64{post.AuthorID})
	if err != nil {
		return err
	}
	return a.send(ctx, outgoing{key: d.Key, entityType: "participation", payload: payload, sender: me, recipients: rcpts})
}

func marshalValid(e entity.Entity) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("%s %s: %w", e.EntityName(), entity.GUIDOf(e), err)
	}
	return entity.MarshalXML(e)
}

// Deliver is the delivery job of a task queued by an older version (one
// per recipient; DeliverPod runs those queued now): it posts one signed
// envelope and records
// the outcome on the delivery and on the pod. retry is the number of
// earlier attempts, maxRetry the task's budget. A pod failing for longer
// than PodGiveUpAfter is not tried: the delivery is given up.
func (a *Service) Deliver(ctx context.Context, taskID string, d tasks.Deliver, retry, maxRetry int) error {
	// A delivery already sent (or given up) is not sent again: its task
	// can be queued twice when a dispatch runs again for the same event.
	// (Exactly once holds except when the process dies after the remote
	// pod answered and before "sent" is recorded: then the remote gets it
	// twice and applies it once, by its GUID.)
	target, err := a.store.DeliveryTargetOf(ctx, taskID, d.PodID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return fmt.Errorf("delivery to %s: its pod is no longer known: %w", d.URL, ErrDropped)
	case err != nil:
		return err
	case target.State == models.DeliverySent || target.State == models.DeliveryFailed:
		a.log.Info("federation: delivery done already, not sent again", "url", d.URL, "state", target.State)
		return nil
	}
	if a.urlBlocked(ctx, d.URL) {
		// Queued before the pod was blocked: not sent, finished.
		msg := "not sent: " + errPodBlocked.Error()
		a.log.Info("federation: delivery to a blocked pod not sent", "url", d.URL)
		if err := a.store.SetDeliveryState(ctx, taskID, models.DeliveryFailed, retry, msg); err != nil {
			return err
		}
		return fmt.Errorf("%s: %s: %w", d.URL, msg, ErrDropped)
	}
	now := time.Now()
	if target.OfflineSince != nil && now.Sub(*target.OfflineSince) > a.opt.PodGiveUpAfter {
		msg := "given up: the pod has been failing since " + target.OfflineSince.UTC().Format(time.RFC3339)
		a.stats.GivenUp.Add(1)
		a.log.Warn("federation: delivery given up", "url", d.URL, "reason", msg)
		if err := a.store.SetDeliveryState(ctx, taskID, models.DeliveryFailed, retry, msg); err != nil {
			return err
		}
		return fmt.Errorf("%s: %s: %w", d.URL, msg, ErrDropped)
	}
	_, err = a.http.Post(ctx, d.URL, d.ContentType, d.Body)
	if err == nil {
		a.stats.Delivered.Add(1)
		return a.recordSent(ctx, taskID, d.PodID, now, retry+1)
	}
	a.stats.DeliveryErrors.Add(1)
	msg := err.Error()
	if perr := a.store.PodFailed(ctx, d.PodID, now, msg); perr != nil {
		return perr
	}
	state := models.DeliveryRetrying
	if retry >= maxRetry {
		state = models.DeliveryFailed
		a.stats.GivenUp.Add(1)
		a.log.Warn("federation: delivery given up", "url", d.URL, "attempts", retry+1, "last_error", msg)
	}
	if serr := a.store.SetDeliveryState(ctx, taskID, state, retry+1, msg); serr != nil {
		return serr
	}
	if state == models.DeliveryFailed {
		return fmt.Errorf("%w: %w", err, ErrDropped) // logged and recorded: finished
	}
	return err
}

// recordSent records a delivery the remote pod accepted. Failing here
// would make the task send it again, so while PostgreSQL is away (a
// restart) it keeps trying, for as long as the task may run.
func (a *Service) recordSent(ctx context.Context, taskID string, podID int64, at time.Time, attempts int) error {
	delay := 100 * time.Millisecond
	for {
		err := a.store.PodSucceeded(ctx, podID, at)
		if err == nil {
			err = a.store.SetDeliveryState(ctx, taskID, models.DeliverySent, attempts, "")
		}
		if err == nil {
			return nil
		}
		deadline, ok := ctx.Deadline()
		if !ok {
			deadline = time.Now().Add(30 * time.Second)
		}
		if time.Until(deadline) < delay+time.Second {
			return fmt.Errorf("delivered, but cannot record it (it will be sent again): %w", err)
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
		delay = min(2*delay, 2*time.Second)
	}
}

// CheckPods is the periodic pod check: it asks the pods that are offline
// (or were never checked) for their NodeInfo, which brings a pod that is up
// again back into delivery, and prunes month-old delivery records and
// week-old relayed outbox rows.
func (a *Service) CheckPods(ctx context.Context) error {
	now := time.Now()
	pods, err := a.store.PodsToCheck(ctx, now.Add(-50*time.Minute), 200)
	if err != nil {
		return err
	}
	for _, p := range pods {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		ni, err := a.discovery.NodeInfo(cctx, p.URL)
		cancel()
		if err != nil {
			if err := a.store.PodFailed(ctx, p.ID, now, "check: "+err.Error()); err != nil {
				return err
			}
			if err := a.store.SetPodSoftware(ctx, p.ID, p.Software, p.Version, now); err != nil {
				return err
			}
			continue
		}
		if p.OfflineSince != nil {
			a.log.Info("federation: pod is up again", "host", p.Host)
		}
		if err := a.store.PodSucceeded(ctx, p.ID, now); err != nil {
			return err
		}
		if err := a.store.SetPodSoftware(ctx, p.ID, ni.Software.Name, ni.Software.Version, now); err != nil {
			return err
		}
	}
	if _, err := a.store.PruneOutbox(ctx, now.Add(-OutboxKeep)); err != nil {
		return err
	}
	_, err = a.store.PruneDeliveries(ctx, now.Add(-30*24*time.Hour))
	return err
}

// OutboxKeep is how long relayed outbox rows are kept (for the admin's
// inspection, and so that a body received twice meanwhile is stored once).
const OutboxKeep = 7 * 24 * time.Hour
