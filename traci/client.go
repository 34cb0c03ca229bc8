package traci

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"time"
)

// Options configure a connection. The zero value is usable.
type Options struct {
	// Timeout bounds every exchange: writing a request and reading its
	// whole response. A server that does not answer in time is a
	// *ConnectionError, never a hang. 0 means DefaultTimeout. sumo-gui
	// blocks a step while its user has paused it: give it a long timeout.
	Timeout time.Duration
	// RetryInterval is the pause between connection attempts while the
	// server is not listening yet (Dial retries until its context ends).
	// 0 means 50 ms.
	RetryInterval time.Duration
	// AcceptAPIVersions lists the TraCI API versions accepted from the
	// server; empty means only APIVersion. Another version may have
	// changed a command this client sends: accept it at your own risk.
	AcceptAPIVersions []int
	// DescribeFailure, if set, is called once when the connection fails;
	// what it returns is added to the *ConnectionError (the process
	// helper reports how SUMO exited and its last lines of output).
	DescribeFailure func() string
}

// DefaultTimeout is the exchange timeout when Options.Timeout is 0. One
// step of a city-sized network takes milliseconds; a minute leaves room
// for a slow machine and a large network while still ending a hang.
const DefaultTimeout = time.Minute

// maxMessageBytes bounds a response message. A step's subscription results
// for thousands of vehicles are a few MiB; a larger length is a corrupt
// stream, refused before it is allocated.
const maxMessageBytes = 256 << 20

// Client is a TraCI connection to one SUMO instance. It is not safe for
// concurrent use: TraCI is a strict request/response protocol, and a
// co-simulation drives it from one loop.
type Client struct {
	conn    net.Conn
	r       *bufio.Reader
	opt     Options
	enc     encoder
	in      []byte
	hdr     [4]byte // a response's length, read in place: no allocation per exchange
	dec     decoder
	intern  interner
	api     int
	server  string
	failed  *ConnectionError // the first failure; the client is unusable after it
	closed  bool
	step    StepResult
	pending []pendingCmd
}

// pendingCmd is one command of the message being exchanged: what to
// expect in its status and, for a get, its response.
type pendingCmd struct {
	cmd    byte
	varID  byte
	object string
	name   string
	get    bool
}

// Dial connects to a TraCI server at addr (host:port), retrying while
// nothing listens there until ctx ends, and checks the server's API
// version: a mismatch is a *VersionError and the connection is closed.
func Dial(ctx context.Context, addr string, opt Options) (*Client, error) {
	retry := opt.RetryInterval
	if retry <= 0 {
		retry = 50 * time.Millisecond
	}
	var d net.Dialer
	for {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			return newClient(conn, opt)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("traci: connect to %s: %w (last attempt: %v)", addr, ctx.Err(), err)
		case <-time.After(retry):
		}
	}
}

// NewClient runs TraCI over an established connection (a test's pipe, a
// custom dialer) and checks the server's API version. The client owns conn
// from then on, also when it returns an error.
func NewClient(conn net.Conn, opt Options) (*Client, error) { return newClient(conn, opt) }

func newClient(conn net.Conn, opt Options) (*Client, error) {
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true) // requests are small and answered at once
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	accepted := opt.AcceptAPIVersions
	if len(accepted) == 0 {
		accepted = []int{APIVersion}
	}
	c := &Client{conn: conn, r: bufio.NewReaderSize(conn, 1<<16), opt: opt}
	c.dec.intern = &c.intern
	api, server, err := c.version()
	if err != nil {
		c.conn.Close()
		return nil, err
	}
	if !slices.Contains(accepted, api) {
		c.conn.Close()
		return nil, &VersionError{Got: api, Server: server, Accepted: accepted}
	}
	c.api, c.server = api, server
	return c, nil
}

// APIVersion returns the server's TraCI API version and its
// identification (e.g. "SUMO 1.15.0").
func (c *Client) APIVersion() (int, string) { return c.api, c.server }

// version runs getVersion.
func (c *Client) version() (int, string, error) {
	c.enc.reset()
	c.enc.begin(cmdGetVersion)
	c.enc.end()
	c.pending = append(c.pending[:0], pendingCmd{cmd: cmdGetVersion, name: "getVersion"})
	d, err := c.roundTrip("getVersion", 0, false)
	if err != nil {
		return 0, "", err
	}
	if err := c.status(d, &c.pending[0]); err != nil {
		return 0, "", c.fatalIfProtocol("getVersion", 0, false, err)
	}
	id, end := d.cmdHeader("getVersion response")
	if d.err == nil && id != cmdGetVersion {
		d.fail("getVersion response: command 0x%02x, want 0x00", id)
	}
	api := d.i32("API version")
	server := d.str("server identification")
	d.expectEnd(end, "getVersion response")
	c.expectMessageEnd(d)
	if d.err != nil {
		return 0, "", c.fail("getVersion", 0, false, d.err)
	}
	return int(api), server, nil
}

