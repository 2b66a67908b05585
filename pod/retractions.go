package pod

import (
	"context"
	"time"
)

// RetractedTTL is how long a retracted GUID is remembered.
const RetractedTTL = 30 * 24 * time.Hour

// MarkRetracted remembers that an object was deleted, so that late or
// repeated deliveries about it neither resurrect it nor retry for a day.
func (a *Core) MarkRetracted(ctx context.Context, guids ...string) {
	if err := a.store.MarkRetracted(ctx, time.Now().Add(RetractedTTL), guids...); err != nil {
		a.log.Warn("cannot remember a retraction", "guids", guids, "err", err)
	}
}

// Retracted reports whether an object was deleted recently. An error
// reading what is remembered counts as not retracted.
func (a *Core) Retracted(ctx context.Context, guid string) bool {
	ok, err := a.store.Retracted(ctx, guid)
	return err == nil && ok
}
