package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// readmeCommand matches one `pod` invocation in the README: in a shell
// block (`docker compose exec pod pod …`, `bin/pod …`, `pod …`) or in an
// inline code span.
var readmeCommand = regexp.MustCompile("(?:^|`|exec pod |\\s)(?:bin/|/usr/local/bin/)?pod ((?:admin|migrate|health|federation)(?: [^`\\n#]*)?)")

// runnable says whether a README command is concrete (no placeholder) and
// quick: `health --worker`
// needs a running worker and has its own test (health_test.go).
func runnable(args []string) bool {
	for _, a := range args {
		if a == "--worker" {
			return false
		}
		if strings.ContainsAny(a, "[]<>|…") || a == "..." || a == "N" || a == "E" || a == "P" || a == "NAME" || a == "DOMAIN" || strings.Contains(a, "URL") {
			return false
		}
	}
	if len(args) == 1 && (args[0] == "federation" || args[0] == "admin") {
		return false
	}
	return true
}

// TestREADMECommandsWorkAsWritten runs every concrete `pod` command of the
// operator documentation (admin, migrate, health), each against a fresh
// pod database as on a new installation, with a password on standard input
// as an operator would type it, and expects each to succeed.
func TestREADMECommandsWorkAsWritten(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	ran := 0
	for _, m := range readmeCommand.FindAllStringSubmatch(string(b), -1) {
		line := strings.TrimSpace(m[1])
		args := strings.Fields(line)
		if seen[line] || !runnable(args) {
			continue
		}
		seen[line] = true
		podEnv(t, "readme")
		t.Logf("pod %s", line)
		code, out, stderr := runCmd(t, "correct-horse-battery\n", args...)
		if code != 0 {
			t.Errorf("README command `pod %s`: exit %d\nstdout: %s\nstderr: %s", line, code, out, stderr)
		}
		ran++
	}
	// The quick start's and the operators' create-user lines at least.
	if ran < 2 || !seen["admin create-user --username podmin --email you@example.org --admin"] {
		t.Fatalf("found too few README commands (%d): %v", ran, seen)
	}
}
