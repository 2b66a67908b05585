package cli

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/discovery"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/federation/envelope"
	"github.com/aspenpod/aspen/federation/internal/vectors"
)

func run(t *testing.T, stdin []byte, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, bytes.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestKeygen(t *testing.T) {
	pubFile := filepath.Join(t.TempDir(), "pub.pem")
	code, out, stderr := run(t, nil, "keygen", "--bits", "1024", "--pub-out", pubFile)
	if code != 0 {
		t.Fatalf("code %d: %s", code, stderr)
	}
	key, err := federation.ParsePrivateKey([]byte(out))
	if err != nil || !strings.HasPrefix(out, "-----BEGIN RSA PRIVATE KEY-----") {
		t.Fatalf("%v: %s", err, out)
	}
	pemBytes, _ := os.ReadFile(pubFile)
	pub, err := federation.ParsePublicKey(pemBytes)
	if err != nil || !pub.Equal(&key.PublicKey) || !bytes.HasPrefix(pemBytes, []byte("-----BEGIN PUBLIC KEY-----")) {
		t.Fatalf("pub-out: %v", err)
	}
	if code, _, _ := run(t, nil, "keygen", "--bits", "12"); code != 2 {
		t.Errorf("bad bits: %d", code)
	}
}

func TestMisuse(t *testing.T) {
	for _, args := range [][]string{{}, {"frobnicate"}, {"verify"}, {"verify", "--envelope"}, {"seal", "--key", "x"}, {"open", "--envelope", "-"}, {"discover"}, {"fetch", "a@b.c", "post"}, {"verify", "--envelope", "/nonexistent", "--pubkey", "a@b.c=/nonexistent"}} {
		if code, _, _ := run(t, nil, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

func TestSealVerifyOpen(t *testing.T) {
	keys := vectors.Dir(t) + "/keys/"
	payload := vectors.Read(t, "generated/01_status_message_public.payload.xml")
	code, out, stderr := run(t, payload, "seal", "--key", keys+"alice_pod_a.key.pem", "--author", "alice@pod-a.org")
	if code != 0 || out != string(vectors.Read(t, "generated/01_status_message_public.envelope.xml")) {
		t.Fatalf("seal: %d %s %s", code, out, stderr)
	}
	code, out, stderr = run(t, payload, "seal", "--key", keys+"alice_pod_a.key.pem", "--author", "alice@pod-a.org", "--recipient-pubkey", keys+"bob_pod_b.pub.pem")
	if code != 0 {
		t.Fatalf("seal private: %d %s", code, stderr)
	}
	priv := out
	code, out, _ = run(t, []byte(priv), "open", "--envelope", "-", "--key", keys+"bob_pod_b.key.pem", "--pubkey", "alice@pod-a.org="+keys+"alice_pod_a.pub.pem")
	if code != 0 {
		t.Fatalf("open sealed: %d %s", code, out)
	}
	if code, _, _ := run(t, []byte("<comment/>"), "seal", "--key", keys+"alice_pod_a.key.pem", "--author", "alice@pod-a.org"); code != 1 {
		t.Errorf("invalid entity: exit %d", code)
	}

	alicePub := "alice@pod-a.org=" + keys + "alice_pod_a.pub.pem"
	bobPub := "bob@pod-b.org=" + keys + "bob_pod_b.pub.pem"
	gen := vectors.Dir(t) + "/generated/"
	cases := []struct {
		verb, file string
		extra      []string
		code       int
		entityType string
		errPart    string
	}{
		{"verify", "01_status_message_public.envelope.xml", []string{"--pubkey", alicePub}, 0, "status_message", ""},
		{"verify", "14i_compact_no_declaration.envelope.xml", []string{"--pubkey", alicePub}, 0, "status_message", ""},
		{"verify", "14b_unpadded_data_sig_over_padded.envelope.xml", []string{"--pubkey", alicePub}, 0, "status_message", ""},
		{"verify", "03_comment_by_bob.envelope_relayed_by_alice.xml", []string{"--pubkey", alicePub, "--pubkey", bobPub}, 0, "comment", ""},
		{"verify", "03_comment_by_bob.envelope_relayed_by_alice.xml", []string{"--pubkey", alicePub}, 1, "comment", "public key not found"},
		{"verify", "14a_NEGATIVE_tampered_data.envelope.xml", []string{"--pubkey", alicePub}, 1, "", "invalid signature"},
		{"verify", "14b_NEGATIVE_unpadded_data_sig_over_unpadded.envelope.xml", []string{"--pubkey", alicePub}, 1, "", "invalid signature"},
		{"verify", "14c_NEGATIVE_wrapped_data.envelope.xml", []string{"--pubkey", alicePub}, 1, "", "invalid envelope"},
		{"verify", "14g_NEGATIVE_sender_not_author.envelope.xml", []string{"--pubkey", alicePub, "--pubkey", bobPub}, 1, "status_message", "invalid sender"},
		{"verify", "14j_NEGATIVE_default_namespace.envelope.xml", []string{"--pubkey", alicePub}, 1, "", "invalid envelope"},
		{"verify", "02_status_message_limited.envelope.xml", []string{"--pubkey", alicePub}, 1, "status_message", "not public"},
		{"verify", "01_status_message_public.envelope.xml", []string{"--pubkey", "alice@pod-a.org=" + keys + "bob_pod_b.pub.pem"}, 1, "", "invalid signature"},
		{"open", "02_status_message_limited.encrypted.json", []string{"--key", keys + "bob_pod_b.key.pem", "--pubkey", alicePub}, 0, "status_message", ""},
		{"open", "02_status_message_limited.encrypted.json", []string{"--key", keys + "alice_pod_c.key.pem", "--pubkey", alicePub}, 1, "", "decryption failed"},
	}
	for _, c := range cases {
		t.Run(c.verb+" "+c.file, func(t *testing.T) {
			args := append([]string{c.verb, "--envelope", gen + c.file}, c.extra...)
			code, out, stderr := run(t, nil, args...)
			if code != c.code {
				t.Fatalf("exit %d want %d: %s %s", code, c.code, out, stderr)
			}
			var rep Report
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("output %q: %v", out, err)
			}
			if rep.Valid != (c.code == 0) || rep.EntityType != c.entityType {
				t.Errorf("report %+v", rep)
			}
			if c.errPart != "" && (rep.Error == nil || !strings.Contains(*rep.Error, c.errPart)) {
				t.Errorf("error %v, want %q", rep.Error, c.errPart)
			}
			if c.code == 0 && (rep.Error != nil || rep.Entity["guid"] == nil) {
				t.Errorf("report %+v", rep)
			}
		})
	}
}

func TestDiscoverAndFetch(t *testing.T) {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	id := "alice@" + strings.TrimPrefix(srv.URL, "http://")
	key := vectors.PrivateKey(t, "alice_pod_a")
	pem, _ := federation.MarshalPublicKey(&key.PublicKey)
	acct := &discovery.Account{DiasporaID: id, GUID: "a1b2c3d4e5f60718293a4b5c6d7e8f90", PodURL: srv.URL, FullName: "Alice", Searchable: true,
		PublicKeyPEM: string(pem), ImageURL: "/avatar.png", ImageURLMedium: "/m.png", ImageURLSmall: "/s.png"}
	mux.HandleFunc("/.well-known/webfinger", func(w http.ResponseWriter, r *http.Request) { w.Write(discovery.WebFinger(acct).Marshal()) })
	mux.HandleFunc("/hcard/users/"+acct.GUID, func(w http.ResponseWriter, r *http.Request) { w.Write(discovery.HCard(acct)) })
	post := &entity.StatusMessage{Author: id, GUID: "1f2e3d4c5b6a79880123456789abcdef", Public: true, Text: "fetched"}
	doc, err := envelope.SignEntity(post, id, key)
	if err != nil {
		t.Fatal(err)
	}
	mux.HandleFunc("/fetch/post/1f2e3d4c5b6a79880123456789abcdef", func(w http.ResponseWriter, r *http.Request) { w.Write(doc) })

	code, out, stderr := run(t, nil, "discover", id, "--http")
	if code != 0 || !strings.Contains(out, `"guid": "a1b2c3d4e5f60718293a4b5c6d7e8f90"`) || !strings.Contains(out, "BEGIN PUBLIC KEY") {
		t.Fatalf("discover: %d %s %s", code, out, stderr)
	}
	code, out, _ = run(t, nil, "fetch", "--http", id, "post", "1f2e3d4c5b6a79880123456789abcdef")
	if code != 0 || !strings.Contains(out, `"text": "fetched"`) {
		t.Fatalf("fetch: %d %s", code, out)
	}
	if code, out, _ = run(t, nil, "fetch", "--http", id, "post", "2f2e3d4c5b6a79880123456789abcdef"); code != 1 {
		t.Fatalf("fetch unknown: %d %s", code, out)
	}
	// Without --http the guard refuses loopback (and plain http).
	if code, out, _ = run(t, nil, "discover", id); code != 1 {
		t.Fatalf("discover without --http: %d %s", code, out)
	}
}
