package vectors

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestCopyMatchesShared checks that the copy in the repository is the same,
// file for file and byte for byte, as the project's shared vectors when a
// checkout has them beside it (<repo root>/../shared/conformance/vectors).
// A fresh clone without them tests the copy alone, so the test skips.
func TestCopyMatchesShared(t *testing.T) {
	copyDir := Dir(t)
	shared := filepath.Join(copyDir, "..", "..", "..", "..", "shared", "conformance", "vectors")
	if _, err := os.Stat(shared); err != nil {
		t.Skipf("no shared vectors beside the repository (%s): the copy is tested alone", shared)
	}
	list := func(root string) map[string][]byte {
		files := map[string][]byte{}
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			files[filepath.ToSlash(rel)] = b
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return files
	}
	have, want := list(copyDir), list(shared)
	for name, b := range want {
		got, ok := have[name]
		if !ok {
			t.Errorf("%s is in the shared vectors but not in %s: copy it", name, RepoPath)
			continue
		}
		if !bytes.Equal(got, b) {
			t.Errorf("%s differs from the shared vectors: copy it again", name)
		}
	}
	for name := range have {
		if _, ok := want[name]; !ok {
			t.Errorf("%s is in %s but no longer in the shared vectors", name, RepoPath)
		}
	}
}
