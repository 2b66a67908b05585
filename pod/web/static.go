package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/assets"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/media"
)

var assetServer = http.FileServer(http.FS(assets.FS))

func (s *Server) assets(c *gin.Context) {
	p := c.Param("path")
	if strings.HasSuffix(p, "/") {
		s.fail(c, errNotFoundAsset)
		return
	}
	c.Header("Cache-Control", "public, max-age=3600")
	req := c.Request.Clone(c.Request.Context())
	req.URL.Path = p
	assetServer.ServeHTTP(c.Writer, req)
}

var errNotFoundAsset = errors.New("not found")

func (s *Server) uploads(c *gin.Context) {
	key := strings.TrimPrefix(c.Param("key"), "/")
	// Only avatars are public files; post photos are served by
	// photoFile behind their post's access check, and raw uploads never.
	if s.opt.Media == nil || key == "" || !strings.HasPrefix(key, media.Avatars.Prefix+"/") {
		c.Status(http.StatusNotFound)
		return
	}
	rc, ctype, err := s.opt.Media.Open(c.Request.Context(), key)
	if err != nil {
		c.Status(http.StatusNotFound)
		return
	}
	defer rc.Close()
	c.Header("Cache-Control", "public, max-age=31536000, immutable")
	c.Header("Content-Type", ctype)
	c.Status(http.StatusOK)
	io.Copy(c.Writer, rc)
}

func (s *Server) healthz(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) }

func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := s.app.Core.Ready(ctx); err != nil {
		s.log.Warn("not ready", "err", err)
		msg := "a backing service is unreachable"
		var dep *pod.DependencyError
		if errors.As(err, &dep) {
			msg = dep.Name + " is unreachable"
		}
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "error": msg})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}
