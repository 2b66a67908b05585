package posts

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/pagecache"
	"github.com/aspenpod/aspen/pod/polls"
	"github.com/aspenpod/aspen/pod/tasks"
)

// PostInput is what the publisher sends.
type PostInput struct {
	Text string
	// Audience: Public, AllAspects, or the chosen aspect IDs.
	Audience aspects.Selection
	// ProviderDisplayName names the client that posted, if any.
	ProviderDisplayName string
	// Photos are IDs of the author's pending photos to attach, in order.
	Photos []int64
	// Poll and Location are optional (empty: none).
	Poll     polls.Input
	Location LocationInput
}

// checkSelection verifies that every chosen aspect belongs to the user and
// that a limited post names at least one aspect.
func (a *Service) checkSelection(ctx context.Context, tx *models.Store, s *pod.Session, sel aspects.Selection) error {
	if sel.Public || sel.AllAspects {
		return nil
	}
	if len(sel.Aspects) == 0 {
		return &pod.InvalidError{Fields: map[string]string{"aspect_ids": "choose who to share with: public, all aspects or at least one aspect"}}
	}
	for _, id := range sel.Aspects {
		if _, err := tx.AspectOf(ctx, s.UserID, id); err != nil {
			return pod.NotFoundAs(err, &pod.InvalidError{Fields: map[string]string{"aspect_ids": fmt.Sprintf("aspect %d is not one of yours", id)}})
		}
	}
	return nil
}

// recipients resolves a selection to the people who will receive the post.
func (a *Service) recipients(ctx context.Context, tx *models.Store, s *pod.Session, sel aspects.Selection) ([]int64, error) {
	members, err := tx.AspectMembers(ctx, s.UserID)
	if err != nil {
		return nil, err
	}
	return aspects.Recipients(sel, s.PersonID, members), nil
}

// AudiencePreview lists exactly the people a post with this selection would
// reach, before it is sent. Public posts reach everyone (nil list).
func (a *Service) AudiencePreview(ctx context.Context, s *pod.Session, sel aspects.Selection) ([]pod.PersonView, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	if err := a.checkSelection(ctx, a.store, s, sel); err != nil {
		return nil, err
	}
	if sel.Public {
		return nil, nil
	}
	ids, err := a.recipients(ctx, a.store, s, sel)
	if err != nil {
		return nil, err
	}
	return a.peopleViews(ctx, ids)
}

func (a *Service) peopleViews(ctx context.Context, ids []int64) ([]pod.PersonView, error) {
	rows, err := a.store.PeopleByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]pod.PersonView, 0, len(ids))
	for _, id := range ids {
		if r, ok := rows[id]; ok {
			out = append(out, pod.PersonViewOf(r))
		}
	}
	pod.SortPeople(out)
	return out, nil
}

