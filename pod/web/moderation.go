package web

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/federate"
	"github.com/aspenpod/aspen/pod/moderation"
)

// Moderation and running the pod: reports (everyone signed in files them,
// moderators and admins handle them), the admins' dashboard, users,
// settings and pod blocks, the terms and statistics pages, and the rate
// limits of the actions spammers repeat.

// rateLimited maps "METHOD /route" to the kind of action it counts
// against (pod.RateLimits). A route added later is limited by one line
// here.
var rateLimited = map[string]string{
	"POST /status_messages":               pod.LimitPosts,
	"POST /reshares":                      pod.LimitPosts,
	"POST /posts/:id/comments":            pod.LimitComments,
	"POST /report":                        pod.LimitComments,
	"POST /posts/:id/likes":               pod.LimitLikes,
	"POST /posts/:id/comments/:cid/likes": pod.LimitLikes,
	"POST /posts/:id/poll_participations": pod.LimitLikes,
	"POST /users":                         pod.LimitSignUps,
	// Private conversations: starting one and answering in one.
	"POST /conversations":              pod.LimitConversations,
	"POST /conversations/:id/messages": pod.LimitConversations,
}

// rateLimit counts a request of a rate-limited route (rateLimited) for
// the signed-in person and the client address; over the limit it answers
// 429 with Retry-After and the handler does not run.
func (s *Server) rateLimit(c *gin.Context) {
	kind, ok := rateLimited[c.Request.Method+" "+c.FullPath()]
	if !ok {
		c.Next()
		return
	}
	var uid int64
	if sess := session(c); sess != nil {
		uid = sess.UserID
	}
	if err := s.app.Core.CheckRateLimit(c.Request.Context(), kind, uid, c.ClientIP()); err != nil {
		s.fail(c, err)
		c.Abort()
		return
	}
	c.Next()
}

func (s *Server) moderationRoutes() {
	e := s.engine
	// Reports, as diaspora* routes them (POST /report; the queue at GET
	// /report and PUT/DELETE /report/:id), with a no-JS form.
	e.GET("/report/new", s.requireUser, s.reportForm)
	e.POST("/report", s.requireUser, s.createReport)
	e.GET("/report", s.reports)
	e.GET("/admin/reports", s.reports)
	e.GET("/admin/reports.json", s.reports)
	e.PUT("/report/:id", s.reviewReport)
	e.DELETE("/report/:id", s.deleteReported)
	e.POST("/admin/reports/:id/review", s.reviewReport)
	e.POST("/admin/reports/:id/delete", s.deleteReported)

	e.GET("/admin", s.dashboard)
	e.GET("/admin.json", s.dashboard)
	e.GET("/admin/users", s.adminUsers)
	e.GET("/admin/users.json", s.adminUsers)
	e.GET("/admin/users/:id", s.adminUser)
	e.POST("/admin/users/:id/:action", s.adminUserAction)
	e.GET("/admin/settings", s.adminSettings)
	e.POST("/admin/settings", s.saveSettings)
	e.GET("/admin/blocks", s.adminBlocks)
	e.GET("/admin/blocks.json", s.adminBlocks)
	e.GET("/admin/blocks.csv", s.exportBlocks)
	e.POST("/admin/blocks", s.blockPod)
	e.POST("/admin/blocks/import", s.importBlocks)
	e.POST("/admin/blocks/remove", s.unblockPod)
	e.POST("/admin/pods/:host/recheck", s.recheckPod)

	e.GET("/terms", s.terms)
	e.GET("/statistics", s.statistics)
	e.GET("/statistics.json", s.statistics)
}

func (s *Server) reportForm(c *gin.Context) {
	typ, id := c.Query("item_type"), c.Query("item_id")
	if typ != moderation.ItemPost && typ != moderation.ItemComment || id == "" {
		s.fail(c, pod.ErrNotFound)
		return
	}
	s.render(c, http.StatusOK, "report_form", reportFormPage{Base: s.base(c), ItemType: typ, ItemID: id, ReturnTo: c.Query("return_to"),
		Errors: map[string]string{}})
}

