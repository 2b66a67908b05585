package procstat

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestReadsThisProcess burns some CPU on one thread and checks that this
// process's and this thread's CPU time grow, the machine's busy time within its total, and
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
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	thread0 := Thread()
	x := 0
	for end := time.Now().Add(60 * time.Millisecond); time.Now().Before(end); {
		x++
	}
	_ = x
	after, _ := Process(os.Getpid())
	if after < before || Self() <= self0 || Thread() <= thread0 {
		t.Fatalf("CPU time did not grow: process %v -> %v, rusage %v -> %v, this thread by %v", before, after, self0, Self(), Thread()-thread0)
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

// TestProcessClockOfAnotherProcess reads a busy child's CPU time from its
// CPU-time clock: it grows, agrees with /proc/PID/stat within that file's
// 10 ms ticks, and has the clock's resolution, not the ticks'.
func TestProcessClockOfAnotherProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc: not Linux")
	}
	cmd := exec.Command("sh", "-c", "while :; do :; done")
	if err := cmd.Start(); err != nil {
		t.Skip("no sh:", err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	time.Sleep(150 * time.Millisecond)
	pid := cmd.Process.Pid
	first, ok := Process(pid)
	if !ok {
		t.Fatal("cannot read the child's CPU time")
	}
	var ts unix.Timespec
	if err := unix.ClockGettime(processClock(pid), &ts); err != nil {
		t.Fatalf("the child's CPU-time clock: %v", err)
	}
	time.Sleep(50 * time.Millisecond)
	clock, _ := Process(pid)
	ticks, ok := procStat(pid)
	if !ok {
		t.Fatal("cannot read /proc for the child")
	}
	if clock <= first {
		t.Fatalf("the child's CPU time did not grow: %v -> %v", first, clock)
	}
	if d := clock - ticks; d < -20*time.Millisecond || d > 20*time.Millisecond {
		t.Fatalf("clock %v and /proc %v disagree", clock, ticks)
	}
	if clock%(10*time.Millisecond) == 0 && first%(10*time.Millisecond) == 0 {
		t.Fatalf("whole ticks twice (%v, %v): the clock was not read", first, clock)
	}
}
