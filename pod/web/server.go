// Package web serves the pod's pages and JSON over HTTP with gin. Handlers
// are thin: they bind a form, call one use case (a service of pod/app) and
// render a page struct or redirect. Errors map to statuses in one place (errors.go).
package web

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/app"
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
	// Jobs, when set, is served to admins at JobsPath and below: the job
	// queue dashboard (NewJobsDashboard). Its own Content-Security-Policy
	// replaces the pod's there; its API writes are checked by origin
	// instead of a CSRF token (see csrf).
	Jobs http.Handler
	// Extra mounts more routes.
	Extra func(*gin.Engine)
}

// Server holds the HTTP side of the pod. It has no database handle: all it
// can do goes through the services of pod/app.
type Server struct {
	app    *app.App
	opt    Options
	pages  *renderer
	log    *slog.Logger
	engine *gin.Engine
	// crossOrigin checks the origin of the job dashboard's API writes.
	crossOrigin *http.CrossOriginProtection
}

// Body limits for requests that are not uploads.
const formBodyLimit = 1 << 20

// New builds the server and its routes.
func New(app *app.App, opt Options, log *slog.Logger) (*Server, error) {
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
	e.MaxMultipartMemory = maxMultipartMemory
	if err := e.SetTrustedProxies(opt.TrustedProxies); err != nil {
		return nil, err
	}
	s := &Server{app: app, opt: opt, pages: pages, log: log, engine: e, crossOrigin: http.NewCrossOriginProtection()}
	e.Use(s.recover, s.logRequests, s.securityHeaders, s.limitBody, s.loadSession, s.checkInput, s.csrf, s.rateLimit)
	s.routes()
	if opt.Extra != nil {
		opt.Extra(e)
	}
	e.NoRoute(func(c *gin.Context) {
		if s.apiNoRoute(c) { // unknown /api/v1 paths (api.go)
			return
		}
		s.fail(c, pod.ErrNotFound)
	})
	return s, nil
}

// Handler returns the http.Handler to serve. It honours Rails' method
// override (a POST with _method=put|patch|delete), which diaspora*'s forms
// and clients use.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && !strings.HasPrefix(r.URL.Path, "/receive/") {
			m := r.URL.Query().Get("_method")
			if m == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
				r.Body = http.MaxBytesReader(w, r.Body, formBodyLimit)
				if err := r.ParseForm(); err == nil {
					m = r.PostForm.Get("_method")
				}
			}
			switch strings.ToUpper(m) {
			case http.MethodPut, http.MethodPatch, http.MethodDelete:
				r.Method = strings.ToUpper(m)
			}
		}
		s.engine.ServeHTTP(w, r)
	})
}

// Routes lists the registered routes (method and path pattern), so that
// tests can cover every route, including ones added later.
func (s *Server) Routes() gin.RoutesInfo { return s.engine.Routes() }