// CreatePost publishes a status message: it stores the post, its audience
// snapshot and the local readers' visibilities, its tags and mentions,
// writes it into the streams of the local users who should see it and
// notifies mentioned people who may read it, all in one transaction.
func (a *Service) CreatePost(ctx context.Context, s *pod.Session, in PostInput) (*pod.PostView, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	text := strings.TrimSpace(in.Text)
	if text == "" && len(in.Photos) == 0 {
		return nil, &pod.InvalidError{Fields: map[string]string{"text": "can't be blank (write something or add a photo)"}}
	}
	if len(in.Photos) > pod.MaxPhotosPerPost {
		return nil, &pod.InvalidError{Fields: map[string]string{"photos": fmt.Sprintf("a post can have at most %d photos", pod.MaxPhotosPerPost)}}
	}
	if text != "" {
		if err := checkPostText(text); err != nil {
			return nil, err
		}
	}
	extras, err := checkExtras(in)
	if err != nil {
		return nil, err
	}
	var post *models.Post
	err = a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		if err := a.checkSelection(ctx, tx, s, in.Audience); err != nil {
			return err
		}
		recipients, err := a.recipients(ctx, tx, s, in.Audience)
		if err != nil {
			return err
		}
		// Resolve mentions; in a limited post only people in the audience
		// stay mentions, the others become plain text.
		mentioned, targets, err := a.core.ResolveMentions(ctx, tx, text)
		if err != nil {
			return err
		}
		if in.Audience.Limited() {
			text, mentioned = keepAudienceMentions(text, mentioned, s.PersonID, recipients)
		}
		now := time.Now().UTC()
		post = &models.Post{
			GUID: pod.NewGUID(), AuthorID: s.PersonID, Type: models.TypeStatusMessage, Public: in.Audience.Public,
			Text: text, TextHTML: string(pod.RenderText(text, targets)), ProviderDisplayName: pod.Truncate(in.ProviderDisplayName, 255),
			NSFW: pod.ContainsTag(text, "nsfw"), CreatedAt: now, UpdatedAt: now, InteractedAt: now,
		}
		if err := tx.CreatePost(ctx, post); err != nil {
			return err
		}
		if err := extras.store(ctx, tx, post.ID); err != nil {
			return err
		}
		if err := attachPhotos(ctx, tx, s, post, in.Photos); err != nil {
			return err
		}
		if in.Audience.Limited() {
			chosen := in.Audience.Aspects
			if in.Audience.AllAspects {
				all, err := tx.AspectsOf(ctx, s.UserID)
				if err != nil {
					return err
				}
				chosen = nil
				for _, as := range all {
					chosen = append(chosen, as.ID)
				}
			}
			if err := tx.AddAspectVisibilities(ctx, post.ID, chosen); err != nil {
				return err
			}
			if err := tx.AddAudience(ctx, post.ID, recipients); err != nil {
				return err
			}
		}
		out.Add(&tasks.PostPublished{PostID: post.ID})
		return a.core.Publish(ctx, tx, post, mentioned)
	})
	if err != nil {
		return nil, err
	}
	return a.PostByID(ctx, s, post.ID)
}

// PostByID loads one post as the viewer may see it.
func (a *Service) PostByID(ctx context.Context, s *pod.Session, id int64) (*pod.PostView, error) {
	v := pod.Viewer(s)
	row, err := a.store.SinglePost(ctx, v, id)
	if err != nil {
		return nil, pod.NotFoundAs(err, pod.ErrNotFound)
	}
	views, err := a.core.Hydrate(ctx, v, []models.PostRow{*row})
	if err != nil {
		return nil, err
	}
	return &views[0], nil
}

// PostPage is everything the single post page shows.
type PostPage struct {
	Post     pod.PostView
	Comments []pod.CommentView
	Likes    []pod.LikeView
	// For the author of a limited post: the aspects it went to and the
	// people it reached (its audience snapshot).
	AudienceAspects []string
	Audience        []pod.PersonView
	ShowAudience    bool
	Hidden          bool
	// For the author: per remote pod, how the post's delivery went.
	Deliveries []DeliveryStatus
}

