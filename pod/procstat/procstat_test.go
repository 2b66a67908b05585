package procstat

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestReadsThisProcess burns some CPU and checks that /proc shows this
// process's time growing, the machine's busy time within its total, and
// the resident memory.
func TestReadsThisProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc: not Linux")
	}
	before, ok := Process(os.Getpid())
	if !ok {
		t.Fatal("cannot read /proc for this process")
	}
	self0 := Self()
	x := 0
	for end := time.Now().Add(60 * time.Millisecond); time.Now().Before(end); {
		x++
	}
	_ = x
	after, _ := Process(os.Getpid())
	if after < before || Self() <= self0 {
		t.Fatalf("CPU time did not grow: /proc %v -> %v, rusage %v -> %v", before, after, self0, Self())
	}
	total, busy, ok := Machine()
	if !ok || total <= 0 || busy > total {
		t.Fatalf("machine: total %v busy %v ok %v", total, busy, ok)
	}
	if r := RSS(os.Getpid()); !strings.Contains(r, "kB") {
		t.Fatalf("RSS: %s", r)
	}
	if _, ok := Process(-1); ok {
		t.Fatal("a process that does not exist was read")
	}
}
