package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

const testRecording = `{"format":"greenwave-events","version":1,"start":1795420800000,"rate":10,"map":{"name":"t","bounds":[-10,-10,10,10],"roads":[{"class":"minor","lines":[[-10,0,10,0]]}],"intersections":[{"id":"I1","x":0,"y":0,"approaches":[]}]}}
{"seq":1,"now":1795420800100,"rate":10,"statuses":[{"id":"I1","state":"normal","ts":1795420800100}]}
{"seq":2,"now":1795420801100,"rate":10,"vehicles":[{"id":"amb-1","x":-5,"y":0,"emergency":true,"ts":1795420801000,"along_m":0,"on_path":false}],"statuses":[{"id":"I1","state":"hold","request_id":"r1","ts":1795420801100}],"decisions":[{"at":"2026-11-23T08:00:01Z","kind":"grant","vehicle_id":"amb-1","intersection_id":"I1","request_id":"r1"}]}
`

// replay serves the recording on the page and plays it to its end; the
// state it ends with is the recording's.
func TestReplayPlaysARecordingOnThePage(t *testing.T) {
	file := filepath.Join(t.TempDir(), "rec.jsonl")
	require.NoError(t, os.WriteFile(file, []byte(testRecording), 0o644))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"replay", file, "--speed", "100", "--http", "127.0.0.1:0"}, &out, &errb)
	}()
	addr := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/`)
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "end of the recording") }, 10*time.Second, 10*time.Millisecond, out.String()+errb.String())
	m := addr.FindStringSubmatch(out.String())
	require.NotNil(t, m, out.String())
	var snap struct {
		Replay   bool `json:"replay"`
		Vehicles []struct {
			ID string `json:"id"`
		} `json:"vehicles"`
		Signals []struct {
			ID, State string
		} `json:"signals"`
		Decisions []json.RawMessage `json:"decisions"`
	}
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + m[1] + "/api/state")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return json.NewDecoder(resp.Body).Decode(&snap) == nil && len(snap.Decisions) == 1
	}, 5*time.Second, 10*time.Millisecond)
	assert.True(t, snap.Replay)
	require.Len(t, snap.Vehicles, 1)
	assert.Equal(t, "amb-1", snap.Vehicles[0].ID)
	require.Len(t, snap.Signals, 1)
	assert.Equal(t, "hold", snap.Signals[0].State)
	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, errb.String())
	case <-time.After(5 * time.Second):
		t.Fatal("replay did not stop when interrupted")
	}
}

func TestReplayRefusals(t *testing.T) {
	file := filepath.Join(t.TempDir(), "rec.jsonl")
	require.NoError(t, os.WriteFile(file, []byte(testRecording), 0o644))
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	require.NoError(t, os.WriteFile(bad, []byte(`{"format":"something-else"}`+"\n"), 0o644))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"replay"}, "usage: greenwave replay"},
		{[]string{"replay", "no-such-file.jsonl", "--http", "127.0.0.1:0"}, "no-such-file.jsonl"},
		{[]string{"replay", bad, "--http", "127.0.0.1:0"}, "line 1: format"},
		{[]string{"replay", file, "--http", "0.0.0.0:0"}, "reachable from other machines"},
		{[]string{"replay", file, "--http", "127.0.0.1:0", "--speed", "-1"}, "--speed"},
	} {
		code, _, stderr := runGreenwave(tc.args...)
		assert.Equal(t, 1, code, tc.args)
		assert.Contains(t, stderr, tc.want, tc.args)
	}
}

// sim --html writes one self-contained file with the diagrams in it.
func TestSimHTML(t *testing.T) {
	file := filepath.Join(t.TempDir(), "report.html")
	code, _, stderr := runGreenwave("sim", simScenario, "--html", file, "--strategies", "none,greenwave")
	require.Equal(t, 0, code, stderr)
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	s := string(b)
	assert.True(t, strings.HasPrefix(s, "<!doctype html>"))
	assert.Equal(t, 4, strings.Count(s, `<figure class="ts"`), "two trips, two strategies")
	assert.Contains(t, stderr, "wrote the report to "+file)
}

// serve refuses to put the operator page on a non-loopback address
// without a token, before it connects anywhere; --page=false serves only
// /metrics and /healthz there, as before.
func TestServeRefusesAnExposedPageWithoutAToken(t *testing.T) {
	m := writeRouteTestMap(t)
	code, _, stderr := runGreenwave("serve", "--map", m, "--broker", "tcp://127.0.0.1:1", "--http", "0.0.0.0:0")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "reachable from other machines")
	assert.Contains(t, stderr, "--page=false")
	code, _, stderr = runGreenwave("serve", "--map", m, "--broker", "tcp://127.0.0.1:1", "--http", "0.0.0.0:0", "--http-token", "short")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "at least 16")
	code, _, stderr = runGreenwave("serve", "--map", m, "--broker", "tcp://127.0.0.1:1", "--http", "", "--record", filepath.Join(t.TempDir(), "r.jsonl"))
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "--record")
}
