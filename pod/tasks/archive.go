package tasks

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// Archive tasks (pod/archives, issue 14): building a user's data export,
// sweeping exports older than 14 days, and the account_migration event an
// archive import sends.
const (
	// TypeArchiveExport builds a user's data export (archive and photos).
	TypeArchiveExport = "archives:export"
	// TypeArchivesSweep deletes exports older than their 14 days; the
	// worker schedules it.
	TypeArchivesSweep = "archives:sweep"
	// TypeAccountMigrated: a local user imported the archive of another
	// identity; the federation layer sends the signed account_migration to
	// the pods of the user's contacts and of the old identity.
	TypeAccountMigrated = "federation:account-migrated"
	// TypeArchiveImport imports an uploaded archive into its user's
	// account (pod/federate: discovery of its people, then the import).
	TypeArchiveImport = "archives:import"
)

// ArchiveImport is the payload of an import: the archive_import_jobs row.
type ArchiveImport struct {
	JobID int64 `json:"job_id"`
}

// NewArchiveImport builds the task importing an uploaded archive. One
// attempt at a time per job (its ID), retried twice, and allowed half an
// hour (discovery takes two minutes at most, the import transaction the
// rest).
func NewArchiveImport(jobID int64) *asynq.Task {
	b, _ := json.Marshal(ArchiveImport{JobID: jobID})
	return asynq.NewTask(TypeArchiveImport, b, asynq.Queue(QueueLow), asynq.MaxRetry(2),
		asynq.Timeout(30*time.Minute), asynq.TaskID(archiveImportTaskID(jobID)), asynq.Retention(0))
}

func archiveImportTaskID(id int64) string { return fmt.Sprintf("%s:%d", TypeArchiveImport, id) }

// ArchiveExport is the payload of an export: the export row's ID.
type ArchiveExport struct {
	ExportID int64 `json:"export_id"`
}

// NewArchiveExport builds the task making an export. One attempt at a time
// per export (its ID), retried twice, and allowed half an hour.
func NewArchiveExport(exportID int64) *asynq.Task {
	b, _ := json.Marshal(ArchiveExport{ExportID: exportID})
	return asynq.NewTask(TypeArchiveExport, b, asynq.Queue(QueueLow), asynq.MaxRetry(2),
		asynq.Timeout(30*time.Minute), asynq.TaskID(archiveExportTaskID(exportID)), asynq.Retention(0))
}

func archiveExportTaskID(id int64) string { return fmt.Sprintf("%s:%d", TypeArchiveExport, id) }

// NewArchivesSweep builds the sweep of old exports (one queued at a time).
func NewArchivesSweep() *asynq.Task {
	return asynq.NewTask(TypeArchivesSweep, []byte("{}"), asynq.Queue(QueueLow), asynq.MaxRetry(3),
		asynq.Timeout(10*time.Minute), asynq.TaskID(TypeArchivesSweep), asynq.Retention(0))
}

// AccountMigrated: UserID imported an archive (ImportID, an
// archive_imports row) and now replaces its old identity.
type AccountMigrated struct {
	EventKey
	UserID   int64 `json:"user_id"`
	ImportID int64 `json:"import_id"`
}

// TaskType implements Event.
func (*AccountMigrated) TaskType() string { return TypeAccountMigrated }

// outboxedArchive rebuilds an archive task from the outbox (see Outboxed).
func outboxedArchive(typ string, payload []byte) (*asynq.Task, string, bool, error) {
	switch typ {
	case TypeArchiveExport:
		var p ArchiveExport
		if err := json.Unmarshal(payload, &p); err != nil {
			return nil, "", true, fmt.Errorf("outbox: bad %s payload: %v", typ, err)
		}
		return NewArchiveExport(p.ExportID), archiveExportTaskID(p.ExportID), true, nil
	case TypeArchivesSweep:
		return NewArchivesSweep(), TypeArchivesSweep, true, nil
	case TypeArchiveImport:
		var p ArchiveImport
		if err := json.Unmarshal(payload, &p); err != nil {
			return nil, "", true, fmt.Errorf("outbox: bad %s payload: %v", typ, err)
		}
		return NewArchiveImport(p.JobID), archiveImportTaskID(p.JobID), true, nil
	}
	return nil, "", false, nil
}
