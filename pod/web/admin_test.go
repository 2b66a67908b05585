package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/federate"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/web"
)

// jobsRedisDB is the Redis database the job dashboard tests inspect (this
// package's federation tests use 6 and 7; nothing else does).
const jobsRedisDB = 6

// withJobsDashboard mounts the real asynq dashboard over Redis database
// jobsRedisDB and returns its connection settings.
func withJobsDashboard(t *testing.T) (podtest.Option, asynq.RedisClientOpt) {
	t.Helper()
	ropt, err := redis.ParseURL(podtest.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	conn := asynq.RedisClientOpt{Addr: ropt.Addr, Password: ropt.Password, DB: jobsRedisDB}
	d := web.NewJobsDashboard(conn)
	t.Cleanup(func() { d.Close() })
	return func(_ *pod.Options, w *web.Options) { w.Jobs = d }, conn
}

// adminClient creates an admin account and signs a browser in with it.
func adminClient(t *testing.T, p *podtest.Pod, name string) *podtest.Client {
	t.Helper()
	if _, err := p.App.Accounts.SignUp(context.Background(), signUpByOperator(name)); err != nil {
		t.Fatal(err)
	}
	c := p.Client()
	mustStatus(t, c.SignIn(name, "password1", false), http.StatusFound)
	return c
}

func TestAdminPagesAreForAdminsOnly(t *testing.T) {
	jobs, conn := withJobsDashboard(t)
	p := podtest.New(t, jobs)
	admin := adminClient(t, p, "olga")
	user := p.Client()
	user.SignUp("alice")
	anon := p.Client()

	paths := []string{"/admin/pods", "/admin/pods.json", "/admin/jobs", "/admin/jobs/", "/admin/jobs/queues/default", "/admin/jobs/api/queues"}
	for name, c := range map[string]*podtest.Client{"user": user, "signed out": anon} {
		c.Get("/public") // shows (and so ends) any flash message
		unknown := c.Get("/admin/nothing-here")
		unknownJSON := c.Get("/admin/nothing-here.json")
		for _, path := range paths {
			r := c.Get(path)
			want := unknown
			if strings.HasSuffix(path, ".json") {
				want = unknownJSON
			}
			if r.StatusCode != http.StatusNotFound || r.Body != want.Body || r.Header.Get("Content-Type") != want.Header.Get("Content-Type") {
				t.Errorf("%s GET %s: %d %q, want the 404 of an unknown page", name, path, r.StatusCode, trim(r.Body))
			}
		}
		if body := c.Get("/public").Body; strings.Contains(body, `href="/admin/pods"`) || strings.Contains(body, `href="/admin"`) {
			t.Errorf("%s sees the admin link", name)
		}
	}

	for _, path := range []string{"/admin/pods", "/admin/pods.json", "/admin/jobs", "/admin/jobs/", "/admin/jobs/queues/default"} {
		mustStatus(t, admin.Get(path), http.StatusOK)
	}
	if !strings.Contains(admin.Get("/public").Body, `href="/admin"`) || !strings.Contains(admin.Get("/admin").Body, `href="/admin/pods"`) {
		t.Error("no admin link in the header for an admin")
	}
	if !strings.Contains(admin.Get("/admin/pods").Body, `href="/admin/jobs"`) {
		t.Error("the pods page does not link to the job dashboard")
	}

	// The dashboard is asynqmon with a policy that allows exactly its own
	// inline scripts; every other page keeps the strict policy.
	dash := admin.Get("/admin/jobs")
	csp := dash.Header.Get("Content-Security-Policy")
	if !strings.Contains(dash.Body, "Asynq") || !strings.Contains(csp, "script-src 'self' 'sha256-") || strings.Contains(csp, "unsafe-eval") ||
		strings.Contains(strings.SplitN(strings.SplitN(csp, "script-src", 2)[1], ";", 2)[0], "unsafe-inline") {
		t.Errorf("dashboard page: CSP %q\n%s", csp, trim(dash.Body))
	}
	if csp := admin.Get("/admin/pods").Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self' 'nonce-") {
		t.Errorf("pods page CSP %q", csp)
	}

	// Its API reads the real queues.
	client := asynq.NewClient(conn)
	t.Cleanup(func() { client.Close() })
	ins := asynq.NewInspector(conn)
	t.Cleanup(func() { ins.Close() }) // after clean below: cleanups run last first
	const queue = "webtest"
	clean := func() {
		ins.UnpauseQueue(queue)
		ins.DeleteQueue(queue, true)
	}
	clean()
	t.Cleanup(clean)
	if _, err := client.Enqueue(asynq.NewTask("web:test", nil), asynq.Queue(queue), asynq.ProcessIn(time.Hour)); err != nil {
		t.Fatal(err)
	}
	r := mustStatus(t, admin.Get("/admin/jobs/api/queues"), http.StatusOK)
	if !strings.Contains(r.Body, `"`+queue+`"`) {
		t.Errorf("dashboard API does not list queue %s: %s", queue, trim(r.Body))
	}

	// Its writes carry no CSRF token: a cross-site one is refused, a
	// same-origin one goes through.
	pause := func(headers map[string]string) *podtest.Response {
		req, _ := http.NewRequest(http.MethodPost, p.Server.URL+"/admin/jobs/api/queues/"+queue+":pause", nil)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		return admin.Do(req)
	}
	paused := func() bool {
		info, err := ins.GetQueueInfo(queue)
		if err != nil {
			t.Fatal(err)
		}
		return info.Paused
	}
	if r := pause(map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}); r.StatusCode < 400 || paused() {
		t.Errorf("cross-site pause: %d, paused %v", r.StatusCode, paused())
	}
	if r := pause(map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": p.Server.URL}); r.StatusCode >= 300 || !paused() {
		t.Errorf("same-origin pause: %d %s, paused %v", r.StatusCode, trim(r.Body), paused())
	}
	// A normal user's write there is refused like any other tokenless one.
	req, _ := http.NewRequest(http.MethodPost, p.Server.URL+"/admin/jobs/api/queues/"+queue+":resume", nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if r := user.Do(req); r.StatusCode < 400 || !paused() {
		t.Errorf("a normal user resumed the queue: %d", r.StatusCode)
	}
}

