package tasks

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"
)

// Federation task types.
const (
	// TypeDeliver sends one signed envelope to one pod or person.
	TypeDeliver = "federation:deliver"
	// TypeDeliverPod sends the envelopes of one event to several
	// recipients on one pod, one POST each over one connection.
	TypeDeliverPod = "federation:deliver-pod"
	// TypeReceive verifies and applies one received envelope.
	TypeReceive = "federation:receive"
	// TypeFetchPublic fetches the recent public posts of a newly
	// discovered remote person.
	TypeFetchPublic = "federation:fetch-public"
	// TypePodsCheck checks the pods that are offline (NodeInfo) and prunes
	// old delivery records; the worker schedules it periodically.
	TypePodsCheck = "federation:pods-check"
)

// MaxDeliveryRetries is how often a failed delivery is retried, as
// diaspora* does (contact entities get ContactDeliveryRetries).
const (
	MaxDeliveryRetries     = 10
	ContactDeliveryRetries = 20
	MaxReceiveRetries      = 10
)

// Deliver is the payload of a delivery task: the finished bytes and where
// they go, so that every retry sends exactly what was signed.
type Deliver struct {
	URL         string `json:"url"`
	ContentType string `json:"content_type"`
	PodID       int64  `json:"pod_id"`
	Body        []byte `json:"body"`
}

// DeliveryTaskID is the task ID of the delivery of one event to one URL.
func DeliveryTaskID(eventKey, url string) string {
	h := sha256.Sum256([]byte(eventKey + "\x00" + url))
	return "deliver:" + hex.EncodeToString(h[:16])
}

// NewDeliver builds a delivery task with its ID and retry budget.
func NewDeliver(taskID string, d Deliver, maxRetry int) *asynq.Task {
	b, _ := json.Marshal(d)
	return asynq.NewTask(TypeDeliver, b, asynq.Queue(QueueDelivery), asynq.MaxRetry(maxRetry),
		asynq.Timeout(time.Minute), asynq.TaskID(taskID), asynq.Retention(0))
}

// DeliverPod is the payload of a per-pod delivery task (encoded by Encode,
// not as JSON): the finished
// bodies of one event for one pod, each with its URL and the task ID of
// its delivery record (the ID a per-recipient task had), so that every
// recipient keeps its own outcome, attempts and exactly-once check.
type DeliverPod struct {
	PodID       int64         `json:"pod_id"`
	ContentType string        `json:"content_type"`
	Items       []DeliverItem `json:"items"`
	// Tried is the number of attempts made before the task was queued:
	// 1 for the rest of a first attempt made in the dispatch job itself
	// (federate's deliverNow). The job counts them with the task's own
	// retries, and the retry schedule goes on from there (RetryDelay).
	Tried int `json:"tried,omitempty"`
}

// DeliverItem is one recipient's delivery in a DeliverPod task.
type DeliverItem struct {
	DeliveryID string `json:"delivery_id"` // the delivery record's task_id
	URL        string `json:"url"`
	Body       []byte `json:"body"`
}

// MaxDeliverPodItems bounds the recipients of one per-pod delivery task
// (bounded work per job; a bigger audience on one pod gets several).
const MaxDeliverPodItems = 100

// DeliverPodTaskID is the task ID of a per-pod delivery: a hash of the
// event key and of its recipients' delivery IDs, so that a dispatch run
// again queues the same task (refused as a duplicate while it waits).
func DeliverPodTaskID(eventKey string, deliveryIDs []string) string {
	h := sha256.New()
	h.Write([]byte(eventKey))
	for _, id := range deliveryIDs {
		h.Write([]byte{0})
		h.Write([]byte(id))
	}
	return "deliver-pod:" + hex.EncodeToString(h.Sum(nil)[:16])
}

