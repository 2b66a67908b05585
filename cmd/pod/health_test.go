package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aspenpod/aspen/pod/podtest"
)

// TestHealthWorkerSeesTheRunningWorker: `pod health --worker` (the worker
// container's health check) fails while no worker runs on this host,
// succeeds while `pod worker` runs and fails again once it stopped.
func TestHealthWorkerSeesTheRunningWorker(t *testing.T) {
	podEnv(t, "health")
	// asynq keeps its servers' heartbeats per Redis database, and other
	// packages' test workers run on this host: a Redis of the test's own.
	t.Setenv("POD_REDIS_URL", podtest.StartRedis(t).URL(0))

	if code, out, stderr := runCmd(t, "", "health", "--worker"); code == 0 || !strings.Contains(stderr, "no running job worker") {
		t.Fatalf("health --worker with no worker: exit %d, %s %s", code, out, stderr)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	var errb bytes.Buffer
	go func() { done <- run(ctx, []string{"worker"}, strings.NewReader(""), &bytes.Buffer{}, &errb) }()
	ok := false
	var last string
	for i := 0; i < 100 && !ok; i++ {
		code, out, stderr := runCmd(t, "", "health", "--worker")
		ok, last = code == 0 && strings.Contains(out, "ok: worker pid"), out+stderr
		if !ok {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if !ok {
		cancel()
		t.Fatalf("health --worker never saw the running worker: %s\nworker: %s", last, errb.String())
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("worker exited %d: %s", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("worker did not stop after cancel")
	}
	if code, out, stderr := runCmd(t, "", "health", "--worker"); code == 0 {
		t.Fatalf("health --worker after the worker stopped: exit 0, %s %s", out, stderr)
	}
}
