package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

func (s *Server) adminRoutes() {
	e := s.engine
	e.GET("/admin/pods", s.adminPods)
	e.GET("/admin/pods.json", s.adminPods)
	s.jobsRoutes()
}

func (s *Server) adminPods(c *gin.Context) {
	pods, err := s.app.Federate.PodsOverview(c.Request.Context(), session(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		c.JSON(http.StatusOK, pods)
		return
	}
	outbox, err := s.app.Federate.OutboxOverview(c.Request.Context(), session(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "admin_pods", adminPodsPage{Base: s.base(c), Pods: pods, Outbox: outbox,
		GiveUpDays: int(s.app.Core.Options().PodGiveUpAfter.Hours() / 24), JobsDashboard: s.opt.Jobs != nil})
}
