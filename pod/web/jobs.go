package web

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"

	"github.com/aspenpod/aspen/pod"
)

// JobsPath is where the job queue dashboard is served to admins.
const JobsPath = "/admin/jobs"

func (s *Server) jobsRoutes() {
	if s.opt.Jobs != nil {
		s.engine.Any(JobsPath, s.jobs)
		s.engine.Any(JobsPath+"/*path", s.jobs)
	}
}

// jobs hands admins' requests to the job queue dashboard; everyone else
// gets the 404 of an unknown page.
func (s *Server) jobs(c *gin.Context) {
	if err := pod.RequireAdmin(session(c)); err != nil {
		s.fail(c, err)
		return
	}
	s.opt.Jobs.ServeHTTP(c.Writer, c.Request)
	c.Abort()
}

// jobsPath reports whether a request goes to the job queue dashboard.
func jobsPath(p string) bool { return p == JobsPath || strings.HasPrefix(p, JobsPath+"/") }

// JobsDashboard is asynqmon, the asynq author's web dashboard for the job
// queues, with the Content-Security-Policy its page needs. Mount it with
// Options.Jobs; the Server shows it to admins only.
type JobsDashboard struct {
	h   *asynqmon.HTTPHandler
	csp string
}

// NewJobsDashboard builds the dashboard over the Redis the job queues use.
// Close it when the server stops.
func NewJobsDashboard(redis asynq.RedisConnOpt) *JobsDashboard {
	h := asynqmon.New(asynqmon.Options{RootPath: JobsPath, RedisConnOpt: redis})
	return &JobsDashboard{h: h, csp: dashboardCSP(h)}
}

// ServeHTTP serves the dashboard's page, assets and API.
func (d *JobsDashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", d.csp)
	d.h.ServeHTTP(w, r)
}

// Close closes the dashboard's Redis connections.
func (d *JobsDashboard) Close() error { return d.h.Close() }

var inlineScript = regexp.MustCompile(`(?s)<script>(.*?)</script>`)

// dashboardCSP is the pod's policy loosened just enough for asynqmon's
// single-page app: its two inline scripts are allowed by their hashes
// (taken from the page it actually serves, so an upgrade cannot silently
// break or widen it). Its stylesheet links to Google Fonts stay blocked:
// the page falls back to the system font and an admin's browser does not
// call Google.
func dashboardCSP(h http.Handler) string {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, JobsPath, nil))
	var hashes []string
	for _, m := range inlineScript.FindAllStringSubmatch(rec.Body.String(), -1) {
		sum := sha256.Sum256([]byte(m[1]))
		hashes = append(hashes, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
	}
	return "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' " + strings.Join(hashes, " ") +
		"; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
}
