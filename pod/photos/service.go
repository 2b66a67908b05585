// Package photos owns the pictures in posts: uploads that wait for a post
// (pending, visible to their uploader only, deleted after a day if never
// posted), their renditions in diaspora*'s sizes (made by a job, so that
// an upload costs the request only the upload), serving their files with
// the privacy of the post they belong to, the photos pages of a person,
// and received photos, fetched once from their pod and served from here.
// Posts attach photos when they are created (pod/posts); the federation
// layer builds and reads the photo entities (pod/federate).
package photos

import (
	"log/slog"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/media"
)

// MaxBytes is the largest photo upload accepted (and fetched from another
// pod).
const MaxBytes = 10 << 20

// MaxPending is how many uploaded photos one person may have waiting for a
// post at once.
const MaxPending = 2 * pod.MaxPhotosPerPost

// limits bound one photo: MaxBytes, and media's pixel limits.
var limits = media.Limits{MaxBytes: MaxBytes}

// Service holds the photo use cases.
type Service struct {
	core  *pod.Core
	opt   pod.Options
	store *models.Store
	media media.Store
	log   *slog.Logger
	// busy bounds how many photos are decoded at once (each takes up to a
	// few hundred MB while its renditions are made).
	busy chan struct{}
}

// New builds the photo use cases over core.
func New(core *pod.Core) *Service {
	return &Service{core: core, opt: core.Options(), store: core.Store(), media: core.Media(), log: core.Log(),
		busy: make(chan struct{}, 2)}
}
