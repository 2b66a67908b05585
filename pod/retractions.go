package pod

import (
	"context"
	"strings"
	"time"
)

// RetractedTTL is how long a retracted GUID is remembered.
const RetractedTTL = 30 * 24 * time.Hour

// RetractedKey is the Redis key that remembers a deleted object's GUID
// (MarkRetracted, Retracted).
func (a *Core) RetractedKey(guid string) string {
	return a.redisPrefix + "retracted:" + strings.ToLower(guid)
}

// MarkRetracted remembers that an object was deleted, so that late or
// repeated deliveries about it neither resurrect it nor retry for a day.
func (a *Core) MarkRetracted(ctx context.Context, guids ...string) {
	for _, g := range guids {
		if err := a.rdb.Set(ctx, a.RetractedKey(g), "1", RetractedTTL).Err(); err != nil {
			a.log.Warn("cannot remember a retraction", "guid", g, "err", err)
		}
	}
}

// Retracted reports whether an object was deleted recently.
func (a *Core) Retracted(ctx context.Context, guid string) bool {
	n, err := a.rdb.Exists(ctx, a.RetractedKey(guid)).Result()
	return err == nil && n > 0
}
