package discovery

import (
	"testing"

	"github.com/aspenpod/aspen/federation/internal/vectors"
)

// FuzzParseWebFinger: WebFinger parsing never panics.
func FuzzParseWebFinger(f *testing.F) {
	f.Add(vectors.Read(f, "generated/22_webfinger.json"), "alice@pod-a.org")
	f.Add(vectors.Read(f, "docs-examples/webfinger_example.json"), "alice@example.org")
	f.Add([]byte(`{"subject":"acct:a@b","links":[{"rel":"salmon","href":"x"}]}`), "")
	f.Fuzz(func(t *testing.T, data []byte, id string) {
		info, err := ParseWebFinger(data, id)
		if err == nil && (info.HCardURL == "" || info.PodURL == "") {
			t.Fatalf("accepted without hcard or seed: %+v", info)
		}
	})
}

// FuzzParseHCard: hCard parsing never panics, and an accepted hCard has
// the required fields.
func FuzzParseHCard(f *testing.F) {
	f.Add(vectors.Read(f, "generated/22_hcard.html"))
	f.Add(vectors.Read(f, "docs-examples/hcard_example.html"))
	f.Add([]byte(`<div class="vcard"><span class="uid">0123456789abcdef</span><span class=fn>x</span></div>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := ParseHCard(data)
		if err == nil && (info.PublicKey == nil || info.GUID == "") {
			t.Fatalf("accepted without key or guid: %+v", info)
		}
	})
}

// FuzzParseNodeInfo: NodeInfo parsing never panics.
func FuzzParseNodeInfo(f *testing.F) {
	for _, v := range []string{"2.0", "2.1"} {
		b, err := BuildNodeInfo(v, NodeInfoInput{SoftwareName: "aspen", SoftwareVersion: "0.1", NodeName: "x"})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(WellKnownNodeInfo("https://pod.example/"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ParseNodeInfo(data)
		_, _, _ = ParseWellKnownNodeInfo(data)
	})
}
