package ntcip

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gosnmp/gosnmp"
)

// Failure kinds: the "reason" label of greenwave_ntcip_snmp_errors_total.
const (
	FailTimeout       = "timeout"          // no answer at all
	FailRefused       = "refused"          // ICMP port unreachable: nothing listens
	FailWrongDigest   = "wrong_auth_key"   // usmStatsWrongDigests
	FailDecryption    = "wrong_priv_key"   // usmStatsDecryptionErrors, or diagnosed
	FailUnknownUser   = "unknown_user"     // usmStatsUnknownUserNames
	FailSecLevel      = "security_level"   // usmStatsUnsupportedSecLevels
	FailNoSuchObject  = "no_such_object"   // noSuchObject, noSuchInstance, v1 noSuchName
	FailRefusedValue  = "refused_value"    // a SET's error-status: wrongValue, inconsistentValue, ...
	FailErrorStatus   = "error_status"     // another error-status (genErr, authorizationError, ...)
	FailBadValue      = "bad_value"        // an answer of the wrong type or out of range
	FailNetwork       = "network"          // any other transport error
	FailNotConfigured = "input_not_mapped" // a command the configuration has no input for
)

// Failure is an SNMP exchange that did not do what was asked, classified
// so that each kind is counted and reported as what it is: a wrong key as
// a wrong key, not as a timeout.
type Failure struct {
	Kind   string // one of the Fail* constants
	Op     string // "get" or "set"
	Object string // the object concerned, by name, when one is
	Detail string // for an operator
}

func (f *Failure) Error() string {
	s := "SNMP " + f.Op
	if f.Object != "" {
		s += " " + f.Object
	}
	return s + ": " + f.Detail
}

// objectNames names the columns and scalars for messages.
var objectNames = map[string]string{
	trimDot(OIDMaxPhases): "maxPhases.0", trimDot(OIDMaxPhaseGroups): "maxPhaseGroups.0",
	trimDot(OIDUnitBackupTime): "unitBackupTime.0", trimDot(OIDUnitControlStatus): "unitControlStatus.0",
	trimDot(OIDUnitFlashStatus): "unitFlashStatus.0", trimDot(OIDMaxPreempts): "maxPreempts.0",
	oidPhaseStatusGroupReds: "phaseStatusGroupReds", oidPhaseStatusGroupYellows: "phaseStatusGroupYellows",
	oidPhaseStatusGroupGreens: "phaseStatusGroupGreens", oidPhaseControlGroupHold: "phaseControlGroupHold",
	oidPhaseControlGroupForceOff: "phaseControlGroupForceOff", oidPhaseControlGroupVehCall: "phaseControlGroupVehCall",
	oidPhaseControlGroupPhaseOmt: "phaseControlGroupPhaseOmit", oidPreemptState: "preemptState",
	oidPreemptControlState: "preemptControlState", oidPreemptDwellPhase: "preemptDwellPhase",
}

// ObjectName renders oid as name.index when it is one of mib.go's objects.
func ObjectName(oid string) string {
	oid = trimDot(oid)
	if n, ok := objectNames[oid]; ok {
		return n
	}
	if i := strings.LastIndexByte(oid, '.'); i > 0 {
		if n, ok := objectNames[oid[:i]]; ok {
			return n + oid[i:]
		}
	}
	return oid
}

// client is one controller's SNMP session. Not safe for concurrent use:
// each intersection's goroutine owns its own.
type client struct {
	cfg  IntersectionConfig
	addr string
	g    *gosnmp.GoSNMP
}

func newClient(cfg IntersectionConfig) *client {
	return &client{cfg: cfg, addr: cfg.Address}
}

func (c *client) session(flags gosnmp.SnmpV3MsgFlags) (*gosnmp.GoSNMP, error) {
	host, portStr, _ := net.SplitHostPort(c.cfg.Address)
	port, _ := strconv.Atoi(portStr)
	g := &gosnmp.GoSNMP{
		Target: host, Port: uint16(port), Transport: "udp",
		Timeout: time.Duration(c.cfg.Timeout), Retries: *c.cfg.Retries, MaxOids: 60,
	}
	switch c.cfg.SNMP.Version {
	case VersionV1:
		g.Version, g.Community = gosnmp.Version1, c.cfg.SNMP.Community
	case VersionV2c:
		g.Version, g.Community = gosnmp.Version2c, c.cfg.SNMP.Community
	default:
		g.Version = gosnmp.Version3
		g.SecurityModel = gosnmp.UserSecurityModel
		g.MsgFlags = flags
		usm := &gosnmp.UsmSecurityParameters{
			UserName: c.cfg.SNMP.User, AuthenticationProtocol: authProtocol(c.cfg.SNMP.Auth),
			AuthenticationPassphrase: c.cfg.SNMP.AuthPassphrase,
			PrivacyProtocol:          gosnmp.NoPriv,
		}
		if flags == gosnmp.AuthPriv {
			usm.PrivacyProtocol, usm.PrivacyPassphrase = privProtocol(c.cfg.SNMP.Priv), c.cfg.SNMP.PrivPassphrase
		}
		g.SecurityParameters = usm
	}
	if err := g.Connect(); err != nil {
		return nil, err
	}
	return g, nil
}