// DeliveryStatus is how a post's delivery to one remote pod went: State is
// "delivered", "retrying" or "failed" (given up). Message says why in words
// for the author ("their pod did not answer; next try in about 2 hours");
// LastError is the technical error, which pages show to admins only
// (DeliveriesFor).
type DeliveryStatus struct {
	Pod       string     `json:"pod"`
	State     string     `json:"state"`
	Sent      int        `json:"sent"`
	Total     int        `json:"total"`
	Message   string     `json:"message,omitempty"`
	Attempts  int        `json:"attempts"`
	NextTryAt *time.Time `json:"next_try_at,omitempty"`
	LastError string     `json:"last_error,omitempty"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// DeliveriesFor returns delivery statuses as viewer may see them: the
// technical errors are left out unless viewer is an admin.
func DeliveriesFor(viewer *pod.Session, ds []DeliveryStatus) []DeliveryStatus {
	if viewer != nil && viewer.Admin {
		return ds
	}
	out := make([]DeliveryStatus, len(ds))
	for i, d := range ds {
		d.LastError = ""
		out[i] = d
	}
	return out
}

// Post loads a post page by GUID or ID. Anyone who may not see the post
// gets ErrNotFound, exactly as for a post that does not exist.
func (a *Service) Post(ctx context.Context, s *pod.Session, key string) (*PostPage, error) {
	v := pod.Viewer(s)
	row, err := a.store.PostForPage(ctx, v, key)
	if err != nil {
		return nil, pod.NotFoundAs(err, pod.ErrNotFound)
	}
	p := &row.Post
	in, err := a.store.PostInteractionsForPage(ctx, v, p.ID, s != nil)
	if err != nil {
		return nil, err
	}
	pv, err := a.core.HydratePage(ctx, v, row, in.Comments)
	if err != nil {
		return nil, err
	}
	page := &PostPage{Post: pv, Hidden: row.Hidden}
	for _, c := range in.Comments {
		cv := pod.CommentViewOf(c, v, p.AuthorID)
		cv.Liked = in.LikedComments[c.ID]
		page.Comments = append(page.Comments, cv)
	}
	for _, l := range in.Likes {
		page.Likes = append(page.Likes, pod.LikeViewOf(l))
	}
	if s != nil {
		if pv.Own && !p.Public {
			page.ShowAudience = true
			if page.AudienceAspects, err = a.store.AspectNamesOfPost(ctx, p.ID); err != nil {
				return nil, err
			}
			rows, err := a.store.Audience(ctx, p.ID)
			if err != nil {
				return nil, err
			}
			for _, r := range rows {
				page.Audience = append(page.Audience, pod.PersonViewOf(r))
			}
		}
		if pv.Own {
			rows, err := a.store.DeliveryStatusOfPost(ctx, p.ID)
			if err != nil {
				return nil, err
			}
			for _, r := range rows {
				d := DeliveryStatus{Pod: r.PodHost, State: "delivered", Sent: r.Sent, Total: r.Total, Attempts: r.Attempts, UpdatedAt: r.UpdatedAt}
				switch {
				case r.Retrying > 0:
					d.State = "retrying"
				case r.Failed > 0:
					d.State = "failed"
				}
				if d.State != "delivered" {
					d.Message, d.NextTryAt = deliveryMessage(d.State, r.LastError, r.Attempts, r.UpdatedAt, time.Now())
					d.LastError = r.LastError
				}
				page.Deliveries = append(page.Deliveries, d)
			}
		}
	}
	return page, nil
}

// DeletePost deletes one of the viewer's own posts. Someone who may see the
// post but did not write it gets ErrForbidden; anyone else ErrNotFound.
func (a *Service) DeletePost(ctx context.Context, s *pod.Session, key string) error {
	if err := pod.RequireUser(s); err != nil {
		return err
	}
	p, err := a.store.VisiblePost(ctx, pod.Viewer(s), key)
	if err != nil {
		return pod.NotFoundAs(err, pod.ErrNotFound)
	}
	if p.AuthorID != s.PersonID {
		return pod.ErrForbidden
	}
	return a.deletePost(ctx, s, p)
}

// deletePost deletes the viewer's post p and federates its retraction.
func (a *Service) deletePost(ctx context.Context, s *pod.Session, p *models.Post) error {
	err := a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		// The retraction goes where the post went: resolve that before the
		// audience snapshot is deleted with the post.
		rcpts, err := a.core.PostAudience(ctx, p)
		if err != nil {
			return err
		}
		if p.Type == models.TypeReshare && p.RootID != nil {
			if err := tx.AddCounters(ctx, *p.RootID, 0, 0, -1); err != nil {
				return err
			}
			if root, err := tx.PostByID(ctx, *p.RootID); err == nil {
				more, err := tx.RecipientsByID(ctx, []int64{root.AuthorID})
				if err != nil {
					return err
				}
				rcpts = append(rcpts, more...)
			}
		}
		if err := tx.DeletePost(ctx, p.ID); err != nil {
			return err
		}
		out.AddTask(tasks.NewPhotosSweep()) // its photos' files
		ids := make([]int64, len(rcpts))
		for i, r := range rcpts {
			ids[i] = r.PersonID
		}
		out.Add(&tasks.Retracted{SenderID: s.PersonID, TargetType: "Post", TargetGUID: p.GUID,
			TargetAuthor: s.Username + "@" + a.opt.Host, Public: p.Public, Recipients: ids})
		return nil
	})
	if err == nil {
		a.core.MarkRetracted(ctx, p.GUID)
	}
	return err
}

// HidePost hides (or shows again) a post in the viewer's streams.
func (a *Service) HidePost(ctx context.Context, s *pod.Session, key string, hide bool) error {
	if err := pod.RequireUser(s); err != nil {
		return err
	}
	p, err := a.store.VisiblePost(ctx, pod.Viewer(s), key)
	if err != nil {
		return pod.NotFoundAs(err, pod.ErrNotFound)
	}
	if hide {
		return a.store.HidePost(ctx, s.UserID, p.ID)
	}
	return a.store.UnhidePost(ctx, s.UserID, s.PersonID, p.ID)
}

// visiblePost finds a post the viewer may see, or ErrNotFound.
func (a *Service) visiblePost(ctx context.Context, tx *models.Store, s *pod.Session, key string) (*models.Post, error) {
	p, err := tx.VisiblePost(ctx, pod.Viewer(s), key)
	if err != nil {
		return nil, pod.NotFoundAs(err, pod.ErrNotFound)
	}
	return p, nil
}

// PostFormat is one encoding of a post's page (the web's JSON, the API's
// post object), cached apart from the others. Encode must depend only on
// the page it is given (and constants such as the pod's URL).
type PostFormat struct {
	Name   string
	Encode func(*PostPage) ([]byte, error)
}

// EncodedPost is a post's page encoded by a PostFormat.
type EncodedPost struct {
	Body []byte
	// Cached: served from the page cache without SQL.
	Cached bool
}

// PostAs is the page of the post key (GUID or ID) as s may see it, encoded
// by f, from the page cache when nothing it shows changed since it was
// built: the post and its original, its comments and likes, the people
// they name, s's blocks, hides and unread notifications (opening the page
// marks those about the post read, so the page is rebuilt while one is
// unread). The author's own page, which shows how its delivery goes, is
// always built. Anyone who may not see the post gets ErrNotFound, as from
// Post.
func (a *Service) PostAs(ctx context.Context, s *pod.Session, key string, f PostFormat) (*EncodedPost, error) {
	k := pagecache.Key{Name: "post|" + f.Name + "|" + key}
	if s != nil {
		k.User, k.PublicOnly = s.UserID, s.PublicOnly
	}
	page, cached, err := a.pages.Get(ctx, k, func(ctx context.Context) (*pagecache.Built, error) {
		pp, err := a.Post(ctx, s, key)
		if err != nil {
			return nil, err
		}
		body, err := f.Encode(pp)
		if err != nil {
			return nil, err
		}
		b := &pagecache.Built{Page: pagecache.Page{Body: body}, NoKeep: pp.Post.Own}
		if s != nil {
			b.Deps.Reader, b.Deps.Notices = s.UserID, true
		}
		b.Deps.PostView(&pp.Post)
		for _, c := range pp.Comments {
			b.Deps.Person(c.Author.ID)
		}
		for _, l := range pp.Likes {
			b.Deps.Person(l.Author.ID)
		}
		return b, nil
	})
	if err != nil {
		return nil, err
	}
	return &EncodedPost{Body: page.Body, Cached: cached}, nil
}
