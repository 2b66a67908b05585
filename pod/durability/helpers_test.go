package durability

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
	"github.com/aspenpod/aspen/pod/streams"
)

// remoteRedisDB is the Redis database (on POD_TEST_REDIS_URL) of the
// remote pods these tests run in-process: the one no other test package
// uses (pod/e2e uses 9–15, pod/web 6–7, the benchmarks 1–6, the rest 0).
const remoteRedisDB = 8

const wait = 30 * time.Second

// fast is the worker setup of the in-process pods: retries after 0.26 s,
// 0.6 s, …
var fast = podtest.FedOptions{RetryUnit: time.Millisecond}

type user struct {
	name    string
	s       *pod.Session
	aspects map[string]int64
	p       *podtest.FedPod
}

func newUser(t *testing.T, p *podtest.FedPod, name string) *user {
	t.Helper()
	u := p.NewUser(t, name)
	return &user{name: name, s: u.Session, aspects: u.Aspects, p: p}
}

func (u *user) id() string { return u.p.DiasporaID(u.name) }

// share finds other by diaspora ID (discovering them on their pod) and
// adds them to one of u's aspects.
func (u *user) share(t *testing.T, aspect string, other *user) {
	t.Helper()
	ctx := context.Background()
	res, err := u.p.App.Contacts.SearchPeople(ctx, u.s, other.id())
	if err != nil || len(res) != 1 {
		t.Fatalf("%s searching %s: %v %+v", u.name, other.id(), err, res)
	}
	if _, err := u.p.App.Contacts.AddToAspect(ctx, u.s, u.aspects[aspect], res[0].ID); err != nil {
		t.Fatalf("%s adding %s to %s: %v", u.name, other.name, aspect, err)
	}
}

// post publishes a limited post to one of u's aspects.
func (u *user) post(ctx context.Context, aspect, text string) (*pod.PostView, error) {
	return u.p.App.Posts.CreatePost(ctx, u.s, posts.PostInput{Text: text, Audience: aspectSel(u.aspects[aspect])})
}

// settled waits until every pod's job queues and outbox are empty
// (podtest.Settled).
func settled(t *testing.T, pods ...*podtest.FedPod) {
	t.Helper()
	podtest.Settled(t, wait, pods...)
}

// receivePosts counts the POSTs to /receive/ a pod's server got since
// request number from.
func receivePosts(p *podtest.FedPod, from int) int {
	n := 0
	for _, r := range p.Requests()[from:] {
		if r.Method == http.MethodPost && strings.HasPrefix(r.Path, "/receive/") {
			n++
		}
	}
	return n
}

func count(t *testing.T, p *podtest.FedPod, query string, args ...any) int64 {
	t.Helper()
	n, err := p.Store.Count(context.Background(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func backlog(t *testing.T, p *podtest.FedPod) int64 {
	t.Helper()
	b, err := p.App.Core.OutboxBacklog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return b.Unsent
}

func streamHas(t *testing.T, u *user, guid string) bool {
	t.Helper()
	page, err := u.p.App.Streams.Stream(context.Background(), u.s, streams.StreamQuery{Kind: streams.StreamMain})
	if err != nil {
		t.Fatal(err)
	}
	for _, pv := range page.Posts {
		if pv.GUID == guid {
			return true
		}
	}
	return false
}

func init() {
	podtest.DumpLogsOnFailure = true
	redis.SetLogger(quiet{}) // go-redis logs every failed dial while a server is down
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func aspectSel(id int64) aspects.Selection { return aspects.Selection{Aspects: []int64{id}} }

// sharingPods starts the pod under test, name+"1" (fo: its servers), with
// alice, and a remote pod, name+"2", with bob; alice puts bob in her
// Friends aspect (and bob her in his, if mutual), and the contacts have
// federated when it returns.
func sharingPods(t *testing.T, name string, fo podtest.FedOptions, mutual bool) (pod1, pod2 *podtest.FedPod, alice, bob *user) {
	t.Helper()
	pod1 = podtest.NewFedPod(t, name+"1", 0, fo)
	pod2 = podtest.NewFedPod(t, name+"2", remoteRedisDB, fast)
	alice, bob = newUser(t, pod1, "alice"), newUser(t, pod2, "bob")
	alice.share(t, "Friends", bob)
	if mutual {
		bob.share(t, "Friends", alice)
	}
	settled(t, pod1, pod2)
	return pod1, pod2, alice, bob
}