func formValue(c *gin.Context, names ...string) string {
	for _, n := range names {
		if v := c.PostForm(n); v != "" {
			return v
		}
	}
	return ""
}

func (s *Server) createReport(c *gin.Context) {
	in := moderation.ReportInput{
		ItemType: formValue(c, "report[item_type]", "item_type"),
		ItemID:   formValue(c, "report[item_id]", "item_id"),
		Reason:   formValue(c, "report[text]", "text", "reason"),
	}
	// diaspora*'s clients send "Post" and "Comment".
	in.ItemType = strings.ToLower(in.ItemType)
	err := s.app.Moderation.Report(c.Request.Context(), session(c), in)
	var inv *pod.InvalidError
	if errors.As(err, &inv) && !wantsJSON(c) {
		p := reportFormPage{Base: s.base(c), ItemType: in.ItemType, ItemID: in.ItemID, Reason: in.Reason,
			ReturnTo: c.PostForm("return_to"), Message: inv.Message, Errors: inv.Fields}
		s.render(c, http.StatusUnprocessableEntity, "report_form", p)
		return
	}
	to := c.PostForm("return_to")
	if to == "" && in.ItemType == moderation.ItemPost {
		to = "/posts/" + url.PathEscape(in.ItemID)
	}
	s.actionDone(c, err, "Thank you: the moderators of this pod will look at it.", safeReturnTo(to))
}

// actionDone ends a moderation action: the error page for err, else
// {"success": true} for scripts, or the notice and a redirect to to.
func (s *Server) actionDone(c *gin.Context, err error, notice, to string) {
	if err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		c.JSON(http.StatusOK, gin.H{"success": true})
		return
	}
	s.flash(c, "notice", notice)
	c.Redirect(http.StatusFound, to)
}

func (s *Server) reports(c *gin.Context) {
	all := c.Query("all") == "1"
	page, err := s.app.Moderation.Reports(c.Request.Context(), session(c), all, c.Query("before"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		c.JSON(http.StatusOK, page)
		return
	}
	s.render(c, http.StatusOK, "admin_reports", adminReportsPage{Base: s.base(c), Page: page, All: all})
}

func (s *Server) reportAction(c *gin.Context, f func(sess *pod.Session, id int64) error, notice string) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		s.fail(c, pod.ErrNotFound)
		return
	}
	s.actionDone(c, f(session(c), id), notice, "/admin/reports")
}

func (s *Server) reviewReport(c *gin.Context) {
	s.reportAction(c, func(sess *pod.Session, id int64) error {
		return s.app.Moderation.ReviewReport(c.Request.Context(), sess, id)
	}, "The report is marked reviewed.")
}

func (s *Server) deleteReported(c *gin.Context) {
	s.reportAction(c, func(sess *pod.Session, id int64) error {
		return s.app.Moderation.DeleteReported(c.Request.Context(), sess, id)
	}, "The reported item is deleted (and retracted from other pods if it was written here).")
}

func (s *Server) dashboard(c *gin.Context) {
	d, err := s.app.Moderation.Dashboard(c.Request.Context(), session(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		c.JSON(http.StatusOK, d)
		return
	}
	s.render(c, http.StatusOK, "admin_dashboard", adminDashboardPage{Base: s.base(c), D: d})
}

func (s *Server) adminUsers(c *gin.Context) {
	q, pending := c.Query("q"), c.Query("pending") == "1"
	users, err := s.app.Moderation.SearchUsers(c.Request.Context(), session(c), q, pending)
	if err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		c.JSON(http.StatusOK, users)
		return
	}
	s.render(c, http.StatusOK, "admin_users", adminUsersPage{Base: s.base(c), Query: q, Pending: pending, Users: users})
}

func (s *Server) adminUser(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		s.fail(c, pod.ErrNotFound)
		return
	}
	u, err := s.app.Moderation.User(c.Request.Context(), session(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "admin_user", adminUserPage{Base: s.base(c), U: u, MailEnabled: s.app.Core.MailEnabled(),
		Self: session(c).UserID == u.ID})
}

