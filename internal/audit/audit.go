package audit

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// Defaults of Options.
const (
	// DefaultSyncEvery bounds what a crash (of the process or the
	// machine) can lose: the last second of decisions.
	DefaultSyncEvery = time.Second
	// DefaultMaxBytes: a busy city's decisions fill 100 MiB in days.
	DefaultMaxBytes = 100 << 20
	// DefaultKeep old files: with DefaultMaxBytes, about a gigabyte.
	DefaultKeep = 10
)

// Options configures a File; zero fields take the defaults.
type Options struct {
	SyncEvery time.Duration // fsync this often while there are unsynced writes
	MaxBytes  int64         // rotate before a write would take the file past this
	Keep      int           // old files kept: path.1 (newest) .. path.Keep
	// OnError is told of a failed sync or rotation (the owner logs it);
	// writes go on to the current file.
	OnError func(error)
}

// File is an audit file. Its methods are safe for concurrent use.
type File struct {
	path string
	opts Options

	mu       sync.Mutex
	f        *os.File
	size     int64
	dirty    bool // written since the last sync
	lineEnds bool // the last byte written ended a line: a rotation may happen here
	closed   bool

	stop chan struct{}
	done chan struct{}
}

// Open opens (appending to) or creates path and starts its periodic sync.
func Open(path string, opts Options) (*File, error) {
	if opts.SyncEvery <= 0 {
		opts.SyncEvery = DefaultSyncEvery
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.Keep <= 0 {
		opts.Keep = DefaultKeep
	}
	if opts.OnError == nil {
		opts.OnError = func(error) {}
	}
	a := &File{path: path, opts: opts, lineEnds: true, stop: make(chan struct{}), done: make(chan struct{})}
	if err := a.open(); err != nil {
		return nil, err
	}
	go a.syncLoop()
	return a, nil
}

func (a *File) open() error {
	f, err := os.OpenFile(a.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("audit file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("audit file: %w", err)
	}
	a.f, a.size = f, st.Size()
	return nil
}

// Write appends p. When p would take the file past MaxBytes, and the file
// ends on a line, the file is rotated first; a line is never split
// between two files.
func (a *File) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return 0, errors.New("audit file: closed")
	}
	if a.size > 0 && a.size+int64(len(p)) > a.opts.MaxBytes && a.lineEnds {
		if err := a.rotate(); err != nil {
			a.opts.OnError(err)
		}
	}
	n, err := a.f.Write(p)
	a.size += int64(n)
	if n > 0 {
		a.dirty = true
		a.lineEnds = p[n-1] == '\n'
	}
	return n, err
}

// rotate moves path to path.1 (path.1 to path.2, ...; the oldest beyond
// Keep is removed) and starts a new path. The old file is synced first.
func (a *File) rotate() error {
	if err := a.f.Sync(); err != nil {
		return fmt.Errorf("audit file: sync before rotation: %w", err)
	}
	if err := a.f.Close(); err != nil {
		return fmt.Errorf("audit file: close before rotation: %w", err)
	}
	_ = os.Remove(a.old(a.opts.Keep))
	for i := a.opts.Keep - 1; i >= 1; i-- {
		if err := os.Rename(a.old(i), a.old(i+1)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return a.reopen(fmt.Errorf("audit file: rotate: %w", err))
		}
	}
	if err := os.Rename(a.path, a.old(1)); err != nil {
		return a.reopen(fmt.Errorf("audit file: rotate: %w", err))
	}
	a.dirty = false
	return a.reopen(nil)
}

// reopen opens path again after a rotation (or a failed one, err).
func (a *File) reopen(err error) error {
	if oerr := a.open(); oerr != nil {
		return errors.Join(err, oerr)
	}
	return err
}

func (a *File) old(i int) string { return a.path + "." + strconv.Itoa(i) }

// Sync flushes what was written to stable storage.
func (a *File) Sync() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.syncLocked()
}

func (a *File) syncLocked() error {
	if a.closed || !a.dirty {
		return nil
	}
	a.dirty = false
	if err := a.f.Sync(); err != nil {
		return fmt.Errorf("audit file: sync: %w", err)
	}
	return nil
}

func (a *File) syncLoop() {
	defer close(a.done)
	t := time.NewTicker(a.opts.SyncEvery)
	defer t.Stop()
	for {
		select {
		case <-a.stop:
			return
		case <-t.C:
			if err := a.Sync(); err != nil {
				a.opts.OnError(err)
			}
		}
	}
}

// Close syncs and closes the file.
func (a *File) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	close(a.stop)
	err := a.syncLocked()
	a.closed = true
	err = errors.Join(err, a.f.Close())
	a.mu.Unlock()
	<-a.done
	return err
}
