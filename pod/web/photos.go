package web

import (
	"bytes"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/photos"
)

// photoRoutes: uploads (diaspora*'s POST /photos), removing a pending
// upload, the photo files behind the access check, the token URLs other
// pods fetch posted photos from, and a person's photos pages.
func (s *Server) photoRoutes() {
	e := s.engine
	e.POST("/photos", s.requireUser, s.uploadPhoto)
	e.DELETE("/photos/:id", s.requireUser, s.deletePhoto)
	e.GET("/photos/:id", s.showPhoto)
	e.GET("/photos/:id/:size", s.photoFile)
	e.GET("/photo-files/:token/:name", s.federationPhotoFile)
	e.GET("/people/:guid/photos", s.personPhotos)
	e.GET("/people/:guid/photos.json", s.personPhotos)
}

// uploadLimit is the body limit of a request that may carry photos: one
// photo for POST /photos, a few for the no-JS publisher's multipart form
// (its JSON and urlencoded posts keep the small limit); 0 for others.
func uploadLimit(c *gin.Context) int64 {
	switch c.Request.URL.Path {
	case "/user/import":
		return archiveUploadLimit
	case "/photos", "/api/v1/photos":
		return photos.MaxBytes + formBodyLimit
	case "/status_messages":
		if strings.HasPrefix(c.ContentType(), "multipart/") {
			return publisherUploads*photos.MaxBytes + formBodyLimit
		}
	}
	return 0
}

// publisherUploads is how many photo files one no-JS publisher submission
// may carry.
const publisherUploads = 4

// uploadPhoto is diaspora*'s POST /photos: the file in the multipart field
// "file" or "qqfile", or (its XHR uploader) as the raw body. It answers
// diaspora*'s {"success": true, "data": {"photo": {...}}} with the pending
// photo, whose id the publisher then sends as photos[].
func (s *Server) uploadPhoto(c *gin.Context) {
	var r io.Reader
	if strings.HasPrefix(c.ContentType(), "multipart/") {
		f, err := formFile(c, "file", "qqfile", "photo[user_file]")
		if err != nil {
			s.fail(c, err)
			return
		}
		defer f.Close()
		r = f
	} else {
		r = c.Request.Body
	}
	v, err := s.app.Photos.Upload(c.Request.Context(), session(c), r)
	if err != nil {
		var maxBytes *http.MaxBytesError
		if errors.As(err, &maxBytes) {
			err = &pod.InvalidError{Fields: map[string]string{"file": "the image file is too large"}}
		}
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"success": true, "data": gin.H{"photo": v}})
}

// formFile opens the first of the named multipart files that is present.
func formFile(c *gin.Context, names ...string) (multipart.File, error) {
	for _, n := range names {
		if fh, err := c.FormFile(n); err == nil {
			return fh.Open()
		}
	}
	return nil, &pod.InvalidError{Fields: map[string]string{"file": "choose a photo to upload"}}
}

func (s *Server) deletePhoto(c *gin.Context) {
	if s.withID(c, func(id int64) error { return s.app.Photos.DeletePending(c.Request.Context(), session(c), id) }) {
		s.doneBack(c, "The photo was removed.", "/stream")
	}
}

// showPhoto is GET /photos/:id: the photo's JSON, or its post's page.
// Who may not see the photo gets a 404.
func (s *Server) showPhoto(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		s.fail(c, pod.ErrNotFound)
		return
	}
	v, err := s.app.Photos.Photo(c.Request.Context(), session(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		c.JSON(http.StatusOK, v)
		return
	}
	if v.Post == nil {
		c.Redirect(http.StatusFound, "/stream")
		return
	}
	c.Redirect(http.StatusFound, "/posts/"+v.Post.GUID)
}

// photoFile serves one size of a photo to someone who may see its post
// (a pending photo: its uploader); everyone else gets the 404 of a photo
// that does not exist.
func (s *Server) photoFile(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		s.fail(c, pod.ErrNotFound)
		return
	}
	rc, ctype, err := s.app.Photos.File(c.Request.Context(), session(c), id, c.Param("size"))
	if err != nil {
		s.fail(c, err)
		return
	}
	defer rc.Close()
	// Private: a shared cache must never keep a limited post's photo.
	c.Header("Cache-Control", "private, max-age=600")
	serveImage(c, rc, ctype)
}

// federationPhotoFile serves a posted photo at the token URL its
// federation entity names (remote_photo_path + remote_photo_name).
func (s *Server) federationPhotoFile(c *gin.Context) {
	rc, ctype, err := s.app.Photos.FederationFile(c.Request.Context(), c.Param("token"), c.Param("name"))
	if err != nil {
		s.fail(c, err)
		return
	}
	defer rc.Close()
	c.Header("Cache-Control", "private, max-age=86400")
	serveImage(c, rc, ctype)
}

func serveImage(c *gin.Context, rc io.Reader, ctype string) {
	c.Header("Content-Type", ctype)
	c.Header("X-Content-Type-Options", "nosniff")
	c.Status(http.StatusOK)
	io.Copy(c.Writer, rc)
}

// personPhotosPage is GET /people/:guid/photos.
type personPhotosPage struct {
	Base  BasePage
	Title string
	*photos.PersonPhotos
	NextURL string
}

