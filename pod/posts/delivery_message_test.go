package posts

import (
	"testing"
	"time"
)

func TestDeliveryMessageInWords(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		state, raw string
		attempts   int
		last       time.Time
		want       string
	}{
		{"retrying", "POST http://x/receive/users/g: dial tcp 10.0.0.1:80: connect: connection refused", 1, now, "their pod did not answer; next try in 4 minutes"},
		{"retrying", "POST https://x/receive/public: dial tcp: lookup x on 127.0.0.53:53: no such host", 3, now, "their pod did not answer; next try in 22 minutes"},
		{"retrying", "POST https://x/receive/public: context deadline exceeded (Client.Timeout exceeded while awaiting headers)", 6, now, "their pod did not answer; next try in about 2 hours"},
		{"retrying", "unexpected HTTP response: https://x/receive/public answered 502", 9, now, "their pod had an error (HTTP 502); next try in about 6 hours"},
		{"retrying", "unexpected HTTP response: https://x/receive/public answered 403", 1, now.Add(-time.Hour), "their pod refused it (HTTP 403); next try soon"},
		{"retrying", "POST https://x/receive/public: tls: failed to verify certificate: x509: certificate signed by unknown authority", 2, now, "their pod's certificate was not accepted; next try in 10 minutes"},
		{"retrying", "", 0, now, "waiting to be sent"},
		{"failed", "dial tcp 10.0.0.1:443: i/o timeout", 11, now, "their pod did not answer; gave up after 11 tries"},
		{"failed", "given up: the pod has been failing since 2020-01-01T00:00:00Z", 0, now, "their pod has not answered for a long time; gave up"},
		{"failed", "something odd", 1, now, "it could not be delivered; gave up after 1 try"},
	}
	for _, c := range cases {
		got, next := deliveryMessage(c.state, c.raw, c.attempts, c.last, now)
		if got != c.want {
			t.Errorf("%s %q (%d tries): %q, want %q", c.state, c.raw, c.attempts, got, c.want)
		}
		if (c.state == "retrying" && c.attempts > 0) != (next != nil) {
			t.Errorf("%s %q: next try %v", c.state, c.raw, next)
		}
	}
	if got := humanDuration(3 * 24 * time.Hour); got != "about 3 days" {
		t.Errorf("humanDuration: %q", got)
	}
}
