package api

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
)

// WorkflowLinks builds links to workflows in a Temporal Web UI.
type WorkflowLinks struct {
	// UIURL is the UI's base address (http://127.0.0.1:8233); empty for none.
	UIURL string
	// Namespace the workflows run in.
	Namespace string
}

// URL is the UI page of the workflow with the id (its latest run), or "" when
// no UI is known. Workflow ids hold a slash ("case/<id>"), so the id is escaped.
func (l WorkflowLinks) URL(workflowID string) string {
	if l.UIURL == "" {
		return ""
	}
	return strings.TrimRight(l.UIURL, "/") + "/namespaces/" + url.PathEscape(l.Namespace) +
		"/workflows/" + url.PathEscape(workflowID)
}

// DevInfo is what the home page of `rcm dev` shows: where the admin's token
// is and where Temporal listens, as this process was configured.
type DevInfo struct {
	// TokenHint is the shell line that reads the admin's token.
	TokenHint string
	// TemporalAddress is the embedded (or configured) frontend's host:port.
	TemporalAddress string
}

type homeData struct {
	Dev       DevInfo
	UI        string
	Namespace string
}

func (s *Server) home(c *gin.Context) {
	c.Status(http.StatusOK)
	c.Header("Content-Type", "text/html; charset=utf-8")
	_ = homePage.Execute(c.Writer, homeData{Dev: s.Dev, UI: s.WorkflowLinks.UIURL, Namespace: s.WorkflowLinks.Namespace})
}

var homePage = template.Must(template.New("home").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>RCM</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;line-height:1.5}code{background:#f3f3f3;padding:.1rem .3rem}</style>
</head><body>
<h1>Revenue-cycle system</h1>
<p>The API is under <code>/api/v1</code>; every call needs <code>Authorization: Bearer &lt;token&gt;</code>.
{{- if .Dev.TokenHint}} The bootstrap admin's token: <code>{{.Dev.TokenHint}}</code>{{end}}</p>
<ul>
<li><a href="/api/openapi.json">OpenAPI document</a></li>
<li><a href="/healthz">/healthz</a> and <a href="/readyz">/readyz</a></li>
{{- if .UI}}
<li><a href="{{.UI}}/namespaces/{{.Namespace}}/workflows">Temporal Web UI</a>: every case, claim and file workflow, its history and timers</li>
{{- end}}
</ul>
{{- if .Dev.TemporalAddress}}
<p>Any Temporal tool can connect to the frontend at <code>{{.Dev.TemporalAddress}}</code>, namespace <code>{{.Namespace}}</code>.</p>
{{- end}}
</body></html>`))