func authProtocol(s string) gosnmp.SnmpV3AuthProtocol {
	switch s {
	case "MD5":
		return gosnmp.MD5
	case "SHA-224":
		return gosnmp.SHA224
	case "SHA-256":
		return gosnmp.SHA256
	case "SHA-384":
		return gosnmp.SHA384
	case "SHA-512":
		return gosnmp.SHA512
	}
	return gosnmp.SHA
}

func privProtocol(s string) gosnmp.SnmpV3PrivProtocol {
	if s == "DES" {
		return gosnmp.DES
	}
	return gosnmp.AES
}

// close drops the session; the next request makes a new one (and, for
// SNMPv3, discovers the engine again).
func (c *client) close() {
	if c.g != nil {
		_ = c.g.Conn.Close()
		c.g = nil
	}
}

func (c *client) conn() (*gosnmp.GoSNMP, error) {
	if c.g == nil {
		g, err := c.session(gosnmp.AuthPriv)
		if err != nil {
			return nil, err
		}
		c.g = g
	}
	return c.g, nil
}

// get reads oids in one request. Every value must be present: a missing
// one is a Failure of kind FailNoSuchObject naming it.
func (c *client) get(oids []string) ([]gosnmp.SnmpPDU, error) {
	g, err := c.conn()
	if err != nil {
		return nil, c.classify("get", err)
	}
	pkt, err := g.Get(oids)
	if err != nil {
		return nil, c.classify("get", err)
	}
	if pkt.Error != gosnmp.NoError {
		return nil, c.statusFailure("get", pkt, oids, nil)
	}
	if len(pkt.Variables) != len(oids) {
		return nil, &Failure{Kind: FailBadValue, Op: "get", Detail: fmt.Sprintf("asked %d objects, got %d", len(oids), len(pkt.Variables))}
	}
	for _, v := range pkt.Variables {
		switch v.Type {
		case gosnmp.NoSuchObject, gosnmp.NoSuchInstance:
			return nil, &Failure{Kind: FailNoSuchObject, Op: "get", Object: ObjectName(v.Name),
				Detail: fmt.Sprintf("%s (%s): the controller lacks this object", lowerFirst(v.Type.String()), trimDot(v.Name))}
		case gosnmp.EndOfMibView:
			return nil, &Failure{Kind: FailNoSuchObject, Op: "get", Object: ObjectName(v.Name), Detail: "endOfMibView"}
		}
	}
	return pkt.Variables, nil
}

