package posts

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// answeredRe finds the status code in a transport.HTTPError's text
// ("unexpected HTTP response: https://…/receive/public answered 503").
var answeredRe = regexp.MustCompile(`answered (\d{3})\b`)

// deliveryCause turns the technical error of a delivery attempt into a few
// words an author understands. The full error stays for admins.
func deliveryCause(raw string) string {
	low := strings.ToLower(raw)
	if m := answeredRe.FindStringSubmatch(raw); m != nil {
		code, _ := strconv.Atoi(m[1])
		if code >= 500 {
			return fmt.Sprintf("their pod had an error (HTTP %d)", code)
		}
		return fmt.Sprintf("their pod refused it (HTTP %d)", code)
	}
	switch {
	case raw == "":
		return ""
	case strings.Contains(low, "x509") || strings.Contains(low, "tls:") || strings.Contains(low, "certificate"):
		return "their pod's certificate was not accepted"
	case strings.Contains(low, "has been failing since"):
		return "their pod has not answered for a long time"
	case strings.Contains(low, "connection refused"), strings.Contains(low, "no such host"),
		strings.Contains(low, "timeout"), strings.Contains(low, "deadline exceeded"), strings.Contains(low, "timed out"),
		strings.Contains(low, "connection reset"), strings.Contains(low, "unreachable"), strings.Contains(low, "no route to host"),
		strings.Contains(low, "eof"), strings.Contains(low, "dial tcp"), strings.Contains(low, "server misbehaving"):
		return "their pod did not answer"
	}
	return "it could not be delivered"
}

// deliveryMessage is the author's one-line account of a delivery that is
// not done: the cause, then when it is tried next or that it was given up.
// The next try is estimated from the retry schedule (the earliest it can
// be: (attempts+3)^4 seconds after the last attempt).
func deliveryMessage(state, raw string, attempts int, lastAttempt, now time.Time) (string, *time.Time) {
	cause := deliveryCause(raw)
	if state == "failed" {
		gave := "gave up"
		switch {
		case attempts == 1:
			gave = "gave up after 1 try"
		case attempts > 1:
			gave = fmt.Sprintf("gave up after %d tries", attempts)
		}
		if cause == "" {
			return gave, nil
		}
		return cause + "; " + gave, nil
	}
	if attempts == 0 || cause == "" {
		return "waiting to be sent", nil
	}
	n := attempts + 3
	next := lastAttempt.Add(time.Duration(n*n*n*n) * time.Second)
	if !next.After(now) {
		return cause + "; next try soon", &next
	}
	return cause + "; next try in " + humanDuration(next.Sub(now)), &next
}

// humanDuration says a duration roughly, the way a person would.
func humanDuration(d time.Duration) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d < time.Minute:
		return "less than a minute"
	case d < time.Hour:
		return plural(int((d+30*time.Second)/time.Minute), "minute")
	case d < 36*time.Hour:
		return "about " + plural(int((d+30*time.Minute)/time.Hour), "hour")
	default:
		return "about " + plural(int((d+12*time.Hour)/(24*time.Hour)), "day")
	}
}
