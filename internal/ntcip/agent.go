package ntcip

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"
)

// RelayEnv names the environment variable that turns a greenwave process
// (or a test binary) into the pass_persist relay: snmpd starts the program
// of its pass_persist line with its own environment, so the Agent starts
// snmpd with RelayEnv set to its socket and names its own executable.
const RelayEnv = "GREENWAVE_NTCIP_PASS_PERSIST_SOCKET"

// RunRelayIfRequested makes this process the pass_persist relay when
// RelayEnv is set, and then never returns: it copies snmpd's requests from
// stdin to the virtual controller's socket and the answers back to
// stdout, and exits when either side closes. Call it first thing in main
// (and in TestMain of tests that start an Agent).
func RunRelayIfRequested() {
	sock := os.Getenv(RelayEnv)
	if sock == "" {
		return
	}
	os.Exit(relay(sock, os.Stdin, os.Stdout))
}

func relay(sock string, in io.Reader, out io.Writer) int {
	conn, err := net.Dial("unix", sock)
	if err != nil {
		fmt.Fprintln(os.Stderr, "greenwave pass_persist relay:", err)
		return 1
	}
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(conn, in); done <- struct{}{} }()
	go func() { _, _ = io.Copy(out, conn); done <- struct{}{} }()
	<-done
	_ = conn.Close()
	return 0
}

// AuthProtocols and PrivProtocols are the SNMPv3 protocols both net-snmp's
// agent (createUser) and gosnmp speak under these names.
var (
	AuthProtocols = []string{"MD5", "SHA", "SHA-224", "SHA-256", "SHA-384", "SHA-512"}
	PrivProtocols = []string{"DES", "AES"}
)

// V3User is an SNMPv3 USM user with authentication and privacy
// (authPriv). Passphrases are at least 8 characters (RFC 3414's minimum,
// which net-snmp enforces).
type V3User struct {
	Name           string
	Auth           string // one of AuthProtocols
	AuthPassphrase string
	Priv           string // one of PrivProtocols
	PrivPassphrase string
}

// Validate checks the user against what net-snmp accepts; errors name the
// setting.
func (u V3User) Validate(prefix string) error {
	switch {
	case u.Name == "" || strings.ContainsAny(u.Name, " \t\n\"'"):
		return fmt.Errorf("%suser: must be a non-empty name without spaces or quotes", prefix)
	case !slices.Contains(AuthProtocols, u.Auth):
		return fmt.Errorf("%sauth: must be one of %s, got %q", prefix, strings.Join(AuthProtocols, ", "), u.Auth)
	case len(u.AuthPassphrase) < 8 || strings.ContainsAny(u.AuthPassphrase, "\"\n"):
		return fmt.Errorf("%sauth_passphrase: must be at least 8 characters, without quotes or newlines", prefix)
	case !slices.Contains(PrivProtocols, u.Priv):
		return fmt.Errorf("%spriv: must be one of %s, got %q", prefix, strings.Join(PrivProtocols, ", "), u.Priv)
	case len(u.PrivPassphrase) < 8 || strings.ContainsAny(u.PrivPassphrase, "\"\n"):
		return fmt.Errorf("%spriv_passphrase: must be at least 8 characters, without quotes or newlines", prefix)
	}
	return nil
}

// AgentOptions configures an Agent.
type AgentOptions struct {
	// Listen is the UDP address snmpd listens on (host:port).
	Listen string
	// Community is the read-write community of SNMPv1 and v2c; empty
	// turns v1 and v2c off.
	Community string
	// Users are the SNMPv3 users, each allowed read-write at authPriv.
	Users []V3User
	// Snmpd is snmpd's path; default: SnmpdPath().
	Snmpd string
	// Relay is the program (and arguments) snmpd runs as its pass_persist
	// handler; it must call RunRelayIfRequested first. Default: this
	// process's own executable.
	Relay []string
	// Dir holds the generated configuration, snmpd's persistent state
	// (its engine id and boots) and the relay socket; default: a new
	// temporary directory, removed by Close.
	Dir string
	// Logger receives snmpd's log lines at debug level.
	Logger *zap.Logger
}

// SnmpdPath finds snmpd: $GREENWAVE_SNMPD, then $PATH, then
// /usr/sbin/snmpd (Debian's place, outside a normal user's PATH).
func SnmpdPath() (string, error) {
	if p := os.Getenv("GREENWAVE_SNMPD"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			return "", fmt.Errorf("GREENWAVE_SNMPD=%s: %w", p, err)
		}
		return p, nil
	}
	if p, err := exec.LookPath("snmpd"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/sbin/snmpd"); err == nil {
		return "/usr/sbin/snmpd", nil
	}
	return "", errors.New("snmpd not installed (Debian: apt-get install snmpd, or set GREENWAVE_SNMPD)")
}

