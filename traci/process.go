package traci

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// StartOptions configure a SUMO process started by Start.
type StartOptions struct {
	// Binary is the program: "sumo" (the default), "sumo-gui", or a path.
	// sumo-gui is given --start and --quit-on-end so it runs unattended.
	Binary string
	// Args are SUMO's arguments, e.g. {"-c", "city.sumocfg"}; Start adds
	// --remote-port.
	Args []string
	// Port is the TraCI port; 0 picks a free one.
	Port int
	// Stdout and Stderr receive SUMO's output; nil discards it. The last
	// lines of its error output are kept for error messages either way.
	Stdout, Stderr io.Writer
	// ConnectTimeout bounds how long SUMO may take to load its network
	// and listen. 0 means 60 s.
	ConnectTimeout time.Duration
	// CloseTimeout bounds how long Close waits for SUMO to write its
	// outputs and exit before killing it. 0 means 30 s.
	CloseTimeout time.Duration
	// Client configures the TraCI connection.
	Client Options
}

// Process is a SUMO instance with its TraCI connection. The process is
// reaped as soon as it exits, whatever happens; Close ends it.
type Process struct {
	*Client
	// Port is the TraCI port SUMO listens on.
	Port int

	cmd     *exec.Cmd
	done    chan struct{} // closed once the process has exited and been reaped
	waitErr error         // its exit status, valid after done
	tail    *tailBuffer
	binary  string
	closeTO time.Duration
	once    sync.Once
	closeEr error
}

// FindSUMO resolves a SUMO binary name ("sumo", "sumo-gui") or path to an
// executable, with an error that says how to install it.
func FindSUMO(binary string) (string, error) {
	if binary == "" {
		binary = "sumo"
	}
	path, err := exec.LookPath(binary)
	if err != nil {
		return "", fmt.Errorf("traci: %s not found (install Eclipse SUMO >= 1.15, e.g. apt-get install sumo sumo-tools, or put it on PATH): %w", binary, err)
	}
	return path, nil
}

// Start runs SUMO as a TraCI server and connects to it. ctx governs the
// process's whole life: cancelling it kills SUMO (and the client's next
// call fails). If SUMO exits before it listens (a bad configuration, a
// missing file), the error carries its last lines of output.
func Start(ctx context.Context, opt StartOptions) (*Process, error) {
	path, err := FindSUMO(opt.Binary)
	if err != nil {
		return nil, err
	}
	const attempts = 3 // a free port can be taken between picking and binding it
	for attempt := 1; ; attempt++ {
		p, err := start(ctx, path, opt)
		if err == nil {
			return p, nil
		}
		var pe *portTakenError
		if opt.Port != 0 || attempt == attempts || !errors.As(err, &pe) {
			return nil, err
		}
	}
}

// portTakenError is a SUMO that could not bind the port picked for it.
type portTakenError struct{ err error }

func (e *portTakenError) Error() string { return e.err.Error() }
func (e *portTakenError) Unwrap() error { return e.err }