// SetOrder gives this client its place in the execution order of a
// multi-client simulation (SUMO's --num-clients > 1).
func (c *Client) SetOrder(order int) error {
	if err := c.usable("setOrder"); err != nil {
		return err
	}
	c.enc.reset()
	c.enc.begin(cmdSetOrder)
	c.enc.i32(int32(order))
	c.enc.end()
	c.pending = append(c.pending[:0], pendingCmd{cmd: cmdSetOrder, name: "setOrder"})
	return c.exchangeSets("setOrder")
}

// Close asks SUMO to end the simulation and closes the connection. It is
// safe to call more than once; only the first call does anything. SUMO
// closes its end after answering, so the reply is read with a short
// timeout and a failure to get it is not an error when the client had
// already failed.
func (c *Client) Close() error {
	if c.closed {
		return nil
	}
	if c.failed != nil {
		c.closed = true
		return nil // fail closed the connection already
	}
	c.enc.reset()
	c.enc.begin(cmdClose)
	c.enc.end()
	c.pending = append(c.pending[:0], pendingCmd{cmd: cmdClose, name: "close"})
	if c.opt.Timeout > closeTimeout {
		c.opt.Timeout = closeTimeout
	}
	var err error
	if d, rerr := c.roundTrip("close", 0, false); rerr != nil {
		err = rerr
	} else if serr := c.status(d, &c.pending[0]); serr != nil {
		err = c.fatalIfProtocol("close", 0, false, serr)
	}
	c.closed = true
	if cerr := c.conn.Close(); err == nil && cerr != nil && !errors.Is(cerr, net.ErrClosed) {
		err = cerr
	}
	return err
}

// closeTimeout bounds the close exchange: SUMO answers at once and then
// writes its outputs, which the process helper waits for separately.
const closeTimeout = 5 * time.Second

// usable returns an error when the client can no longer exchange.
func (c *Client) usable(op string) error { return c.usableAt(op, 0, false) }

// usableAt is usable for an operation with a target time, whose name is
// formatted only if it is needed.
func (c *Client) usableAt(op string, t float64, hasT bool) error {
	if c.failed != nil {
		return &ConnectionError{Op: opName(op, t, hasT), Err: ErrClosed, Detail: "after an earlier failure: " + c.failed.Error()}
	}
	if c.closed {
		return &ConnectionError{Op: opName(op, t, hasT), Err: ErrClosed}
	}
	return nil
}

// opName formats an operation for an error message; t is a target time
// when hasT.
func opName(op string, t float64, hasT bool) string {
	if !hasT {
		return op
	}
	return op + " to t=" + strconv.FormatFloat(t, 'f', -1, 64) + "s"
}

// fail records the first connection failure and closes the connection.
func (c *Client) fail(op string, t float64, hasT bool, err error) error {
	ce := &ConnectionError{Op: opName(op, t, hasT), Err: err}
	if c.failed == nil {
		c.failed = ce
		c.conn.Close()
		if c.opt.DescribeFailure != nil {
			ce.Detail = c.opt.DescribeFailure()
		}
	}
	return ce
}

// fatalIfProtocol turns a decoding problem into a connection failure and
// passes a *CommandError through.
func (c *Client) fatalIfProtocol(op string, t float64, hasT bool, err error) error {
	var pe *ProtocolError
	if errors.As(err, &pe) {
		return c.fail(op, t, hasT, err)
	}
	return err
}

// roundTrip sends the encoded message and reads the whole response into
// c.in under one deadline, returning a decoder over it.
func (c *Client) roundTrip(op string, t float64, hasT bool) (*decoder, error) {
	if err := c.usableAt(op, t, hasT); err != nil {
		return nil, err
	}
	if err := c.conn.SetDeadline(time.Now().Add(c.opt.Timeout)); err != nil {
		return nil, c.fail(op, t, hasT, err)
	}
	if _, err := c.conn.Write(c.enc.finish()); err != nil {
		return nil, c.fail(op, t, hasT, err)
	}
	if _, err := io.ReadFull(c.r, c.hdr[:]); err != nil {
		return nil, c.fail(op, t, hasT, readErr(err))
	}
	n := int64(binary.BigEndian.Uint32(c.hdr[:])) - 4
	if n < 0 || n > maxMessageBytes {
		return nil, c.fail(op, t, hasT, protocolErrorf(0, "message length %d outside [4, %d]", n+4, maxMessageBytes))
	}
	if int64(cap(c.in)) < n {
		c.in = make([]byte, n)
	}
	c.in = c.in[:n]
	if _, err := io.ReadFull(c.r, c.in); err != nil {
		return nil, c.fail(op, t, hasT, readErr(err))
	}
	c.dec.b, c.dec.off, c.dec.err = c.in, 0, nil
	return &c.dec, nil
}

// readErr names an EOF in the middle of a response for what it is.
func readErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("connection lost: %w", err)
	}
	return err
}

