// Package web serves the pod's pages and JSON over HTTP with gin. Handlers
// are thin: they bind a form, call one use case of pod.App and render a page
// struct or redirect. Errors map to statuses in one place (errors.go).
package web

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/media"
)

// Options configure the web layer.
type Options struct {
	// PodName is shown in the header.
	PodName string
	// Secret signs CSRF tokens and flash cookies.
	Secret string
	// SecureCookies sets the Secure flag on cookies (production, https).
	SecureCookies bool
	// TrustedProxies are the addresses whose X-Forwarded-For is believed.
	TrustedProxies []string
	// Media serves uploaded files under /uploads/.
	Media media.Store
	// Extra mounts more routes (federation endpoints, the job dashboard).
	Extra func(*gin.Engine)
}

// Server holds the HTTP side of the pod. It has no database handle: all it
// can do goes through pod.App.
type Server struct {
	app    *pod.App
	opt    Options
	pages  *renderer
	log    *slog.Logger
	engine *gin.Engine
}

// Body limits for requests that are not uploads.
const formBodyLimit = 1 << 20

// New builds the server and its routes.
func New(app *pod.App, opt Options, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.Default()
	}
	pages, err := newRenderer()
	if err != nil {
		return nil, err
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = false
	e.RedirectTrailingSlash = true
	e.MaxMultipartMemory = 8 << 20
	if err := e.SetTrustedProxies(opt.TrustedProxies); err != nil {
		return nil, err
	}
	s := &Server{app: app, opt: opt, pages: pages, log: log, engine: e}
	e.Use(s.recover, s.logRequests, s.securityHeaders, s.limitBody, s.loadSession, s.csrf)
	s.routes()
	if opt.Extra != nil {
		opt.Extra(e)
	}
	e.NoRoute(func(c *gin.Context) { s.fail(c, pod.ErrNotFound) })
	return s, nil
}

// Handler returns the http.Handler to serve.
func (s *Server) Handler() http.Handler { return s.engine }

func (s *Server) routes() {
	e := s.engine
	e.GET("/", s.home)
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/assets/*path", s.assets)
	e.GET("/uploads/*key", s.uploads)

	e.GET("/users/sign_up", s.signUpForm)
	e.GET("/registrations_closed", s.signUpForm)
	e.POST("/users", s.signUp)
	e.GET("/i/:code", s.invite)
	e.GET("/users/sign_in", s.signInForm)
	e.GET("/login", func(c *gin.Context) { c.Redirect(http.StatusFound, "/users/sign_in") })
	e.POST("/users/sign_in", s.signIn)
	e.POST("/users/sign_out", s.signOut)
	e.DELETE("/users/sign_out", s.signOut)

	auth := e.Group("/", s.requireUser)
	auth.GET("/user/edit", s.settingsForm)
	auth.POST("/user", s.updateSettings)
	auth.PUT("/user", s.updateSettings)
	auth.GET("/profile/edit", s.profileForm)
	auth.POST("/profile", s.updateProfile)
	auth.PUT("/profile", s.updateProfile)

	e.GET("/people/:guid", s.profile)
	e.GET("/u/:username", s.userProfile)
}
