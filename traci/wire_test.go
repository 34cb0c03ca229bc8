package traci

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"net"
	"strings"
	"testing"
	"time"
)

// A test-side TraCI server speaks through the same encoder: a server's
// commands have the same framing as a client's.

func statusCmd(e *encoder, id, result byte, msg string) {
	e.begin(id)
	e.u8(result)
	e.str(msg)
	e.end()
}

func versionMessage(api int32, server string) []byte {
	var e encoder
	e.reset()
	statusCmd(&e, cmdGetVersion, rtypeOK, "")
	e.begin(cmdGetVersion)
	e.i32(api)
	e.str(server)
	e.end()
	return append([]byte(nil), e.finish()...)
}

// stepMessage is a step response with a simulation, a vehicle and a
// traffic-light subscription result.
func stepMessage() []byte {
	var e encoder
	e.reset()
	statusCmd(&e, cmdSimStep, rtypeOK, "")
	e.i32(3)
	e.begin(cmdSubscribeSim + responseOffset)
	e.str("")
	e.u8(3)
	e.u8(varTime)
	e.u8(rtypeOK)
	e.typedDouble(42.5)
	e.u8(varDepartedIDs)
	e.u8(rtypeOK)
	e.typedStringList([]string{"a", "b"})
	e.u8(varArrivedIDs)
	e.u8(rtypeOK)
	e.typedStringList(nil)
	e.end()
	e.begin(cmdSubscribeVehicle + responseOffset)
	e.str("a")
	e.u8(5)
	e.u8(varPosition)
	e.u8(rtypeOK)
	e.u8(type2D)
	e.f64(10.5)
	e.f64(-3)
	e.u8(varSpeed)
	e.u8(rtypeOK)
	e.typedDouble(13.9)
	e.u8(varRoadID)
	e.u8(rtypeOK)
	e.typedString("edge-1")
	e.u8(varEdges)
	e.u8(rtypeOK)
	e.typedStringList([]string{"edge-1", "edge-2"})
	e.u8(varAngle) // a variable SUMO could not give
	e.u8(rtypeErr)
	e.typedString("no angle")
	e.end()
	e.begin(cmdSubscribeTL + responseOffset)
	e.str("J1")
	e.u8(2)
	e.u8(tlState)
	e.u8(rtypeOK)
	e.typedString("GGrr")
	e.u8(tlCurrentPhase)
	e.u8(rtypeOK)
	e.typedInt(2)
	e.end()
	return append([]byte(nil), e.finish()...)
}

func TestDecodeStep(t *testing.T) {
	msg := stepMessage()
	d := decoder{b: msg[4:]}
	var c Client
	if err := c.status(&d, &pendingCmd{cmd: cmdSimStep, name: "simulationStep"}); err != nil {
		t.Fatal(err)
	}
	var res StepResult
	decodeStep(&d, &res)
	if d.err != nil || d.remaining() != 0 {
		t.Fatalf("decode: %v, %d bytes left", d.err, d.remaining())
	}
	if res.Sim.Time != 42.5 || strings.Join(res.Sim.DepartedIDs, ",") != "a,b" || len(res.Sim.ArrivedIDs) != 0 {
		t.Errorf("sim %+v", res.Sim)
	}
	if len(res.Vehicles) != 1 {
		t.Fatalf("vehicles %+v", res.Vehicles)
	}
	v := res.Vehicles[0]
	if v.ID != "a" || v.X != 10.5 || v.Y != -3 || v.Speed != 13.9 || v.RoadID != "edge-1" ||
		strings.Join(v.Edges, ",") != "edge-1,edge-2" || v.Err != "no angle" {
		t.Errorf("vehicle %+v", v)
	}
	if len(res.TrafficLights) != 1 || res.TrafficLights[0] != (TrafficLightState{ID: "J1", State: "GGrr", Phase: 2}) {
		t.Errorf("traffic lights %+v", res.TrafficLights)
	}
}

// TestDecodeStepTruncated cuts the step response at every length: each cut
// must be an error, never a panic or a silent partial result.
func TestDecodeStepTruncated(t *testing.T) {
	msg := stepMessage()[4:]
	for n := 0; n < len(msg); n++ {
		d := decoder{b: msg[:n]}
		var c Client
		var res StepResult
		if err := c.status(&d, &pendingCmd{cmd: cmdSimStep, name: "simulationStep"}); err == nil {
			decodeStep(&d, &res)
		}
		c.expectMessageEnd(&d)
		if d.err == nil {
			t.Fatalf("a response cut to %d of %d bytes decoded without error", n, len(msg))
		}
	}
}