// status reads one command's status. A refusal is a *CommandError; a
// malformed status is a *ProtocolError (d.err is set too).
func (c *Client) status(d *decoder, p *pendingCmd) error {
	id, end := d.cmdHeader("status")
	result := d.u8("status result")
	msg := d.str("status message")
	d.expectEnd(end, "status")
	if d.err != nil {
		return d.err
	}
	if id != p.cmd {
		d.fail("status for command 0x%02x, want 0x%02x (%s)", id, p.cmd, p.name)
		return d.err
	}
	switch result {
	case rtypeOK:
		return nil
	case rtypeErr, rtypeNotImplemented:
		return &CommandError{Cmd: p.cmd, Var: p.varID, Name: p.name, Object: p.object, Status: result, Msg: msg}
	}
	d.fail("status of %s: result 0x%02x is none of 0x00, 0x01, 0xff", p.name, result)
	return d.err
}

// expectMessageEnd checks that nothing follows the last command.
func (c *Client) expectMessageEnd(d *decoder) {
	if d.err == nil && d.remaining() != 0 {
		d.fail("%d bytes after the last expected command", d.remaining())
	}
}

// exchangeSets sends the commands in c.pending (none of them a get) and
// reads their statuses. It returns the first *CommandError; every status
// is read either way, since SUMO carries on with the next command after
// refusing one.
func (c *Client) exchangeSets(op string) error {
	d, err := c.roundTrip(op, 0, false)
	if err != nil {
		return err
	}
	var first error
	for i := range c.pending {
		if err := c.status(d, &c.pending[i]); err != nil {
			if d.err != nil {
				return c.fail(op, 0, false, d.err)
			}
			if first == nil {
				first = err
			}
		}
	}
	c.expectMessageEnd(d)
	if d.err != nil {
		return c.fail(op, 0, false, d.err)
	}
	return first
}

// getHeader reads a get command's status and its response header, leaving
// d at the value. It returns the offset the response ends at.
func (c *Client) getHeader(d *decoder, p *pendingCmd) (int, error) {
	if err := c.status(d, p); err != nil {
		return 0, err
	}
	id, end := d.cmdHeader("response")
	varID := d.u8("response variable")
	obj := d.bytes("response object id")
	if d.err != nil {
		return 0, d.err
	}
	if id != p.cmd+responseOffset || varID != p.varID || string(obj) != p.object {
		d.fail("response of %s: command 0x%02x variable 0x%02x object %q, want 0x%02x 0x%02x %q",
			p.name, id, varID, obj, p.cmd+responseOffset, p.varID, p.object)
		return 0, d.err
	}
	return end, nil
}

// get sends one get command (params, if any, already encoded by the
// caller after beginGet) and decodes its value with value, which must
// consume it exactly.
func (c *Client) get(p pendingCmd, value func(d *decoder)) error {
	c.enc.end()
	c.pending = append(c.pending[:0], p)
	d, err := c.roundTrip(p.name, 0, false)
	if err != nil {
		return err
	}
	end, err := c.getHeader(d, &c.pending[0])
	if err != nil {
		return c.fatalIfProtocol(p.name, 0, false, err)
	}
	value(d)
	d.expectEnd(end, "response")
	c.expectMessageEnd(d)
	if d.err != nil {
		return c.fail(p.name, 0, false, d.err)
	}
	return nil
}

// beginGet starts a one-command message for a get (or set) of variable
// varID of object; parameters may be appended before get/set is called.
func (c *Client) beginCmd(cmd, varID byte, object string) {
	c.enc.reset()
	c.enc.begin(cmd)
	c.enc.u8(varID)
	c.enc.str(object)
}

// set sends the one set command begun with beginCmd.
func (c *Client) set(p pendingCmd) error {
	if err := c.usable(p.name); err != nil {
		return err
	}
	c.enc.end()
	c.pending = append(c.pending[:0], p)
	return c.exchangeSets(p.name)
}

// getDouble, getInt, getString and getStringList fetch one typed variable.
func (c *Client) getDouble(cmd, varID byte, object, name string) (float64, error) {
	if err := c.usable(name); err != nil {
		return 0, err
	}
	c.beginCmd(cmd, varID, object)
	var v float64
	err := c.get(pendingCmd{cmd: cmd, varID: varID, object: object, name: name, get: true},
		func(d *decoder) { v = d.typedDouble(name) })
	return v, err
}

func (c *Client) getInt(cmd, varID byte, object, name string) (int, error) {
	if err := c.usable(name); err != nil {
		return 0, err
	}
	c.beginCmd(cmd, varID, object)
	var v int32
	err := c.get(pendingCmd{cmd: cmd, varID: varID, object: object, name: name, get: true},
		func(d *decoder) { v = d.typedInt(name) })
	return int(v), err
}

func (c *Client) getString(cmd, varID byte, object, name string) (string, error) {
	if err := c.usable(name); err != nil {
		return "", err
	}
	c.beginCmd(cmd, varID, object)
	var v string
	err := c.get(pendingCmd{cmd: cmd, varID: varID, object: object, name: name, get: true},
		func(d *decoder) { v = d.typedString(name) })
	return v, err
}

func (c *Client) getStringList(cmd, varID byte, object, name string) ([]string, error) {
	if err := c.usable(name); err != nil {
		return nil, err
	}
	c.beginCmd(cmd, varID, object)
	var v []string
	err := c.get(pendingCmd{cmd: cmd, varID: varID, object: object, name: name, get: true},
		func(d *decoder) { v = d.typedStringList(nil, name) })
	return v, err
}