// setInts writes integer values (oid → value) in one request: SNMP
// applies all of them or none.
func (c *client) setInts(oids []string, values []int) error {
	g, err := c.conn()
	if err != nil {
		return c.classify("set", err)
	}
	pdus := make([]gosnmp.SnmpPDU, len(oids))
	for i, oid := range oids {
		pdus[i] = gosnmp.SnmpPDU{Name: oid, Type: gosnmp.Integer, Value: values[i]}
	}
	pkt, err := g.Set(pdus)
	if err != nil {
		return c.classify("set", err)
	}
	if pkt.Error != gosnmp.NoError {
		return c.statusFailure("set", pkt, oids, values)
	}
	return nil
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// statusFailure describes a response whose error-status is not noError.
func (c *client) statusFailure(op string, pkt *gosnmp.SnmpPacket, oids []string, values []int) *Failure {
	f := &Failure{Op: op, Kind: FailErrorStatus}
	i := int(pkt.ErrorIndex) - 1 // 1-based; 0 means the whole request
	if i >= 0 && i < len(oids) {
		f.Object = ObjectName(oids[i])
		if values != nil {
			f.Object += " = " + strconv.Itoa(values[i])
		}
	}
	status := lowerFirst(pkt.Error.String())
	switch pkt.Error {
	case gosnmp.NoSuchName:
		f.Kind = FailNoSuchObject
		f.Detail = "noSuchName: the controller lacks this object"
	case gosnmp.WrongValue, gosnmp.WrongType, gosnmp.WrongLength, gosnmp.WrongEncoding, gosnmp.InconsistentValue,
		gosnmp.BadValue, gosnmp.NotWritable, gosnmp.ReadOnly, gosnmp.NoCreation, gosnmp.InconsistentName,
		gosnmp.ResourceUnavailable, gosnmp.CommitFailed, gosnmp.UndoFailed:
		f.Kind = FailRefusedValue
		f.Detail = "refused by the controller: " + status
	case gosnmp.AuthorizationError, gosnmp.NoAccess:
		f.Detail = status + ": the credentials may not " + op + " this object (check the controller's access rights for this community or user)"
	default:
		f.Detail = "error-status " + status
	}
	return f
}

// classify turns a transport or security error into a Failure. An SNMPv3
// timeout is examined further: net-snmp, like most agents, drops a
// request it cannot decrypt without a word, so a wrong privacy key looks
// like a dead controller unless asked otherwise.
func (c *client) classify(op string, err error) *Failure {
	var f *Failure
	if errors.As(err, &f) {
		return f
	}
	v3 := c.cfg.SNMP.Version == VersionV3
	switch {
	case errors.Is(err, gosnmp.ErrWrongDigest):
		c.close()
		return &Failure{Kind: FailWrongDigest, Op: op, Detail: "the controller reports a wrong digest (usmStatsWrongDigests): wrong authentication passphrase or protocol for user " + strconv.Quote(c.cfg.SNMP.User)}
	case errors.Is(err, gosnmp.ErrDecryption):
		c.close()
		return &Failure{Kind: FailDecryption, Op: op, Detail: "the controller could not decrypt the request (usmStatsDecryptionErrors): wrong privacy passphrase or protocol for user " + strconv.Quote(c.cfg.SNMP.User)}
	case errors.Is(err, gosnmp.ErrUnknownUsername):
		c.close()
		return &Failure{Kind: FailUnknownUser, Op: op, Detail: "the controller has no user " + strconv.Quote(c.cfg.SNMP.User) + " (usmStatsUnknownUserNames)"}
	case errors.Is(err, gosnmp.ErrUnknownSecurityLevel):
		c.close()
		return &Failure{Kind: FailSecLevel, Op: op, Detail: "the controller does not allow authPriv for this user (usmStatsUnsupportedSecLevels)"}
	case errors.Is(err, syscall.ECONNREFUSED):
		c.close()
		return &Failure{Kind: FailRefused, Op: op, Detail: "refused by " + c.addr + " (ICMP port unreachable: no SNMP agent listens there)"}
	case v3 && strings.Contains(err.Error(), "not authentic"):
		// The answer did not carry our authentication: an agent that
		// cannot authenticate a request reports why without authentication
		// (RFC 3414 3.2), and gosnmp discards such a Report. Read it.
		c.close()
		if f := c.readReport(op); f != nil {
			return f
		}
		return &Failure{Kind: FailWrongDigest, Op: op, Detail: "the controller's answers fail authentication with our key: wrong authentication passphrase or protocol for user " + strconv.Quote(c.cfg.SNMP.User)}
	case isTimeout(err):
		c.close()
		if v3 {
			if diag := c.diagnoseV3(op); diag != nil {
				return diag
			}
		}
		tries := *c.cfg.Retries + 1
		detail := fmt.Sprintf("no response from %s within %v × %d (controller off or unreachable", c.addr, time.Duration(c.cfg.Timeout), tries)
		if !v3 {
			detail += ", or a wrong community: SNMP agents drop those without answering)"
		} else {
			detail += ")"
		}
		return &Failure{Kind: FailTimeout, Op: op, Detail: detail}
	}
	c.close()
	return &Failure{Kind: FailNetwork, Op: op, Detail: err.Error()}
}

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, gosnmp.ErrMaxRetriesExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return strings.Contains(err.Error(), "timeout")
}