// Agent is a virtual controller behind Debian's real snmpd: snmpd does
// SNMP itself — v1, v2c, and v3's user-based security with its
// authentication, encryption, engine discovery and Report PDUs — and
// hands every request under OIDASC to the Virtual through net-snmp's
// pass_persist protocol, by way of a relay process and a unix socket.
type Agent struct {
	v    *Virtual
	opts AgentOptions
	log  *zap.Logger
	ln   net.Listener
	cmd  *exec.Cmd
	done chan struct{} // closed when snmpd has exited
	tmp  bool

	mu     sync.Mutex
	conns  []net.Conn
	closed bool
	out    strings.Builder
}

// StartAgent starts snmpd for v and waits until it answers on opts.Listen.
func StartAgent(ctx context.Context, v *Virtual, opts AgentOptions) (*Agent, error) {
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if _, _, err := net.SplitHostPort(opts.Listen); err != nil {
		return nil, fmt.Errorf("listen address %q: %w", opts.Listen, err)
	}
	if opts.Community == "" && len(opts.Users) == 0 {
		return nil, errors.New("agent: neither a community nor an SNMPv3 user: nobody could talk to it")
	}
	if strings.ContainsAny(opts.Community, " \t\n\"") {
		return nil, errors.New("community: must not contain spaces or quotes")
	}
	for i, u := range opts.Users {
		if err := u.Validate("v3 user " + strconv.Itoa(i) + ": "); err != nil {
			return nil, err
		}
	}
	if opts.Snmpd == "" {
		p, err := SnmpdPath()
		if err != nil {
			return nil, err
		}
		opts.Snmpd = p
	}
	if len(opts.Relay) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("agent: own executable for the pass_persist relay: %w", err)
		}
		opts.Relay = []string{exe}
	}
	a := &Agent{v: v, opts: opts, log: opts.Logger, done: make(chan struct{})}
	if opts.Dir == "" {
		dir, err := os.MkdirTemp("", "greenwave-vcontroller-")
		if err != nil {
			return nil, err
		}
		a.opts.Dir, a.tmp = dir, true
	}
	if err := a.start(ctx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

func (a *Agent) start(ctx context.Context) error {
	dir := a.opts.Dir
	persist := filepath.Join(dir, "persist")
	if err := os.MkdirAll(persist, 0o700); err != nil {
		return err
	}
	sock := filepath.Join(dir, "pass.sock")
	_ = os.Remove(sock)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return fmt.Errorf("agent: relay socket: %w", err)
	}
	a.ln = ln
	go a.accept()

	conf := filepath.Join(dir, "snmpd.conf")
	if err := os.WriteFile(conf, []byte(a.config()), 0o600); err != nil {
		return err
	}
	cmd := exec.Command(a.opts.Snmpd, "-f", "-Lo", "-C", "-c", conf, "udp:"+a.opts.Listen)
	cmd.Env = append(os.Environ(), RelayEnv+"="+sock, "SNMP_PERSISTENT_DIR="+persist, "MIBS=", "MIBDIRS="+filepath.Join(dir, "no-mibs"))
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	setParentDeathSignal(cmd)
	ready := make(chan struct{})
	var readyOnce sync.Once
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			a.mu.Lock()
			if a.out.Len() < 64<<10 {
				a.out.WriteString(line + "\n")
			}
			a.mu.Unlock()
			a.log.Debug("snmpd", zap.String("line", line))
			// snmpd logs its version once its ports are open and it is about
			// to serve.
			if strings.HasPrefix(line, "NET-SNMP version") {
				readyOnce.Do(func() { close(ready) })
			}
		}
	}()
	if err := startLocked(cmd, a.done); err != nil {
		return fmt.Errorf("agent: start snmpd: %w", err)
	}
	a.cmd = cmd
	go func() { _ = cmd.Wait(); _ = pw.Close(); close(a.done) }()
	select {
	case <-ready:
		return a.warmUp(ctx)
	case <-a.done:
		return fmt.Errorf("agent: snmpd exited at start-up:\n%s", a.Output())
	case <-time.After(10 * time.Second):
		return fmt.Errorf("agent: snmpd not ready within 10 s:\n%s", a.Output())
	case <-ctx.Done():
		return ctx.Err()
	}
}

