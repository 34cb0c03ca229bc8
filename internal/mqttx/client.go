package mqttx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"go.uber.org/zap"
)

// Options configures a Client. BrokerURL and ClientID are required; every
// duration has a default (see withDefaults).
type Options struct {
	BrokerURL string // tcp://host:1883, ssl://host:8883, ws://host:8080/mqtt (also mqtt://, tls://, mqtts://, wss://)
	ClientID  string // unique per broker: a second client with the same id disconnects the first
	Username  string
	Password  string

	CAFile             string // PEM bundle to verify the broker with instead of the system roots
	CertFile           string // client certificate (PEM) for mutual TLS; needs KeyFile
	KeyFile            string // client private key (PEM)
	InsecureSkipVerify bool   // accept any broker certificate: testing only

	KeepAlive            time.Duration // default 30 s
	ConnectTimeout       time.Duration // one connection attempt; default 10 s
	MaxReconnectInterval time.Duration // cap of the exponential reconnect backoff; default 10 s
	PublishTimeout       time.Duration // Publish waits this long for a QoS 1 ack; default 10 s

	// Subscriptions are made on every connection, before OnConnect runs and
	// before Connect returns, so no message (and no retained one) is missed
	// or delivered twice by racing a reconnect.
	Subscriptions []Subscription

	// Will, when set, is published by the broker if the connection drops
	// without a DISCONNECT.
	Will *Message
	// OnConnect runs after every (re)connection, once the subscriptions are
	// re-made, on its own goroutine. The controller publishes its retained
	// `online` here and re-asserts its preempts.
	OnConnect func()
	// OnConnectionLost runs when an established connection drops.
	OnConnectionLost func(error)
	// OnConnectFailed runs after every failed connection attempt (the
	// first connection's and every reconnection's), with ConnectCause's
	// name for it. The client logs failures itself, at error level.
	OnConnectFailed func(cause string, err error)

	Logger *zap.Logger // nil: no logging
}

// Message is one MQTT publication.
type Message struct {
	Topic    string
	Payload  []byte
	QoS      byte
	Retained bool
	// Label says what the message is for the sender's own accounting (a
	// command's type, say); it is not sent.
	Label string
}

// Subscription is one topic filter and the handler of its messages.
type Subscription struct {
	Filter  string
	QoS     byte
	Handler Handler
}

// Handler receives one message. It runs on the client's delivery goroutine,
// in arrival order, so it must hand work off quickly (a channel send)
// rather than do it.
type Handler func(topic string, payload []byte)

// Defaults for Options' durations.
const (
	DefaultKeepAlive            = 30 * time.Second
	DefaultConnectTimeout       = 10 * time.Second
	DefaultMaxReconnectInterval = 10 * time.Second
	DefaultPublishTimeout       = 10 * time.Second
)

