package e2e

// The browser-test harness of the staff web application (package web): one
// real system (testenv: Postgres, in-process Temporal, worker, API and pages
// on one port) and one headless Chromium driven by chromedp, shared by every
// browser subtest. Each tab gets its own browser context (its own cookies), so
// several users can be signed in at once.
//
// Screenshots (1366x768) go to $SCREENSHOT_DIR, or artifacts/screenshots/ at
// the repository root (git ignores it); CI keeps them as artefacts.

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/testenv"
)

//go:embed testdata/axe/axe.min.js
var axeSource string

// webPassword is every browser test user's password.
const webPassword = "correct horse battery"

// webEnv is the shared system and browser of the browser tests.
type webEnv struct {
	*testenv.Env
	browser context.Context
	shots   string
}

// chromiumPath finds Chromium ($CHROMIUM, or Debian's package), failing the
// test with how to install it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("the browser tests need Chromium and found none: install it (Debian/Ubuntu: `apt-get install -y chromium`; .ci/run does) or set CHROMIUM=/path/to/chrome")
	return ""
}

// startWeb starts the system and Chromium; both stop when t ends.
func startWeb(t *testing.T, o testenv.Options) *webEnv {
	t.Helper()
	path := chromiumPath(t)
	e := testenv.New(t, o)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 768),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	// The first call starts Chromium: no timeout on it (that would stop it).
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start Chromium (%s): %v", path, err)
	}
	shots := os.Getenv("SCREENSHOT_DIR")
	if shots == "" {
		shots = filepath.Join("..", "..", "artifacts", "screenshots")
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	return &webEnv{Env: e, browser: bctx, shots: shots}
}

// webUser creates a user with a role and webPassword, returning the email.
func (w *webEnv) webUser(t *testing.T, email, name, role string) string {
	t.Helper()
	svc := &auth.Service{DB: w.DB}
	u, err := svc.CreateUser(context.Background(), auth.NewUser{Email: email, Name: name, Role: role}, audit.System)
	if err != nil {
		t.Fatalf("create user %s: %v", email, err)
	}
	if err := svc.SetPassword(context.Background(), u.ID, webPassword, false, audit.System); err != nil {
		t.Fatalf("set password of %s: %v", email, err)
	}
	return email
}

// tab is one browser tab with its own cookies.
type tab struct {
	t   *testing.T
	w   *webEnv
	ctx context.Context
	// status is the HTTP status of the last page loaded through open or submit.
	status int
}

// newTab opens a tab in a fresh browser context.
func (w *webEnv) newTab(t *testing.T) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(w.browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The first call creates the tab: no timeout on it (that would close it).
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768)); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return &tab{t: t, w: w, ctx: ctx}
}

// timeout bounds one browser step.
const browserStep = 45 * time.Second

func (b *tab) fatal(err error) {
	b.t.Helper()
	loc, _ := chromedp.Run(b.ctx, chromedp.Location())
	b.t.Fatalf("browser at %s: %v", loc, err)
}

// do runs actions, failing the test on error.
func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStep)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.fatal(err)
	}
}

// navigate runs actions that load a page (a click on a link or a submit
// button) and returns the page's HTTP status, after any redirect.
func (b *tab) navigate(steps ...chromedp.Action[chromedp.Void]) int {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStep)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		b.fatal(err)
	}
	b.status = int(resp.Status)
	return b.status
}

// open loads a page of the system (a path like /app/patients) and returns its
// HTTP status.
func (b *tab) open(path string) int {
	b.t.Helper()
	return b.navigate(chromedp.Navigate(b.w.HTTP.URL + path))
}

// click clicks the element and returns the status of the page it loads.
func (b *tab) click(sel string) int {
	b.t.Helper()
	return b.navigate(chromedp.Click(chromedp.CSS(sel)))
}

// submit clicks the submit button of the form matched by formSel and returns
// the status of the page that follows.
func (b *tab) submit(formSel string) int {
	b.t.Helper()
	return b.click(formSel + ` button[type=submit]`)
}

// signIn signs in through the sign-in page and waits for the start page.
func (b *tab) signIn(email string) {
	b.t.Helper()
	b.open("/app/signin")
	b.fill(map[string]string{"#signin-email": email, "#signin-password": webPassword})
	if st := b.submit(`form[action="/app/signin"]`); st != http.StatusOK {
		b.t.Fatalf("sign in as %s: status %d: %s", email, st, b.text("main"))
	}
}

// fill types into text inputs (clearing them first) and sets selects and
// dates, by CSS selector.
func (b *tab) fill(fields map[string]string) {
	b.t.Helper()
	for sel, v := range fields {
		typ := b.eval(fmt.Sprintf(`document.querySelector(%q).type`, sel))
		switch typ {
		case "select-one", "date", "hidden":
			b.do(chromedp.SetValue(chromedp.CSS(sel), v))
		default:
			b.do(chromedp.Clear(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), v))
		}
	}
}

// eval evaluates a JavaScript expression whose value is a string.
func (b *tab) eval(js string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStep)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.fatal(err)
	}
	return s
}

// text is the visible text of the first element matching the CSS selector.
func (b *tab) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStep)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.fatal(err)
	}
	return strings.TrimSpace(s)
}

// count is how many elements match the CSS selector.
func (b *tab) count(sel string) int {
	b.t.Helper()
	n, err := strconv.Atoi(b.eval(fmt.Sprintf(`String(document.querySelectorAll(%q).length)`, sel)))
	if err != nil {
		b.t.Fatal(err)
	}
	return n
}

// location is the current URL's path and query.
func (b *tab) location() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.fatal(err)
	}
	return strings.TrimPrefix(loc, b.w.HTTP.URL)
}

// screenshot saves the viewport (1366x768) as NAME.png in the screenshot folder.
func (b *tab) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStep)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.w.shots, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// axeViolation is one rule axe-core found broken.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// checkAccessibility runs axe-core (WCAG 2.x A and AA rules and best
// practices) in the page and fails the test on any serious or critical
// violation.
func (b *tab) checkAccessibility(page string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStep)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axeSource+"\n;true")); err != nil {
		b.fatal(fmt.Errorf("inject axe-core: %w", err))
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}, resultTypes: ['violations']}).then(r => JSON.stringify(r.violations))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		b.fatal(fmt.Errorf("run axe-core: %w", err))
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		b.t.Fatalf("axe result: %v", err)
	}
	var bad []string
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			var where []string
			for _, n := range v.Nodes {
				where = append(where, fmt.Sprint(n.Target...))
			}
			bad = append(bad, fmt.Sprintf("%s (%s): %s at %s", v.ID, v.Impact, v.Help, strings.Join(where, ", ")))
		}
	}
	if len(bad) > 0 {
		b.t.Errorf("accessibility of %s: %d serious or critical violations:\n  %s", page, len(bad), strings.Join(bad, "\n  "))
	}
}

// cookies are the tab's cookies for the system, to replay a session outside
// the browser (the CSRF test).
func (b *tab) cookies() []*http.Cookie {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStep)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.w.HTTP.URL}})
	if err != nil {
		b.fatal(err)
	}
	out := make([]*http.Cookie, len(res.Cookies))
	for i, c := range res.Cookies {
		out[i] = &http.Cookie{Name: c.Name, Value: c.Value}
	}
	return out
}

// csrfToken is the CSRF token of the page's forms.
func (b *tab) csrfToken() string {
	b.t.Helper()
	return b.eval(`document.querySelector("input[name=csrf]").value`)
}