func TestAdminPodsPageListsPods(t *testing.T) {
	p := podtest.New(t)
	admin := adminClient(t, p, "olga")
	seedPods(t, p.Store)

	page := mustStatus(t, admin.Get("/admin/pods"), http.StatusOK).Body
	for _, want := range []string{`href="https://up.example/"`, ">up.example<", "diaspora 0.9.0", "2 queued · 0 given up · 3 sent",
		">down.example<", "dial tcp: connection refused", "0 queued · 1 given up · 0 sent", "given up", "Offline since", "14 days"} {
		if !strings.Contains(page, want) {
			t.Errorf("pods page lacks %q", want)
		}
	}
	if strings.Index(page, ">down.example<") > strings.Index(page, ">up.example<") {
		t.Error("the pod in trouble is not listed first")
	}
	if !strings.Contains(page, "Outbox: empty") {
		t.Error("pods page does not say the outbox is empty")
	}
	// A federation task that could not be queued yet (Redis away).
	if _, err := p.Store.AddOutbox(context.Background(), []models.OutboxRow{{TaskType: "federation:post-published", TaskID: "dispatch:x", Payload: []byte(`{"key":"x","post_id":1}`)}}); err != nil {
		t.Fatal(err)
	}
	if page := admin.Get("/admin/pods").Body; !strings.Contains(page, "Outbox: 1 federation task waiting to be queued") {
		t.Error("pods page does not show the outbox backlog")
	}
	// One that can never be queued is set aside, and shown as such.
	if err := p.Store.MarkOutboxSetAside(context.Background(), firstOutboxID(t, p), "unknown task type"); err != nil {
		t.Fatal(err)
	}
	if page := admin.Get("/admin/pods").Body; !strings.Contains(page, "Outbox: empty") || !strings.Contains(page, "1 federation task could not be queued at all") {
		t.Errorf("the admin's pods page does not show the set-aside task")
	}

	var pods []federate.PodView
	r := mustStatus(t, admin.Get("/admin/pods.json"), http.StatusOK)
	if err := json.Unmarshal([]byte(r.Body), &pods); err != nil || len(pods) != 2 {
		t.Fatalf("pods JSON: %v %s", err, r.Body)
	}
	got := map[string]federate.PodView{pods[0].Host: pods[0], pods[1].Host: pods[1]}
	if u := got["up.example"]; u.State != federate.PodUp || u.People != 2 || u.Queued != 2 || u.Sent != 3 || u.Failed != 0 || u.Software != "diaspora" {
		t.Errorf("up.example: %+v", u)
	}
	if d := got["down.example"]; d.State != federate.PodGivenUp || d.OfflineSince == nil || d.Failed != 1 || !strings.HasPrefix(d.LastError, "dial tcp: connection refused") {
		t.Errorf("down.example: %+v", d)
	}
}

// seedPods stores two remote pods: up.example, up, with two known people,
// two pending and three sent deliveries; down.example, failing for 20 days
// (so given up) with one given-up delivery.
func seedPods(t *testing.T, st *models.Store) {
	t.Helper()
	ctx := context.Background()

	up, err := st.EnsurePod(ctx, "up.example", "https://up.example/")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetPodSoftware(ctx, up.ID, "diaspora", "0.9.0", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := st.PodSucceeded(ctx, up.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	down, err := st.EnsurePod(ctx, "down.example", "https://down.example/")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PodFailed(ctx, down.ID, time.Now().Add(-20*24*time.Hour),
		"dial tcp: connection refused (a long error without spaces: https://down.example/receive/public/abcdefghijklmnopqrstuvwxyz0123456789)"); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"carol", "dan"} {
		if err := st.CreatePerson(ctx, &models.Person{GUID: "0000000000000000000000000000000" + itoa(int64(i)), DiasporaID: name + "@up.example",
			SerializedPublicKey: "key", PodHost: "up.example"}); err != nil {
			t.Fatal(err)
		}
	}
	var ds []models.Delivery
	for i, state := range []string{models.DeliverySent, models.DeliverySent, models.DeliverySent, models.DeliveryQueued, models.DeliveryRetrying} {
		ds = append(ds, models.Delivery{TaskID: "up-" + itoa(int64(i)), PodID: up.ID, EntityType: "Post", State: state})
	}
	ds = append(ds, models.Delivery{TaskID: "down-1", PodID: down.ID, EntityType: "Post", State: models.DeliveryFailed})
	if err := st.RecordDeliveries(ctx, ds); err != nil {
		t.Fatal(err)
	}
}

// firstOutboxID is the ID of the outbox's oldest row.
func firstOutboxID(t *testing.T, p *podtest.Pod) int64 {
	t.Helper()
	var id int64
	if err := p.Store.Scalar(context.Background(), &id, `SELECT min(id) FROM outbox`); err != nil {
		t.Fatal(err)
	}
	return id
}