func TestEncoderCommandLengths(t *testing.T) {
	var e encoder
	e.reset()
	e.begin(0xc4)
	e.str("short")
	e.end()
	e.begin(0xc4)
	e.str(strings.Repeat("x", 300))
	e.end()
	msg := e.finish()
	if got := binary.BigEndian.Uint32(msg); int(got) != len(msg) {
		t.Fatalf("message length %d, have %d bytes", got, len(msg))
	}
	d := decoder{b: msg[4:]}
	id, end := d.cmdHeader("short")
	if id != 0xc4 || end != 1+1+4+5 || d.str("s") != "short" {
		t.Fatalf("short command: id %x end %d", id, end)
	}
	id, end = d.cmdHeader("long")
	if id != 0xc4 || end-11 != 1+4+1+4+300 || d.str("s") != strings.Repeat("x", 300) {
		t.Fatalf("long command: id %x length %d", id, end-11)
	}
	if d.remaining() != 0 || d.err != nil {
		t.Fatalf("%d bytes left, %v", d.remaining(), d.err)
	}
	// The long form starts with a zero byte and a 4-byte length.
	if msg[4+11] != 0 || binary.BigEndian.Uint32(msg[4+12:]) != 310 {
		t.Fatalf("long header % x", msg[4+11:4+17])
	}
}

func TestDecoderRejectsHugeCounts(t *testing.T) {
	var e encoder
	e.reset()
	e.u8(typeStringList)
	e.i32(math.MaxInt32)
	d := decoder{b: e.b[4:]}
	got := d.typedStringList(nil, "list")
	if d.err == nil || len(got) != 0 {
		t.Fatalf("a count of 2^31-1 in 4 bytes: %v, %d items", d.err, len(got))
	}
	d = decoder{b: []byte{0, 0, 0, 3, 'a'}}
	if s := d.str("s"); s != "" || d.err == nil {
		t.Fatalf("string longer than its bytes: %q, %v", s, d.err)
	}
}

// fakeServer runs a scripted TraCI server on one end of a pipe: for each
// request it reads, it writes the next reply (nil: none, then it keeps
// reading until the client hangs up).
func fakeServer(t *testing.T, replies ...[]byte) net.Conn {
	t.Helper()
	client, server := net.Pipe()
	go func() {
		defer server.Close()
		for _, reply := range replies {
			var hdr [4]byte
			if _, err := io.ReadFull(server, hdr[:]); err != nil {
				return
			}
			body := make([]byte, binary.BigEndian.Uint32(hdr[:])-4)
			if _, err := io.ReadFull(server, body); err != nil {
				return
			}
			if reply == nil {
				_, _ = io.Copy(io.Discard, server)
				return
			}
			if _, err := server.Write(reply); err != nil {
				return
			}
		}
		_, _ = io.Copy(io.Discard, server)
	}()
	return client
}

func TestVersionMismatch(t *testing.T) {
	conn := fakeServer(t, versionMessage(19, "SUMO 1.4.0"))
	_, err := NewClient(conn, Options{Timeout: time.Second})
	var ve *VersionError
	if !errors.As(err, &ve) {
		t.Fatalf("server with API 19: %v (%T), want a *VersionError", err, err)
	}
	if ve.Got != 19 || ve.Server != "SUMO 1.4.0" || len(ve.Accepted) != 1 || ve.Accepted[0] != APIVersion {
		t.Errorf("VersionError %+v", ve)
	}
	if !strings.Contains(err.Error(), "API 19") || !strings.Contains(err.Error(), "SUMO 1.4.0") {
		t.Errorf("message %q", err)
	}
	// The client closed its end.
	if _, err := conn.Write([]byte{0}); err == nil {
		t.Error("the connection is still open after a version mismatch")
	}
}

func TestVersionAcceptedByOption(t *testing.T) {
	conn := fakeServer(t, versionMessage(21, "SUMO 1.22.0"))
	c, err := NewClient(conn, Options{Timeout: time.Second, AcceptAPIVersions: []int{20, 21}})
	if err != nil {
		t.Fatal(err)
	}
	if api, server := c.APIVersion(); api != 21 || server != "SUMO 1.22.0" {
		t.Errorf("APIVersion() = %d, %q", api, server)
	}
}

