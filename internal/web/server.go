package web

import (
	"bytes"
	"compress/gzip"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"sync"
)

//go:embed assets
var assets embed.FS

// MinTokenLength is the shortest token accepted: 16 random characters are
// beyond guessing over a network.
const MinTokenLength = 16

// TokenCookie carries the token after the page was opened with ?token=,
// so that the page's own requests (the event stream cannot send headers)
// need not put it in URLs.
const TokenCookie = "greenwave_page_token"

// IsLoopback reports whether addr (host:port) listens on the loopback
// interface only. An empty host listens on every interface.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckExposure refuses to serve the page where other machines can reach
// it without a token, and refuses a token too short to protect it.
func CheckExposure(addr, token string) error {
	if token != "" && len(token) < MinTokenLength {
		return fmt.Errorf("the page's token must be at least %d characters", MinTokenLength)
	}
	if token == "" && !IsLoopback(addr) {
		return fmt.Errorf("the operator page on %s would be reachable from other machines: set a token "+
			"(--http-token, or GREENWAVE_HTTP_TOKEN) or bind to 127.0.0.1", addr)
	}
	return nil
}

// Handler serves the page, its assets and its read-only API from h, and
// passes /metrics and /healthz (and anything else it does not serve) to
// rest, which may be nil. With a token, everything of the page needs it:
// as `Authorization: Bearer TOKEN`, as ?token=TOKEN (which sets a cookie
// and redirects to the same URL without it), or as that cookie.
func Handler(h *Hub, token string, rest http.Handler) http.Handler {
	static, _ := fs.Sub(assets, "assets")
	files := http.FileServerFS(static)
	mux := http.NewServeMux()
	page := func(pattern string, f http.HandlerFunc) {
		mux.Handle(pattern, guard(token, f))
	}
	page("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		b, err := assets.ReadFile("assets/index.html")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(b)
	})
	page("GET /assets/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		http.StripPrefix("/assets", files).ServeHTTP(w, r)
	})
	mapJSON := newCompressed(h.mapJSON)
	page("GET /api/map", func(w http.ResponseWriter, r *http.Request) {
		mapJSON.serve(w, r)
	})
	page("GET /api/state", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, h.Snapshot())
	})
	page("GET /api/events", h.serveEvents)
	page("GET /api/signals/{id}/history", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		hist, ok := h.History(id)
		if !isID(id) || !ok {
			http.Error(w, "no such intersection", http.StatusNotFound)
			return
		}
		writeJSON(w, hist)
	})
	if rest != nil {
		mux.Handle("/", rest)
	}
	return secure(mux)
}

// secure adds the headers every response gets and refuses every method
// but GET and HEAD: the page is read-only.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("Referrer-Policy", "no-referrer")
		hdr.Set("X-Frame-Options", "DENY")
		hdr.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; "+
			"img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			hdr.Set("Allow", "GET, HEAD")
			http.Error(w, "read-only", http.StatusMethodNotAllowed)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// guard lets a request through when no token is set or it carries it.
func guard(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := []byte(token)
	ok := func(got string) bool { return got != "" && subtle.ConstantTimeCompare([]byte(got), want) == 1 }
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "Bearer ") && ok(strings.TrimPrefix(auth, "Bearer ")) {
			next.ServeHTTP(w, r)
			return
		}
		if c, err := r.Cookie(TokenCookie); err == nil && ok(c.Value) {
			next.ServeHTTP(w, r)
			return
		}
		if q := r.URL.Query(); ok(q.Get("token")) {
			http.SetCookie(w, &http.Cookie{Name: TokenCookie, Value: token, Path: "/", HttpOnly: true,
				SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
			q.Del("token")
			u := *r.URL
			u.RawQuery = q.Encode()
			http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="greenwave"`)
		http.Error(w, "a token is required: open the page as /?token=TOKEN", http.StatusUnauthorized)
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

// compressed is a JSON document served gzipped to clients that take it
// (a city's map is a few hundred KB, a fifth of that gzipped).
type compressed struct {
	plain []byte
	once  sync.Once
	gz    []byte
}

func newCompressed(b []byte) *compressed { return &compressed{plain: b} }

func (c *compressed) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Vary", "Accept-Encoding")
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		c.once.Do(func() {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			_, _ = zw.Write(c.plain)
			if zw.Close() == nil {
				c.gz = buf.Bytes()
			}
		})
		if c.gz != nil {
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = w.Write(c.gz)
			return
		}
	}
	_, _ = w.Write(c.plain)
}
