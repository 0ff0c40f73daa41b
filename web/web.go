// Package web is the staff web application: server-rendered pages (Go templates,
// no JavaScript) for the front desk, providers, billers, managers and admins,
// served by the same binary on the same port as the API. Templates and the style
// sheet are embedded (go:embed); nothing comes from a CDN.
//
// Pages call the same domain services and workflow updates the API's handlers
// call (Operations is implemented by the API server), never the API over HTTP,
// and show problems the way the API does: which field, and why. Who may open a
// page follows the API's role sets (RoleSets), passed in by the API.
//
// Adding a group of pages: write a method `func (a *App) xxxPages(r *Routes)` in
// its own file that registers its routes (r.GET, r.POST) and nav entry (r.Nav),
// add one line for it to pageGroups, and put its templates in templates/xxx_*.html
// (each defines "content"; see render.go). /tmp/web-skeleton.md has a guide.
package web

import (
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/tasks"
)

// Prefix is where the application's pages live; "/" is its landing page.
const Prefix = "/app"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageGroups registers every group of pages, in nav order. Add ONE line per
// group; the method lives in the group's own file.
var pageGroups = []func(a *App, r *Routes){
	(*App).homePages,
	(*App).patientPages,
	(*App).casePages,
	(*App).claimPages,
	(*App).accountPages,
	(*App).workPages,
	(*App).managerPages,
	(*App).adminPages,
}

// RoleSets are the API's role groups (api/server.go), handed over so a page
// allows exactly whom the API route behind it allows.
type RoleSets struct {
	Any, Admin, Managers, FrontDesk, Clinical, Billers []string
}

// Landing is what the landing page tells a developer about this process.
type Landing struct {
	// TokenHint is the shell line that reads the bootstrap admin's API token.
	TokenHint string
	// TemporalAddress is the Temporal frontend's host:port.
	TemporalAddress string
	// TemporalUI is the Temporal Web UI's list of workflows ("" when none).
	TemporalUI string
	// Namespace is the Temporal namespace.
	Namespace string
}

// Deps is what the application needs from the process that serves it.
type Deps struct {
	DB       *gorm.DB
	Temporal client.Client
	Logger   *slog.Logger
	// Ops are the operations whose logic lives with the API (workflow updates
	// and their checks); the API server implements them.
	Ops Operations
	// Roles are the API's role groups.
	Roles RoleSets
	// WorkflowURL links a workflow id to the Temporal Web UI ("" when none).
	WorkflowURL func(workflowID string) string
	// Landing is the developer information of the landing page.
	Landing Landing
}

// App is the web application.
type App struct {
	Deps
	auth    *auth.Service
	records *records.Service
	cases   *cases.Service
	claims  *claims.Service
	tasks   *tasks.Service
	pages   map[string]*template.Template
	nav     []navItem
}

type navItem struct {
	Label, Href string
	roles       []string
}

// Mount registers the landing page at "/" and every page under Prefix on r.
// It touches neither the database nor Temporal, so the API's route tests can
// build it without them. It returns the handler for a path under Prefix that
// no page has (the engine's NoRoute handler calls it): the 404 page in the
// application's look, not the API's JSON problem.
func Mount(r *gin.Engine, d Deps) gin.HandlerFunc {
	if d.WorkflowURL == nil {
		d.WorkflowURL = func(string) string { return "" }
	}
	a := &App{Deps: d, auth: &auth.Service{DB: d.DB}, records: &records.Service{DB: d.DB},
		cases: &cases.Service{DB: d.DB}, claims: &claims.Service{DB: d.DB}, tasks: &tasks.Service{DB: d.DB}}
	a.pages = parsePages()
	r.GET("/", securityHeaders, a.session, func(c *gin.Context) { a.landing(a.req(c)) })
	g := r.Group(Prefix, securityHeaders)
	g.GET("/static/*file", staticFiles())
	g.Use(a.session, a.checkCSRF)
	rt := &Routes{app: a, g: g}
	for _, add := range pageGroups {
		add(a, rt)
	}
	return a.pageNotFound
}

// IsPage reports whether path belongs to the web application (under Prefix).
func IsPage(path string) bool { return path == Prefix || strings.HasPrefix(path, Prefix+"/") }

