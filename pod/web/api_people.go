package web

import "github.com/gin-gonic/gin"

// apiPeopleRoutes registers diaspora*'s API v1 routes for user (PATCH), users, contacts, blocks, aspects, search and tag followings.
func (s *Server) apiPeopleRoutes(api *gin.RouterGroup) {}