func (o Options) withDefaults() Options {
	if o.KeepAlive <= 0 {
		o.KeepAlive = DefaultKeepAlive
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.MaxReconnectInterval <= 0 {
		o.MaxReconnectInterval = DefaultMaxReconnectInterval
	}
	if o.PublishTimeout <= 0 {
		o.PublishTimeout = DefaultPublishTimeout
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return o
}

// Client is a connected MQTT client. Its methods are safe for concurrent use.
type Client struct {
	opts Options
	pc   paho.Client
	log  *zap.Logger

	mu   sync.Mutex
	subs map[string]subscription // by filter

	connects   atomic.Int64
	subscribed atomic.Bool   // every subscription made on the current connection
	firstUp    chan struct{} // closed after the first onConnect completes
	firstOnce  sync.Once

	failMu      sync.Mutex
	lastFailure error     // the last failed attempt's error; nil once connected
	failCause   string    // its cause
	failLogged  time.Time // when a failure was last logged
	failQuiet   int       // failures since, not logged
}

// failureLogEvery: a broker that keeps refusing is logged once a minute
// (with the number of attempts meanwhile), or at once when the cause
// changes, not at every retry.
const failureLogEvery = time.Minute

type subscription struct {
	qos     byte
	handler Handler
}

// ValidateBrokerURL checks that u is a broker URL paho can dial, so a typo
// fails at start-up with a clear message instead of as endless reconnects.
// Messages show the URL with any password redacted.
func ValidateBrokerURL(u string) error {
	parsed, err := url.Parse(u)
	if err != nil {
		return fmt.Errorf("broker URL %q: not a URL", RedactURL(u))
	}
	switch parsed.Scheme {
	case "tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss":
	default:
		return fmt.Errorf("broker URL %q: scheme must be tcp://, ssl:// or ws:// (or mqtt://, tls://, mqtts://, wss://)", RedactURL(u))
	}
	if parsed.Host == "" {
		return fmt.Errorf("broker URL %q: missing host:port", RedactURL(u))
	}
	return nil
}

// TLSConfig builds the TLS configuration of opts: nil when no TLS option is
// set (the system roots are then used for ssl:// and wss:// brokers).
func TLSConfig(opts Options) (*tls.Config, error) {
	if opts.CAFile == "" && opts.CertFile == "" && opts.KeyFile == "" && !opts.InsecureSkipVerify {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: opts.InsecureSkipVerify} //nolint:gosec // opt-in, documented as testing only
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls CA file %s: no PEM certificate in it", opts.CAFile)
		}
		cfg.RootCAs = pool
	}
	if (opts.CertFile == "") != (opts.KeyFile == "") {
		return nil, errors.New("tls: a client certificate needs both the certificate file and the key file")
	}
	if opts.CertFile != "" {
		pair, err := tls.LoadX509KeyPair(opts.CertFile, opts.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// Connect dials the broker and returns once connected. If the broker is not
// reachable it keeps retrying (with backoff) until ctx is done: a
// controller started before its broker should come up with it, not exit.
// After that the client reconnects by itself whenever the connection drops.
func Connect(ctx context.Context, opts Options) (*Client, error) {
	if opts.ClientID == "" {
		return nil, errors.New("mqtt: client id is required")
	}
	if err := ValidateBrokerURL(opts.BrokerURL); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	tlsCfg, err := TLSConfig(opts)
	if err != nil {
		return nil, err
	}
	c := &Client{opts: opts, log: opts.Logger.With(zap.String("broker", RedactURL(opts.BrokerURL))),
		subs: map[string]subscription{}, firstUp: make(chan struct{})}
	for _, w := range Warnings(opts) {
		c.log.Warn("mqtt: " + w)
	}
	for _, s := range opts.Subscriptions {
		if s.Filter == "" || s.Handler == nil {
			return nil, errors.New("mqtt: a subscription needs a filter and a handler")
		}
		c.subs[s.Filter] = subscription{qos: s.QoS, handler: s.Handler}
	}

	po := paho.NewClientOptions().
		AddBroker(opts.BrokerURL).
		SetClientID(opts.ClientID).
		SetUsername(opts.Username).
		SetPassword(opts.Password).
		SetCleanSession(true).
		// 3.1.1 only: paho otherwise retries a refused connection as MQTT
		// 3.1, and reports the second refusal instead of the first.
		SetProtocolVersion(4).
		SetOrderMatters(true).
		SetKeepAlive(opts.KeepAlive).
		SetPingTimeout(opts.KeepAlive / 2).
		SetConnectTimeout(opts.ConnectTimeout).
		SetWriteTimeout(opts.PublishTimeout).
		SetAutoReconnect(true).
		SetMaxReconnectInterval(opts.MaxReconnectInterval).
		SetConnectRetry(true).
		SetConnectRetryInterval(min(time.Second, opts.MaxReconnectInterval)).
		SetOnConnectHandler(func(paho.Client) { c.onConnect() }).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			c.subscribed.Store(false)
			c.log.Warn("mqtt connection lost", zap.Error(err))
			if opts.OnConnectionLost != nil {
				opts.OnConnectionLost(err)
			}
		}).
		SetReconnectingHandler(func(paho.Client, *paho.ClientOptions) {
			c.log.Info("mqtt reconnecting")
		}).
		SetConnectionNotificationHandler(func(_ paho.Client, n paho.ConnectionNotification) {
			if err := connectFailure(n); err != nil {
				c.connectFailed(err)
			}
		})
	if tlsCfg != nil {
		po.SetTLSConfig(tlsCfg)
	}
	if opts.Will != nil {
		po.SetBinaryWill(opts.Will.Topic, opts.Will.Payload, opts.Will.QoS, opts.Will.Retained)
	}
	c.pc = paho.NewClient(po)
	tok := c.pc.Connect()
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return nil, fmt.Errorf("mqtt connect %s: %w", RedactURL(opts.BrokerURL), err)
		}
	case <-ctx.Done():
		c.pc.Disconnect(0)
		return nil, c.gaveUp(ctx.Err())
	}
	select {
	case <-c.firstUp:
	case <-ctx.Done():
		c.pc.Disconnect(0)
		return nil, c.gaveUp(ctx.Err())
	}
	return c, nil
}

