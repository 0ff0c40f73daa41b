package api

import (
	"net/url"
	"strings"
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
