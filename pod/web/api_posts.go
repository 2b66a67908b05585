package web

import "github.com/gin-gonic/gin"

// apiPostRoutes registers diaspora*'s API v1 routes for posts and their comments, likes, reshares and interactions.
func (s *Server) apiPostRoutes(api *gin.RouterGroup) {}