func start(ctx context.Context, path string, opt StartOptions) (*Process, error) {
	port := opt.Port
	if port == 0 {
		var err error
		if port, err = freePort(); err != nil {
			return nil, fmt.Errorf("traci: pick a free port: %w", err)
		}
	}
	args := append([]string(nil), opt.Args...)
	if base := filepath.Base(path); strings.HasPrefix(base, "sumo-gui") {
		args = append(args, "--start", "--quit-on-end")
	}
	args = append(args, "--remote-port", strconv.Itoa(port))

	p := &Process{Port: port, done: make(chan struct{}), tail: &tailBuffer{max: 4096}, binary: filepath.Base(path),
		closeTO: opt.CloseTimeout}
	if p.closeTO <= 0 {
		p.closeTO = 30 * time.Second
	}
	p.cmd = exec.CommandContext(ctx, path, args...)
	if os.Getenv("SUMO_HOME") == "" {
		// Without SUMO_HOME, SUMO validates XML against schemas it looks
		// up online: offline, a route file fails to load.
		if home := guessSUMOHome(path); home != "" {
			p.cmd.Env = append(os.Environ(), "SUMO_HOME="+home)
		}
	}
	p.cmd.Stdout = opt.Stdout
	p.cmd.Stderr = p.tail
	if opt.Stderr != nil {
		p.cmd.Stderr = io.MultiWriter(p.tail, opt.Stderr)
	}
	// A killed SUMO's pipes are closed at once; Wait need not linger.
	p.cmd.WaitDelay = time.Second
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("traci: start %s: %w", path, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()

	connectTO := opt.ConnectTimeout
	if connectTO <= 0 {
		connectTO = 60 * time.Second
	}
	deadline := time.NewTimer(connectTO)
	defer deadline.Stop()
	copt := opt.Client
	copt.DescribeFailure = p.describeExit
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var lastErr error
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c, err := newClient(conn, copt)
			if err != nil {
				// SUMO listens before it loads its inputs: a bad
				// configuration ends it during the version check.
				select {
				case <-p.done:
					return nil, fmt.Errorf("traci: %s exited during start-up: %s", p.binary, p.exitSummary())
				case <-time.After(2 * time.Second):
				}
				p.kill()
				return nil, err
			}
			p.Client = c
			return p, nil
		}
		lastErr = err
		select {
		case <-p.done:
			err := fmt.Errorf("traci: %s exited before accepting a connection on port %d: %s", p.binary, port, p.exitSummary())
			if strings.Contains(p.tail.String(), "in use") || strings.Contains(p.tail.String(), "bind") {
				return nil, &portTakenError{err}
			}
			return nil, err
		case <-ctx.Done():
			p.kill()
			return nil, fmt.Errorf("traci: start %s: %w", p.binary, ctx.Err())
		case <-deadline.C:
			p.kill()
			return nil, fmt.Errorf("traci: %s did not accept a connection on port %d within %v (last attempt: %v); its output ended: %s",
				p.binary, port, connectTO, lastErr, p.tail.lastLines(5))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Close ends the simulation: it closes the TraCI connection (SUMO then
// writes its outputs and exits), waits up to StartOptions.CloseTimeout,
// kills SUMO if it is still running, and reaps it. It returns the first
// of the client's close error and a non-zero exit of SUMO's own.
// Calling it again returns the same result.
func (p *Process) Close() error {
	p.once.Do(func() {
		var err error
		if p.Client != nil {
			err = p.Client.Close()
		}
		select {
		case <-p.done:
			if p.waitErr != nil && err == nil {
				err = fmt.Errorf("traci: %s: %s", p.binary, p.exitSummary())
			}
		case <-time.After(p.closeTO):
			p.kill()
			if err == nil {
				err = fmt.Errorf("traci: %s did not exit within %v of the connection's close; killed", p.binary, p.closeTO)
			}
		}
		p.closeEr = err
	})
	return p.closeEr
}

// Exited reports whether SUMO has exited, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.waitErr
	default:
		return false, nil
	}
}

// PID is SUMO's process id (for a test that must make it die).
func (p *Process) PID() int {
	if p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// kill ends SUMO and waits until it has been reaped.
func (p *Process) kill() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
	}
	<-p.done
}

// describeExit is the client's DescribeFailure: how SUMO exited, if it did
// within a moment of the connection failing.
func (p *Process) describeExit() string {
	select {
	case <-p.done:
		return p.binary + " exited: " + p.exitSummary()
	case <-time.After(2 * time.Second):
		return p.binary + " is still running; its output ended: " + p.tail.lastLines(3)
	}
}

// exitSummary is the exit status and the last lines of output.
func (p *Process) exitSummary() string {
	status := "exit status 0"
	if p.waitErr != nil {
		status = p.waitErr.Error()
	}
	if lines := p.tail.lastLines(5); lines != "" {
		return status + "; last output: " + lines
	}
	return status
}

// guessSUMOHome finds SUMO's share directory (the one with data/xsd, the
// XML schemas) for the binary at path: next to it in ../share/sumo, or in
// the usual install locations; "" when none is found.
func guessSUMOHome(path string) string {
	for _, dir := range []string{filepath.Join(filepath.Dir(path), "..", "share", "sumo"), "/usr/share/sumo", "/usr/local/share/sumo"} {
		if st, err := os.Stat(filepath.Join(dir, "data", "xsd")); err == nil && st.IsDir() {
			return filepath.Clean(dir)
		}
	}
	return ""
}

// freePort asks the kernel for a free TCP port on the loopback interface.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tailBuffer) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(b), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// lastLines returns up to n last non-empty lines, joined by " | ".
func (t *tailBuffer) lastLines(n int) string {
	lines := bytes.Split(bytes.TrimSpace([]byte(t.String())), []byte("\n"))
	var keep []string
	for i := len(lines) - 1; i >= 0 && len(keep) < n; i-- {
		// SUMO warns of an unset SUMO_HOME on every start; it says
		// nothing about a failure.
		if l := strings.TrimSpace(string(lines[i])); l != "" && !strings.Contains(l, "SUMO_HOME is not set") {
			keep = append(keep, l)
		}
	}
	for i, j := 0, len(keep)-1; i < j; i, j = i+1, j-1 {
		keep[i], keep[j] = keep[j], keep[i]
	}
	return strings.Join(keep, " | ")
}