// gaveUp is Connect's error when ctx ends first: with the last attempt's
// failure, so that a caller that gives up says why.
func (c *Client) gaveUp(ctxErr error) error {
	if cause, err := c.LastFailure(); err != nil {
		return fmt.Errorf("mqtt connect %s: %w (last attempt: %s: %w)", RedactURL(c.opts.BrokerURL), ctxErr, cause, err)
	}
	return fmt.Errorf("mqtt connect %s: %w", RedactURL(c.opts.BrokerURL), ctxErr)
}

// connectFailed logs (throttled) and records one failed attempt.
func (c *Client) connectFailed(err error) {
	cause := ConnectCause(err)
	c.failMu.Lock()
	changed := cause != c.failCause || c.lastFailure == nil
	c.lastFailure, c.failCause = err, cause
	logNow := changed || time.Since(c.failLogged) >= failureLogEvery
	quiet := c.failQuiet
	if logNow {
		c.failLogged, c.failQuiet = time.Now(), 0
	} else {
		c.failQuiet++
	}
	c.failMu.Unlock()
	if logNow {
		c.log.Error("mqtt connection failed; retrying", zap.String("cause", cause), zap.Error(err),
			zap.Int("failures_not_logged", quiet), zap.String("hint", causeHint(cause)))
	}
	if c.opts.OnConnectFailed != nil {
		c.opts.OnConnectFailed(cause, err)
	}
}

// causeHint says where to look for a cause.
func causeHint(cause string) string {
	switch cause {
	case CauseTLSVerify:
		return "the broker's certificate is not trusted: check --tls-ca and the broker's host name"
	case CauseTLSHandshake:
		return "the broker ended the TLS handshake: check the client certificate (--tls-cert, --tls-key) and TLS versions"
	case CauseBadCredentials:
		return "the broker refused the user name or password"
	case CauseNotAuthorized:
		return "the broker refused this client: a wrong user name or password (Mosquitto answers not authorised for both), or a client id or ACL it refuses"
	case CauseRefused:
		return "nothing listens at the broker's address: check --broker and that the broker runs"
	case CauseDNS:
		return "the broker's host name does not resolve"
	case CauseTimeout:
		return "no answer: check the address, firewalls, and ssl:// versus tcp://"
	case CauseNetwork:
		return "the connection broke before the broker answered: check ssl:// versus tcp:// and the broker's log"
	case CauseProtocol:
		return "the broker refused the protocol version or the client id, or is unavailable"
	}
	return ""
}

// LastFailure returns the last failed connection attempt's cause and
// error, or a nil error when the client is connected (or has not failed
// yet).
func (c *Client) LastFailure() (cause string, err error) {
	c.failMu.Lock()
	defer c.failMu.Unlock()
	return c.failCause, c.lastFailure
}

// onConnect re-makes every subscription (the session is clean, so the
// broker forgot them) before telling the owner.
func (c *Client) onConnect() {
	c.subscribed.Store(false)
	n := c.connects.Add(1)
	c.failMu.Lock()
	failed := c.failQuiet
	c.lastFailure, c.failCause, c.failQuiet = nil, "", 0
	c.failMu.Unlock()
	c.log.Info("mqtt connected", zap.Int64("connection", n), zap.Int("failures_not_logged", failed))
	c.mu.Lock()
	subs := make(map[string]subscription, len(c.subs))
	for f, s := range c.subs {
		subs[f] = s
	}
	c.mu.Unlock()
	if err := c.subscribeAll(subs); err != nil {
		// Connected stays false: a client that cannot subscribe is deaf,
		// and its owner's health check must say so.
		c.log.Error("mqtt subscribe failed", zap.Error(err))
	} else {
		c.subscribed.Store(true)
	}
	if c.opts.OnConnect != nil {
		c.opts.OnConnect()
	}
	c.firstOnce.Do(func() { close(c.firstUp) })
}

