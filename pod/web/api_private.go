package web

import "github.com/gin-gonic/gin"

// apiPrivateRoutes registers diaspora*'s API v1 routes for notifications, conversations, photos and the streams other than main.
func (s *Server) apiPrivateRoutes(api *gin.RouterGroup) {}