// NewDeliverPod builds a per-pod delivery task with its ID and retry
// budget, to run after a delay (0: at once). Its timeout grows with its
// recipients (each POST may take the transport's 30 s when the pod is
// slow).
func NewDeliverPod(taskID string, d DeliverPod, maxRetry int, after time.Duration) *asynq.Task {
	b := d.Encode()
	timeout := min(time.Minute+time.Duration(len(d.Items))*10*time.Second, 20*time.Minute)
	return asynq.NewTask(TypeDeliverPod, b, asynq.Queue(QueueDelivery), asynq.MaxRetry(maxRetry),
		asynq.Timeout(timeout), asynq.TaskID(taskID), asynq.Retention(0), asynq.ProcessIn(after))
}

// maxTried bounds DeliverPod.Tried in a payload (the retry schedule is
// computed from it; no task is retried nearly this often).
const maxTried = 100

// deliverPodMagic starts an encoded DeliverPod.
const deliverPodMagic = "aspen-deliver-pod/1\n"

// deliverPodHeader is the JSON part of an encoded DeliverPod: everything
// but the bodies, which follow it raw, in order (Size bytes each).
type deliverPodHeader struct {
	PodID       int64  `json:"pod_id"`
	ContentType string `json:"content_type"`
	Tried       int    `json:"tried,omitempty"`
	Items       []struct {
		DeliveryID string `json:"delivery_id"`
		URL        string `json:"url"`
		Size       int    `json:"size"`
	} `json:"items"`
}

// Encode returns the task payload: a short JSON header followed by the
// bodies as they are. (As JSON the bodies would be base64, a third larger,
// and encoding and decoding them would cost more than the rest of a
// delivery's work in the pod.)
func (d DeliverPod) Encode() []byte {
	var h deliverPodHeader
	h.PodID, h.ContentType, h.Tried = d.PodID, d.ContentType, d.Tried
	h.Items = make([]struct {
		DeliveryID string `json:"delivery_id"`
		URL        string `json:"url"`
		Size       int    `json:"size"`
	}, len(d.Items))
	n := 0
	for i, it := range d.Items {
		h.Items[i].DeliveryID, h.Items[i].URL, h.Items[i].Size = it.DeliveryID, it.URL, len(it.Body)
		n += len(it.Body)
	}
	hb, _ := json.Marshal(h)
	b := make([]byte, 0, len(deliverPodMagic)+binary.MaxVarintLen64+len(hb)+n)
	b = append(b, deliverPodMagic...)
	b = binary.AppendUvarint(b, uint64(len(hb)))
	b = append(b, hb...)
	for _, it := range d.Items {
		b = append(b, it.Body...)
	}
	return b
}

// DecodeDeliverPod reads a payload written by DeliverPod.Encode. The
// bodies share b's memory.
func DecodeDeliverPod(b []byte) (DeliverPod, error) {
	rest, ok := bytes.CutPrefix(b, []byte(deliverPodMagic))
	if !ok {
		return DeliverPod{}, errors.New("not a per-pod delivery payload")
	}
	n, k := binary.Uvarint(rest)
	if k <= 0 || n > uint64(len(rest)-k) {
		return DeliverPod{}, errors.New("per-pod delivery payload: bad header length")
	}
	var h deliverPodHeader
	if err := json.Unmarshal(rest[k:k+int(n)], &h); err != nil {
		return DeliverPod{}, fmt.Errorf("per-pod delivery payload header: %w", err)
	}
	rest = rest[k+int(n):]
	if h.Tried < 0 || h.Tried > maxTried {
		return DeliverPod{}, fmt.Errorf("per-pod delivery payload: %d attempts before, want 0 to %d", h.Tried, maxTried)
	}
	d := DeliverPod{PodID: h.PodID, ContentType: h.ContentType, Tried: h.Tried, Items: make([]DeliverItem, len(h.Items))}
	for i, it := range h.Items {
		if it.Size < 0 || it.Size > len(rest) {
			return DeliverPod{}, fmt.Errorf("per-pod delivery payload: body %d of %d bytes, %d left", i, it.Size, len(rest))
		}
		d.Items[i] = DeliverItem{DeliveryID: it.DeliveryID, URL: it.URL, Body: rest[:it.Size:it.Size]}
		rest = rest[it.Size:]
	}
	if len(rest) != 0 {
		return DeliverPod{}, fmt.Errorf("per-pod delivery payload: %d bytes after the last body", len(rest))
	}
	return d, nil
}