func (s *Server) adminUserAction(c *gin.Context) {
	ctx, sess := c.Request.Context(), session(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		s.fail(c, pod.ErrNotFound)
		return
	}
	m := s.app.Moderation
	var notice string
	switch c.Param("action") {
	case "lock":
		err, notice = m.SetLocked(ctx, sess, id, true), "The account is locked and signed out everywhere."
	case "unlock":
		err, notice = m.SetLocked(ctx, sess, id, false), "The account is unlocked."
	case "approve":
		err, notice = m.SetLocked(ctx, sess, id, false), "The account is approved: its owner can sign in."
	case "close":
		err, notice = m.CloseAccount(ctx, sess, id), "The account is closed."
	case "reset_password":
		err, notice = m.SendPasswordReset(ctx, sess, id), "A password reset link was mailed to the user."
	case "role":
		err, notice = m.SetRole(ctx, sess, id, c.PostForm("role"), c.PostForm("grant") == "1"), "The user's roles are changed."
	case "invites":
		n, _ := strconv.Atoi(strings.TrimSpace(c.PostForm("count")))
		err, notice = m.AddInvites(ctx, sess, id, n), "Invites added."
	default:
		err = pod.ErrNotFound
	}
	s.actionDone(c, err, notice, "/admin/users/"+strconv.FormatInt(id, 10))
}

