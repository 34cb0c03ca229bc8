package brokertest

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Secure is Mosquitto run with greenwave's shipped configuration
// (deploy/mosquitto/greenwave.conf and greenwave.acl, from the repository,
// with only their paths and ports changed): TLS listeners, no anonymous
// access, the ACL, persistence. Certificates come from a PKI made for the
// test.
type Secure struct {
	*mosquitto
	// PKI is the test's CA: clients verify the broker with PKI.CAFile,
	// and its Client certificates are accepted by CertURL's listener.
	PKI *PKI
	// CertURL is the listener where a client certificate's common name
	// is the user name; PasswordURL the one taking a user name and
	// password (both ssl://127.0.0.1:port).
	CertURL, PasswordURL string
	// Dir holds the broker's files (configuration, ACL, password file,
	// persistence database).
	Dir string
}

// SecureOptions configures MosquittoSecure.
type SecureOptions struct {
	// Passwords are the users of the password listener.
	Passwords map[string]string
	// ExtraACL is appended to the shipped ACL (greenwave acl's output).
	ExtraACL string
}

// MosquittoSecure starts Mosquitto with the shipped configuration; like
// Mosquitto, it skips the test when Mosquitto is not installed, unless
// GREENWAVE_REQUIRE_MOSQUITTO is set.
func MosquittoSecure(tb testing.TB, o SecureOptions) *Secure {
	tb.Helper()
	path, err := MosquittoPath()
	if err != nil {
		if os.Getenv("GREENWAVE_REQUIRE_MOSQUITTO") != "" {
			tb.Fatal(err.Error() + " (GREENWAVE_REQUIRE_MOSQUITTO is set)")
		}
		tb.Skip(err.Error())
	}
	root := repoRoot(tb)
	conf, err := os.ReadFile(filepath.Join(root, "deploy", "mosquitto", "greenwave.conf"))
	if err != nil {
		tb.Fatalf("brokertest: the shipped configuration: %v", err)
	}
	acl, err := os.ReadFile(filepath.Join(root, "deploy", "mosquitto", "greenwave.acl"))
	if err != nil {
		tb.Fatalf("brokertest: the shipped ACL: %v", err)
	}
	dir := tb.TempDir()
	pki := NewPKI(tb, "greenwave-test")
	server := pki.Server("broker")
	writeFile(tb, filepath.Join(dir, "greenwave.acl"), string(acl)+"\n"+o.ExtraACL)
	writeFile(tb, filepath.Join(dir, "passwd"), passwordFile(tb, o.Passwords))
	if err := os.MkdirAll(filepath.Join(dir, "db"), 0o700); err != nil {
		tb.Fatal(err)
	}
	certAddr, pwAddr := FreeLoopbackAddr(tb), FreeLoopbackAddr(tb)
	ports := map[string]string{"8883": certAddr, "8884": pwAddr}
	paths := map[string]string{
		"password_file":        filepath.Join(dir, "passwd"),
		"acl_file":             filepath.Join(dir, "greenwave.acl"),
		"persistence_location": filepath.Join(dir, "db") + "/",
		"cafile":               pki.CAFile,
		"certfile":             server.CertFile,
		"keyfile":              server.KeyFile,
	}
	var out []string
	for _, line := range strings.Split(string(conf), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "listener":
			addr, ok := ports[f[1]]
			if !ok {
				tb.Fatalf("brokertest: the shipped configuration has a listener on %s, which the tests do not know", f[1])
			}
			host, port, _ := net.SplitHostPort(addr)
			line = "listener " + port + " " + host
			delete(ports, f[1])
		case len(f) == 2 && paths[f[0]] != "":
			line = f[0] + " " + paths[f[0]]
		}
		out = append(out, line)
	}
	if len(ports) != 0 {
		tb.Fatalf("brokertest: the shipped configuration lacks a listener the tests expect: %v", ports)
	}
	if os.Getuid() == 0 {
		// Run as root, Mosquitto would drop to user mosquitto, who cannot
		// read the test's files.
		out = append(out, "user root")
	}
	confPath := filepath.Join(dir, "mosquitto.conf")
	writeFile(tb, confPath, strings.Join(out, "\n")+"\n")
	m := &mosquitto{path: path, conf: confPath, addr: certAddr}
	m.Start(tb)
	tb.Cleanup(m.stop)
	return &Secure{mosquitto: m, PKI: pki, CertURL: "ssl://" + certAddr, PasswordURL: "ssl://" + pwAddr, Dir: dir}
}

// Shutdown stops the broker as a service manager would (SIGTERM), so
// that it saves its persistence database; Start brings it back.
func (s *Secure) Shutdown(tb testing.TB) {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd, s.done = nil, nil
}

// Log is what the broker has printed since it last started.
func (s *Secure) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// passwordFile writes users in Mosquitto 2.0's password file format:
// PBKDF2-SHA512, 101 iterations, a 12-byte salt ("$7$", as mosquitto_passwd
// writes it).
func passwordFile(tb testing.TB, users map[string]string) string {
	names := make([]string, 0, len(users))
	for u := range users {
		names = append(names, u)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, u := range names {
		salt := make([]byte, 12)
		_, _ = rand.Read(salt)
		key, err := pbkdf2.Key(sha512.New, users[u], salt, 101, 64)
		if err != nil {
			tb.Fatal(err)
		}
		fmt.Fprintf(&b, "%s:$7$101$%s$%s\n", u, base64.StdEncoding.EncodeToString(salt), base64.StdEncoding.EncodeToString(key))
	}
	return b.String()
}

func writeFile(tb testing.TB, path, text string) {
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		tb.Fatalf("brokertest: %v", err)
	}
}

// repoRoot is the directory of go.mod, found from this source file.
func repoRoot(tb testing.TB) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("brokertest: cannot find the repository")
	}
	dir := filepath.Dir(file)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("brokertest: no go.mod above " + file)
		}
		dir = parent
	}
}
