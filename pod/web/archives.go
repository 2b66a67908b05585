package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/archives"
	"github.com/aspenpod/aspen/pod/federate"
)

// "Your data" (issue 14): download a copy of your data (diaspora*'s
// /user/export_profile and /user/download_profile), and import a diaspora*
// archive into this account.

// archiveUploadLimit bounds an archive upload's request body.
const archiveUploadLimit = federate.MaxArchiveUpload + formBodyLimit

// exportPage is the "your data" page. While an export is being made it
// reloads itself every few seconds (a Refresh header: no JavaScript).
type exportPage struct {
	Base   BasePage
	Status *archives.Status
	// Refresh is the reload interval in seconds (0: no reload).
	Refresh int
	// Import is the state of the user's archive import (linked to its page).
	Import *federate.ImportStatus
	Errors map[string]string
}

// archiveRoutes adds the "your data" routes to the signed-in group.
func (s *Server) archiveRoutes(auth *gin.RouterGroup) {
	auth.GET("/user/export", s.exportForm)
	auth.POST("/user/export_profile", s.requestExport)
	auth.GET("/user/download_profile", s.download("archive"))
	auth.GET("/user/download_photos", s.download("photos"))
	auth.POST("/user/import", s.importArchive)
	auth.GET("/user/import", s.importStatus)
}

func (s *Server) exportPage(c *gin.Context) (exportPage, error) {
	st, err := s.app.Archives.Status(c.Request.Context(), session(c))
	p := exportPage{Base: s.base(c), Status: st, Errors: map[string]string{}}
	if err != nil {
		return p, err
	}
	if st.Working() {
		p.Refresh = 3
	}
	p.Import, err = s.app.Federate.ImportStatus(c.Request.Context(), session(c))
	return p, err
}

// exportForm is GET /user/export.
func (s *Server) exportForm(c *gin.Context) {
	p, err := s.exportPage(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if p.Refresh > 0 {
		// Reloads the page without JavaScript while the export is made.
		c.Header("Refresh", strconv.Itoa(p.Refresh))
	}
	s.render(c, http.StatusOK, "export", p)
}

// requestExport is POST /user/export_profile: it queues a new export and
// shows its progress.
func (s *Server) requestExport(c *gin.Context) {
	if err := s.app.Archives.Request(c.Request.Context(), session(c)); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/user/export")
}

// download serves a ready export's file to its owner.
func (s *Server) download(what string) gin.HandlerFunc {
	return func(c *gin.Context) {
		f, err := s.app.Archives.Download(c.Request.Context(), session(c), what)
		if err != nil {
			s.fail(c, err)
			return
		}
		defer f.Body.Close()
		h := c.Writer.Header()
		h.Set("Content-Type", f.ContentType)
		h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", f.Name))
		h.Set("Cache-Control", "private, no-store")
		if f.Size > 0 {
			h.Set("Content-Length", strconv.FormatInt(f.Size, 10))
		}
		c.Status(http.StatusOK)
		io.Copy(c.Writer, f.Body)
	}
}

// importArchive is POST /user/import: the multipart field "archive" (or
// diaspora*'s "user[export]") holds a diaspora* archive, gzipped or not.
// It is checked here and imported by a job: the answer is the import's
// page, which shows its progress (a script gets 202 and the status).
func (s *Server) importArchive(c *gin.Context) {
	p, err := s.exportPage(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	fh, err := c.FormFile("archive")
	if err != nil {
		fh, err = c.FormFile("user[export]")
	}
	var maxBytes *http.MaxBytesError
	if errors.As(err, &maxBytes) {
		s.fail(c, errTooLarge)
		return
	}
	if err != nil {
		p.Errors["archive"] = "choose the archive file to import"
		s.importInvalid(c, p)
		return
	}
	f, err := fh.Open()
	if err != nil {
		s.fail(c, err)
		return
	}
	defer f.Close()
	err = s.app.Federate.QueueImport(c.Request.Context(), session(c), f)
	var inv *pod.InvalidError
	switch {
	case err == nil:
		if wantsJSON(c) {
			st, err := s.app.Federate.ImportStatus(c.Request.Context(), session(c))
			if err != nil {
				s.fail(c, err)
				return
			}
			c.Header("Location", "/user/import")
			c.JSON(http.StatusAccepted, st)
			return
		}
		c.Redirect(http.StatusSeeOther, "/user/import")
	case errors.As(err, &inv):
		p.Errors = inv.Fields
		if inv.Message != "" {
			p.Errors["archive"] = inv.Message
		}
		s.importInvalid(c, p)
	default:
		s.fail(c, err)
	}
}

// importInvalid answers a refused upload: 422 with the message, as the
// "your data" page with its form or as JSON.
func (s *Server) importInvalid(c *gin.Context, p exportPage) {
	if wantsJSON(c) {
		c.JSON(http.StatusUnprocessableEntity, gin.H{"errors": p.Errors})
		return
	}
	s.render(c, http.StatusUnprocessableEntity, "export", p)
}

// importPage is the page of the user's archive import: its progress while
// it runs (the page reloads itself: a Refresh header, no JavaScript), then
// what it imported or why it failed.
type importPage struct {
	Base   BasePage
	Status *federate.ImportStatus
	// Refresh is the reload interval in seconds (0: no reload).
	Refresh int
	Errors  map[string]string
}

// importStatus is GET /user/import (JSON for scripts).
func (s *Server) importStatus(c *gin.Context) {
	st, err := s.app.Federate.ImportStatus(c.Request.Context(), session(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	p := importPage{Base: s.base(c), Status: st, Errors: map[string]string{}}
	if st.Working() {
		p.Refresh = 2
		c.Header("Refresh", strconv.Itoa(p.Refresh))
	}
	if wantsJSON(c) {
		c.Header("Cache-Control", "private, no-store")
		c.JSON(http.StatusOK, st)
		return
	}
	s.render(c, http.StatusOK, "import", p)
}