// subscribeAll makes subs in one SUBSCRIBE and retries the filters the
// broker refuses. One packet, because a broker delivering the retained
// messages of the first filter while the next SUBSCRIBE arrives is where
// things go wrong: mochi-mqtt checks a SUBSCRIBE's packet id against its
// own outgoing in-flight ids and refuses it (0x80) when they collide —
// silently, as far as paho's token error goes.
func (c *Client) subscribeAll(subs map[string]subscription) error {
	for filter, s := range subs {
		h := s.handler
		c.pc.AddRoute(filter, func(_ paho.Client, m paho.Message) { h(m.Topic(), m.Payload()) })
	}
	pending := make(map[string]byte, len(subs))
	for filter, s := range subs {
		pending[filter] = s.qos
	}
	delay := 20 * time.Millisecond
	for attempt := 1; len(pending) > 0; attempt++ {
		if !c.pc.IsConnectionOpen() {
			return errors.New("connection lost while subscribing")
		}
		tok := c.pc.SubscribeMultiple(pending, nil)
		var problem error
		switch {
		case !tok.WaitTimeout(c.opts.PublishTimeout):
			problem = fmt.Errorf("no SUBACK within %v", c.opts.PublishTimeout)
		case tok.Error() != nil:
			problem = tok.Error()
		default:
			if st, ok := tok.(*paho.SubscribeToken); ok {
				for filter, granted := range st.Result() {
					if granted <= 2 {
						delete(pending, filter)
					}
				}
			} else {
				clear(pending)
			}
			if len(pending) == 0 {
				return nil
			}
			problem = fmt.Errorf("broker refused %d filter(s)", len(pending))
		}
		if attempt == 10 {
			return fmt.Errorf("subscribe: %w (10 attempts)", problem)
		}
		c.log.Warn("mqtt subscribe failed; retrying", zap.Error(problem), zap.Int("attempt", attempt))
		time.Sleep(delay)
		delay = min(2*delay, time.Second)
	}
	return nil
}

// Subscribe adds a subscription after Connect; it is made now and after
// every reconnect. Prefer Options.Subscriptions for the ones known up
// front: a Subscribe that races a reconnect may be made twice, and the
// retained messages then arrive twice.
func (c *Client) Subscribe(filter string, qos byte, h Handler) error {
	s := subscription{qos: qos, handler: h}
	c.mu.Lock()
	c.subs[filter] = s
	c.mu.Unlock()
	if !c.pc.IsConnectionOpen() {
		return nil // onConnect will subscribe
	}
	return c.subscribeAll(map[string]subscription{filter: s})
}

// ErrNotConnected is returned by Publish while the client is between
// connections; the caller decides whether to wait and retry.
var ErrNotConnected = errors.New("mqtt: not connected")

// Publish sends m and, for QoS 1, waits for the broker's acknowledgement
// (at most PublishTimeout, or until ctx is done).
func (c *Client) Publish(ctx context.Context, m Message) error {
	if !c.pc.IsConnectionOpen() {
		return ErrNotConnected
	}
	tok := c.pc.Publish(m.Topic, m.QoS, m.Retained, m.Payload)
	timer := time.NewTimer(c.opts.PublishTimeout)
	defer timer.Stop()
	select {
	case <-tok.Done():
		return tok.Error()
	case <-timer.C:
		return fmt.Errorf("publish %s: no acknowledgement within %v", m.Topic, c.opts.PublishTimeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// PublishNoWait hands m to the client without waiting for the broker: for
// QoS 0 messages, where there is nothing to wait for.
func (c *Client) PublishNoWait(m Message) error {
	if !c.pc.IsConnectionOpen() {
		return ErrNotConnected
	}
	tok := c.pc.Publish(m.Topic, m.QoS, m.Retained, m.Payload)
	if m.QoS == 0 {
		select {
		case <-tok.Done():
			return tok.Error()
		default:
		}
	}
	return nil
}

// Connected reports whether the connection is up and every subscription
// was made on it: what a health check should ask.
func (c *Client) Connected() bool { return c.pc.IsConnectionOpen() && c.subscribed.Load() }

// Connections counts the connections made so far (1 after Connect, +1 per
// reconnect).
func (c *Client) Connections() int64 { return c.connects.Load() }

// Disconnect closes the connection cleanly, waiting up to quiesce for
// in-flight work. A clean DISCONNECT means the broker does not publish the
// Last Will, so publish any farewell (the retained `offline`) first.
func (c *Client) Disconnect(quiesce time.Duration) {
	c.pc.Disconnect(uint(quiesce / time.Millisecond))
}