// TestSilentServerTimesOut: a server that never answers is an error after
// the timeout, not a hang.
func TestSilentServerTimesOut(t *testing.T) {
	conn := fakeServer(t, nil)
	start := time.Now()
	_, err := NewClient(conn, Options{Timeout: 200 * time.Millisecond})
	var ce *ConnectionError
	var ne net.Error
	if !errors.As(err, &ce) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("silent server: %v (%T), want a timeout *ConnectionError", err, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("gave up after %v", d)
	}
}

func TestMalformedResponses(t *testing.T) {
	good := versionMessage(APIVersion, "SUMO 1.15.0")
	lengthOf := func(b []byte, n uint32) []byte {
		b = append([]byte(nil), b...)
		binary.BigEndian.PutUint32(b, n)
		return b
	}
	cases := map[string][]byte{
		"message shorter than its header": {0, 0, 0, 2},
		"message longer than the limit":   {0x7f, 0xff, 0xff, 0xff},
		"cut mid-message":                 lengthOf(good[:10], uint32(len(good))),
		"trailing bytes":                  lengthOf(append(append([]byte(nil), good...), 1, 2, 3), uint32(len(good)+3)),
		"status for another command": func() []byte {
			b := append([]byte(nil), good...)
			b[5] = cmdSimStep
			return b
		}(),
		"unknown result code": func() []byte {
			b := append([]byte(nil), good...)
			b[6] = 0x42
			return b
		}(),
		"command length past the end": func() []byte {
			b := append([]byte(nil), good...)
			b[4] = 0xfe
			return b
		}(),
	}
	for name, reply := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := NewClient(fakeServer(t, reply), Options{Timeout: 300 * time.Millisecond})
			var ce *ConnectionError
			if !errors.As(err, &ce) {
				t.Fatalf("%v (%T), want a *ConnectionError", err, err)
			}
		})
	}
}

// TestRefusalKeepsConnection: a *CommandError from a fake server leaves the
// client usable, and a malformed step result ends it.
func TestRefusalKeepsConnection(t *testing.T) {
	var refuse, badStep encoder
	refuse.reset()
	statusCmd(&refuse, cmdSetTL, rtypeErr, "Traffic light 'x' is not known")
	badStep.reset()
	statusCmd(&badStep, cmdSimStep, rtypeOK, "")
	badStep.i32(1)
	badStep.begin(0xe9) // a subscription this client never makes
	badStep.str("x")
	badStep.u8(0)
	badStep.end()
	conn := fakeServer(t, versionMessage(APIVersion, "SUMO 1.15.0"), refuse.finish(), stepMessage(), badStep.finish())
	c, err := NewClient(conn, Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = c.SetRedYellowGreenState("x", "GGrr")
	var cmdErr *CommandError
	if !errors.As(err, &cmdErr) || cmdErr.Msg != "Traffic light 'x' is not known" || cmdErr.Name != "trafficlight.setRedYellowGreenState" {
		t.Fatalf("refusal: %v", err)
	}
	res, err := c.Step(42.5)
	if err != nil || res.Sim.Time != 42.5 || len(res.Vehicles) != 1 {
		t.Fatalf("step after a refusal: %+v, %v", res, err)
	}
	_, err = c.Step(43)
	var pe *ProtocolError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "simulationStep to t=43s") {
		t.Fatalf("malformed step: %v", err)
	}
	if _, err := c.Step(44); !errors.Is(err, ErrClosed) {
		t.Fatalf("step after a protocol error: %v, want ErrClosed", err)
	}
}

func TestSubscribeRefusesUnknownVariable(t *testing.T) {
	var c Client
	err := c.SubscribeVehicle("v", VehicleVar(0x99))
	var ce *CommandError
	if !errors.As(err, &ce) || ce.Var != 0x99 {
		t.Fatalf("unknown vehicle variable: %v", err)
	}
}

func TestInternerBounded(t *testing.T) {
	var in interner
	for i := 0; i < maxInterned+10; i++ {
		in.get([]byte{byte(i), byte(i >> 8), byte(i >> 16)})
	}
	if len(in.m) > maxInterned {
		t.Fatalf("interner holds %d strings", len(in.m))
	}
	long := bytes.Repeat([]byte("x"), maxInternedLen+1)
	in.get(long)
	if _, ok := in.m[string(long)]; ok {
		t.Fatal("a long string was interned")
	}
}
