package moderation

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/mail"
	"github.com/aspenpod/aspen/pod/tasks"
)

// ReasonMaxLen bounds a report's reason.
const ReasonMaxLen = 1000

// Reported item types.
const (
	ItemPost    = "post"
	ItemComment = "comment"
)

// ReportInput is a report of a post (by ID or GUID) or a comment (by ID).
type ReportInput struct {
	ItemType string
	ItemID   string
	Reason   string
}

// Report files a report of a post or comment the reporter can see, once
// per person and item (a second is pod.AlreadyDone). Moderators get a mail when the pod sends mail.
// An item the reporter cannot see is ErrNotFound, as if it did not exist.
func (a *Service) Report(ctx context.Context, s *pod.Session, in ReportInput) error {
	if err := pod.RequireUser(s); err != nil {
		return err
	}
	in.Reason = strings.TrimSpace(in.Reason)
	switch n := utf8.RuneCountInString(in.Reason); {
	case n == 0:
		return &pod.InvalidError{Fields: map[string]string{"reason": "can't be blank: say what is wrong with it"}}
	case n > ReasonMaxLen:
		return &pod.InvalidError{Fields: map[string]string{"reason": fmt.Sprintf("is too long (at most %d characters)", ReasonMaxLen)}}
	}
	r := &models.Report{ReporterID: s.UserID, ItemType: in.ItemType, Reason: in.Reason}
	switch in.ItemType {
	case ItemPost:
		p, err := a.store.VisiblePost(ctx, pod.Viewer(s), in.ItemID)
		if err != nil {
			return pod.NotFoundAs(err, pod.ErrNotFound)
		}
		r.ItemGUID, r.PostID, r.AuthorID = p.GUID, &p.ID, p.AuthorID
	case ItemComment:
		id, err := strconv.ParseInt(in.ItemID, 10, 64)
		if err != nil {
			return pod.ErrNotFound
		}
		c, err := a.store.CommentByID(ctx, id)
		if err != nil {
			return pod.NotFoundAs(err, pod.ErrNotFound)
		}
		p, err := a.store.VisiblePost(ctx, pod.Viewer(s), strconv.FormatInt(c.PostID, 10))
		if err != nil {
			return pod.NotFoundAs(err, pod.ErrNotFound)
		}
		r.ItemGUID, r.PostID, r.CommentID, r.AuthorID = c.GUID, &p.ID, &c.ID, c.AuthorID
	default:
		return &pod.InvalidError{Fields: map[string]string{"item_type": "must be post or comment"}}
	}
	if r.AuthorID == s.PersonID {
		return &pod.InvalidError{Message: "you cannot report what you wrote yourself: delete it instead"}
	}
	var msgs []mail.Message
	if a.core.MailEnabled() {
		var err error
		if msgs, err = a.reportMails(ctx, s, r); err != nil {
			return err
		}
	}
	err := a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		if err := tx.CreateReport(ctx, r); err != nil {
			return err
		}
		for _, m := range msgs {
			out.AddTask(tasks.NewMail(m))
		}
		return nil
	})
	if errors.Is(err, models.ErrConflict) {
		return pod.AlreadyDone("you have reported this " + in.ItemType + " already: the moderators have it")
	}
	return err
}

// reportMails builds the mail each moderator and admin gets about a new
// report. It names the item's kind and the reason, and links the queue;
// the item's text stays on the pod.
func (a *Service) reportMails(ctx context.Context, s *pod.Session, r *models.Report) ([]mail.Message, error) {
	staff, err := a.store.StaffMails(ctx)
	if err != nil {
		return nil, err
	}
	host, _, _ := strings.Cut(a.opt.Host, ":")
	var out []mail.Message
	for _, st := range staff {
		text, html, err := mail.Render("report", map[string]string{
			"Username": st.Username, "PodName": a.opt.PodName, "BaseURL": a.opt.BaseURL,
			"Reporter": s.Username, "ItemType": r.ItemType, "Reason": r.Reason,
			"Link": a.opt.BaseURL + "/admin/reports",
		})
		if err != nil {
			return nil, err
		}
		out = append(out, mail.Message{To: st.Email, Subject: "A " + r.ItemType + " was reported on " + a.opt.PodName,
			Text: text, HTML: html, MessageID: pod.NewGUID() + "@" + host})
	}
	return out, nil
}

