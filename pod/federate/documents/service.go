// Package documents answers what other pods ask of this one: discovery
// (WebFinger, hCard, host-meta), NodeInfo, and /fetch of public posts,
// comments and likes, signed by their authors. The documents themselves
// are built by package fedhost; this package loads the rows and decides
// who may be served.
package documents

import (
	"log/slog"

	"github.com/redis/go-redis/v9"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// Service answers other pods' discovery and fetch requests.
type Service struct {
	core        *pod.Core
	opt         pod.Options
	store       *models.Store
	sealer      *models.KeySealer
	rdb         *redis.Client
	log         *slog.Logger
	redisPrefix string
}

// New builds the discovery and fetch answers over core.
func New(core *pod.Core) *Service {
	opt := core.Options()
	return &Service{core: core, opt: opt, store: core.Store(), sealer: core.Sealer(), rdb: core.Redis(), log: core.Log(),
		redisPrefix: opt.RedisPrefix}
}
