package federate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/media"
	"github.com/aspenpod/aspen/pod/tasks"
)

// Archive imports run in the background (issue 14; the house rule for
// long operations): QueueImport checks the upload in the request, keeps
// it in the media store and queues the archives:import job with its
// archive_import_jobs row in one transaction; RunImport (the job)
// discovers the archive's people and imports it, recording its progress
// and its result or the reason it failed, and deletes the upload.

// importStaleAfter is how long a queued or running import may go without
// progress before a new upload may replace it (its worker died and its
// retries are over, or no worker runs; a running job records progress
// every second and its task times out after 30 minutes).
const importStaleAfter = time.Hour

// importProgressEvery bounds how often an import's progress is written.
const importProgressEvery = time.Second

// ImportStatus is what the import page shows, and what scripts read as
// JSON.
type ImportStatus struct {
	// State is "" (no import yet), queued, running, done or failed.
	State string `json:"state"`
	// OldID is the identity the archive claims.
	OldID string `json:"old_id,omitempty"`
	// People discovered of those the archive names, and posts imported of
	// the archive's posts.
	PeopleDone  int `json:"people_done"`
	PeopleTotal int `json:"people_total"`
	PostsDone   int `json:"posts_done"`
	PostsTotal  int `json:"posts_total"`
	Percent     int `json:"percent"`
	// Error says why a failed import failed.
	Error string `json:"error,omitempty"`
	// Result is what a done import did.
	Result      *ImportResult `json:"result,omitempty"`
	RequestedAt time.Time     `json:"requested_at,omitzero"`
	FinishedAt  *time.Time    `json:"finished_at,omitempty"`
}

// Working reports whether the import is queued or running.
func (s *ImportStatus) Working() bool {
	return s.State == models.ImportQueued || s.State == models.ImportRunning
}

// Done reports whether the import finished.
func (s *ImportStatus) Done() bool { return s.State == models.ImportDone }

// Failed reports whether the import failed.
func (s *ImportStatus) Failed() bool { return s.State == models.ImportFailed }

// ImportStatus returns the state of the signed-in user's import.
func (a *Service) ImportStatus(ctx context.Context, s *pod.Session) (*ImportStatus, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	j, err := a.store.ImportJobOf(ctx, s.UserID)
	if errors.Is(err, models.ErrNotFound) {
		return &ImportStatus{}, nil
	} else if err != nil {
		return nil, err
	}
	st := &ImportStatus{State: j.State, OldID: j.OldDiasporaID, PeopleDone: j.PeopleDone, PeopleTotal: j.PeopleTotal,
		PostsDone: j.PostsDone, PostsTotal: j.PostsTotal, Error: j.Error, RequestedAt: j.CreatedAt, FinishedAt: j.FinishedAt}
	if total := j.PeopleTotal + j.PostsTotal; total > 0 {
		st.Percent = min(100, (j.PeopleDone+j.PostsDone)*100/total)
	}
	if j.State == models.ImportDone {
		st.Percent = 100
		var res ImportResult
		if err := json.Unmarshal([]byte(j.Result), &res); err != nil {
			return nil, fmt.Errorf("import %d: result: %w", j.ID, err)
		}
		st.Result = &res
	}
	return st, nil
}

// QueueImport checks an uploaded archive (what can be checked without
// asking other pods: sizes, gzip, JSON, the format's schema and depth,
// the entities, the key; that it is not the account's own archive nor one
// imported here already), keeps it in the media store and queues its
// import. Bad input is an InvalidError and nothing is stored or queued;
// so is an upload while another import of the user is under way.
func (a *Service) QueueImport(ctx context.Context, s *pod.Session, upload io.ReadSeeker) error {
	if err := pod.RequireUser(s); err != nil {
		return err
	}
	select {
	case checking <- struct{}{}:
		defer func() { <-checking }()
	case <-ctx.Done():
		return ctx.Err()
	}
	size, err := upload.Seek(0, io.SeekEnd)
	if err != nil {
		return fmt.Errorf("import: size of the upload: %w", err)
	}
	if size > MaxArchiveUpload {
		return badArchive("is larger than %d MB", MaxArchiveUpload>>20)
	}
	if _, err := upload.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("import: rewind the upload: %w", err)
	}
	ar, err := ReadArchive(upload)
	if err != nil {
		return err
	}
	if _, err := a.checkImportable(ctx, s.UserID, ar); err != nil {
		return err
	}
	if cur, err := a.store.ImportJobOf(ctx, s.UserID); err == nil && importBusy(cur) {
		return badArchive("cannot be imported now: your import of %s is still under way", cur.OldDiasporaID)
	} else if err != nil && !errors.Is(err, models.ErrNotFound) {
		return err
	}
	if _, err := upload.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("import: rewind the upload: %w", err)
	}
	key := fmt.Sprintf("imports/%d/%s/archive.upload", s.UserID, media.NewID())
	if _, err := media.PutStream(ctx, a.core.Media(), key, io.LimitReader(upload, MaxArchiveUpload), "application/octet-stream"); err != nil {
		return fmt.Errorf("import: keep the upload: %w", err)
	}
	var previous string
	err = a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		cur, err := tx.LockImportJobOf(ctx, s.UserID)
		if err == nil && importBusy(cur) {
			return badArchive("cannot be imported now: your import of %s is still under way", cur.OldDiasporaID)
		} else if err == nil {
			previous = cur.FileKey
		} else if !errors.Is(err, models.ErrNotFound) {
			return err
		}
		j, err := tx.QueueImportJob(ctx, s.UserID, ar.OldID, key)
		if errors.Is(err, models.ErrConflict) {
			// Another upload of the user's was queued meanwhile.
			return badArchive("cannot be imported now: another import of yours is under way")
		} else if err != nil {
			return err
		}
		out.AddTask(tasks.NewArchiveImport(j.ID))
		return nil
	})
	if err != nil {
		a.deleteUpload(ctx, key)
		return err
	}
	if previous != "" {
		a.deleteUpload(ctx, previous)
	}
	return nil
}

