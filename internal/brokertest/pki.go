package brokertest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// PKI is a certificate authority made for one test: its key and every
// key it issues are generated at test time in the test's temporary
// directory, so no private key is ever committed. Certificates are valid
// for a day.
type PKI struct {
	tb     testing.TB
	dir    string
	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
	// CAFile is the CA certificate (PEM): what clients and the broker
	// verify each other with.
	CAFile string
}

// KeyPair is an issued certificate and its key, as PEM files.
type KeyPair struct {
	CertFile, KeyFile string
}

var serial atomic.Int64

// NewPKI makes a CA named name.
func NewPKI(tb testing.TB, name string) *PKI {
	tb.Helper()
	key := newKey(tb)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial.Add(1)),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatalf("brokertest: CA: %v", err)
	}
	cert, _ := x509.ParseCertificate(der)
	p := &PKI{tb: tb, dir: tb.TempDir(), caCert: cert, caKey: key}
	p.CAFile = p.write(name+"-ca.pem", "CERTIFICATE", der)
	return p
}

// Server issues a server certificate for 127.0.0.1 and localhost.
func (p *PKI) Server(name string) KeyPair {
	p.tb.Helper()
	return p.issue(name, x509.ExtKeyUsageServerAuth, func(c *x509.Certificate) {
		c.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
		c.DNSNames = []string{"localhost"}
	})
}

// Client issues a client certificate whose common name is cn: with
// Mosquitto's use_identity_as_username, the broker user name.
func (p *PKI) Client(cn string) KeyPair {
	p.tb.Helper()
	return p.issue(cn, x509.ExtKeyUsageClientAuth, nil)
}

// TLSConfig is a server-side configuration presenting kp, for a test's
// own TLS listener.
func (p *PKI) TLSConfig(kp KeyPair) *tls.Config {
	p.tb.Helper()
	pair, err := tls.LoadX509KeyPair(kp.CertFile, kp.KeyFile)
	if err != nil {
		p.tb.Fatalf("brokertest: %v", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
}

func (p *PKI) issue(cn string, usage x509.ExtKeyUsage, edit func(*x509.Certificate)) KeyPair {
	key := newKey(p.tb)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	if edit != nil {
		edit(tmpl)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, &key.PublicKey, p.caKey)
	if err != nil {
		p.tb.Fatalf("brokertest: certificate for %s: %v", cn, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		p.tb.Fatalf("brokertest: %v", err)
	}
	return KeyPair{
		CertFile: p.write(cn+".pem", "CERTIFICATE", der),
		KeyFile:  p.write(cn+".key", "PRIVATE KEY", keyDER),
	}
}

func newKey(tb testing.TB) *ecdsa.PrivateKey {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatalf("brokertest: key: %v", err)
	}
	return key
}

func (p *PKI) write(name, typ string, der []byte) string {
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		p.tb.Fatalf("brokertest: %v", err)
	}
	return path
}
