package web

// federationRoutes mounts the endpoints other pods use (discovery, fetch,
// receive).
func (s *Server) federationRoutes() {}
