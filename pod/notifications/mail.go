package notifications

import (
	"context"
	"errors"
	"strings"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/mail"
	"github.com/aspenpod/aspen/pod/markup"
	"github.com/aspenpod/aspen/pod/tasks"
)

// Mails quote at most this many characters of a post, comment or message.
const MailExcerptLen = 600

// MailTypes are the notification types a user can have mailed, in the
// order the settings page lists them.
var MailTypes = []string{models.NotifyMentioned, models.NotifyMentionedInComment, models.NotifyCommentOnPost,
	models.NotifyAlsoCommented, models.NotifyLiked, models.NotifyLikedComment, models.NotifyReshared,
	models.NotifyStartedSharing, models.NotifyPrivateMessage}

// mailTypeNames say what each switch of the settings page mails.
var mailTypeNames = map[string]string{
	models.NotifyMentioned:          "someone mentions you in a post",
	models.NotifyMentionedInComment: "someone mentions you in a comment",
	models.NotifyCommentOnPost:      "someone comments on your post",
	models.NotifyAlsoCommented:      "someone comments on a post you commented on",
	models.NotifyLiked:              "someone likes your post",
	models.NotifyLikedComment:       "someone likes your comment",
	models.NotifyReshared:           "someone reshares your post",
	models.NotifyStartedSharing:     "someone starts sharing with you",
	models.NotifyPrivateMessage:     "someone sends you a private message",
}

// mailData is what a notification mail template gets.
type mailData struct {
	Username, PodName, BaseURL, SettingsURL string
	// ActorName and ActorHandle name the person who did it.
	ActorName, ActorHandle string
	// PostOwner says whose post it is about ("your post", "Bob's post").
	PostOwner string
	// Summary is the first line, for the HTML title.
	Summary string
	// Excerpt is what the mail quotes (the recipient may read it), or "".
	Excerpt      string
	ExcerptLines []string
	Link         string
	LinkText     string
}

// NotificationMail builds the mail a queued notification mail task asks
// for, checking everything again now that it is sent: nil (and no error)
// when nothing is to be mailed any more because the user switched the
// type or all mail off, was locked, now ignores the actor, or may not
// read the post (deleted, or never theirs to read), or the comment was
// deleted, or, for started_sharing, the actor stopped sharing. The mail
// quotes only the post or comment the user may read, as plain text.
func (a *Service) NotificationMail(ctx context.Context, m tasks.NotificationMail) (*mail.Message, error) {
	opt := a.core.Options()
	addr, ok, err := a.store.MailAddressFor(ctx, m.UserID, m.Type)
	if err != nil || !ok {
		return nil, err
	}
	user, err := a.store.UserByID(ctx, m.UserID)
	if err != nil {
		return nil, gone(err)
	}
	me, err := a.store.PersonOfUser(ctx, m.UserID)
	if err != nil {
		return nil, gone(err)
	}
	if blocked, err := a.store.Blocked(ctx, m.UserID, m.ActorID); err != nil || blocked {
		return nil, err
	}
	people, err := a.store.PeopleByIDs(ctx, []int64{m.ActorID})
	if err != nil {
		return nil, err
	}
	actor, ok := people[m.ActorID]
	if !ok {
		return nil, nil // the actor's person is gone
	}
	host, _, _ := strings.Cut(opt.Host, ":") // a Message-ID's right side has no port
	d := mailData{Username: user.Username, PodName: opt.PodName, BaseURL: opt.BaseURL, SettingsURL: opt.BaseURL + "/user/edit",
		ActorName: pod.PersonName(actor.FirstName, actor.LastName, actor.DiasporaID), ActorHandle: actor.DiasporaID}
	msg := &mail.Message{To: addr, MessageID: m.Key + "@" + host}
	switch {
	case m.PostID != 0:
		post, err := a.store.PostByID(ctx, m.PostID)
		if err != nil {
			return nil, gone(err)
		}
		if ok, err := a.store.CanSeePost(ctx, models.Viewer{UserID: m.UserID, PersonID: me.ID}, post.ID); err != nil || !ok {
			return nil, err
		}
		owners, err := a.store.PeopleByIDs(ctx, []int64{post.AuthorID})
		if err != nil {
			return nil, err
		}
		owner := owners[post.AuthorID]
		ownerName := pod.PersonName(owner.FirstName, owner.LastName, owner.DiasporaID)
		d.PostOwner = ownerName + "'s post"
		if post.AuthorID == me.ID {
			d.PostOwner = "your post"
		}
		d.Excerpt = pod.Excerpt(post.Text, MailExcerptLen)
		d.Link, d.LinkText = opt.BaseURL+"/posts/"+post.GUID, "View the post"
		if m.CommentID != 0 {
			c, err := a.store.CommentByID(ctx, m.CommentID)
			if err != nil {
				return nil, gone(err)
			}
			if c.PostID != post.ID {
				return nil, nil
			}
			if blocked, err := a.store.Blocked(ctx, m.UserID, c.AuthorID); err != nil || blocked {
				return nil, err
			}
			d.Excerpt = pod.Excerpt(c.Text, MailExcerptLen)
			d.LinkText = "View the comment"
		}
		// All mails about one post thread under it, as diaspora*'s do.
		root := post.GUID + "@" + host
		msg.InReplyTo, msg.References = root, []string{root}
		msg.Subject = "Re: " + postTitle(post, ownerName)
	case m.Type == models.NotifyStartedSharing:
		c, err := a.store.ContactOf(ctx, m.UserID, m.ActorID)
		if err != nil {
			return nil, gone(err)
		}
		if !c.Sharing {
			return nil, nil // stopped sharing since
		}
		d.Link, d.LinkText = opt.BaseURL+"/people/"+actor.GUID, "See their profile"
		msg.Subject = d.ActorName + " started sharing with you"
	case m.Thread != "":
		d.Excerpt = pod.Truncate(m.Excerpt, 4*MailExcerptLen)
		d.Excerpt = pod.Excerpt(d.Excerpt, MailExcerptLen)
		d.Link, d.LinkText = opt.BaseURL+m.Link, "Open it"
		root := m.Thread + "@" + host
		msg.InReplyTo, msg.References = root, []string{root}
		msg.Subject = m.Subject
		if msg.Subject == "" {
			msg.Subject = d.ActorName + " sent you a message"
		}
	default:
		return nil, nil // nothing this pod can say about it
	}
	if d.Excerpt != "" {
		d.ExcerptLines = strings.Split(d.Excerpt, "\n")
	}
	d.Summary = msg.Subject
	msg.Text, msg.HTML, err = mail.Render("notify_"+m.Type, d)
	if err != nil {
		return nil, err
	}
	return msg, nil
}

// postTitle is what a post's mails are about, in their subject: the
// first line of a public post, or only whose post it is for a limited
// one (as diaspora*'s "a limited post" subjects: a subject line shows in
// more places than the mail's body).
func postTitle(p *models.Post, ownerName string) string {
	if !p.Public {
		return "a limited post by " + ownerName
	}
	first, _, _ := strings.Cut(pod.PlainText(p.Text), "\n")
	if first = markup.Cut(first, 70); first == "" {
		return "a post by " + ownerName
	}
	return first
}

// gone turns a row deleted since the mail was queued into "no mail".
func gone(err error) error {
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	return err
}
