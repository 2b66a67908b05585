package federate

import (
	"testing"

	"github.com/aspenpod/aspen/models"
)

// TestStateOf: a domain rule covers every port, a host:port rule one
// port, subdomains only when asked, and a block wins over a silence. The
// SQL function aspen_pod_state states the same rule (migration 00015) and
// the e2e tests check it through the streams.
func TestStateOf(t *testing.T) {
	rules := []models.ModeratedPod{
		{Domain: "spam.example", Subdomains: true, Severity: models.SeverityBlock},
		{Domain: "loud.example", Subdomains: false, Severity: models.SeveritySilence},
		{Domain: "example.net", Subdomains: true, Severity: models.SeveritySilence},
		{Domain: "bad.example.net", Subdomains: false, Severity: models.SeverityBlock},
		{Domain: "127.0.0.1:3001", Subdomains: true, Severity: models.SeverityBlock},
	}
	for host, want := range map[string]int{
		"spam.example":          models.PodStateBlocked,
		"SPAM.example:443":      models.PodStateBlocked,
		"pod.spam.example":      models.PodStateBlocked,
		"notspam.example":       models.PodStateNone,
		"loud.example":          models.PodStateSilenced,
		"sub.loud.example":      models.PodStateNone,
		"a.example.net":         models.PodStateSilenced,
		"bad.example.net":       models.PodStateBlocked,
		"x.bad.example.net":     models.PodStateSilenced,
		"127.0.0.1:3001":        models.PodStateBlocked,
		"127.0.0.1:3002":        models.PodStateNone,
		"127.0.0.1":             models.PodStateNone,
		"spam.example.evil.org": models.PodStateNone,
	} {
		if got := stateOf(rules, host); got != want {
			t.Errorf("stateOf(%q) = %d, want %d", host, got, want)
		}
	}
}

func TestNormalizeDomain(t *testing.T) {
	for in, want := range map[string]string{
		"Pod.Example.org":              "pod.example.org",
		"https://pod.example.org/x":    "pod.example.org",
		"*.pod.example.org":            "pod.example.org",
		"pod.example.org.":             "pod.example.org",
		"127.0.0.1:3001":               "127.0.0.1:3001",
		"xn--bcher-kva.example":        "xn--bcher-kva.example",
		"https://pod.example.org:8443": "pod.example.org:8443",
	} {
		if got, err := NormalizeDomain(in); err != nil || got != want {
			t.Errorf("NormalizeDomain(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "not a domain", "pod..example", "-pod.example", "pod.example:0", "pod.example:http", "bücher.example", "a/b"} {
		if got, err := NormalizeDomain(bad); err == nil {
			t.Errorf("NormalizeDomain(%q) = %q, want an error", bad, got)
		}
	}
}

// FuzzNormalizeDomain: whatever an admin types or a CSV holds, the
// normalised domain is accepted again unchanged, and rules made of it
// never panic when matched.
func FuzzNormalizeDomain(f *testing.F) {
	for _, s := range []string{"pod.example.org", "https://Pod.Example:8443/x", "*.a.b", "127.0.0.1:3001", "a..b", "x:0080", "://", "[::1]:80"} {
		f.Add(s, "sub.pod.example.org:443")
	}
	f.Fuzz(func(t *testing.T, raw, host string) {
		d, err := NormalizeDomain(raw)
		if err != nil {
			return
		}
		again, err := NormalizeDomain(d)
		if err != nil || again != d {
			t.Fatalf("NormalizeDomain(%q) = %q, but that gives %q, %v", raw, d, again, err)
		}
		stateOf([]models.ModeratedPod{{Domain: d, Subdomains: true, Severity: models.SeverityBlock}}, host)
	})
}