// warmUp sends requests until one is answered from the virtual
// controller: snmpd starts the pass_persist relay at the first request, and
// a manager's first request should not pay for that.
func (a *Agent) warmUp(ctx context.Context) error {
	host, portStr, _ := net.SplitHostPort(a.opts.Listen)
	cfg := IntersectionConfig{Address: net.JoinHostPort(host, portStr), Timeout: Duration(time.Second), Retries: new(int)}
	if a.opts.Community != "" {
		cfg.SNMP = SNMPConfig{Version: VersionV2c, Community: a.opts.Community}
	} else {
		u := a.opts.Users[0]
		cfg.SNMP = SNMPConfig{Version: VersionV3, User: u.Name, Auth: u.Auth, AuthPassphrase: u.AuthPassphrase, Priv: u.Priv, PrivPassphrase: u.PrivPassphrase}
	}
	c := newClient(cfg)
	defer c.close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := c.get([]string{OIDMaxPreempts})
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("agent: snmpd does not answer for the virtual controller: %v\n%s", err, a.Output())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-a.done:
			return fmt.Errorf("agent: snmpd exited:\n%s", a.Output())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// startLocked starts cmd from a goroutine locked to its OS thread that
// lives as long as the child: Linux sends the parent-death signal when the
// thread that forked the child exits, not the process, and Go retires
// threads.
func startLocked(cmd *exec.Cmd, exited <-chan struct{}) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			errc <- err
			return // the thread ends with the goroutine: nothing to keep
		}
		errc <- nil
		<-exited // keep the thread (and so the child's parent) until the child is gone
		runtime.UnlockOSThread()
	}()
	return <-errc
}

// config is snmpd.conf: the listening address comes on the command line;
// v1/v2c by community and v3 by user, each read-write; everything under
// the ASC subtree goes to the relay.
func (a *Agent) config() string {
	var b strings.Builder
	b.WriteString("# generated by greenwave vcontroller\n")
	b.WriteString("dontLogTCPWrappersConnects yes\n")
	if a.opts.Community != "" {
		b.WriteString("rwcommunity " + a.opts.Community + "\n")
	}
	for _, u := range a.opts.Users {
		fmt.Fprintf(&b, "createUser %s %s \"%s\" %s \"%s\"\n", u.Name, u.Auth, u.AuthPassphrase, u.Priv, u.PrivPassphrase)
		fmt.Fprintf(&b, "rwuser %s priv\n", u.Name)
	}
	b.WriteString("pass_persist ." + OIDASC + " " + strings.Join(a.opts.Relay, " ") + "\n")
	return b.String()
}

func (a *Agent) accept() {
	for {
		c, err := a.ln.Accept()
		if err != nil {
			return
		}
		a.mu.Lock()
		if a.closed {
			a.mu.Unlock()
			_ = c.Close()
			return
		}
		a.conns = append(a.conns, c)
		a.mu.Unlock()
		go func() {
			defer c.Close()
			if err := a.v.ServePassPersist(c, c); err != nil {
				a.log.Debug("vcontroller: pass_persist connection ended", zap.Error(err))
			}
		}()
	}
}

// Output is what snmpd has logged so far (for diagnosing a failed start).
func (a *Agent) Output() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.out.String()
}

// Addr is the UDP address the agent listens on.
func (a *Agent) Addr() string { return a.opts.Listen }

// Kill stops snmpd at once with SIGKILL, as a power cut would, and stops
// serving the relay: the port closes and managers see their requests
// refused.
func (a *Agent) Kill() {
	if a.cmd != nil && a.cmd.Process != nil {
		_ = a.cmd.Process.Kill()
		<-a.done
	}
	a.stopServing()
}

func (a *Agent) stopServing() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return
	}
	a.closed = true
	if a.ln != nil {
		_ = a.ln.Close()
	}
	for _, c := range a.conns {
		_ = c.Close()
	}
}

// Close stops snmpd (SIGTERM, then SIGKILL after a second) and removes the
// temporary directory it made.
func (a *Agent) Close() {
	if a.cmd != nil && a.cmd.Process != nil {
		_ = a.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-a.done:
		case <-time.After(time.Second):
			_ = a.cmd.Process.Kill()
			<-a.done
		}
	}
	a.stopServing()
	if a.tmp {
		_ = os.RemoveAll(a.opts.Dir)
	}
}

// Done is closed when snmpd has exited.
func (a *Agent) Done() <-chan struct{} { return a.done }
