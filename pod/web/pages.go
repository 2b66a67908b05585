package web

import (
	"html/template"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/accounts"
	"github.com/aspenpod/aspen/pod/contacts"
	"github.com/aspenpod/aspen/pod/federate"
	"github.com/aspenpod/aspen/pod/notifications"
	"github.com/aspenpod/aspen/pod/posts"
	"github.com/aspenpod/aspen/pod/profiles"
)

// BasePage is embedded in every page: what the layout needs.
type BasePage struct {
	PodName   string
	CSRFToken string
	User      *CurrentUser
	Notice    string
	Alert     string
	// Unread counts the signed-in user's unread notifications.
	Unread int
	// UnreadMessages counts the signed-in user's unread private messages.
	UnreadMessages int
	// Nonce allows the page's one inline script under the CSP.
	Nonce string
	// Attributes are the signed-in user's data for scripts and clients.
	Attributes *userAttributes
	// Here is the path and query of the page being shown (empty when the
	// page answers a form post): where no-JS forms on it return to.
	Here string
}

// CurrentUser is the signed-in user as the layout shows them.
type CurrentUser struct {
	Username string
	GUID     string
	Admin    bool
	// Moderator handles reports (admins do too).
	Moderator bool
}

type homePage struct {
	Base              BasePage
	DiasporaID        string
	RegistrationsOpen bool
	Users             int64
}

type signUpPage struct {
	Base       BasePage
	Closed     bool
	Host       string
	Username   string
	Email      string
	InviteCode string
	Message    string
	Errors     map[string]string
	// Description is the pod's description, Approval that new accounts
	// wait for an admin, HasTerms that /terms has the pod's terms.
	Description string
	Approval    bool
	HasTerms    bool
}

type signInPage struct {
	Base              BasePage
	Login             string
	Remember          bool
	Message           string
	RegistrationsOpen bool
	// ReturnTo is the same-site page to go to after signing in, kept
	// through the form; empty for the stream.
	ReturnTo string
	// ConfirmSignups: new accounts confirm their address (the page links
	// to "resend the confirmation").
	ConfirmSignups bool
}

// passwordRequestPage is "forgot your password?".
type passwordRequestPage struct {
	Base        BasePage
	Email       string
	MailEnabled bool
	// Sent: the request was taken (whether or not the address has an
	// account).
	Sent    bool
	Message string
	Errors  map[string]string
}

// passwordResetPage is the form behind a reset link.
type passwordResetPage struct {
	Base    BasePage
	Token   string
	Message string
	// Expired: the link is used up or too old; the page offers a new one.
	Expired bool
	Errors  map[string]string
}

type settingsPage struct {
	Base BasePage
	accounts.AccountSettings
	// Mail holds the notification mail switches.
	Mail   *notifications.MailSettings
	Errors map[string]string
}

type profilePage struct {
	Base        BasePage
	Profile     *profiles.ProfileView
	PersonID    int64
	Relation    *contacts.Relation
	FreeAspects []contacts.AspectView
	Posts       []pod.PostView
	Next        string
}

type profileEditPage struct {
	Base        BasePage
	Form        profiles.ProfileInput
	Avatar      string
	AvatarMaxMB int64
	Errors      map[string]string
}

type errorPage struct {
	Base    BasePage
	Heading string
	Message string
}

// postCtx is what the "post" partial gets: the post and the CSRF token for
// its buttons.
type postCtx struct {
	pod.PostView
	CSRF string
	// ReturnTo is the page the post is shown on, for the return_to field
	// of its forms (empty: the handler falls back to Referer).
	ReturnTo string
}

type publisherView struct {
	CSRF         string
	Aspects      []contacts.AspectView
	Text         string
	TextPreview  template.HTML // Text as the post will show it (the Preview button)
	Sel          map[string]bool
	Errors       map[string]string
	PreviewShown bool
	Public       bool
	Preview      []pod.PersonView
	publisherPhotos
	publisherExtras
}

type streamPage struct {
	Base       BasePage
	Title      string
	Posts      []pod.PostView
	Next       string
	Publisher  *publisherView
	Aspects    []contacts.AspectView
	Tag        string
	FollowsTag bool
	Empty      string
}

type postPage struct {
	Base BasePage
	posts.PostPage
	CommentText  string
	CommentError string
}

type contactsPage struct {
	Base     BasePage
	Heading  string
	Set      string
	Aspects  []contacts.AspectView
	Aspect   *contacts.AspectView
	Contacts []contacts.ContactView
	Errors   map[string]string
}

type peoplePage struct {
	Base    BasePage
	Query   string
	Results []personResult
	// NotFound says why a person on another pod could not be found.
	NotFound string
	// SignInToFind: a signed-out visitor searched for someone on another
	// pod, which only signed-in users may look up.
	SignInToFind bool
}

// personResult is a search result with the viewer's aspects the person
// is not in yet, for the add-to-aspect control.
type personResult struct {
	contacts.PersonResult
	FreeAspects []contacts.AspectView
	// SignedIn and CSRF are for the add-to-aspect form.
	SignedIn bool
	CSRF     string
}

type privacyPage struct {
	Base   BasePage
	Blocks []contacts.BlockView
}

type notificationsPage struct {
	Base     BasePage
	Type     string
	Types    []string
	Items    []notifications.NotificationView
	NextPage string
}

type tagsPage struct {
	Base   BasePage
	Tags   []tagFollowing
	Errors map[string]string
}

type tagFollowing struct {
	ID   int64
	Name string
}

// userAttributes is the signed-in user as diaspora*'s pages expose them to
// scripts (window.current_user_attributes), which clients such as diaspy read.
type userAttributes struct {
	ID                  int64                 `json:"id"`
	GUID                string                `json:"guid"`
	Name                string                `json:"name"`
	DiasporaID          string                `json:"diaspora_id"`
	Avatar              pod.Avatar            `json:"avatar"`
	Admin               bool                  `json:"admin"`
	Moderator           bool                  `json:"moderator"`
	NotificationsCount  int                   `json:"notifications_count"`
	UnreadMessagesCount int                   `json:"unread_messages_count"`
	Aspects             []contacts.AspectView `json:"aspects"`
	FollowingCount      int                   `json:"following_count"`
}

type adminPodsPage struct {
	Base BasePage
	Pods []federate.PodView
	// Outbox is the backlog of federation tasks not yet queued.
	Outbox *federate.OutboxView
	// GiveUpDays is how long a pod may fail before deliveries to it are
	// given up.
	GiveUpDays int
	// JobsDashboard: the job queue dashboard is mounted.
	JobsDashboard bool
}
