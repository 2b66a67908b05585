package pod

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/aspenpod/aspen/models"
	"github.com/redis/go-redis/v9"
)

// Session lengths: "remember me" keeps a session two weeks (as diaspora*
// does); otherwise it lasts a day past the last request.
const (
	RememberFor = 14 * 24 * time.Hour
	SessionIdle = 24 * time.Hour
)

// Session is a signed-in browser. It lives in Redis, so it survives restarts
// of the pod and works across several serve processes.
type Session struct {
	UserID   int64  `json:"uid"`
	PersonID int64  `json:"pid"`
	Username string `json:"name"`
	GUID     string `json:"guid"`
	Admin    bool   `json:"admin"`
	// Moderator handles reports (admins do too; see RequireModerator).
	Moderator bool      `json:"mod,omitempty"`
	Remember  bool      `json:"remember"`
	CreatedAt time.Time `json:"created"`
	IP        string    `json:"ip"`
	UserAgent string    `json:"ua"`
	// PublicOnly: an API token without private:read acts for this user;
	// the visibility rules then show public posts only (never stored).
	PublicOnly bool `json:"-"`

	key string
}

func (a *Core) sessionKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return a.redisPrefix + "sess:" + hex.EncodeToString(sum[:])
}

func (a *Core) userSessionsKey(userID int64) string {
	return fmt.Sprintf("%susess:%d", a.redisPrefix, userID)
}

func (s *Session) ttl() time.Duration {
	if s.Remember {
		return RememberFor
	}
	return SessionIdle
}

// StartSession stores a new session and returns its secret token (the
// cookie value). Only a hash of the token is kept in Redis.
func (a *Core) StartSession(ctx context.Context, s *Session) (string, error) {
	// The first character says how long the session lives, so that reading
	// it and extending its life is one Redis round trip (GETEX).
	kind := "s"
	if s.Remember {
		kind = "r"
	}
	token := kind + NewSecret()
	s.key = a.sessionKey(token)
	b, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	pipe := a.rdb.TxPipeline()
	pipe.Set(ctx, s.key, b, s.ttl())
	pipe.SAdd(ctx, a.userSessionsKey(s.UserID), s.key)
	pipe.Expire(ctx, a.userSessionsKey(s.UserID), RememberFor)
	if _, err := pipe.Exec(ctx); err != nil {
		return "", fmt.Errorf("store session: %w", err)
	}
	return token, nil
}

// SessionByToken returns the session for a cookie token and extends its
// life: a day past the last request, or two weeks for "remember me" (one
// Redis round trip). It returns ErrUnauthenticated for an unknown or
// expired token.
func (a *Core) SessionByToken(ctx context.Context, token string) (*Session, error) {
	if token == "" || len(token) > 100 {
		return nil, ErrUnauthenticated
	}
	ttl := SessionIdle
	if token[0] == 'r' {
		ttl = RememberFor
	}
	key := a.sessionKey(token)
	raw, err := a.rdb.GetEx(ctx, key, ttl).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	var s Session
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, ErrUnauthenticated
	}
	s.key = key
	return &s, nil
}

// SignOut ends one session.
func (a *Core) SignOut(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	key := a.sessionKey(token)
	if s, err := a.SessionByToken(ctx, token); err == nil {
		a.rdb.SRem(ctx, a.userSessionsKey(s.UserID), key)
	}
	return a.rdb.Del(ctx, key).Err()
}

// EndUserSessions ends every session of a user except the one with the
// given token (empty: all of them).
func (a *Core) EndUserSessions(ctx context.Context, userID int64, keepToken string) error {
	// The API's cached token checks go too: what ends sessions (a lock,
	// a closed account, a new password) ends apps' access at once.
	if err := a.DropAPICache(ctx, userID); err != nil {
		return err
	}
	keep := ""
	if keepToken != "" {
		keep = a.sessionKey(keepToken)
	}
	setKey := a.userSessionsKey(userID)
	keys, err := a.rdb.SMembers(ctx, setKey).Result()
	if err != nil {
		return fmt.Errorf("list sessions: %w", err)
	}
	var drop []string
	for _, k := range keys {
		if k != keep {
			drop = append(drop, k)
		}
	}
	if len(drop) == 0 {
		return nil
	}
	pipe := a.rdb.TxPipeline()
	pipe.Del(ctx, drop...)
	members := make([]any, len(drop))
	for i, k := range drop {
		members[i] = k
	}
	pipe.SRem(ctx, setKey, members...)
	_, err = pipe.Exec(ctx)
	return err
}

// Sign-in rate limit: diaspora* allows 20 attempts per 5 minutes per address.
const (
	SignInAttempts = 20
	SignInWindow   = 5 * time.Minute
)

// Allow counts one attempt for a client address and reports whether it is
// within the limit. IPv6 addresses are limited per /64.
func (a *Core) Allow(ctx context.Context, what, clientIP string, limit int, window time.Duration) error {
	// One counter per kind and address, as CheckRateLimit keeps them; the
	// error says when to try again (Retry-After).
	return a.countAction(ctx, what, []string{addressBucket(clientIP)}, RateLimit{Count: limit, Window: window})
}

func addressBucket(ip string) string {
	parsed := net.ParseIP(ip)
	if parsed == nil {
		return ip
	}
	if v4 := parsed.To4(); v4 != nil {
		return v4.String()
	}
	return parsed.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// Viewer is who the visibility rules see: nobody for a signed-out
// session.
func Viewer(s *Session) models.Viewer {
	if s == nil {
		return models.Viewer{}
	}
	return models.Viewer{UserID: s.UserID, PersonID: s.PersonID, PublicOnly: s.PublicOnly}
}

// APICacheSet is the Redis set that lists a user's cached API token checks
// (pod/oidcp keeps them, for a minute, so that a warm token costs no SQL).
func (a *Core) APICacheSet(userID int64) string {
	return fmt.Sprintf("%soidc:ucache:%d", a.redisPrefix, userID)
}

// DropAPICache forgets a user's cached API token checks: the next request
// of each of their apps checks its token in the database again.
func (a *Core) DropAPICache(ctx context.Context, userID int64) error {
	setKey := a.APICacheSet(userID)
	keys, err := a.rdb.SMembers(ctx, setKey).Result()
	if err != nil {
		return fmt.Errorf("list cached api tokens: %w", err)
	}
	if err := a.rdb.Del(ctx, append(keys, setKey)...).Err(); err != nil {
		return fmt.Errorf("drop cached api tokens: %w", err)
	}
	return nil
}
