package web

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/controller"
	"github.com/greenwave-project/greenwave/wire"
)

func TestIsLoopbackAndCheckExposure(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:9090": true, "127.0.0.5:80": true, "[::1]:8090": true, "localhost:8090": true,
		":9090": false, "0.0.0.0:9090": false, "[::]:9090": false, "192.168.1.10:9090": false, "example.org:80": false, "nonsense": false,
	} {
		assert.Equal(t, want, IsLoopback(addr), addr)
	}
	assert.NoError(t, CheckExposure("127.0.0.1:8090", ""))
	assert.ErrorContains(t, CheckExposure("0.0.0.0:8090", ""), "token")
	assert.ErrorContains(t, CheckExposure(":8090", ""), "reachable from other machines")
	assert.ErrorContains(t, CheckExposure("0.0.0.0:8090", "short"), "at least 16")
	assert.NoError(t, CheckExposure("0.0.0.0:8090", strings.Repeat("k", 16)))
}

// With a token, the page and its API need it (header, query that sets a
// cookie, or the cookie); /metrics and /healthz stay as they were. Only
// GET and HEAD are served.
func TestHandlerTokenAndReadOnly(t *testing.T) {
	h, _ := newTestHub(t, Options{})
	token := "s3cret-token-0123456789"
	rest := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "rest "+r.URL.Path) })
	srv := httptest.NewServer(Handler(h, token, rest))
	defer srv.Close()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string, hdr map[string]string) *http.Response {
		req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		require.NoError(t, err)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := noRedirect.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for _, p := range []string{"/", "/api/map", "/api/state", "/api/signals/I1/history", "/assets/app.js"} {
		assert.Equal(t, http.StatusUnauthorized, get(p, nil).StatusCode, p)
		assert.Equal(t, http.StatusUnauthorized, get(p, map[string]string{"Authorization": "Bearer wrong"}).StatusCode, p)
		assert.Equal(t, http.StatusOK, get(p, map[string]string{"Authorization": "Bearer " + token}).StatusCode, p)
	}
	resp := get("/?token="+token, nil)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/", resp.Header.Get("Location"), "the token leaves the address bar")
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == TokenCookie {
			cookie = c
		}
	}
	require.NotNil(t, cookie)
	assert.True(t, cookie.HttpOnly)
	assert.Equal(t, http.SameSiteStrictMode, cookie.SameSite)
	assert.Equal(t, http.StatusOK, get("/api/state", map[string]string{"Cookie": TokenCookie + "=" + token}).StatusCode)
	assert.Equal(t, http.StatusUnauthorized, get("/api/state", map[string]string{"Cookie": TokenCookie + "=nope"}).StatusCode)

	assert.Equal(t, http.StatusOK, get("/metrics", nil).StatusCode, "metrics are not the page's")
	resp = get("/", map[string]string{"Authorization": "Bearer " + token})
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'")
	assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))

	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		req, _ := http.NewRequest(m, srv.URL+"/api/state", strings.NewReader("{}"))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, m)
	}
}

func TestHandlerServesTheMapAndHistory(t *testing.T) {
	h, _ := newTestHub(t, Options{})
	h.ObserveStatus(t0, wire.Status{IntersectionID: "I1", TS: t0, State: wire.StateHold, GreenPhases: []int{2, 6}, RequestID: "r1"})
	h.Flush()
	srv := httptest.NewServer(Handler(h, "", nil))
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/map", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req) // no transparent decompression
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "gzip", resp.Header.Get("Content-Encoding"))
	zr, err := gzip.NewReader(resp.Body)
	require.NoError(t, err)
	var m MapData
	require.NoError(t, json.NewDecoder(zr).Decode(&m))
	require.Len(t, m.Intersections, 2)
	assert.Equal(t, "I1", m.Intersections[0].ID)
	assert.Equal(t, "Place I1", m.Intersections[0].Name)
	assert.InDelta(t, -500, m.Intersections[0].X, 0.2)
	assert.Len(t, m.Intersections[0].Approaches, 4)
	classes := map[string]int{}
	for _, rc := range m.Roads {
		classes[rc.Class] = len(rc.Lines)
	}
	assert.Equal(t, 7, classes["major"], "every road, primary ones as major")

	resp2, err := http.Get(srv.URL + "/api/signals/I1/history")
	require.NoError(t, err)
	defer resp2.Body.Close()
	var hist []HistoryEntry
	require.NoError(t, json.NewDecoder(resp2.Body).Decode(&hist))
	require.Len(t, hist, 1)
	assert.Equal(t, "hold", hist[0].Status.State)
	for _, p := range []string{"/api/signals/nowhere/history", "/api/signals/%3Cx%3E/history", "/nope"} {
		r, err := http.Get(srv.URL + p)
		require.NoError(t, err)
		r.Body.Close()
		assert.Equal(t, http.StatusNotFound, r.StatusCode, p)
	}
	r, err := http.Get(srv.URL + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	assert.Contains(t, string(body), `<svg id="map"`)
	external := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//|https://|http://(?:[^w]|w[^w])`)
	assert.False(t, external.MatchString(string(body)), "no external asset: every URL is relative")
	for _, f := range []string{"app.js", "app.css"} {
		b, err := assets.ReadFile("assets/" + f)
		require.NoError(t, err)
		text := strings.ReplaceAll(string(b), "'http://www.w3.org/2000/svg'", "") // a namespace name, not fetched
		assert.False(t, external.MatchString(text), "%s refers to nothing outside this server", f)
	}
}

// The event stream over HTTP: a snapshot, then every batch in order; a
// page that connects when MaxClients are connected is refused.
func TestEventStreamOverHTTP(t *testing.T) {
	h, clk := newTestHub(t, Options{MaxClients: 1})
	srv := httptest.NewServer(Handler(h, "", nil))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/events", nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	events := readEvents(resp.Body)
	ev := <-events
	assert.Equal(t, "snapshot", ev.name)

	r2, err := http.Get(srv.URL + "/api/events")
	require.NoError(t, err)
	r2.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, r2.StatusCode, "one page at most here")

	for i := range 3 {
		h.ObservePosition(t0, fix("amb-1", uint64(i+1), clk.Now(), 100, true), controller.VehicleView{})
		h.Flush()
	}
	for i := range 3 {
		select {
		case ev := <-events:
			assert.Equal(t, "batch", ev.name)
			var b Batch
			require.NoError(t, json.Unmarshal([]byte(ev.data), &b))
			assert.Equal(t, uint64(i+1), b.Seq)
		case <-time.After(5 * time.Second):
			t.Fatal("no batch")
		}
	}
}

type sse struct{ name, data string }

func readEvents(r io.Reader) <-chan sse {
	ch := make(chan sse, 64)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
		var ev sse
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			case line == "" && ev.name != "":
				ch <- ev
				ev = sse{}
			}
		}
	}()
	return ch
}
