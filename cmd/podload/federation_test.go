package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/models/modeltest"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/web"
)

// TestFederationScenarios runs the receive and fanout scenarios against a
// real pod (HTTP server and worker) that federates with podload's remote
// pods on loopback: every envelope received is stored as a post of the
// remote sender, every fan-out post reaches exactly the people of its
// aspect, once each (a remote contact of the sender outside the aspect gets
// nothing, or the scenario fails), and the reports carry the figures the
// goals are read from.
func TestFederationScenarios(t *testing.T) {
	p := podtest.NewFedPod(t, "fed", 3, podtest.FedOptions{})
	ctx := context.Background()
	b, out, alice := fedBencher(t, p, "fed", benchOptions{FedRecipients: 5, ReceiveMessages: 20})

	// carol is alice's contact on one of the recipients' pods, in another
	// aspect: the fan-out's limited posts are not for her.
	carolKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	host := "fanout-0." + remoteDomain
	if err := b.ensurePod(ctx, host, "http://127.0.0.1:1/"); err != nil {
		t.Fatal(err)
	}
	carol, err := b.createRemotePerson(ctx, "carol@"+host, host, &carolKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.shareWith(ctx, b.users[0], "Not the fan-out", []int64{carol.ID}); err != nil {
		t.Fatal(err)
	}

	if err := b.runFederation(ctx, []string{"receive", "fanout"}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	report := out.String()
	for _, want := range []string{"receive: 20 public envelopes", "% of the bound", "fanout: 1 limited posts", "pod CPU per post: mean"} {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %q:\n%s", want, report)
		}
	}

	// Received: the warm-up's 20 and the measured 20, all stored as the
	// sender's public posts, and in alice's stream (she shares with him).
	received, err := p.Store.Count(ctx, `SELECT count(*) FROM posts p JOIN people pe ON pe.id = p.author_id
		WHERE pe.diaspora_id LIKE 's2048-%@sender.podload.test' AND p.public`)
	if err != nil || received != 40 {
		t.Errorf("received posts stored: %d, %v; want 40", received, err)
	}
	inStream, err := p.Store.Count(ctx, `SELECT count(*) FROM stream_entries se JOIN posts p ON p.id = se.post_id
		JOIN people pe ON pe.id = p.author_id WHERE se.user_id = ? AND pe.diaspora_id LIKE 's2048-%%'`, alice.Session.UserID)
	if err != nil || inStream != 40 {
		t.Errorf("received posts in alice's stream: %d, %v; want 40", inStream, err)
	}

	// Fanned out: the warm-up post and the measured one, each recorded as
	// sent to the 5 recipients and to no one else.
	rows, err := b.db.Query(ctx, `SELECT pe.diaspora_id || ':' || count(*) FROM deliveries d
		JOIN people pe ON pe.guid = d.recipient_guid JOIN posts p ON p.id = d.post_id
		WHERE p.author_id = $1 AND d.state = 'sent' GROUP BY pe.diaspora_id ORDER BY 1`, alice.Session.PersonID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	want := "r2048-0000@fanout-0.podload.test:2 r2048-0001@fanout-1.podload.test:2 r2048-0002@fanout-2.podload.test:2 r2048-0003@fanout-3.podload.test:2 r2048-0004@fanout-4.podload.test:2"
	if strings.Join(got, " ") != want {
		t.Errorf("deliveries sent: %v\nwant %s", got, want)
	}

	// The scenarios leave no remote contact of theirs behind (later posts
	// would be delivered to pods that are gone); carol's stays.
	var left []string
	rows, err = b.db.Query(ctx, `SELECT pe.diaspora_id FROM contacts c JOIN people pe ON pe.id = c.person_id
		WHERE c.user_id = $1 AND pe.pod_host LIKE '%.podload.test' ORDER BY 1`, alice.Session.UserID)
	if err == nil {
		left, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil || strings.Join(left, " ") != "carol@"+host {
		t.Errorf("remote contacts left: %v, %v; want only carol", left, err)
	}
	var aspects int
	if err := b.db.QueryRow(ctx, `SELECT count(*) FROM aspects WHERE user_id = $1 AND (name LIKE 'fan-out %' OR name = $2)`,
		alice.Session.UserID, receiveAspect).Scan(&aspects); err != nil || aspects != 0 {
		t.Errorf("the scenarios' aspects left: %d, %v", aspects, err)
	}

	// A second run uses the recipients the first one made.
	var people int64
	if err := b.db.QueryRow(ctx, `SELECT count(*) FROM people WHERE diaspora_id LIKE 'r2048-%'`).Scan(&people); err != nil || people != 5 {
		t.Fatalf("recipients: %d, %v", people, err)
	}
	out.Reset()
	if err := b.runFederation(ctx, []string{"fanout"}); err != nil {
		t.Fatalf("second run: %v\n%s", err, out.String())
	}
	if strings.Contains(out.String(), "making") {
		t.Errorf("the second run made recipients again:\n%s", out.String())
	}
	if err := b.db.QueryRow(ctx, `SELECT count(*) FROM people WHERE diaspora_id LIKE 'r2048-%'`).Scan(&people); err != nil || people != 5 {
		t.Fatalf("recipients after the second run: %d, %v", people, err)
	}
}

// TestFanoutSaysWhenThePodCannotDeliver runs the fanout scenario against
// a pod that refuses plain HTTP and loopback addresses, as a production
// pod does: the scenario fails with the pod's reason and the setting to
// change, instead of waiting for deliveries that cannot come.
func TestFanoutSaysWhenThePodCannotDeliver(t *testing.T) {
	secure := func(o *pod.Options, _ *web.Options) { o.FederationInsecure = false }
	p := podtest.NewFedPod(t, "fedsecure", 4, podtest.FedOptions{}, secure)
	ctx := context.Background()
	b, out, _ := fedBencher(t, p, "fedsecure", benchOptions{FedRecipients: 2, ReceiveMessages: 1})
	err := b.runFederation(ctx, []string{"fanout"})
	if err == nil || !strings.Contains(err.Error(), "could not deliver") || !strings.Contains(err.Error(), "POD_FEDERATION_INSECURE=true") {
		t.Fatalf("fanout against a pod that refuses loopback: %v\n%s", err, out.String())
	}
	t.Log(err)
}

// fedBencher is a bencher for the federation scenarios against the pod p
// (whose database is the package's database named name), signed in as a
// new user alice, with RSA-2048 remote people, 2 clients and 1 fan-out
// post besides o's recipients and messages; out collects its report.
func fedBencher(t *testing.T, p *podtest.FedPod, name string, o benchOptions) (*bencher, *bytes.Buffer, *podtest.User) {
	t.Helper()
	ctx := context.Background()
	alice := p.NewUser(t, "alice")
	dsn := modeltest.DSN(modeltest.PackageDBName(name))
	o.URL, o.Password, o.PID, o.Clients, o.FedBits, o.FanoutPosts = "http://"+p.Addr, "password1", os.Getpid(), 2, 2048, 1
	out := &bytes.Buffer{}
	b := &bencher{o: o, out: out,
		client: &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	var err error
	if b.db, err = pgx.Connect(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.db.Close(context.Background()) })
	if b.st, err = models.Open(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.st.Close() })
	b.users = []*benchUser{{ID: alice.Session.UserID, PersonID: alice.Session.PersonID, Username: "alice"}}
	if err := b.signIn(ctx); err != nil {
		t.Fatal(err)
	}
	return b, out, alice
}

// TestFederationScenariosNeedThePodsPID: their figures are the pod's CPU,
// so asking for them without --pid is a usage error, said before anything
// runs.
func TestFederationScenariosNeedThePodsPID(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"bench", "--scenarios", "main,fanout"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "give --pid") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}
