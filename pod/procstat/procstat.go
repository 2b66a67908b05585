// Package procstat reads the CPU time of processes and of the machine from
// Linux's /proc, for the benchmarks (podload bench and pod/e2e's): the
// pod, its PostgreSQL backends and the client each get their share.
package procstat

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// clockTick is USER_HZ, the unit of /proc CPU times on Linux.
const clockTick = 100

// tick converts /proc clock ticks to a duration.
func tick(n int64) time.Duration { return time.Duration(n) * time.Second / clockTick }

// Process is the CPU time (user + system) of a process so far: from the
// process's CPU-time clock, to the nanosecond, or where that cannot be
// read from /proc/PID/stat (10 ms resolution, which made the CPU of a
// single fan-out post read as 40, 50 or 80 ms); ok is false when neither
// can be read (the process is gone, or this is not Linux).
func Process(pid int) (d time.Duration, ok bool) {
	if pid > 0 {
		var ts unix.Timespec
		if unix.ClockGettime(processClock(pid), &ts) == nil {
			return time.Duration(ts.Nano()), true
		}
	}
	return procStat(pid)
}

// processClock is Linux's clock ID for the CPU time of a whole process
// (clock_getcpuclockid(3): CPUCLOCK_SCHED of the process pid, which counts
// its threads that have ended too). Any process's clock can be read.
func processClock(pid int) int32 { return int32((^pid)<<3 | 2) }

// procStat is a process's CPU time from /proc/PID/stat.
func procStat(pid int) (d time.Duration, ok bool) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// Fields after the ")" that ends the command name: state is field 3,
	// utime and stime are fields 14 and 15.
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return tick(u + s), true
}

// Self is the CPU time (user + system) of this process so far, at the
// kernel's full resolution.
func Self() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Thread is the CPU time of the calling OS thread so far, to the
// nanosecond (CLOCK_THREAD_CPUTIME_ID; getrusage's thread time lags by up
// to a scheduler tick), or the wall clock where that cannot be read. Bare
// work is timed with it on a locked thread (runtime.LockOSThread).
func Thread() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return time.Duration(time.Now().UnixNano())
	}
	return time.Duration(ts.Nano())
}

// Machine is the CPU time of all cores so far from /proc/stat: total, and
// busy (everything but idle and iowait); ok is false when it cannot be read.
func Machine() (total, busy time.Duration, ok bool) {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	fields := strings.Fields(line)
	if len(fields) < 2 || fields[0] != "cpu" {
		return 0, 0, false
	}
	for i, v := range fields[1:] {
		if i >= 8 { // guest times are already in user
			break
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		total += tick(n)
		if i != 3 && i != 4 { // idle, iowait
			busy += tick(n)
		}
	}
	return total, busy, true
}

// RSS describes a process's resident memory now and at its peak, from
// /proc/PID/status.
func RSS(pid int) string {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	var rss, hwm string
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			rss = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			hwm = strings.TrimSpace(v)
		}
	}
	return fmt.Sprintf("VmRSS %s (peak VmHWM %s)", rss, hwm)
}
