package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Archive import jobs (migration 00016): an uploaded archive waiting for,
// or being imported by, the archives:import job, its progress and result.

// Import job states.
const (
	ImportQueued  = "queued"
	ImportRunning = "running"
	ImportDone    = "done"
	ImportFailed  = "failed"
)

// ArchiveImportJob is a user's archive import: the uploaded file's media
// key while it is kept, the progress, and the result (JSON, the federation
// layer's ImportResult) or the error the user reads.
type ArchiveImportJob struct {
	ID            int64
	UserID        int64
	State         string
	OldDiasporaID string
	FileKey       string
	PeopleDone    int
	PeopleTotal   int
	PostsDone     int
	PostsTotal    int
	Result        string
	Error         string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	FinishedAt    *time.Time
}

// TableName implements gorm's tabler.
func (ArchiveImportJob) TableName() string { return "archive_import_jobs" }

// ImportJobOf returns a user's import job (ErrNotFound when there is none).
func (s *Store) ImportJobOf(ctx context.Context, userID int64) (*ArchiveImportJob, error) {
	var j ArchiveImportJob
	err := s.conn(ctx).Where("user_id = ?", userID).Take(&j).Error
	return &j, translate(err, "import job")
}

// ImportJobByID returns an import job by ID.
func (s *Store) ImportJobByID(ctx context.Context, id int64) (*ArchiveImportJob, error) {
	var j ArchiveImportJob
	err := s.conn(ctx).Where("id = ?", id).Take(&j).Error
	return &j, translate(err, "import job")
}

// LockImportJobOf returns the user's import job locked for the caller's
// transaction (ErrNotFound when there is none).
func (s *Store) LockImportJobOf(ctx context.Context, userID int64) (*ArchiveImportJob, error) {
	var j ArchiveImportJob
	err := s.conn(ctx).Raw(`SELECT * FROM archive_import_jobs WHERE user_id = ? FOR UPDATE`, userID).Scan(&j).Error
	if err == nil && j.ID == 0 {
		err = gorm.ErrRecordNotFound
	}
	return &j, translate(err, "import job")
}

// QueueImportJob replaces the user's import job (call LockImportJobOf
// first) with a queued one for the uploaded file under fileKey.
func (s *Store) QueueImportJob(ctx context.Context, userID int64, oldID, fileKey string) (*ArchiveImportJob, error) {
	if err := s.conn(ctx).Exec(`DELETE FROM archive_import_jobs WHERE user_id = ?`, userID).Error; err != nil {
		return nil, translate(err, "queue import")
	}
	j := &ArchiveImportJob{UserID: userID, State: ImportQueued, OldDiasporaID: oldID, FileKey: fileKey, Result: "{}"}
	if err := s.conn(ctx).Omit("ID", "FinishedAt", "CreatedAt", "UpdatedAt").Create(j).Error; err != nil {
		return nil, translate(err, "queue import")
	}
	return j, nil
}

// SetImportProgress records how far an import got: people discovered
// (of peopleTotal) and posts imported (of postsTotal).
func (s *Store) SetImportProgress(ctx context.Context, id int64, state string, peopleDone, peopleTotal, postsDone, postsTotal int) error {
	return translate(s.conn(ctx).Exec(`UPDATE archive_import_jobs SET state = ?, people_done = ?, people_total = ?, posts_done = ?,
		posts_total = ?, updated_at = now() WHERE id = ? AND state IN ('queued', 'running')`,
		state, peopleDone, peopleTotal, postsDone, postsTotal, id).Error, "import progress")
}

// FinishImportJob marks an import done with its result (JSON); the file
// key is cleared, as the file is deleted.
func (s *Store) FinishImportJob(ctx context.Context, id int64, result string, postsDone int) error {
	return translate(s.conn(ctx).Exec(`UPDATE archive_import_jobs SET state = 'done', result = ?::jsonb, posts_done = ?, people_done = people_total, file_key = '',
		error = '', updated_at = now(), finished_at = now() WHERE id = ?`, result, postsDone, id).Error, "finish import")
}

// FailImportJob marks an import failed with the message the user reads;
// the file key is cleared, as the file is deleted.
func (s *Store) FailImportJob(ctx context.Context, id int64, msg string) error {
	return translate(s.conn(ctx).Exec(`UPDATE archive_import_jobs SET state = 'failed', error = ?, file_key = '', updated_at = now(),
		finished_at = now() WHERE id = ? AND state <> 'done'`, msg, id).Error, "fail import")
}