// importBusy reports whether a job is under way (queued or running, and
// not stale).
func importBusy(j *models.ArchiveImportJob) bool {
	return (j.State == models.ImportQueued || j.State == models.ImportRunning) && time.Since(j.UpdatedAt) < importStaleAfter
}

// RunImport imports an uploaded archive (the archives:import job). An
// import that is gone, done or failed already is over: a retry never
// imports twice (the job is marked done in the import's transaction, and
// an identity is imported once). What is wrong with the archive (its key
// is not the key of the identity it claims, ...) fails the job with a
// message for the user and is not retried; other errors are returned for
// a retry, and on the last attempt (last) fail the job too. A finished or
// failed import's upload is deleted.
func (a *Service) RunImport(ctx context.Context, jobID int64, last bool) error {
	j, err := a.store.ImportJobByID(ctx, jobID)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if j.State == models.ImportDone || j.State == models.ImportFailed {
		return nil
	}
	select {
	case importing <- struct{}{}:
		defer func() { <-importing }()
	case <-ctx.Done():
		return ctx.Err()
	}
	prog := &importProgress{a: a, ctx: ctx, id: j.ID}
	if err := a.store.SetImportProgress(ctx, j.ID, models.ImportRunning, 0, 0, 0, 0); err != nil {
		return err
	}
	err = a.runImport(ctx, j, prog)
	var inv *pod.InvalidError
	switch {
	case err == nil:
		a.deleteUpload(ctx, j.FileKey)
		return nil
	case errors.As(err, &inv):
		return a.importFailed(ctx, j, "The archive "+invalidText(inv), nil)
	case errors.Is(err, media.ErrNotFound):
		return a.importFailed(ctx, j, "The uploaded archive is gone; please upload it again.", nil)
	case last:
		return a.importFailed(ctx, j, "The import could not be completed because of a problem on this pod; please try again later.", err)
	}
	return fmt.Errorf("import %d: %w", j.ID, err)
}

// runImport reads the kept upload and imports it, marking the job done in
// the import's transaction.
func (a *Service) runImport(ctx context.Context, j *models.ArchiveImportJob, prog *importProgress) error {
	rc, _, err := a.core.Media().Open(ctx, j.FileKey)
	if err != nil {
		return err
	}
	ar, err := ReadArchive(rc)
	rc.Close()
	if err != nil {
		return err
	}
	prog.postsTotal = len(ar.Posts)
	_, err = a.importArchive(ctx, j.UserID, ar, prog, func(tx *models.Store, res *ImportResult) error {
		b, err := json.Marshal(res)
		if err != nil {
			return err
		}
		return tx.FinishImportJob(ctx, j.ID, string(b), len(ar.Posts))
	})
	return err
}

// importFailed records a failed import (the user reads msg), deletes its
// upload and returns err (nil: no retry).
func (a *Service) importFailed(ctx context.Context, j *models.ArchiveImportJob, msg string, err error) error {
	a.log.Warn("archive import failed", "job", j.ID, "user", j.UserID, "old", j.OldDiasporaID, "reason", msg, "err", err)
	if ferr := a.store.FailImportJob(ctx, j.ID, msg); ferr != nil {
		return errors.Join(err, ferr)
	}
	a.deleteUpload(ctx, j.FileKey)
	if err != nil {
		return fmt.Errorf("import %d: %w", j.ID, err)
	}
	return nil
}

// invalidText is an InvalidError's message about the archive.
func invalidText(inv *pod.InvalidError) string {
	if m := inv.Fields["archive"]; m != "" {
		return m + "."
	}
	return "is not valid: " + inv.Error() + "."
}

func (a *Service) deleteUpload(ctx context.Context, key string) {
	if key == "" {
		return
	}
	if err := a.core.Media().Delete(context.WithoutCancel(ctx), key); err != nil {
		a.log.Warn("archive import: upload not deleted", "key", key, "err", err)
	}
}

// importProgress writes an import's progress to its job row, at most once
// per importProgressEvery (and not at all for a nil receiver).
type importProgress struct {
	a   *Service
	ctx context.Context
	id  int64

	mu                                             sync.Mutex
	last                                           time.Time
	peopleDone, peopleTotal, postsDone, postsTotal int
}

// people records people discovered of total.
func (p *importProgress) people(done, total int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.peopleDone, p.peopleTotal = max(p.peopleDone, done), total
	p.flush()
}

// posts records posts imported of total.
func (p *importProgress) posts(done, total int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.postsDone, p.postsTotal = done, total
	p.flush()
}

// flush writes the counters if the last write is old enough (p.mu held).
func (p *importProgress) flush() {
	if time.Since(p.last) < importProgressEvery {
		return
	}
	p.last = time.Now()
	if err := p.a.store.SetImportProgress(p.ctx, p.id, models.ImportRunning, p.peopleDone, p.peopleTotal, p.postsDone, p.postsTotal); err != nil {
		p.a.log.Warn("archive import: progress not recorded", "job", p.id, "err", err)
	}
}
