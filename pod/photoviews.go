package pod

import (
	"context"
	"strconv"
	"time"

	"github.com/aspenpod/aspen/models"
)

// MaxPhotosPerPost is how many photos one post may carry.
const MaxPhotosPerPost = 10

// PhotoSizes are the rendition names a photo is served in, as diaspora*
// names them, plus the bounded original.
var PhotoSizes = []string{"thumb_small", "thumb_medium", "thumb_large", "scaled_full", "original"}

// PhotoView is one photo as pages and JSON show it (diaspora*'s photo
// presenter: id, guid, dimensions, sizes). Its URLs are this pod's, served
// through the access check of pod/photos; a photo whose files are not made
// or fetched yet has Ready false (pages show a placeholder).
type PhotoView struct {
	ID         int64           `json:"id"`
	GUID       string          `json:"guid"`
	CreatedAt  time.Time       `json:"created_at"`
	Dimensions PhotoDimensions `json:"dimensions"`
	Sizes      PhotoSizeURLs   `json:"sizes"`
	Ready      bool            `json:"ready"`
	Failed     bool            `json:"failed,omitempty"`
	Pending    bool            `json:"pending,omitempty"`
	Text       string          `json:"text,omitempty"`
	Post       *PhotoPostRef   `json:"status_message,omitempty"`
	Author     *PersonView     `json:"author,omitempty"`
	// URLs are the paths of the sizes by name (PhotoSizes), for pages.
	URLs map[string]string `json:"-"`
}

// PhotoDimensions is a photo's size in pixels.
type PhotoDimensions struct {
	Height int `json:"height"`
	Width  int `json:"width"`
}

// PhotoSizeURLs are the URLs diaspora* clients read: small (50×50),
// medium (within 100×100), large (700 wide), and raw (the original).
type PhotoSizeURLs struct {
	Small  string `json:"small"`
	Medium string `json:"medium"`
	Large  string `json:"large"`
	Raw    string `json:"raw"`
}

// PhotoPostRef names the post a photo belongs to.
type PhotoPostRef struct {
	ID   int64  `json:"id"`
	GUID string `json:"guid"`
}

// PhotoPath is the URL path of one rendition of a photo on this pod.
func PhotoPath(id int64, size string) string {
	return "/photos/" + strconv.FormatInt(id, 10) + "/" + size
}

// PhotoURL is the full URL of one rendition of a photo on this pod (for
// JSON clients, as diaspora* gives them).
func (a *Core) PhotoURL(id int64, size string) string {
	return a.opt.BaseURL + PhotoPath(id, size)
}

// PhotoViewOf shows a photo row.
func (a *Core) PhotoViewOf(p models.Photo) PhotoView {
	v := PhotoView{ID: p.ID, GUID: p.GUID, CreatedAt: p.CreatedAt,
		Dimensions: PhotoDimensions{Height: p.Height, Width: p.Width},
		Ready:      p.State == models.PhotoReady, Failed: p.State == models.PhotoFailed,
		Pending: p.PostID == nil, Text: p.Text, URLs: map[string]string{}}
	for _, s := range PhotoSizes {
		v.URLs[s] = PhotoPath(p.ID, s)
	}
	v.Sizes = PhotoSizeURLs{Small: a.PhotoURL(p.ID, "thumb_small"), Medium: a.PhotoURL(p.ID, "thumb_medium"),
		Large: a.PhotoURL(p.ID, "scaled_full"), Raw: a.PhotoURL(p.ID, "original")}
	if p.PostID != nil {
		v.Post = &PhotoPostRef{ID: *p.PostID, GUID: p.StatusMessageGUID}
	}
	return v
}

// hydratePhotos adds their photos to post views (one statement). Callers
// pass only posts the viewer may see, so the photos are theirs to see.
func (a *Core) hydratePhotos(ctx context.Context, rows []models.PostRow, views []PostView) error {
	var ids []int64
	for _, r := range rows {
		if r.HasPhotos {
			ids = append(ids, r.ID)
		}
	}
	var photos map[int64][]models.Photo
	if len(ids) > 0 {
		var err error
		if photos, err = a.store.PhotosOfPosts(ctx, ids); err != nil {
			return err
		}
	}
	for i := range views {
		views[i].Photos = []PhotoView{}
		for _, p := range photos[views[i].ID] {
			views[i].Photos = append(views[i].Photos, a.PhotoViewOf(p))
		}
	}
	return nil
}

// PhotoFilesPath is the directory URL other pods fetch a posted photo's
// files from (its remote_photo_path): the unguessable token is the
// capability, sent only to the post's audience.
func PhotoFilesPath(baseURL, token string) string {
	return baseURL + "/photo-files/" + token + "/"
}
