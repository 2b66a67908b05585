package config

import (
	"errors"
	"testing"
	"time"
)

func TestRateLimitsAndApproval(t *testing.T) {
	c, err := Load(env(map[string]string{"POD_REGISTRATIONS": "Approval", "POD_RATELIMIT_COMMENTS": "5/30s", "POD_RATELIMIT_LIKES": "off", "POD_RATELIMIT_API": "1000/1m"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Registrations != RegistrationsApproval {
		t.Errorf("registrations %q", c.Registrations)
	}
	if c.RateLimits.Comments != (RateLimit{5, 30 * time.Second}) || c.RateLimits.Likes != (RateLimit{}) ||
		c.RateLimits.Posts != (RateLimit{20, time.Minute}) || c.RateLimits.SignUps != (RateLimit{5, time.Hour}) || c.RateLimits.API != (RateLimit{1000, time.Minute}) {
		t.Errorf("rate limits %+v", c.RateLimits)
	}
	for _, bad := range []string{"30", "x/1m", "0/1m", "5/1ms", "5/48h", "5/soon"} {
		_, err := Load(env(map[string]string{"POD_RATELIMIT_POSTS": bad}))
		var ce *Error
		if !errors.As(err, &ce) || ce.Var != "POD_RATELIMIT_POSTS" {
			t.Errorf("POD_RATELIMIT_POSTS=%q: %v", bad, err)
		}
	}
}
