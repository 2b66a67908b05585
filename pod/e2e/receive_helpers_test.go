package e2e

import (
	"bytes"
	"context"
	"crypto/rsa"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/envelope"
	"github.com/aspenpod/aspen/federation/fedtest"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/accounts"
	"github.com/aspenpod/aspen/pod/podtest"
)

// Helpers of the receive tests (vectors and bad input): the shared
// conformance vectors, people seeded with keys the test holds, table
// counts, and POSTs to a pod's real receive endpoints.

// lanes are the Redis databases the receive tests may use: one pod per
// lane at a time, so that two run side by side.
var lanes = func() chan int {
	c := make(chan int, 2)
	c <- 9
	c <- 10
	return c
}()

// lane takes a Redis database for the test's pod until the test ends
// (registered before the pod's own cleanup, so released after it stops).
func lane(t testing.TB) int {
	t.Helper()
	l := <-lanes
	t.Cleanup(func() { lanes <- l })
	return l
}

// newLanePod starts a pod on a free lane: Redis database 9 or 10 and the
// database named after it ("vec9", "vec10"; emptied first), so that these
// tests keep to two connection pools.
func newLanePod(t testing.TB, opts ...podtest.Option) *podtest.FedPod {
	t.Helper()
	l := lane(t)
	return podtest.NewFedPod(t, fmt.Sprintf("vec%d", l), l, fast, opts...)
}

// vectorsDir is the conformance vectors' folder inside the repository
// (federation/testdata/vectors). A missing folder fails the test: the
// vectors are its point.
func vectorsDir(t testing.TB) string {
	t.Helper()
	return fedtest.VectorsDir(t)
}

