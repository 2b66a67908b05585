// Package federate is the federation layer, the only part of the pod that
// speaks the diaspora* protocol's types. Outbound, it turns the events the
// use cases put in the outbox into entities, signs them once, and sends
// one delivery per remote pod (public) or person (limited), retrying what
// fails in per-pod tasks (DeliverPod). Inbound, it verifies received envelopes and turns each
// entity into a call on the use-case packages or the store. It also finds
// remote people (WebFinger, hCard) and reports federation's health to
// admins. What other pods ask of this one (discovery documents, NodeInfo,
// /fetch) is answered by its subpackage documents.
package federate

import (
	"log/slog"
	"sync/atomic"

	"github.com/redis/go-redis/v9"

	"github.com/aspenpod/aspen/federation/discovery"
	"github.com/aspenpod/aspen/federation/transport"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/contacts"
	"github.com/aspenpod/aspen/pod/conversations"
	"github.com/aspenpod/aspen/pod/federate/fedhost"
	"github.com/aspenpod/aspen/pod/photos"
	"github.com/aspenpod/aspen/pod/posts"
)

// Service is the federation layer.
type Service struct {
	core     *pod.Core
	contacts *contacts.Service
	posts    *posts.Service
	photos   *photos.Service
	// conversations stores received conversations and messages.
	conversations *conversations.Service
	opt           pod.Options
	store         *models.Store
	sealer        *models.KeySealer
	rdb           *redis.Client
	queue         pod.Enqueuer
	log           *slog.Logger
	redisPrefix   string
	keys          *fedhost.Keys
	http          *transport.Client
	discovery     *discovery.Client
	stats         FederationStats
	inboxWarned   atomic.Int64 // when a received body last went to the outbox (Unix ns)
	blocks        blockList    // the admins' decisions about other pods (pod_blocks.go)
	senderHints   senderHints  // recent senders' rows and keys, unconfirmed (receive_post.go)
}

// New builds the federation layer over core; received comments and
// contacts are applied through the posts and contacts use cases.
func New(core *pod.Core, contacts *contacts.Service, posts *posts.Service) *Service {
	opt := core.Options()
	hc := transport.New(transport.Options{
		UserAgent:    "aspen/" + pod.SoftwareVersion() + " (diaspora* federation)",
		AllowPrivate: opt.FederationInsecure, AllowHTTP: opt.FederationInsecure,
	})
	return &Service{
		core: core, contacts: contacts, posts: posts,
		opt: opt, store: core.Store(), sealer: core.Sealer(), rdb: core.Redis(), queue: core.Queue(), log: core.Log(),
		redisPrefix: opt.RedisPrefix, keys: fedhost.NewKeys(core.Sealer(), 0), http: hc, discovery: discovery.NewClient(hc),
	}
}
