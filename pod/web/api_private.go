package web

import "github.com/gin-gonic/gin"

// apiPrivateRoutes registers diaspora*'s API v1 routes for notifications, conversations and photos.
func (s *Server) apiPrivateRoutes(api *gin.RouterGroup) {}