func (s *Server) routes() {
	e := s.engine
	e.GET("/", s.home)
	e.GET("/healthz", s.healthz)
	s.federationRoutes()
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
	e.GET("/users/password/new", s.passwordRequestForm)
	e.POST("/users/password", s.passwordRequest)
	e.GET("/users/password/edit", s.passwordResetForm)
	e.POST("/users/password/edit", s.passwordReset)
	e.GET("/users/confirmation", s.confirmEmail)
	e.GET("/users/confirmation/new", s.confirmationRequestForm)
	e.POST("/users/confirmation", s.confirmationRequest)
	e.DELETE("/users/sign_out", s.signOut)

	auth := e.Group("/", s.requireUser)
	auth.GET("/user/edit", s.settingsForm)
	auth.POST("/user", s.updateSettings)
	auth.PUT("/user", s.updateSettings)
	auth.GET("/user/close", s.closeAccountForm)
	auth.DELETE("/user", s.closeAccount)
	auth.GET("/profile/edit", s.profileForm)
	auth.POST("/profile", s.updateProfile)
	auth.PUT("/profile", s.updateProfile)
	s.archiveRoutes(auth)

	e.GET("/people/:guid", s.profile)
	e.GET("/people/:guid/stream", s.personStream)
	e.GET("/people/:guid/stream.json", s.personStream) // diaspy's people.User
	e.GET("/u/:username", s.userProfile)
	e.GET("/people", s.people)
	e.GET("/people.json", s.people)
	e.GET("/search", s.search) // people and #tags (search.go)

	// Streams. Public, tag and person streams need no sign-in.
	for path, def := range streamDefs {
		h := s.streamHandler(def)
		e.GET(path, h)
		e.GET(path+".json", h)
	}
	e.GET("/tags/:name", s.tagStream)
	e.GET("/tags", s.searchTags)
	e.GET("/bookmarklet", s.requireUser, s.bookmarklet)

	// Posts and what people do with them.
	e.GET("/posts/:id", s.showPost)
	e.GET("/p/:id", func(c *gin.Context) { c.Redirect(http.StatusMovedPermanently, "/posts/"+url.PathEscape(c.Param("id"))) })
	e.GET("/posts/:id/comments", s.comments)
	e.GET("/posts/:id/comments.json", s.comments)
	e.GET("/posts/:id/likes", s.likes)
	e.GET("/posts/:id/likes.json", s.likes)
	auth.POST("/status_messages", s.createPost)
	// The publisher's helpers (publisher.go): mention completion, preview.
	e.GET("/posts/:id/mentionable", asJSON, s.requireUser, s.mentionable)
	auth.POST("/posts/preview", s.previewPost)
	// A form that failed re-renders its page at the POST's address;
	// reloading that page then GETs it: answer with the page the form is on.
	for path, to := range map[string]string{"/status_messages": "/stream", "/profile": "/profile/edit", "/user": "/user/edit", "/users": "/users/sign_up"} {
		e.GET(path, func(c *gin.Context) { c.Redirect(http.StatusFound, to) })
	}
	auth.DELETE("/posts/:id", s.deletePost)
	auth.POST("/posts/:id/comments", s.createComment)
	auth.DELETE("/posts/:id/comments/:cid", s.deleteComment)
	auth.DELETE("/comments/:id", s.deleteComment)
	auth.POST("/posts/:id/likes", s.likePost)
	auth.DELETE("/posts/:id/likes", s.likePost)
	auth.DELETE("/posts/:id/likes/:lid", s.likePost)
	auth.POST("/posts/:id/comments/:cid/likes", s.likePost)
	auth.DELETE("/posts/:id/comments/:cid/likes", s.likePost)
	auth.POST("/posts/:id/poll_participations", s.vote)
	auth.POST("/posts/:id/participation", s.participation)
	auth.DELETE("/posts/:id/participation", s.participation)
	auth.POST("/reshares", s.reshare)
	auth.PUT("/share_visibilities/:id", s.hidePost)
	s.photoRoutes()

	// Aspects, contacts, blocks.
	auth.POST("/aspects", s.createAspect)
	auth.PUT("/aspects/order", s.orderAspects)
	auth.PUT("/aspects/:id", s.updateAspect)
	auth.PATCH("/aspects/:id", s.updateAspect)
	auth.DELETE("/aspects/:id", s.deleteAspect)
	auth.GET("/contacts", s.contacts)
	auth.GET("/contacts.json", s.contacts)
	auth.POST("/aspect_memberships", s.createMembership)
	auth.DELETE("/aspect_memberships/:id", s.deleteMembership)
	auth.DELETE("/aspect_memberships", s.deleteMembership)
	auth.POST("/blocks", s.createBlock)
	auth.DELETE("/blocks/:id", s.deleteBlock)
	auth.GET("/privacy", s.privacy)
	s.conversationRoutes(auth)

	// Notifications and tags.
	auth.GET("/notifications", s.notifications)
	auth.GET("/notifications.json", s.notifications)
	auth.GET("/notifications/read_all", s.readAllNotifications)
	auth.PUT("/notifications/:id", s.markNotification)
	auth.GET("/tag_followings", s.tagFollowings)

	// Admins only; a 404 for everyone else.
	s.adminRoutes()
	s.moderationRoutes() // reports, dashboard, users, settings, pod blocks, terms, statistics
	auth.GET("/tag_followings/manage", s.tagFollowings)
	auth.POST("/tag_followings", s.followTag)
	auth.DELETE("/tag_followings/:id", s.unfollowTag)
	s.oidcRoutes() // the OpenID Connect provider (oidc.go)
	s.apiRoutes()  // diaspora*'s API v1 (api.go)
}
