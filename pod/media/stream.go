package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
)

// PutStream stores what r yields under key without holding it in memory
// when st is a LocalStore (a temporary file renamed over the key, as Put
// does); other stores get the bytes read in full. It returns the size.
func PutStream(ctx context.Context, st Store, key string, r io.Reader, contentType string) (int64, error) {
	ls, ok := st.(*LocalStore)
	if !ok {
		data, err := io.ReadAll(r)
		if err != nil {
			return 0, fmt.Errorf("media: put %s: %w", key, err)
		}
		return int64(len(data)), st.Put(ctx, key, data, contentType)
	}
	if err := checkKey(key); err != nil {
		return 0, err
	}
	root, err := os.OpenRoot(ls.dir)
	if err != nil {
		return 0, fmt.Errorf("media: put %s: %w", key, err)
	}
	defer root.Close()
	dir := path.Dir(key)
	if err := root.MkdirAll(dir, 0o755); err != nil {
		return 0, fmt.Errorf("media: put %s: %w", key, err)
	}
	tmp := path.Join(dir, ".tmp-"+NewID())
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, fmt.Errorf("media: put %s: %w", key, err)
	}
	n, err := io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Rename(tmp, key)
	}
	if err != nil {
		if rerr := root.Remove(tmp); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
		return 0, fmt.Errorf("media: put %s: %w", key, err)
	}
	return n, nil
}