// vectorFile returns a file of the vectors folder, e.g.
// "generated/01_status_message_public.envelope.xml".
func vectorFile(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectorsDir(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// vectorPayload returns generated/<name>.payload.xml without the final
// newline that is not part of the payload.
func vectorPayload(t testing.TB, name string) []byte {
	t.Helper()
	return trimNL(vectorFile(t, "generated/"+name+".payload.xml"))
}

// trimNL removes the final newline of a vector file.
func trimNL(b []byte) []byte { return bytes.TrimSuffix(b, []byte("\n")) }

// identity is a person of the vectors, or one a test made up, whose
// private key the test holds.
type identity struct {
	ID   string // diaspora ID
	GUID string
	Key  *rsa.PrivateKey
}

// vectorIdentity returns a vector identity with its fixed key (keys/<name>).
// Only alice@pod-a.org has a GUID in the vectors (22_hcard.html); the others
// get one made up here.
func vectorIdentity(t testing.TB, diasporaID string) identity {
	t.Helper()
	names := map[string][2]string{
		"alice@pod-a.org": {"alice_pod_a", "a1b2c3d4e5f60718293a4b5c6d7e8f90"},
		"bob@pod-b.org":   {"bob_pod_b", "b0b0b0b0b1b2b3b4b5b6b7b8b9babbbc"},
		"alice@pod-c.org": {"alice_pod_c", "c0c0c0c0c1c2c3c4c5c6c7c8c9cacbcc"},
	}
	n, ok := names[diasporaID]
	if !ok {
		t.Fatalf("no vector identity %s", diasporaID)
	}
	key, err := federation.ParsePrivateKey(vectorFile(t, "keys/"+n[0]+".key.pem"))
	if err != nil {
		t.Fatalf("key of %s: %v", diasporaID, err)
	}
	return identity{ID: diasporaID, GUID: n[1], Key: key}
}

// newIdentity makes up a person on host with a fresh 2048-bit key.
func newIdentity(t testing.TB, username, host string) identity {
	t.Helper()
	key, err := federation.GenerateKey(2048)
	if err != nil {
		t.Fatal(err)
	}
	return identity{ID: username + "@" + host, GUID: pod.NewGUID(), Key: key}
}

func publicPEM(t testing.TB, key *rsa.PrivateKey) string {
	t.Helper()
	b, err := federation.MarshalPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// seedRemote stores a remote person (and their pod, at podURL) as discovery
// would, so that receiving from them needs no discovery.
func seedRemote(t testing.TB, p *podtest.FedPod, who identity, podURL string) *models.Person {
	t.Helper()
	ctx := context.Background()
	_, host, _ := strings.Cut(who.ID, "@")
	now := time.Now().UTC()
	person := &models.Person{GUID: who.GUID, DiasporaID: who.ID, SerializedPublicKey: publicPEM(t, who.Key), PodHost: host, FetchedAt: &now}
	err := p.Store.Tx(ctx, func(tx *models.Store) error {
		if _, err := tx.EnsurePod(ctx, host, podURL); err != nil {
			return err
		}
		if err := tx.CreatePerson(ctx, person); err != nil {
			return err
		}
		return tx.CreateProfile(ctx, &models.Profile{PersonID: person.ID, Searchable: true})
	})
	if err != nil {
		t.Fatalf("seed %s: %v", who.ID, err)
	}
	return person
}

// localUserAs signs a user up on p and gives their person the identity's
// GUID, diaspora ID and key (the private key sealed with the pod secret,
// as sign-up stores it), then signs them in. A vector recipient or root
// author becomes a local user of the pod under test this way.
func localUserAs(t *testing.T, p *podtest.FedPod, username string, who identity) *user {
	t.Helper()
	ctx := context.Background()
	u, err := p.App.Accounts.SignUp(ctx, accounts.SignUpInput{Username: username, Email: username + "@example.org", Password: "password1", PasswordConfirmation: "password1"})
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := models.NewKeySealer(podtest.Secret)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := sealer.Seal(who.Key)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Store.Exec(ctx, "UPDATE users SET serialized_private_key = ? WHERE id = ?", sealed, u.ID); err != nil {
		t.Fatal(err)
	}
	if err := p.Store.Exec(ctx, "UPDATE people SET guid = ?, diaspora_id = ?, serialized_public_key = ? WHERE owner_id = ?",
		who.GUID, who.ID, publicPEM(t, who.Key), u.ID); err != nil {
		t.Fatal(err)
	}
	return signIn(t, p, username)
}

// signIn starts a session of an existing user.
func signIn(t *testing.T, p *podtest.FedPod, username string) *user {
	t.Helper()
	ctx := context.Background()
	s, _, err := p.App.Accounts.SignIn(ctx, accounts.SignInInput{Login: username, Password: "password1", ClientIP: "10.1.2.4"})
	if err != nil {
		t.Fatal(err)
	}
	as, err := p.App.Contacts.Aspects(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	u := &user{name: username, s: s, aspects: map[string]int64{}, p: p}
	for _, x := range as {
		u.aspects[x.Name] = x.ID
	}
	return u
}

// signed wraps an entity payload in a magic envelope signed by who.
func signed(t testing.TB, payload []byte, who identity) []byte {
	t.Helper()
	env, err := envelope.Sign(payload, who.ID, who.Key)
	if err != nil {
		t.Fatal(err)
	}
	return env.Marshal()
}

// sealedFor encrypts an envelope document for a recipient (private route).
func sealedFor(t testing.TB, doc []byte, recipient identity) []byte {
	t.Helper()
	body, err := envelope.Seal(doc, &recipient.Key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// postReceive POSTs a body to a receive path of p and returns the status.
func postReceive(t testing.TB, p *podtest.FedPod, path string, body []byte) int {
	t.Helper()
	ct := envelope.ContentType
	if strings.HasPrefix(path, "/receive/users/") {
		ct = envelope.PrivateContentType
	}
	return postReader(t, p, path, ct, bytes.NewReader(body))
}

func postReader(t testing.TB, p *podtest.FedPod, path, contentType string, body io.Reader) int {
	t.Helper()
	resp, err := http.Post("http://"+p.Addr+path, contentType, body)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// deliver POSTs a body, expects 202 and waits until the pod's queues are
// empty (the receive job and whatever it queued have run).
func deliver(t *testing.T, p *podtest.FedPod, path string, body []byte) {
	t.Helper()
	if code := postReceive(t, p, path, body); code != http.StatusAccepted {
		t.Fatalf("POST %s answered %d, want 202", path, code)
	}
	settled(t, p)
}

func privatePath(guid string) string { return "/receive/users/" + guid }

const publicPath = "/receive/public"

// tableCounts counts the rows of every table of the pod's database but
// the outbox, which holds queued tasks (as the Redis job queue does, which
// is not counted either): refusing a comment by someone the post's author
// ignores queues a retraction back to their pod.
func tableCounts(t testing.TB, p *podtest.FedPod) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	var list string
	if err := p.Store.Scalar(ctx, &list, `SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables
		WHERE schemaname = 'public' AND tablename NOT IN ('goose_db_version', 'outbox')`); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, name := range strings.Split(list, ",") {
		n, err := p.Store.Count(ctx, `SELECT count(*) FROM "`+name+`"`)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = n
	}
	return out
}

// countsDiff describes how two tableCounts differ ("" if they do not).
func countsDiff(before, after map[string]int64) string {
	var diffs []string
	for name, n := range after {
		if before[name] != n {
			diffs = append(diffs, fmt.Sprintf("%s %d→%d", name, before[name], n))
		}
	}
	sort.Strings(diffs)
	return strings.Join(diffs, ", ")
}

// dropLines returns the "federation: delivery dropped" lines logged since
// offset (a length of the log).
func dropLines(p *podtest.FedPod, offset int) []string {
	return logLines(p, offset, `msg="federation: delivery dropped"`)
}

// logLines returns the log lines since offset that contain s.
func logLines(p *podtest.FedPod, offset int, s string) []string {
	var out []string
	for _, l := range strings.Split(p.Log.String()[offset:], "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
}

// noPanic fails the test if the pod's log mentions a panic.
func noPanic(t testing.TB, p *podtest.FedPod) {
	t.Helper()
	if l := logLines(p, 0, "panic"); len(l) > 0 {
		t.Errorf("%s logged a panic: %s", p.Name, strings.Join(l, "\n"))
	}
}
