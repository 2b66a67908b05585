package web

import (
	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/pod/oidcp"
)

// apiStreamRoutes registers diaspora*'s API v1 routes for the streams,
// search and tag followings.
func (s *Server) apiStreamRoutes(api *gin.RouterGroup) {
	api.GET("/streams/main", s.requireScopes(oidcp.ScopePublicRead), s.apiMainStream)
}
