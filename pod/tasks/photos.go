package tasks

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// Photo tasks (pod/photos): making a local upload's renditions, fetching a
// received photo once, and sweeping stale uploads and deleted files.
const (
	// TypePhotoProcess makes the renditions of a local upload.
	TypePhotoProcess = "photos:process"
	// TypePhotoFetch fetches a received photo from its pod, once.
	TypePhotoFetch = "photos:fetch"
	// TypePhotosSweep deletes pending photos older than a day and the
	// files of deleted photos; the worker schedules it, and deleting a post
	// queues it.
	TypePhotosSweep = "photos:sweep"
)

// Photo is the payload of a photo process or fetch: the photo's ID.
type Photo struct {
	PhotoID int64 `json:"photo_id"`
}

// NewPhotoProcess builds the task making a local upload's renditions.
func NewPhotoProcess(photoID int64) *asynq.Task {
	b, _ := json.Marshal(Photo{PhotoID: photoID})
	return asynq.NewTask(TypePhotoProcess, b, asynq.Queue(QueueDefault), asynq.MaxRetry(3),
		asynq.Timeout(2*time.Minute), asynq.TaskID(photoTaskID(TypePhotoProcess, photoID)), asynq.Retention(0))
}

// NewPhotoFetch builds the task fetching a received photo. It is retried
// like a received message: the photo may be still processing on its pod.
func NewPhotoFetch(photoID int64) *asynq.Task {
	b, _ := json.Marshal(Photo{PhotoID: photoID})
	return asynq.NewTask(TypePhotoFetch, b, asynq.Queue(QueueLow), asynq.MaxRetry(5),
		asynq.Timeout(2*time.Minute), asynq.TaskID(photoTaskID(TypePhotoFetch, photoID)), asynq.Retention(0))
}

// NewPhotosSweep builds the sweep of stale uploads and deleted files (one
// queued at a time).
func NewPhotosSweep() *asynq.Task {
	return asynq.NewTask(TypePhotosSweep, []byte("{}"), asynq.Queue(QueueLow), asynq.MaxRetry(3),
		asynq.Timeout(10*time.Minute), asynq.TaskID(TypePhotosSweep), asynq.Retention(0))
}

func photoTaskID(typ string, id int64) string { return fmt.Sprintf("%s:%d", typ, id) }

// outboxedPhoto rebuilds a photo task from the outbox (see Outboxed).
func outboxedPhoto(typ string, payload []byte) (*asynq.Task, string, bool, error) {
	switch typ {
	case TypePhotoProcess, TypePhotoFetch:
		var p Photo
		if err := json.Unmarshal(payload, &p); err != nil {
			return nil, "", true, fmt.Errorf("outbox: bad %s payload: %v", typ, err)
		}
		if typ == TypePhotoProcess {
			return NewPhotoProcess(p.PhotoID), photoTaskID(typ, p.PhotoID), true, nil
		}
		return NewPhotoFetch(p.PhotoID), photoTaskID(typ, p.PhotoID), true, nil
	case TypePhotosSweep:
		return NewPhotosSweep(), TypePhotosSweep, true, nil
	}
	return nil, "", false, nil
}