func (s *Server) adminSettings(c *gin.Context) {
	if err := pod.RequireAdmin(session(c)); err != nil {
		s.fail(c, err)
		return
	}
	about, err := s.app.Moderation.About(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	ps, err := s.app.Core.PodSettings(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "admin_settings", adminSettingsPage{Base: s.base(c), Registrations: about.Registrations,
		Description: about.Description, Terms: about.Terms, PublishStatistics: ps.PublishStatistics, Errors: map[string]string{}})
}

func (s *Server) saveSettings(c *gin.Context) {
	in := moderation.SettingsInput{Registrations: c.PostForm("registrations"), Description: c.PostForm("description"),
		Terms: c.PostForm("terms"), PublishStatistics: c.PostForm("publish_statistics") == "1"}
	err := s.app.Moderation.SaveSettings(c.Request.Context(), session(c), in)
	var inv *pod.InvalidError
	if errors.As(err, &inv) && !wantsJSON(c) {
		s.render(c, http.StatusUnprocessableEntity, "admin_settings", adminSettingsPage{Base: s.base(c), Registrations: in.Registrations,
			Description: in.Description, Terms: in.Terms, PublishStatistics: in.PublishStatistics, Errors: inv.Fields})
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "notice", "The settings are saved and apply now.")
	c.Redirect(http.StatusFound, "/admin/settings")
}

func (s *Server) adminBlocks(c *gin.Context) {
	blocks, err := s.app.Federate.ModeratedPods(c.Request.Context(), session(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		c.JSON(http.StatusOK, blocks)
		return
	}
	s.render(c, http.StatusOK, "admin_blocks", adminBlocksPage{Base: s.base(c), Blocks: blocks, Errors: map[string]string{}, Subdomains: true})
}

func (s *Server) blockPod(c *gin.Context) {
	in := federate.BlockInput{Domain: c.PostForm("domain"), Subdomains: c.PostForm("subdomains") == "1",
		Severity: c.PostForm("severity"), Reason: c.PostForm("reason")}
	err := s.app.Federate.BlockPod(c.Request.Context(), session(c), in)
	var inv *pod.InvalidError
	if errors.As(err, &inv) && !wantsJSON(c) {
		blocks, lerr := s.app.Federate.ModeratedPods(c.Request.Context(), session(c))
		if lerr != nil {
			s.fail(c, lerr)
			return
		}
		s.render(c, http.StatusUnprocessableEntity, "admin_blocks", adminBlocksPage{Base: s.base(c), Blocks: blocks, Errors: inv.Fields,
			Domain: in.Domain, Subdomains: in.Subdomains, Severity: in.Severity, Reason: in.Reason})
		return
	}
	s.blocksDone(c, err, "The pod's domain is "+strings.TrimSuffix(in.Severity, "e")+"ed.")
}

func (s *Server) blocksDone(c *gin.Context, err error, notice string) {
	s.actionDone(c, err, notice, "/admin/blocks")
}

func (s *Server) unblockPod(c *gin.Context) {
	err := s.app.Federate.UnblockPod(c.Request.Context(), session(c), c.PostForm("domain"))
	s.blocksDone(c, err, "The decision is lifted: the pod's people, their posts and the contacts with them are back.")
}

// importLimit bounds an uploaded block list.
const importLimit = 1 << 20

func (s *Server) importBlocks(c *gin.Context) {
	if err := pod.RequireAdmin(session(c)); err != nil {
		s.fail(c, err)
		return
	}
	data := []byte(c.PostForm("csv"))
	if fh, err := c.FormFile("file"); err == nil {
		f, err := fh.Open()
		if err != nil {
			s.fail(c, err)
			return
		}
		data, err = io.ReadAll(io.LimitReader(f, importLimit+1))
		f.Close()
		if err != nil {
			s.fail(c, err)
			return
		}
	}
	if len(data) > importLimit {
		s.fail(c, &pod.InvalidError{Fields: map[string]string{"file": "is larger than 1 MB"}})
		return
	}
	n, err := s.app.Federate.ImportBlocks(c.Request.Context(), session(c), data)
	s.blocksDone(c, err, strconv.Itoa(n)+" domains imported.")
}

func (s *Server) exportBlocks(c *gin.Context) {
	b, err := s.app.Federate.ExportBlocks(c.Request.Context(), session(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="blocked-pods.csv"`)
	c.Data(http.StatusOK, "text/csv; charset=utf-8", b)
}

func (s *Server) recheckPod(c *gin.Context) {
	err := s.app.Federate.RecheckPod(c.Request.Context(), session(c), c.Param("host"))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "notice", "The pod was checked again: see its state below.")
	c.Redirect(http.StatusFound, "/admin/pods")
}

func (s *Server) terms(c *gin.Context) {
	about, err := s.app.Moderation.About(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	if about.Terms == "" {
		s.fail(c, pod.ErrNotFound)
		return
	}
	s.render(c, http.StatusOK, "terms", termsPage{Base: s.base(c), About: about})
}

func (s *Server) statistics(c *gin.Context) {
	st, err := s.app.Moderation.Statistics(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		c.JSON(http.StatusOK, st)
		return
	}
	s.render(c, http.StatusOK, "statistics", statisticsPage{Base: s.base(c), S: st})
}

// Page structs of the moderation pages.
type (
	reportFormPage struct {
		Base     BasePage
		ItemType string
		ItemID   string
		Reason   string
		ReturnTo string
		Message  string
		Errors   map[string]string
	}
	adminReportsPage struct {
		Base BasePage
		Page *moderation.ReportsPage
		All  bool
	}
	adminDashboardPage struct {
		Base BasePage
		D    *moderation.DashboardView
	}
	adminUsersPage struct {
		Base    BasePage
		Query   string
		Pending bool
		Users   []moderation.UserView
	}
	adminUserPage struct {
		Base        BasePage
		U           *moderation.UserView
		MailEnabled bool
		Self        bool
	}
	adminSettingsPage struct {
		Base              BasePage
		Registrations     string
		Description       string
		Terms             string
		PublishStatistics bool
		Errors            map[string]string
	}
	adminBlocksPage struct {
		Base       BasePage
		Blocks     []federate.ModeratedPodView
		Errors     map[string]string
		Domain     string
		Subdomains bool
		Severity   string
		Reason     string
	}
	termsPage struct {
		Base  BasePage
		About *moderation.About
	}
	statisticsPage struct {
		Base BasePage
		S    *moderation.Statistics
	}
)
