// Package app puts the pod's use cases together: the core and one service
// per resource, with the federation layer beside them. The commands and
// the test pods build the application here, so that both wire it the same
// way; pod/web and pod/jobs take the services they call from it.
package app

import (
	"context"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/accounts"
	"github.com/aspenpod/aspen/pod/archives"
	"github.com/aspenpod/aspen/pod/contacts"
	"github.com/aspenpod/aspen/pod/conversations"
	"github.com/aspenpod/aspen/pod/federate"
	"github.com/aspenpod/aspen/pod/federate/documents"
	"github.com/aspenpod/aspen/pod/moderation"
	"github.com/aspenpod/aspen/pod/notifications"
	"github.com/aspenpod/aspen/pod/oidcp"
	"github.com/aspenpod/aspen/pod/pagecache"
	"github.com/aspenpod/aspen/pod/photos"
	"github.com/aspenpod/aspen/pod/polls"
	"github.com/aspenpod/aspen/pod/posts"
	"github.com/aspenpod/aspen/pod/profiles"
	"github.com/aspenpod/aspen/pod/streams"
)

// App is the whole application.
type App struct {
	Core          *pod.Core
	Accounts      *accounts.Service
	Profiles      *profiles.Service
	Contacts      *contacts.Service
	Posts         *posts.Service
	Streams       *streams.Service
	Notifications *notifications.Service
	Photos        *photos.Service
	Polls         *polls.Service
	Conversations *conversations.Service
	Federate      *federate.Service
	Archives      *archives.Service
	Documents     *documents.Service
	Moderation    *moderation.Service
	// Pages caches encoded stream and post pages (nil without Redis);
	// the store reports its changes to it.
	Pages *pagecache.Cache
	// OIDC is the OpenID Connect provider and the API's tokens (nil if
	// the pod's URL makes no issuer; the log says why).
	OIDC *oidcp.Service
}

// New builds the application.
func New(opt pod.Options, d pod.Deps) *App {
	core := pod.New(opt, d)
	pages := pagecache.New(core.Redis(), core.RedisKey(""), core.Log(), opt.PageCacheBytes)
	if pages != nil {
		core.Store().OnChange(pages.Invalidate)
	}
	a := &App{
		Core:          core,
		Pages:         pages,
		Accounts:      accounts.New(core),
		Profiles:      profiles.New(core),
		Posts:         posts.New(core, pages),
		Streams:       streams.New(core, pages),
		Notifications: notifications.New(core),
		Photos:        photos.New(core),
		Polls:         polls.New(core),
		Conversations: conversations.New(core),
	}
	// People search discovers remote people through the federation layer,
	// which is built after contacts (it applies received contacts).
	a.Contacts = contacts.New(core, discoverer{a})
	a.Federate = federate.New(core, a.Contacts, a.Posts)
	a.Federate.SetPhotos(a.Photos)
	a.Federate.SetConversations(a.Conversations)
	a.Archives = archives.New(core, a.Federate)
	a.Documents = documents.New(core)
	a.Moderation = moderation.New(core, a.Accounts)
	if p, err := oidcp.New(core); err != nil {
		core.Log().Error("the OpenID Connect provider is off", "err", err)
	} else {
		a.OIDC = p
	}
	return a
}

// discoverer reaches the federation layer once it is built.
type discoverer struct{ a *App }

func (d discoverer) IsRemoteID(q string) bool { return d.a.Federate.IsRemoteID(q) }

func (d discoverer) RemotePerson(ctx context.Context, diasporaID string, refresh bool) (*models.Person, error) {
	return d.a.Federate.RemotePerson(ctx, diasporaID, refresh)
}
