package browsertest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// EnvRequire, when set, makes a missing Chromium fail the test.
const EnvRequire = "GREENWAVE_REQUIRE_CHROMIUM"

// EnvPath names the Chromium binary to use instead of looking for one.
const EnvPath = "GREENWAVE_CHROMIUM"

// Path finds Chromium: $GREENWAVE_CHROMIUM, else chromium or
// chromium-browser on the PATH, else Debian's /usr/bin/chromium.
func Path() (string, error) {
	if p := os.Getenv(EnvPath); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	if st, err := os.Stat("/usr/bin/chromium"); err == nil && !st.IsDir() {
		return "/usr/bin/chromium", nil
	}
	return "", errors.New("chromium not installed (apt-get install -y chromium, or set " + EnvPath + ")")
}

// Page is one tab of a headless Chromium that a test drives with chromedp
// on Ctx. It collects what the page writes to its console.
type Page struct {
	Ctx    context.Context
	cancel func()

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// startTimeout bounds Chromium's start: it is a second or two here, and a
// browser that hangs (a network lookup the flags failed to turn off) must
// fail the test rather than hang it.
const startTimeout = 30 * time.Second

// New starts Chromium with a fresh profile and a width×height window,
// stopped when the test ends (or by Close). The flags keep it off the
// network: without them it looks up Google's services at start and hangs
// on a machine with no internet.
func New(tb testing.TB, width, height int) *Page {
	tb.Helper()
	path, err := Path()
	if err != nil {
		if os.Getenv(EnvRequire) != "" {
			tb.Fatal(err.Error() + " (" + EnvRequire + " is set)")
		}
		tb.Skip(err.Error())
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.WindowSize(width, height),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	p := &Page{Ctx: ctx}
	p.cancel = func() { cancelTab(); cancelAlloc() }
	tb.Cleanup(p.Close)

	// The first action starts the browser; it must not carry a timeout
	// (that would stop the browser when it expires), so a timer guards it.
	guard := time.AfterFunc(startTimeout, p.cancel)
	messages := chromedp.Console(ctx)
	err = chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height)))
	guard.Stop()
	if err != nil {
		tb.Fatalf("browsertest: starting %s: %v", path, err)
	}
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			p.mu.Lock()
			p.console = append(p.console, m)
			p.mu.Unlock()
		}
	}()
	return p
}

// Run runs actions with a timeout.
func (p *Page) Run(d time.Duration, actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(p.Ctx, d)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

// Eval evaluates a JavaScript expression and decodes its value into T.
func Eval[T any](p *Page, d time.Duration, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(p.Ctx, d)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr))
}

// OnNewDocument makes every document the tab loads run script first, before
// its own scripts: for instrumentation the page cannot miss.
func OnNewDocument(script string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: script})
		return err
	})
}

// Screenshot captures the viewport as PNG.
func (p *Page) Screenshot(d time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(p.Ctx, d)
	defer cancel()
	return chromedp.Run(ctx, chromedp.CaptureScreenshot())
}

// Errors returns the console errors and uncaught exceptions seen so far,
// one line each.
func (p *Page) Errors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, m := range p.console {
		if m.Type == chromedp.ConsoleError || m.IsException() {
			line := m.String()
			if m.URL != "" {
				line += " (" + m.URL + ")"
			}
			out = append(out, strings.TrimSpace(line))
		}
	}
	return out
}

// Close stops the browser. Close it before the server it shows stops, so
// that the page's lost connection is not logged as an error.
func (p *Page) Close() {
	if p.cancel != nil {
		p.cancel()
	}
}
