package web

import "github.com/gin-gonic/gin"

// apiPeopleRoutes registers diaspora*'s API v1 routes for user (PATCH), users, contacts, blocks and aspects.
func (s *Server) apiPeopleRoutes(api *gin.RouterGroup) {}
