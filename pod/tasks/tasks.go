// Package tasks defines every background task of the application: its type
// name, payload and constructor. Handlers live in pod/jobs.
package tasks

import (
	"encoding/json"
	"time"

	"github.com/hibiken/asynq"
)

// Queue names with their weights in the worker.
const (
	QueueDelivery = "delivery"
	QueueReceive  = "receive"
	QueueDefault  = "default"
	QueueLow      = "low"
)

// Queues maps each queue to its priority weight.
var Queues = map[string]int{QueueDelivery: 4, QueueReceive: 4, QueueDefault: 2, QueueLow: 1}

// TypeKeysRefill refills the pool of pre-generated RSA key pairs.
const TypeKeysRefill = "keys:refill"

// KeysRefill is the payload of a key pool refill.
type KeysRefill struct {
	Bits   int `json:"bits"`
	Target int `json:"target"`
}

// NewKeysRefill builds a refill task. Its ID makes concurrent requests for a
// refill collapse into one queued task.
func NewKeysRefill(bits, target int) *asynq.Task {
	b, _ := json.Marshal(KeysRefill{Bits: bits, Target: target})
	return asynq.NewTask(TypeKeysRefill, b,
		asynq.Queue(QueueLow), asynq.MaxRetry(3), asynq.Timeout(10*time.Minute),
		asynq.TaskID("keys:refill"), asynq.Retention(0))
}