// personPhotos is GET /people/:guid/photos(.json): the person's photos the
// viewer may see; the JSON is diaspora*'s {"photos": [...]} that diaspy
// reads.
func (s *Server) personPhotos(c *gin.Context) {
	page, err := s.app.Photos.OfPerson(c.Request.Context(), session(c), c.Param("guid"), c.Query("before"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		js := gin.H{"photos": page.Photos}
		if page.Next != "" {
			js["next"] = "/people/" + page.Person.GUID + "/photos.json?before=" + page.Next
		}
		c.JSON(http.StatusOK, js)
		return
	}
	p := &personPhotosPage{Base: s.base(c), Title: "Photos of " + page.Person.Name, PersonPhotos: page}
	if page.Next != "" {
		p.NextURL = "/people/" + page.Person.GUID + "/photos?before=" + page.Next
	}
	s.render(c, http.StatusOK, "photos", p)
}

// photoIDsParam is diaspora*'s photos parameter: photos[]=1&photos[]=2
// in a form; in JSON a list of IDs, or one ID (diaspy sends what its
// upload returned).
type photoIDsParam struct{ idListParam }

// UnmarshalJSON reads a list of IDs, or one ID.
func (p *photoIDsParam) UnmarshalJSON(b []byte) error {
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] != '[' {
		if bytes.Equal(b, []byte("null")) {
			return nil
		}
		b = append(append([]byte("["), b...), ']')
	}
	return p.idListParam.UnmarshalJSON(b)
}

// publisherPhotos is the publisher's part about photos.
type publisherPhotos struct {
	// Photos are the user's pending uploads; PhotoSel the ones checked
	// (attached when the post is shared).
	Photos     []pod.PhotoView
	PhotoSel   map[int64]bool
	PhotoMaxMB int
}

// photoParams are the publisher's photo fields: the pending photos to
// attach (photos[], diaspora*'s name), a pending photo to remove
// (remove_photo) and the no-JS "Upload" button; files come in "file".
type photoParams struct {
	Photos      photoIDsParam `json:"photos"`
	RemovePhoto idParam       `json:"remove_photo"`
	Upload      flagParam     `json:"upload"`
}

// publisherPhotos uploads the files a no-JS publisher sent (field "file")
// and removes the photo its Remove button named. It returns the photos to
// attach (the checked ones and the new uploads) and whether the request
// was only about photos (upload or remove: the form is shown again). If a
// file is refused, the files of this request are deleted again and the
// error names the file.
func (s *Server) publisherPhotos(c *gin.Context, p *photoParams) ([]int64, bool, error) {
	ctx, sess := c.Request.Context(), session(c)
	// bind fills JSON's promoted fields; a form's are read here.
	if err := fillForm(c, reflect.ValueOf(p).Elem(), ""); err != nil {
		return nil, false, err
	}
	ids := []int64(p.Photos.idListParam)
	if p.RemovePhoto > 0 {
		kept := ids[:0]
		for _, id := range ids {
			if id != int64(p.RemovePhoto) {
				kept = append(kept, id)
			}
		}
		return kept, true, s.app.Photos.DeletePending(ctx, sess, int64(p.RemovePhoto))
	}
	var files []*multipart.FileHeader
	if f := c.Request.MultipartForm; f != nil {
		for _, fh := range f.File["file"] {
			if fh.Size > 0 || fh.Filename != "" {
				files = append(files, fh)
			}
		}
	}
	if len(files) > publisherUploads {
		return ids, false, &pod.InvalidError{Fields: map[string]string{"file": "choose at most " + strconv.Itoa(publisherUploads) + " photos at a time"}}
	}
	// Every file is checked before any is stored, so a bad one leaves
	// nothing of this request behind.
	checked := make([]*photos.Checked, len(files))
	for i, fh := range files {
		ch, err := s.checkFile(fh)
		if err != nil {
			var inv *pod.InvalidError
			if errors.As(err, &inv) && inv.Fields["file"] != "" {
				inv.Fields["file"] = fh.Filename + ": " + inv.Fields["file"]
			}
			return ids, false, err
		}
		checked[i] = ch
	}
	var added []int64
	for _, ch := range checked {
		v, err := s.app.Photos.Store(ctx, sess, ch)
		if err != nil {
			for _, id := range added {
				s.app.Photos.DeletePending(ctx, sess, id)
			}
			return ids, false, err
		}
		added = append(added, v.ID)
	}
	return append(ids, added...), bool(p.Upload), nil
}

func (s *Server) checkFile(fh *multipart.FileHeader) (*photos.Checked, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return s.app.Photos.Check(f)
}

// pendingPhotos lists the user's pending uploads in the publisher; on a
// fresh form all of them are checked.
func (s *Server) pendingPhotos(c *gin.Context, pub *publisherView) error {
	list, err := s.app.Photos.Pending(c.Request.Context(), session(c))
	if err != nil {
		return err
	}
	pub.Photos, pub.PhotoMaxMB = list, photos.MaxBytes>>20
	if pub.PhotoSel == nil {
		pub.PhotoSel = map[int64]bool{}
		for _, v := range list {
			pub.PhotoSel[v.ID] = true
		}
	}
	return nil
}
