// Package vectors locates the conformance vectors for tests.
//
// The vectors are a copy inside the repository, in
// federation/testdata/vectors (their README says where they came from), so
// a fresh clone tests itself. Tests find them by walking up from their
// working directory to the folder holding go.mod. A missing folder fails
// the test: the vectors are the point of these tests, so skipping silently
// would hide a broken setup.
package vectors

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// RepoPath is where the vectors live, relative to the repository root.
const RepoPath = "federation/testdata/vectors"

var (
	once    sync.Once
	dir     string
	findErr string
)

func find() {
	wd, err := os.Getwd()
	if err != nil {
		findErr = "getwd: " + err.Error()
		return
	}
	for d := wd; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			v := filepath.Join(d, filepath.FromSlash(RepoPath))
			if st, err := os.Stat(v); err != nil || !st.IsDir() {
				findErr = "conformance vectors not found at " + v + " (expected <repo root>/" + RepoPath + ")"
				return
			}
			dir = v
			return
		}
		parent := filepath.Dir(d)
		if parent == d {
			findErr = "no go.mod above " + wd
			return
		}
		d = parent
	}
}

// Dir returns the vectors folder or fails tb.
func Dir(tb testing.TB) string {
	tb.Helper()
	once.Do(find)
	if findErr != "" {
		tb.Fatal(findErr)
	}
	return dir
}

// Path returns the path of a vector file given relative to the vectors folder
// (for example "generated/01_status_message_public.envelope.xml").
func Path(tb testing.TB, rel string) string {
	tb.Helper()
	return filepath.Join(Dir(tb), filepath.FromSlash(rel))
}

// Read returns the bytes of a vector file, failing tb if it cannot be read.
func Read(tb testing.TB, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(Path(tb, rel))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// Glob returns the vector files matching a pattern relative to the vectors
// folder, as relative slash paths, failing tb if none match.
func Glob(tb testing.TB, pattern string) []string {
	tb.Helper()
	d := Dir(tb)
	m, err := filepath.Glob(filepath.Join(d, filepath.FromSlash(pattern)))
	if err != nil || len(m) == 0 {
		tb.Fatalf("no vectors match %s (err %v)", pattern, err)
	}
	out := make([]string, len(m))
	for i, p := range m {
		r, _ := filepath.Rel(d, p)
		out[i] = filepath.ToSlash(r)
	}
	return out
}
