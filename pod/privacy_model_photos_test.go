package pod_test

import (
	"bytes"
	"context"
	"errors"
	"sync"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/media/mediatest"
)

// Photos in the privacy model: every third post carries a photo (chosen by
// the post's number, so the walks' random choices stay as they were), and
// after every step each viewer must be able to fetch the photo's files
// exactly when they can see the post.

var (
	modelJPEGOnce sync.Once
	modelJPEG     []byte
)

// photosFor uploads (and processes, as the job would) a photo for the next
// post of user u when that post is one that carries one.
func (m *model) photosFor(u int) []int64 {
	if len(m.posts)%3 != 0 {
		return nil
	}
	modelJPEGOnce.Do(func() { modelJPEG = mediatest.JPEG(m.t, 12, 8) })
	ctx := context.Background()
	v, err := m.p.App.Photos.Upload(ctx, m.users[u].s, bytes.NewReader(modelJPEG))
	if err != nil {
		m.fatalf("%s uploads a photo: %v", m.users[u].name, err)
	}
	if err := m.p.App.Photos.Process(ctx, v.ID); err != nil {
		m.fatalf("processing a photo: %v", err)
	}
	return []int64{v.ID}
}

// checkPhotos compares what viewer v can fetch of every post's photos
// (the photo, and each size of its files) with the model's canSee.
func (m *model) checkPhotos(v int) {
	ctx := context.Background()
	s := m.session(v)
	for pi, p := range m.posts {
		for _, id := range p.photos {
			want := m.canSee(v, p)
			_, err := m.p.App.Photos.Photo(ctx, s, id)
			if got := err == nil; got != want || err != nil && !errors.Is(err, pod.ErrNotFound) {
				m.failf("%s: photo of %s readable %v (%v), want %v", m.viewerName(v), m.desc(pi), got, err, want)
			}
			for _, size := range pod.PhotoSizes {
				rc, _, err := m.p.App.Photos.File(ctx, s, id, size)
				if err == nil {
					rc.Close()
				}
				if got := err == nil; got != want || err != nil && !errors.Is(err, pod.ErrNotFound) {
					m.failf("%s: %s of the photo of %s served %v (%v), want %v", m.viewerName(v), size, m.desc(pi), got, err, want)
				}
			}
		}
	}
}
