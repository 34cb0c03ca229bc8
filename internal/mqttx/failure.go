package mqttx

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/url"
	"strings"
	"syscall"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
)

// Causes of a failed connection attempt, as ConnectCause names them: the
// "cause" field of the error logged and of /healthz.
const (
	CauseTLSVerify      = "tls_verify"      // the broker's certificate did not verify (wrong CA, expired, wrong host name)
	CauseTLSHandshake   = "tls_handshake"   // the TLS handshake failed otherwise (the broker refused our certificate, no common version)
	CauseBadCredentials = "bad_credentials" // the broker refused the user name and password (or client certificate identity)
	CauseNotAuthorized  = "not_authorized"  // the broker refused this client (Mosquitto's answer to a wrong password too)
	CauseRefused        = "refused"         // nothing listens there (TCP connection refused)
	CauseTimeout        = "timeout"         // no answer within the connect timeout
	CauseDNS            = "dns"             // the broker's host name does not resolve
	CauseProtocol       = "protocol"        // the broker refused the MQTT version or client id, or is unavailable
	CauseNetwork        = "network"         // any other network error
)

// ConnectCause names why a connection attempt failed (one of the Cause
// constants), so that an operator reading a log line or /healthz knows
// whether to look at certificates, credentials or the network.
func ConnectCause(err error) string {
	var (
		unknownAuthority x509.UnknownAuthorityError
		invalidCert      x509.CertificateInvalidError
		hostname         x509.HostnameError
		verify           *tls.CertificateVerificationError
		alert            tls.AlertError
		recordHeader     tls.RecordHeaderError
		dnsErr           *net.DNSError
		netErr           net.Error
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &verify), errors.As(err, &unknownAuthority), errors.As(err, &invalidCert), errors.As(err, &hostname):
		return CauseTLSVerify
	case errors.Is(err, packets.ErrorRefusedBadUsernameOrPassword):
		return CauseBadCredentials
	case errors.Is(err, packets.ErrorRefusedNotAuthorised):
		return CauseNotAuthorized
	case errors.Is(err, packets.ErrorRefusedBadProtocolVersion), errors.Is(err, packets.ErrorRefusedIDRejected),
		errors.Is(err, packets.ErrorRefusedServerUnavailable):
		return CauseProtocol
	case errors.As(err, &alert), errors.As(err, &recordHeader), strings.Contains(err.Error(), "tls: "):
		// The broker closing the handshake with an alert: most often it
		// refused our client certificate (or demanded one).
		return CauseTLSHandshake
	case errors.Is(err, syscall.ECONNREFUSED):
		return CauseRefused
	case errors.As(err, &dnsErr):
		return CauseDNS
	case errors.As(err, &netErr) && netErr.Timeout():
		return CauseTimeout
	}
	return CauseNetwork
}

// RedactURL returns u with any password in it replaced by "xxxxx", for
// logs and error messages; an unparseable u is returned as its scheme and
// host only, or "(invalid URL)".
func RedactURL(u string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		if i := strings.Index(u, "://"); i >= 0 {
			if at := strings.LastIndex(u, "@"); at > i {
				return u[:i+3] + "xxxxx@" + u[at+1:]
			}
			return u
		}
		return "(invalid URL)"
	}
	return parsed.Redacted()
}

// Warnings lists what is unsafe in opts, for the owner to log at start:
// certificate verification turned off, and a password sent where it can
// be read off the wire (tcp:// or ws://, no TLS).
func Warnings(opts Options) []string {
	var out []string
	if opts.InsecureSkipVerify {
		out = append(out, "TLS certificate verification is off (--tls-insecure): anyone on the path can pose as the broker; for testing only")
	}
	parsed, err := url.Parse(opts.BrokerURL)
	if err != nil {
		return out
	}
	_, urlPassword := parsed.User.Password()
	if (opts.Password != "" || urlPassword) && !isTLS(parsed.Scheme) {
		out = append(out, "the broker password is sent in the clear over "+parsed.Scheme+"://: use ssl:// (or wss://) so that it cannot be read off the network")
	}
	return out
}

func isTLS(scheme string) bool {
	switch scheme {
	case "ssl", "tls", "mqtts", "wss":
		return true
	}
	return false
}

// connectFailure is what a paho connection notification says failed, or nil.
func connectFailure(n paho.ConnectionNotification) error {
	if f, ok := n.(paho.ConnectionNotificationFailed); ok {
		return f.Reason
	}
	return nil
}
