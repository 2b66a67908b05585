package federate

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aspenpod/aspen/pod"
)

// Redis keys under which versions before migration 00021 remembered
// retractions: a GUID deleted here, and the set of "author sender"
// retractions received for a GUID not stored here yet.
const (
	redisRetractedKey = "retracted:"
	redisUnseenKey    = "retracted-unseen:"
)

// MoveRedisRetractions moves what an earlier version remembered about
// retractions in Redis into the database (models.Store.MarkRetracted and
// RememberRetraction), each until its key would have expired, and deletes
// the keys. It returns how many keys it moved; running it again finds
// none. The worker runs it as it starts.
func (a *Service) MoveRedisRetractions(ctx context.Context) (int, error) {
	moved := 0
	for _, kind := range []string{redisRetractedKey, redisUnseenKey} {
		prefix := a.redisPrefix + kind
		iter := a.rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			key := iter.Val()
			guid := strings.TrimPrefix(key, prefix)
			ttl, err := a.rdb.TTL(ctx, key).Result()
			if err != nil {
				return moved, fmt.Errorf("move retractions from Redis: %w", err)
			}
			if ttl == -2 { // gone since the scan (go-redis gives -2 and -1 as they are)
				continue
			}
			if ttl <= 0 || ttl > pod.RetractedTTL { // no expiry set
				ttl = pod.RetractedTTL
			}
			until := time.Now().Add(ttl)
			if kind == redisRetractedKey {
				err = a.store.MarkRetracted(ctx, until, guid)
			} else {
				var members []string
				if members, err = a.rdb.SMembers(ctx, key).Result(); err != nil {
					return moved, fmt.Errorf("move retractions from Redis: %w", err)
				}
				for _, m := range members {
					author, sender, _ := strings.Cut(m, " ")
					if err = a.store.RememberRetraction(ctx, guid, author, sender, until); err != nil {
						break
					}
				}
			}
			if err != nil {
				return moved, fmt.Errorf("move retractions from Redis: %w", err)
			}
			if err := a.rdb.Del(ctx, key).Err(); err != nil {
				return moved, fmt.Errorf("move retractions from Redis: %w", err)
			}
			moved++
		}
		if err := iter.Err(); err != nil {
			return moved, fmt.Errorf("move retractions from Redis: %w", err)
		}
	}
	return moved, nil
}