// ReportView is a report in the moderators' queue.
type ReportView struct {
	ID       int64     `json:"id"`
	ItemType string    `json:"item_type"`
	ItemGUID string    `json:"item_guid"`
	Reason   string    `json:"reason"`
	State    string    `json:"state"`
	Created  time.Time `json:"created_at"`
	// PostGUID links the post (or the comment's post) while it exists.
	PostGUID string `json:"post_guid,omitempty"`
	// Public says whether the item's post is public; a limited one is shown
	// to moderators only because it was reported (see README).
	Public bool `json:"public"`
	// Text is the item's text while it exists ("" once deleted).
	Text             string     `json:"text"`
	Exists           bool       `json:"exists"`
	AuthorDiasporaID string     `json:"author"`
	AuthorGUID       string     `json:"author_guid"`
	AuthorLocal      bool       `json:"author_local"`
	Reporter         string     `json:"reporter"`
	Reviewer         string     `json:"reviewer,omitempty"`
	ReviewedAt       *time.Time `json:"reviewed_at,omitempty"`
}

// ReportsPage is one page of the queue.
type ReportsPage struct {
	Reports []ReportView `json:"reports"`
	// Next is the cursor of the next page ("" at the end).
	Next string `json:"next,omitempty"`
}

// ReportsPageSize is how many reports a page of the queue shows.
const ReportsPageSize = 25

// Reports lists the open reports (all of them with all), newest first, a
// page at a time (before is the cursor a page gave as Next). Moderators
// and admins only; everyone else gets ErrNotFound.
func (a *Service) Reports(ctx context.Context, s *pod.Session, all bool, before string) (*ReportsPage, error) {
	if err := pod.RequireModerator(s); err != nil {
		return nil, err
	}
	var bt *time.Time
	var bid int64
	if before != "" {
		ts, id, ok := strings.Cut(before, "_")
		ns, err1 := strconv.ParseInt(ts, 10, 64)
		n, err2 := strconv.ParseInt(id, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, &pod.InvalidError{Fields: map[string]string{"before": "is not a cursor of this list"}}
		}
		t := time.Unix(0, ns)
		bt, bid = &t, n
	}
	rows, err := a.store.Reports(ctx, all, bt, bid, ReportsPageSize+1)
	if err != nil {
		return nil, err
	}
	page := &ReportsPage{}
	for i, r := range rows {
		if i == ReportsPageSize {
			last := rows[i-1]
			page.Next = fmt.Sprintf("%d_%d", last.CreatedAt.UnixNano(), last.ID)
			break
		}
		v := ReportView{ID: r.ID, ItemType: r.ItemType, ItemGUID: r.ItemGUID, Reason: r.Reason, State: r.State, Created: r.CreatedAt,
			AuthorDiasporaID: r.AuthorDiasporaID, AuthorGUID: r.AuthorGUID, AuthorLocal: r.AuthorLocal, Reporter: r.ReporterUsername,
			ReviewedAt: r.ReviewedAt}
		if r.PostGUID != nil {
			v.PostGUID = *r.PostGUID
		}
		if r.PostPublic != nil {
			v.Public = *r.PostPublic
		}
		if r.ItemText != nil && (r.ItemType == ItemPost && r.PostID != nil || r.ItemType == ItemComment && r.CommentID != nil) {
			v.Text, v.Exists = *r.ItemText, true
		}
		if r.ReviewerUsername != nil {
			v.Reviewer = *r.ReviewerUsername
		}
		page.Reports = append(page.Reports, v)
	}
	return page, nil
}

// ReviewReport closes a report without touching the item.
func (a *Service) ReviewReport(ctx context.Context, s *pod.Session, id int64) error {
	if err := pod.RequireModerator(s); err != nil {
		return err
	}
	if err := a.store.SetReportState(ctx, id, models.ReportReviewed, s.UserID); err != nil {
		return pod.NotFoundAs(err, pod.ErrNotFound)
	}
	a.log.Info("moderation: report reviewed", "report_id", id, "by", s.Username)
	return nil
}