// pageNotFound is the 404 page for a path under Prefix that no page has, with
// the signed-in user's navigation when there is a session.
func (a *App) pageNotFound(c *gin.Context) {
	securityHeaders(c)
	a.session(c)
	if c.IsAborted() {
		return
	}
	a.req(c).NotFound("The page " + c.Request.URL.Path)
}

// Handler serves one page to a signed-in user (Req).
type Handler func(q *Req)

// Routes registers a group's pages; every route needs a signed-in user with
// one of the given roles (a 403 page otherwise) and every POST a CSRF token.
type Routes struct {
	app *App
	g   *gin.RouterGroup
}

// GET registers a page; path is relative to Prefix ("/patients/:id").
func (rt *Routes) GET(path string, roles []string, h Handler) {
	rt.g.GET(path, rt.app.signedIn, rt.app.serve(roles, h))
}

// POST registers a form's target; path is relative to Prefix.
func (rt *Routes) POST(path string, roles []string, h Handler) {
	rt.g.POST(path, rt.app.signedIn, rt.app.serve(roles, h))
}

// Public registers a page that needs no sign-in (the sign-in page itself).
func (rt *Routes) Public(method, path string, h Handler) {
	rt.g.Handle(method, path, func(c *gin.Context) { h(rt.app.req(c)) })
}

// Nav adds an entry to the main navigation, shown to the given roles.
func (rt *Routes) Nav(label, path string, roles []string) {
	rt.app.nav = append(rt.app.nav, navItem{Label: label, Href: Prefix + path, roles: roles})
}

// Roles are the API's role groups, for a group's routes.
func (rt *Routes) Roles() RoleSets { return rt.app.Roles }

func (a *App) serve(roles []string, h Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		q := a.req(c)
		if !slices.Contains(roles, q.User().Role) {
			q.Forbidden("Your role (" + roleLabel(q.User().Role) + ") may not open this page. It is for: " + rolesLabel(roles) + ".")
			return
		}
		h(q)
	}
}

// Req is one request to a page: the gin context, the signed-in session (if
// any) and the helpers every page uses.
type Req struct {
	*gin.Context
	App     *App
	Session *auth.WebSession
}

func (a *App) req(c *gin.Context) *Req {
	q := &Req{Context: c, App: a}
	if s, ok := c.Get(ctxSession); ok {
		q.Session = s.(*auth.WebSession)
	}
	return q
}

// User is the signed-in user (the zero User when nobody is signed in).
func (q *Req) User() auth.User {
	if q.Session == nil {
		return auth.User{}
	}
	return q.Session.User
}

// Can says whether the signed-in user has one of the roles, for showing a
// button or form only to those who may use it.
func (q *Req) Can(roles []string) bool { return slices.Contains(roles, q.User().Role) }

// Actor is the signed-in user as the audit log names them.
func (q *Req) Actor() audit.Actor {
	return audit.Actor{UserID: q.User().ID, RequestID: q.GetString("request_id")}
}

// roleLabels are the roles as people say them.
var roleLabels = map[string]string{
	auth.RoleFrontDesk: "front desk", auth.RoleProvider: "provider", auth.RoleBiller: "biller",
	auth.RoleManager: "manager", auth.RoleAdmin: "admin",
}

func roleLabel(r string) string {
	if l, ok := roleLabels[r]; ok {
		return l
	}
	return r
}

func rolesLabel(roles []string) string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = roleLabel(r)
	}
	return strings.Join(out, ", ")
}

// securityHeaders keep pages out of frames and caches and allow only this
// origin's resources (there is no script at all).
func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	if !strings.HasPrefix(c.Request.URL.Path, Prefix+"/static/") {
		// Pages hold patients' details: never keep them in a shared cache.
		h.Set("Cache-Control", "no-store")
	}
	c.Next()
}

func staticFiles() gin.HandlerFunc {
	fs := http.FileServer(http.FS(staticFS))
	return func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=3600")
		c.Request.URL.Path = "/static" + c.Param("file")
		fs.ServeHTTP(c.Writer, c.Request)
	}
}