// diagnoseV3 examines an authPriv timeout. First an authPriv request for
// sysUpTime.0 (MIB-II, answered by the agent itself, not by the
// controller's application): if it is answered, the keys are right and
// the controller was only slow. If not, an authNoPriv request of the same
// user: an answer of any kind (authorizationError, since the user may
// only work with privacy) proves the controller is up, knows the user and
// accepts its authentication key — what it could not read was the
// encrypted part.
func (c *client) diagnoseV3(op string) *Failure {
	if g, err := c.session(gosnmp.AuthPriv); err == nil {
		g.Retries = 0
		_, err := g.Get([]string{oidSysUpTime})
		_ = g.Conn.Close()
		if err == nil {
			return nil
		}
	}
	g, err := c.session(gosnmp.AuthNoPriv)
	if err != nil {
		return nil
	}
	defer g.Conn.Close()
	g.Retries = 0
	_, err = g.Get([]string{oidSysUpTime})
	switch {
	case err == nil:
		return &Failure{Kind: FailDecryption, Op: op, Detail: "authPriv requests go unanswered while the same user's authNoPriv request is answered: wrong privacy passphrase or protocol for user " + strconv.Quote(c.cfg.SNMP.User) + " (agents drop what they cannot decrypt)"}
	case errors.Is(err, gosnmp.ErrWrongDigest), strings.Contains(err.Error(), "not authentic"):
		return &Failure{Kind: FailWrongDigest, Op: op, Detail: "the controller reports a wrong digest (usmStatsWrongDigests): wrong authentication passphrase or protocol for user " + strconv.Quote(c.cfg.SNMP.User)}
	case errors.Is(err, gosnmp.ErrUnknownUsername):
		return &Failure{Kind: FailUnknownUser, Op: op, Detail: "the controller has no user " + strconv.Quote(c.cfg.SNMP.User) + " (usmStatsUnknownUserNames)"}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &Failure{Kind: FailRefused, Op: op, Detail: "refused by " + c.addr + " (ICMP port unreachable: no SNMP agent listens there)"}
	}
	return nil
}

// oidSysUpTime is MIB-II's sysUpTime.0, which every SNMP agent answers.
const oidSysUpTime = "1.3.6.1.2.1.1.3.0"

// usmReports are the Report PDUs of RFC 3414 an agent sends, without
// authentication, about a request it could not accept.
var usmReports = map[string]struct{ kind, detail string }{
	".1.3.6.1.6.3.15.1.1.1.0": {FailSecLevel, "the controller does not allow authPriv for this user (usmStatsUnsupportedSecLevels)"},
	".1.3.6.1.6.3.15.1.1.3.0": {FailUnknownUser, "the controller has no such user (usmStatsUnknownUserNames)"},
	".1.3.6.1.6.3.15.1.1.5.0": {FailWrongDigest, "the controller reports a wrong digest (usmStatsWrongDigests): wrong authentication passphrase or protocol"},
	".1.3.6.1.6.3.15.1.1.6.0": {FailDecryption, "the controller could not decrypt the request (usmStatsDecryptionErrors): wrong privacy passphrase or protocol"},
}

// readReport sends one authPriv request on a socket of its own and reads
// the answer without checking its authentication, to learn which USM
// Report it is.
func (c *client) readReport(op string) *Failure {
	g, err := c.session(gosnmp.AuthPriv)
	if err != nil {
		return nil
	}
	defer g.Conn.Close()
	g.Retries = 0
	if _, err := g.Get([]string{OIDMaxPreempts}); err == nil {
		return nil // it works now
	}
	req, err := g.SnmpEncodePacket(gosnmp.GetRequest, []gosnmp.SnmpPDU{{Name: OIDMaxPreempts, Type: gosnmp.Null}}, 0, 0)
	if err != nil {
		return nil
	}
	conn, err := net.Dial("udp", c.addr)
	if err != nil {
		return nil
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Duration(c.cfg.Timeout)))
	if _, err := conn.Write(req); err != nil {
		return nil
	}
	buf := make([]byte, 65535)
	n, err := conn.Read(buf)
	if err != nil {
		return nil
	}
	dec := &gosnmp.GoSNMP{Version: gosnmp.Version3, SecurityModel: gosnmp.UserSecurityModel, MsgFlags: gosnmp.NoAuthNoPriv,
		SecurityParameters: &gosnmp.UsmSecurityParameters{UserName: c.cfg.SNMP.User, AuthenticationProtocol: gosnmp.NoAuth, PrivacyProtocol: gosnmp.NoPriv}}
	pkt, err := dec.SnmpDecodePacket(buf[:n])
	if err != nil || pkt.PDUType != gosnmp.Report || len(pkt.Variables) != 1 {
		return nil
	}
	r, ok := usmReports[pkt.Variables[0].Name]
	if !ok {
		return nil
	}
	return &Failure{Kind: r.kind, Op: op, Detail: r.detail + " for user " + strconv.Quote(c.cfg.SNMP.User)}
}

// intOf reads an integer-valued answer.
func intOf(v gosnmp.SnmpPDU) (int, bool) {
	switch v.Type {
	case gosnmp.Integer, gosnmp.Counter32, gosnmp.Gauge32, gosnmp.Uinteger32, gosnmp.TimeTicks:
		n := gosnmp.ToBigInt(v.Value)
		if !n.IsInt64() {
			return 0, false
		}
		return int(n.Int64()), true
	}
	return 0, false
}