// Receive is the payload of a receive task: the raw body of a POST to
// /receive/public (RecipientGUID empty) or /receive/users/:guid.
type Receive struct {
	Body          []byte `json:"body"`
	RecipientGUID string `json:"recipient_guid,omitempty"`
}

// NewReceive builds a receive task. Its ID is the hash of the body and the
// recipient: the same delivery posted twice while the first is queued is
// queued once (the apply step is idempotent anyway).
func NewReceive(r Receive) *asynq.Task {
	b, _ := json.Marshal(r)
	return asynq.NewTask(TypeReceive, b, asynq.Queue(QueueReceive), asynq.MaxRetry(MaxReceiveRetries),
		asynq.Timeout(2*time.Minute), asynq.TaskID(ReceiveTaskID(r)), asynq.Retention(0))
}

// ReceiveTaskID is the task ID of a received body: a hash of the body and
// the recipient.
func ReceiveTaskID(r Receive) string {
	h := sha256.New()
	h.Write([]byte(r.RecipientGUID + "\x00"))
	h.Write(r.Body)
	return "receive:" + hex.EncodeToString(h.Sum(nil)[:16])
}

// NewPodsCheck builds the periodic pod check.
func NewPodsCheck() *asynq.Task {
	return asynq.NewTask(TypePodsCheck, nil, asynq.Queue(QueueLow), asynq.MaxRetry(0), asynq.Timeout(10*time.Minute),
		asynq.Unique(50*time.Minute))
}

// RetryDelay returns the worker's retry schedule. Federation tasks back off
// like diaspora*: (n+3)^4 + rand(0..29)·(n+1) units for retry n = 1, 2, …,
// with unit one second in production (about 25 hours over 10 retries);
// tests pass a smaller unit. Other tasks use asynq's default.
func RetryDelay(unit time.Duration) asynq.RetryDelayFunc {
	return func(n int, err error, t *asynq.Task) time.Duration {
		switch t.Type() {
		case TypeDeliverPod:
			// After the attempts made before it was queued.
			d, _ := DecodeDeliverPod(t.Payload())
			return FederationBackoff(n+1+d.Tried, unit)
		case TypeDeliver, TypeReceive:
			return FederationBackoff(n+1, unit)
		}
		if IsEvent(t.Type()) || t.Type() == TypeLegacyDispatch {
			return FederationBackoff(n+1, unit)
		}
		return asynq.DefaultRetryDelayFunc(n, err, t)
	}
}

// FederationBackoff is the delay before retry n (1-based).
func FederationBackoff(n int, unit time.Duration) time.Duration {
	base := (n + 3) * (n + 3) * (n + 3) * (n + 3)
	return time.Duration(base+rand.IntN(30)*(n+1)) * unit
}

// FetchPublic is the payload of a public post fetch.
type FetchPublic struct {
	PersonID int64 `json:"person_id"`
}

// NewFetchPublic builds a public post fetch for a person (once per person
// while it is queued).
func NewFetchPublic(personID int64) *asynq.Task {
	b, _ := json.Marshal(FetchPublic{PersonID: personID})
	return asynq.NewTask(TypeFetchPublic, b, asynq.Queue(QueueLow), asynq.MaxRetry(3), asynq.Timeout(5*time.Minute),
		asynq.TaskID(FetchPublicTaskID(personID)), asynq.Retention(0))
}

// FetchPublicTaskID is the task ID of the public post fetch of a person.
func FetchPublicTaskID(personID int64) string { return fmt.Sprintf("fetch-public:%d", personID) }
