package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/federation/receive"
	"github.com/aspenpod/aspen/pod/federate/documents"
)

// federationRoutes mounts the endpoints other pods use (discovery, fetch,
// receive). They live at the root of the host (§1.6).
func (s *Server) federationRoutes() {
	e := s.engine
	e.GET("/.well-known/webfinger", s.webFinger)
	e.GET("/.well-known/host-meta", s.hostMeta)
	e.GET("/.well-known/nodeinfo", s.wellKnownNodeInfo)
	e.GET("/nodeinfo/:version", s.nodeInfo)
	e.GET("/hcard/users/:guid", s.hCard)
	e.GET("/fetch/:type/:guid", s.fetch)
	// Receive: 202 at once, 404 only for an unknown private recipient; the
	// body is queued for the receive job. Friendica posts with a trailing
	// slash, so both forms are routes of their own (no redirect on POST).
	h := &receive.Handler{Enqueuer: s.app.Federate, Recipients: s.app.Federate,
		OnDrop: func(r *http.Request, recipient, reason string) {
			s.log.Warn("federation: delivery dropped", "reason", reason, "recipient", recipient, "remote", r.RemoteAddr)
		}}
	public := func(c *gin.Context) { h.ServePublic(c.Writer, c.Request) }
	private := func(c *gin.Context) { h.ServePrivate(c.Writer, c.Request, c.Param("guid")) }
	e.POST("/receive/public", public)
	e.POST("/receive/public/", public)
	e.POST("/receive/users/:guid", private)
	e.POST("/receive/users/:guid/", private)
}

// federationDocument writes a document for another pod, or its redirect.
// Discovery documents are readable from any origin, as diaspora* serves
// them.
func federationDocument(c *gin.Context, doc *documents.FederationDocument, cors bool) {
	if doc.RedirectURL != "" {
		c.Redirect(http.StatusFound, doc.RedirectURL)
		return
	}
	if cors {
		c.Header("Access-Control-Allow-Origin", "*")
	}
	c.Data(http.StatusOK, doc.ContentType, doc.Body)
}

// webFinger answers GET /.well-known/webfinger?resource=acct:user@host.
func (s *Server) webFinger(c *gin.Context) {
	resource, ok := c.GetQuery("resource")
	if !ok || resource == "" {
		s.fail(c, fmt.Errorf("%w: the resource parameter is missing", errBadRequest))
		return
	}
	doc, err := s.app.Documents.WebFinger(c.Request.Context(), resource)
	if errors.Is(err, documents.ErrBadResource) {
		err = fmt.Errorf("%w: %w", errBadRequest, err)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	federationDocument(c, doc, true)
}

// hostMeta answers GET /.well-known/host-meta.
func (s *Server) hostMeta(c *gin.Context) {
	federationDocument(c, s.app.Documents.HostMeta(), true)
}

// wellKnownNodeInfo answers GET /.well-known/nodeinfo.
func (s *Server) wellKnownNodeInfo(c *gin.Context) {
	federationDocument(c, s.app.Documents.WellKnownNodeInfo(), true)
}

// nodeInfo answers GET /nodeinfo/2.0 and /nodeinfo/2.1.
func (s *Server) nodeInfo(c *gin.Context) {
	doc, err := s.app.Documents.NodeInfo(c.Request.Context(), c.Param("version"))
	if err != nil {
		s.fail(c, err)
		return
	}
	federationDocument(c, doc, true)
}

// hCard answers GET /hcard/users/:guid.
func (s *Server) hCard(c *gin.Context) {
	doc, err := s.app.Documents.HCard(c.Request.Context(), c.Param("guid"))
	if err != nil {
		s.fail(c, err)
		return
	}
	federationDocument(c, doc, true)
}

// fetch answers GET /fetch/:type/:guid: a signed magic envelope, a redirect
// to the author's pod, or 404.
func (s *Server) fetch(c *gin.Context) {
	doc, err := s.app.Documents.FetchPublic(c.Request.Context(), c.Param("type"), c.Param("guid"))
	if err != nil {
		s.fail(c, err)
		return
	}
	federationDocument(c, doc, false)
}
