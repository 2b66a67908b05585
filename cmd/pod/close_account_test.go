package main

import (
	"strings"
	"testing"
)

func TestAdminCloseAccount(t *testing.T) {
	podEnv(t, "close")
	if code, out, stderr := runCmd(t, "", "admin", "create-user", "--username", "leaver", "--email", "leaver@example.org", "--password", "hunter22"); code != 0 {
		t.Fatalf("create-user: %d %s %s", code, out, stderr)
	}
	if code, out, stderr := runCmd(t, "", "admin", "close-account", "leaver"); code != 0 || !strings.Contains(out, "closed") {
		t.Fatalf("close-account: %d %s %s", code, out, stderr)
	}
	// The name stays reserved.
	if code, _, stderr := runCmd(t, "", "admin", "create-user", "--username", "leaver", "--email", "other@example.org", "--password", "hunter22"); code != 1 || !strings.Contains(stderr, "already taken") {
		t.Fatalf("create-user with a closed account's name: %d %s", code, stderr)
	}
	if code, _, stderr := runCmd(t, "", "admin", "close-account", "ghost"); code != 1 || !strings.Contains(stderr, "no user") {
		t.Fatalf("close-account of unknown user: %d %s", code, stderr)
	}
}
