package audit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

func TestRotatesBySizeOnLineBoundaries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	a, err := Open(path, Options{MaxBytes: 100, Keep: 2})
	require.NoError(t, err)
	line := strings.Repeat("x", 39) + "\n" // 40 bytes
	for range 5 {
		// Written in two pieces, as a buffered writer may: a line is
		// never split between files all the same.
		_, err := a.Write([]byte(line[:25]))
		require.NoError(t, err)
		_, err = a.Write([]byte(line[25:]))
		require.NoError(t, err)
	}
	require.NoError(t, a.Close())
	// 5 lines of 40 bytes, 2 a file: path.2 (oldest kept), path.1, path.
	assert.Equal(t, strings.Repeat(line, 1), read(t, path))
	assert.Equal(t, strings.Repeat(line, 2), read(t, path+".1"))
	assert.Equal(t, strings.Repeat(line, 2), read(t, path+".2"))
	_, err = os.Stat(path + ".3")
	assert.ErrorIs(t, err, os.ErrNotExist, "only Keep old files")
}

func TestAppendsToAnExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	require.NoError(t, os.WriteFile(path, []byte("old\n"), 0o600))
	a, err := Open(path, Options{})
	require.NoError(t, err)
	_, err = a.Write([]byte("new\n"))
	require.NoError(t, err)
	require.NoError(t, a.Close())
	assert.Equal(t, "old\nnew\n", read(t, path))
	_, err = a.Write([]byte("late\n"))
	assert.Error(t, err, "a closed file refuses writes")
}

// The periodic sync runs by itself: what was written is on disk (as far
// as a test can see: the data is in the file) without Close, and the
// syncer stops on Close.
func TestPeriodicSync(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	a, err := Open(path, Options{SyncEvery: 10 * time.Millisecond})
	require.NoError(t, err)
	_, err = a.Write([]byte("one\n"))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		return !a.dirty
	}, 2*time.Second, 5*time.Millisecond, "synced without being asked")
	require.NoError(t, a.Close())
	assert.Equal(t, "one\n", read(t, path))
}
