package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/web"
)

// jobCounts is what a queued import leaves: job rows, archives:import
// tasks in the outbox and kept uploads.
func jobCounts(t *testing.T, p *podtest.Pod) string {
	t.Helper()
	ctx := context.Background()
	jobs, err := p.Store.Count(ctx, `SELECT count(*) FROM archive_import_jobs`)
	if err != nil {
		t.Fatal(err)
	}
	queued, err := p.Store.Count(ctx, `SELECT count(*) FROM outbox WHERE task_type = 'archives:import'`)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d,%d,%d", jobs, queued, len(uploads(t, p)))
}

// uploads lists the kept archive uploads in the pod's media folder.
func uploads(t *testing.T, p *podtest.Pod) []string {
	t.Helper()
	var files []string
	root := filepath.Join(p.Media.Dir(), "imports")
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	return files
}

// insecure lets the pod discover people on loopback servers over HTTP.
func insecure() podtest.Option {
	return func(o *pod.Options, _ *web.Options) { o.FederationInsecure = true }
}

// TestImportRunsInBackground: the upload is checked and answered at once
// (a redirect to the import's page, a job queued, the upload kept); while
// the job looks for the archive's contacts (on a pod that answers slowly)
// the page shows its progress and reloads itself; then it shows the
// result, with the people left out, and the upload is deleted. Scripts
// read the same as JSON.
func TestImportRunsInBackground(t *testing.T) {
	ctx := context.Background()
	p := podtest.New(t, insecure())
	u, c := signedIn(t, p, "mover")

	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(slow.Close)
	var releaseOnce bool
	t.Cleanup(func() {
		if !releaseOnce {
			close(release)
		}
	})
	host := slow.Listener.Addr().(*net.TCPAddr).String()
	var contacts []map[string]any
	for i := range 3 {
		contacts = append(contacts, map[string]any{"sharing": true, "following": true, "receiving": true, "followed": true,
			"account_id": fmt.Sprintf("friend%d@%s", i, host), "contact_groups_membership": []string{"Familie"}, "person_guid": ""})
	}
	archive := diasporaArchive(t, testKey(t), "olduser@old.invalid", func(m map[string]any) {
		m["user"].(map[string]any)["contacts"] = contacts
	})

	start := time.Now()
	r := upload(t, c, archive)
	if r.StatusCode != http.StatusSeeOther || r.Location() != "/user/import" {
		t.Fatalf("upload: %d %s\n%s", r.StatusCode, r.Location(), r.Body)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the upload took %v: the import ran in the request", took)
	}
	if got := jobCounts(t, p); got != "1,1,1" {
		t.Errorf("after the upload (jobs, tasks, files) = %s, want 1,1,1", got)
	}
	r = c.Get("/user/import")
	if !strings.Contains(r.Body, `data-state="queued"`) || r.Header.Get("Refresh") == "" {
		t.Errorf("queued import page: refresh %q\n%s", r.Header.Get("Refresh"), r.Body)
	}
	if got := counts(t, p, u.Session.UserID, u.Session.PersonID); got != "0,4,0,0,0,0" {
		t.Errorf("something was imported before the job ran: %s", got)
	}
	if r := c.Get("/user/export"); !strings.Contains(r.Body, `id="import-summary" data-state="queued"`) {
		t.Errorf("the export page does not link to the import under way")
	}
	// A second upload while this one is under way is refused.
	if r := upload(t, c, diasporaArchive(t, testKey(t), "other@old.invalid", nil)); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, "still under way") {
		t.Errorf("a second upload during the import: %d", r.StatusCode)
	}

	j, err := p.Store.ImportJobOf(ctx, u.Session.UserID)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.App.Federate.RunImport(ctx, j.ID, false) }()
	podtest.Eventually(t, 20*time.Second, func() bool {
		r := c.Get("/user/import")
		return strings.Contains(r.Body, `data-state="running"`) && strings.Contains(r.Body, "People found: 0 of 3") &&
			strings.Contains(r.Body, "Posts imported: 0 of 3") && r.Header.Get("Refresh") != ""
	}, "the page to show the job's progress")
	jr := getJSON(c, "/user/import")
	var st struct {
		State       string `json:"state"`
		PeopleTotal int    `json:"people_total"`
		PostsTotal  int    `json:"posts_total"`
	}
	if err := json.Unmarshal([]byte(jr.Body), &st); err != nil || st.State != "running" || st.PeopleTotal != 3 || st.PostsTotal != 3 {
		t.Errorf("JSON status while running: %+v %v\n%s", st, err, jr.Body)
	}
	releaseOnce = true
	close(release)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("import job: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the import job did not finish")
	}

	r = c.Get("/user/import")
	if !strings.Contains(r.Body, `id="import-result" data-state="done"`) || r.Header.Get("Refresh") != "" {
		t.Fatalf("done import page: refresh %q\n%s", r.Header.Get("Refresh"), r.Body)
	}
	if !strings.Contains(r.Body, "2 posts, 0 contacts") || !strings.Contains(r.Body, "Not found, so left out: friend0@"+host) {
		t.Errorf("the page does not show the result and the people left out:\n%s", r.Body)
	}
	if got := counts(t, p, u.Session.UserID, u.Session.PersonID); got != "2,6,2,1,0,1" {
		t.Errorf("after the import = %s, want 2,6,2,1,0,1", got)
	}
	if files := uploads(t, p); len(files) != 0 {
		t.Errorf("the upload is kept after the import: %v", files)
	}
	jr = getJSON(c, "/user/import")
	var res struct {
		State  string `json:"state"`
		Result struct {
			Posts      int      `json:"posts"`
			Unresolved []string `json:"unresolved"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(jr.Body), &res); err != nil || res.State != "done" || res.Result.Posts != 2 || len(res.Result.Unresolved) != 3 {
		t.Errorf("JSON status when done: %+v %v", res, err)
	}
	// A retry of the job does not import again.
	if err := p.App.Federate.RunImport(ctx, j.ID, false); err != nil {
		t.Errorf("retry: %v", err)
	}
	if got := counts(t, p, u.Session.UserID, u.Session.PersonID); got != "2,6,2,1,0,1" {
		t.Errorf("after a retry = %s, want 2,6,2,1,0,1", got)
	}
}

// TestImportFailsInJob: an archive claiming a local identity with
// another key passes the request's checks; the job finds the key is not
// that identity's, imports nothing, deletes the upload and the page says
// why. Another user does not see the import.
func TestImportFailsInJob(t *testing.T) {
	ctx := context.Background()
	p := podtest.New(t)
	u, c := signedIn(t, p, "claimer")
	p.NewUser(t, "victim")
	r := upload(t, c, diasporaArchive(t, testKey(t), "victim@pod.test", nil))
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %d\n%s", r.StatusCode, r.Body)
	}
	runImport(t, p, u.Session.UserID)
	r = c.Get("/user/import")
	if !strings.Contains(r.Body, `id="import-result" data-state="failed"`) || r.Header.Get("Refresh") != "" ||
		!strings.Contains(r.Body, "The archive holds a private key that is not the key of victim@pod.test") {
		t.Errorf("failed import page: refresh %q\n%s", r.Header.Get("Refresh"), r.Body)
	}
	if got := counts(t, p, u.Session.UserID, u.Session.PersonID); got != "0,4,0,0,0,0" {
		t.Errorf("the failed import stored something: %s", got)
	}
	if files := uploads(t, p); len(files) != 0 {
		t.Errorf("the upload is kept after the failure: %v", files)
	}
	if n, _ := p.Store.Count(ctx, `SELECT count(*) FROM profiles pr JOIN people pe ON pe.id = pr.person_id
		JOIN users us ON us.id = pe.owner_id WHERE us.username = 'victim' AND pr.first_name = 'Olga'`); n != 0 {
		t.Errorf("the victim's profile changed")
	}
	_, other := signedIn(t, p, "bystander")
	if r := other.Get("/user/import"); strings.Contains(r.Body, "victim@pod.test") || !strings.Contains(r.Body, `data-state=""`) {
		t.Errorf("another user sees the import:\n%s", r.Body)
	}
	if r := p.Client().Get("/user/import"); r.StatusCode == http.StatusOK {
		t.Errorf("a visitor reads an import page")
	}
	// A new upload may follow a failed one.
	if r := upload(t, c, diasporaArchive(t, testKey(t), "olduser@old.invalid", nil)); r.StatusCode != http.StatusSeeOther {
		t.Errorf("upload after a failure: %d", r.StatusCode)
	}
}

// getJSON GETs path asking for JSON.
func getJSON(c *podtest.Client, path string) *podtest.Response {
	req, _ := http.NewRequest(http.MethodGet, c.Pod.Server.URL+path, nil)
	req.Header.Set("Accept", "application/json")
	return c.Do(req)
}

// TestImportUploadGone: a job whose kept upload is missing fails with a
// message asking for a new upload, and is not retried; a script's bad
// upload is a 422 in JSON, with nothing queued.
func TestImportUploadGone(t *testing.T) {
	ctx := context.Background()
	p := podtest.New(t)
	u, c := signedIn(t, p, "forgetful")
	if r := upload(t, c, diasporaArchive(t, testKey(t), "olduser@old.invalid", nil)); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %d", r.StatusCode)
	}
	j, err := p.Store.ImportJobOf(ctx, u.Session.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Media.Delete(ctx, j.FileKey); err != nil {
		t.Fatal(err)
	}
	if err := p.App.Federate.RunImport(ctx, j.ID, false); err != nil {
		t.Errorf("a missing upload is retried: %v", err)
	}
	r := c.Get("/user/import")
	if !strings.Contains(r.Body, `data-state="failed"`) || !strings.Contains(r.Body, "upload it again") {
		t.Errorf("import page:\n%s", r.Body)
	}
	if got := counts(t, p, u.Session.UserID, u.Session.PersonID); got != "0,4,0,0,0,0" {
		t.Errorf("something was imported: %s", got)
	}

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("archive", "archive.json")
	fw.Write([]byte(`{"version":"2.0"}`))
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, p.Server.URL+"/user/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-CSRF-Token", c.CSRF())
	req.Header.Set("Accept", "application/json")
	r = c.Do(req)
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `"archive":"has no user"`) {
		t.Errorf("a script's upload of a bad archive: %d %s", r.StatusCode, r.Body)
	}
	if n, _ := p.Store.Count(ctx, `SELECT count(*) FROM outbox WHERE task_type = 'archives:import'`); n != 1 {
		t.Errorf("%d import tasks queued, want the first one only", n)
	}
}
