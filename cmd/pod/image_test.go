package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// imageStage is what the Dockerfile's final (runtime) stage says about the
// file tree and the user the pod runs as.
type imageStage struct {
	uid     int
	user    string
	volumes []string
	env     map[string]string
	runs    []string // RUN commands, continuation lines joined
}

// parseRuntimeStage reads the instructions after the Dockerfile's last FROM.
func parseRuntimeStage(t *testing.T, dockerfile string) imageStage {
	t.Helper()
	b, err := os.ReadFile(dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasPrefix(l, "FROM ") {
			lines = nil
		}
		lines = append(lines, l)
	}
	st := imageStage{uid: -1, env: map[string]string{}}
	for _, l := range lines {
		instr, rest, _ := strings.Cut(l, " ")
		switch instr {
		case "RUN":
			st.runs = append(st.runs, rest)
			if m := regexp.MustCompile(`useradd .*--uid (\d+)`).FindStringSubmatch(rest); m != nil {
				st.uid, _ = strconv.Atoi(m[1])
			}
		case "USER":
			st.user = rest
		case "VOLUME":
			for _, v := range regexp.MustCompile(`"([^"]+)"`).FindAllStringSubmatch(rest, -1) {
				st.volumes = append(st.volumes, v[1])
			}
		case "ENV":
			for _, kv := range regexp.MustCompile(`(\w+)=(\S+)`).FindAllStringSubmatch(rest, -1) {
				st.env[kv[1]] = kv[2]
			}
		}
	}
	return st
}

// replayTree runs the runtime stage's file-tree steps (useradd's home,
// install -d, mkdir, chown, chmod) under root instead of /, skipping
// package installation, and returns the rewritten commands it ran.
func replayTree(t *testing.T, st imageStage, root string) []string {
	t.Helper()
	abs := regexp.MustCompile(`(^|\s)(/[^\s]*)`)
	var ran []string
	for _, run := range st.runs {
		for _, part := range strings.Split(run, "&&") {
			part = strings.TrimSpace(part)
			fields := strings.Fields(part)
			if len(fields) == 0 {
				continue
			}
			switch fields[0] {
			case "useradd":
				if m := regexp.MustCompile(`--home (\S+) --create-home`).FindStringSubmatch(part); m != nil {
					part = "install -d -o " + strconv.Itoa(st.uid) + " -g " + strconv.Itoa(st.uid) + " -m 0755 " + m[1]
				} else {
					continue
				}
			case "install", "mkdir", "chown", "chmod":
			default:
				continue
			}
			cmd := abs.ReplaceAllString(part, "${1}"+root+"${2}")
			if out, err := exec.Command("sh", "-c", cmd).CombinedOutput(); err != nil {
				t.Fatalf("replaying %q: %v\n%s", cmd, err, out)
			}
			ran = append(ran, cmd)
		}
	}
	return ran
}

// TestImageDataVolumeIsWritableByThePodUser builds the runtime image's file
// tree as the Dockerfile lays it out (there is no Docker engine on the
// development and CI machines) and runs the pod binary in it as the image's
// user: the data volume's mount point must exist, belong to that user, and
// let the pod create its uploads folder and development secret there.
func TestImageDataVolumeIsWritableByThePodUser(t *testing.T) {
	st := parseRuntimeStage(t, "../../Dockerfile")
	if st.uid <= 0 || st.user == "" {
		t.Fatalf("runtime stage: no useradd --uid or USER (uid %d, user %q)", st.uid, st.user)
	}
	dataDir := st.env["POD_DATA_DIR"]
	if len(st.volumes) == 0 || dataDir == "" {
		t.Fatalf("runtime stage: VOLUME %v, POD_DATA_DIR %q", st.volumes, dataDir)
	}
	found := false
	for _, v := range st.volumes {
		found = found || v == dataDir
	}
	if !found {
		t.Fatalf("POD_DATA_DIR %s is not a VOLUME (%v)", dataDir, st.volumes)
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to lay out the image tree with its owners and run the pod as the image's user")
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("needs setpriv (util-linux) to run the pod as the image's user")
	}

	root, err := os.MkdirTemp("", "aspen-image-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	ran := replayTree(t, st, root)
	for _, v := range st.volumes {
		fi, err := os.Stat(filepath.Join(root, v))
		if err != nil {
			t.Fatalf("VOLUME %s is not created in the image (ran %q): %v", v, ran, err)
		}
		if uid := int(fi.Sys().(*syscall.Stat_t).Uid); uid != st.uid {
			t.Fatalf("VOLUME %s belongs to uid %d, the pod runs as uid %d: a fresh named volume is not writable", v, uid, st.uid)
		}
	}

	bin := filepath.Join(root, "pod")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	podEnv(t, "image")
	id := strconv.Itoa(st.uid)
	cmd := exec.Command("setpriv", "--reuid", id, "--regid", id, "--clear-groups", bin, "health")
	cmd.Env = append(os.Environ(), "POD_DATA_DIR="+filepath.Join(root, dataDir), "HOME="+root)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("pod health as uid %s with the image's data folder: %v\n%s", id, err, out.String())
	}
	if _, err := os.Stat(filepath.Join(root, dataDir, "uploads")); err != nil {
		t.Fatalf("the pod did not create its uploads folder: %v", err)
	}
}
