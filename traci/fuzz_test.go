package traci

import "testing"

// FuzzDecodeResponses feeds arbitrary bytes to every response decoder:
// they must return (with or without an error), never panic or loop.
func FuzzDecodeResponses(f *testing.F) {
	f.Add(stepMessage()[4:])
	f.Add(versionMessage(20, "SUMO 1.15.0")[4:])
	f.Add(logicsValue())
	f.Add(linksValue())
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0x0f, 0x7f, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		var c Client
		var res StepResult
		d := decoder{b: data, intern: &interner{}}
		if err := c.status(&d, &pendingCmd{cmd: cmdSimStep, name: "simulationStep"}); err == nil {
			decodeStep(&d, &res)
		}
		d = decoder{b: data}
		decodeLogics(&d)
		d = decoder{b: data}
		decodeControlledLinks(&d)
		d = decoder{b: data}
		p := pendingCmd{cmd: cmdGetTL, varID: tlState, object: "J", name: "get", get: true}
		if _, err := c.getHeader(&d, &p); err == nil {
			d.typedString("state")
		}
	})
}

// logicsValue is an encoded program list (the value of
// getCompleteRedYellowGreenDefinition), for the fuzzer's seeds and tests.
func logicsValue() []byte {
	var e encoder
	e.compound(1)
	e.compound(5)
	e.typedString("0")
	e.typedInt(0)
	e.typedInt(1)
	e.compound(2)
	for _, st := range []string{"GGrr", "yyrr"} {
		e.compound(6)
		e.typedDouble(30)
		e.typedString(st)
		e.typedDouble(5)
		e.typedDouble(50)
		e.compound(1)
		e.typedInt(0)
		e.typedString("main")
	}
	e.compound(1)
	e.typedStringList([]string{"k", "v"})
	return e.b
}

// linksValue is an encoded controlled-links value: two link indices.
func linksValue() []byte {
	var e encoder
	e.compound(5)
	e.typedInt(2)
	e.typedInt(1)
	e.typedStringList([]string{"a_0", "b_0", ":j_0_0"})
	e.typedInt(1)
	e.typedStringList([]string{"a_1", "c_0", ":j_1_0"})
	return e.b
}

func TestDecodeLogicsAndLinks(t *testing.T) {
	d := decoder{b: logicsValue()}
	logics := decodeLogics(&d)
	if d.err != nil || d.remaining() != 0 || len(logics) != 1 {
		t.Fatalf("logics %+v, %v", logics, d.err)
	}
	l := logics[0]
	if l.ProgramID != "0" || l.CurrentPhase != 1 || len(l.Phases) != 2 || l.Phases[1].State != "yyrr" ||
		l.Phases[0].MinDur != 5 || len(l.Phases[0].Next) != 1 || l.Phases[0].Name != "main" || l.Params["k"] != "v" {
		t.Errorf("logic %+v", l)
	}
	d = decoder{b: linksValue()}
	links := decodeControlledLinks(&d)
	if d.err != nil || d.remaining() != 0 || len(links) != 2 || links[1][0] != (Link{From: "a_1", To: "c_0", Via: ":j_1_0"}) {
		t.Fatalf("links %+v, %v", links, d.err)
	}
	// A wrong item count is caught.
	b := linksValue()
	b[4] = 9
	d = decoder{b: b}
	if decodeControlledLinks(&d); d.err == nil {
		t.Error("a controlled-links compound with a wrong item count decoded")
	}
}