// DeleteReported deletes the item of a report and closes every open report
// of it. A local item is retracted over federation as its author would
// retract it (a comment on a local post by the post's author, who relays
// it to the audience); a remote item is removed here (and a late copy of it
// is refused for RetractedTTL).
func (a *Service) DeleteReported(ctx context.Context, s *pod.Session, id int64) error {
	if err := pod.RequireModerator(s); err != nil {
		return err
	}
	r, err := a.store.ReportByID(ctx, id)
	if err != nil {
		return pod.NotFoundAs(err, pod.ErrNotFound)
	}
	var guid string
	switch {
	case r.ItemType == ItemPost && r.PostID != nil:
		guid, err = a.deletePost(ctx, s, *r.PostID, r)
	case r.ItemType == ItemComment && r.CommentID != nil:
		guid, err = a.deleteComment(ctx, s, *r.CommentID, r)
	default:
		// Gone already (its author deleted it): the reports are done.
		err = a.store.CloseItemReports(ctx, r.ItemType, r.ItemGUID, s.UserID)
	}
	if err != nil {
		return err
	}
	if guid != "" {
		a.core.MarkRetracted(ctx, guid)
	}
	a.log.Info("moderation: reported item deleted", "report_id", id, "item", r.ItemType, "guid", r.ItemGUID, "by", s.Username)
	return nil
}

func (a *Service) deletePost(ctx context.Context, s *pod.Session, postID int64, r *models.Report) (string, error) {
	p, err := a.store.PostByID(ctx, postID)
	if err != nil {
		return "", pod.NotFoundAs(err, pod.ErrNotFound)
	}
	author, err := a.store.PersonByID(ctx, p.AuthorID)
	if err != nil {
		return "", err
	}
	return p.GUID, a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		var rcpts []models.RemoteRecipient
		if author.Local() {
			// The retraction goes where the post went: resolve that before
			// the audience snapshot goes with the post.
			if rcpts, err = a.core.PostAudience(ctx, p); err != nil {
				return err
			}
		}
		if p.Type == models.TypeReshare && p.RootID != nil {
			if err := tx.AddCounters(ctx, *p.RootID, 0, 0, -1); err != nil {
				return err
			}
			if root, err := tx.PostByID(ctx, *p.RootID); err == nil && author.Local() {
				more, err := tx.RecipientsByID(ctx, []int64{root.AuthorID})
				if err != nil {
					return err
				}
				rcpts = append(rcpts, more...)
			}
		}
		if err := tx.CloseItemReports(ctx, r.ItemType, r.ItemGUID, s.UserID); err != nil {
			return err
		}
		if err := tx.DeletePost(ctx, p.ID); err != nil {
			return err
		}
		out.AddTask(tasks.NewPhotosSweep())
		if author.Local() {
			ids := make([]int64, len(rcpts))
			for i, rc := range rcpts {
				ids[i] = rc.PersonID
			}
			out.Add(&tasks.Retracted{SenderID: author.ID, TargetType: "Post", TargetGUID: p.GUID,
				TargetAuthor: author.DiasporaID, Public: p.Public, Recipients: ids})
		}
		return nil
	})
}

func (a *Service) deleteComment(ctx context.Context, s *pod.Session, commentID int64, r *models.Report) (string, error) {
	c, err := a.store.CommentByID(ctx, commentID)
	if err != nil {
		return "", pod.NotFoundAs(err, pod.ErrNotFound)
	}
	p, err := a.store.PostByID(ctx, c.PostID)
	if err != nil {
		return "", err
	}
	people, err := a.store.PeopleByIDs(ctx, []int64{c.AuthorID, p.AuthorID})
	if err != nil {
		return "", err
	}
	author, postAuthor := people[c.AuthorID], people[p.AuthorID]
	return c.GUID, a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		if err := tx.CloseItemReports(ctx, r.ItemType, r.ItemGUID, s.UserID); err != nil {
			return err
		}
		if err := tx.DeleteComment(ctx, c.ID); err != nil {
			return err
		}
		// The post's author's pod relays a comment's retraction to the
		// post's audience; elsewhere the comment's author retracts it.
		var sender int64
		switch {
		case postAuthor.OwnerID != nil:
			sender = p.AuthorID
		case author.OwnerID != nil:
			sender = c.AuthorID
		}
		if sender != 0 {
			out.Add(&tasks.Retracted{SenderID: sender, PostID: p.ID, PersonID: c.AuthorID,
				TargetType: "Comment", TargetGUID: c.GUID, TargetAuthor: author.DiasporaID})
		}
		return tx.AddCounters(ctx, p.ID, -1, 0, 0)
	})
}
