package fedhost

import (
	"strings"

	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/photos"
)

// AddPhotos puts the photos of a local post into its status_message (other
// entities are left alone): each a photo entity with the post's public
// flag, served from this pod at its token URL (pod.PhotoFilesPath).
func AddPhotos(e entity.Entity, rows []models.Photo, author *models.Person, baseURL string) {
	sm, ok := e.(*entity.StatusMessage)
	if !ok {
		return
	}
	for _, r := range rows {
		sm.Photos = append(sm.Photos, &entity.Photo{
			GUID: r.GUID, Author: diasporaID(author), Public: sm.Public, CreatedAt: timestamp(r.CreatedAt),
			RemotePhotoPath: pod.PhotoFilesPath(baseURL, r.Token), RemotePhotoName: r.RemotePhotoName,
			Text: r.Text, StatusMessageGUID: sm.GUID, Height: r.Height, Width: r.Width,
		})
	}
}

// ReceivedPhotos reads the photos of a received status message; photos
// whose author is not the post's are left out (§4.2), and so counted.
func ReceivedPhotos(e *entity.StatusMessage) (in []photos.Received, left int) {
	for _, p := range e.Photos {
		if !strings.EqualFold(p.Author, e.Author) {
			left++
			continue
		}
		in = append(in, photos.Received{GUID: p.GUID, Public: e.Public, CreatedAt: receivedTime(p.CreatedAt),
			RemotePath: p.RemotePhotoPath, RemoteName: p.RemotePhotoName, Text: p.Text, Width: p.Width, Height: p.Height})
	}
	return in, left
}
