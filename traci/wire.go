package traci

import (
	"encoding/binary"
	"math"
	"strconv"
)

// The TraCI wire format: big-endian integers and IEEE 754 doubles, strings
// as a 4-byte length and the bytes, a message as a 4-byte total length
// followed by commands, and a command as a length (one byte, or a zero byte
// and a 4-byte length when it exceeds 255) including itself, an id byte
// and its content.

// encoder appends a message to a reusable buffer.
type encoder struct {
	b        []byte
	cmdStart int
}

// reset starts a new message, keeping the buffer's memory.
func (e *encoder) reset() { e.b = append(e.b[:0], 0, 0, 0, 0) }

// finish writes the message length and returns the message.
func (e *encoder) finish() []byte {
	binary.BigEndian.PutUint32(e.b[:4], uint32(len(e.b)))
	return e.b
}

// begin starts a command. Its header is reserved in the long form (zero,
// 4-byte length, id) and shortened by end when the command fits one byte.
func (e *encoder) begin(id byte) {
	e.cmdStart = len(e.b)
	e.b = append(e.b, 0, 0, 0, 0, 0, id)
}

// end completes the command begun last.
func (e *encoder) end() {
	start := e.cmdStart
	n := len(e.b) - start // long form: 1 + 4 + 1 + content
	if short := n - 4; short <= 255 {
		copy(e.b[start+1:], e.b[start+5:])
		e.b = e.b[:len(e.b)-4]
		e.b[start] = byte(short)
		return
	}
	e.b[start] = 0
	binary.BigEndian.PutUint32(e.b[start+1:], uint32(n))
}

func (e *encoder) u8(v byte)     { e.b = append(e.b, v) }
func (e *encoder) i32(v int32)   { e.b = binary.BigEndian.AppendUint32(e.b, uint32(v)) }
func (e *encoder) f64(v float64) { e.b = binary.BigEndian.AppendUint64(e.b, math.Float64bits(v)) }
func (e *encoder) str(s string) {
	e.i32(int32(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) typedInt(v int32)      { e.u8(typeInteger); e.i32(v) }
func (e *encoder) typedDouble(v float64) { e.u8(typeDouble); e.f64(v) }
func (e *encoder) typedString(s string)  { e.u8(typeString); e.str(s) }
func (e *encoder) typedByte(v int8)      { e.u8(typeByte); e.u8(byte(v)) }
func (e *encoder) typedUByte(v byte)     { e.u8(typeUByte); e.u8(v) }
func (e *encoder) compound(n int)        { e.u8(typeCompound); e.i32(int32(n)) }
func (e *encoder) typedStringList(ss []string) {
	e.u8(typeStringList)
	e.i32(int32(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}

// decoder reads a response with bounds checks. The first problem is kept
// in err and every later read returns a zero value, so a malformed
// response can never panic or loop; callers check err once at the end of
// a unit.
type decoder struct {
	b   []byte
	off int
	err error
	// intern, when set, deduplicates the strings read by str: a step's
	// vehicle, road and lane ids are mostly the same as the step before.
	intern *interner
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = protocolErrorf(d.off, format, args...)
	}
}

func (d *decoder) remaining() int { return len(d.b) - d.off }

// need reports whether n more bytes are there, recording an error if not.
func (d *decoder) need(n int, what string) bool {
	if d.err != nil {
		return false
	}
	if n < 0 || n > d.remaining() {
		d.fail("truncated %s: need %d bytes, have %d", what, n, d.remaining())
		return false
	}
	return true
}

func (d *decoder) u8(what string) byte {
	if !d.need(1, what) {
		return 0
	}
	v := d.b[d.off]
	d.off++
	return v
}

func (d *decoder) i32(what string) int32 {
	if !d.need(4, what) {
		return 0
	}
	v := int32(binary.BigEndian.Uint32(d.b[d.off:]))
	d.off += 4
	return v
}

func (d *decoder) f64(what string) float64 {
	if !d.need(8, what) {
		return 0
	}
	v := math.Float64frombits(binary.BigEndian.Uint64(d.b[d.off:]))
	d.off += 8
	return v
}

// count reads a 4-byte element count and checks it against the bytes
// left, given each element takes at least minSize bytes, so that a corrupt
// count cannot make the caller allocate gigabytes.
func (d *decoder) count(what string, minSize int) int {
	n := d.i32(what)
	if d.err != nil {
		return 0
	}
	if n < 0 || int64(n)*int64(minSize) > int64(d.remaining()) {
		d.fail("%s: count %d does not fit the %d bytes left", what, n, d.remaining())
		return 0
	}
	return int(n)
}

// bytes reads a length-prefixed string without copying it.
func (d *decoder) bytes(what string) []byte {
	n := d.count(what, 1)
	if !d.need(n, what) {
		return nil
	}
	v := d.b[d.off : d.off+n : d.off+n]
	d.off += n
	return v
}

// str reads a length-prefixed string.
func (d *decoder) str(what string) string {
	b := d.bytes(what)
	if d.intern != nil {
		return d.intern.get(b)
	}
	return string(b)
}

// expectType reads a type byte and checks it.
func (d *decoder) expectType(want byte, what string) bool {
	got := d.u8(what)
	if d.err != nil {
		return false
	}
	if got != want {
		d.fail("%s: type 0x%02x, want %s (0x%02x)", what, got, typeName(want), want)
		return false
	}
	return true
}

func (d *decoder) typedInt(what string) int32 {
	if !d.expectType(typeInteger, what) {
		return 0
	}
	return d.i32(what)
}

func (d *decoder) typedDouble(what string) float64 {
	if !d.expectType(typeDouble, what) {
		return 0
	}
	return d.f64(what)
}

func (d *decoder) typedString(what string) string {
	if !d.expectType(typeString, what) {
		return ""
	}
	return d.str(what)
}

// stringList reads a string list's count and strings into dst[:0].
func (d *decoder) stringList(dst []string, what string) []string {
	n := d.count(what, 4)
	dst = dst[:0]
	for i := 0; i < n && d.err == nil; i++ {
		dst = append(dst, d.str(what))
	}
	return dst
}

func (d *decoder) typedStringList(dst []string, what string) []string {
	if !d.expectType(typeStringList, what) {
		return dst[:0]
	}
	return d.stringList(dst, what)
}

// compound reads a compound's type byte and item count.
func (d *decoder) compound(what string) int {
	if !d.expectType(typeCompound, what) {
		return 0
	}
	return d.count(what, 1)
}

// compoundOf reads a compound header and checks it has exactly n items.
func (d *decoder) compoundOf(n int, what string) bool {
	got := d.compound(what)
	if d.err != nil {
		return false
	}
	if got != n {
		d.fail("%s: compound of %d items, want %d", what, got, n)
		return false
	}
	return true
}

// cmdHeader reads a command's length and id and returns the offset at
// which the command ends.
func (d *decoder) cmdHeader(what string) (id byte, end int) {
	start := d.off
	n := int(d.u8(what))
	if n == 0 {
		n = int(d.i32(what))
		if d.err == nil && n < 6 {
			d.fail("%s: extended length %d is below the 6-byte header", what, n)
		}
	} else if n < 2 {
		d.fail("%s: length %d is below the 2-byte header", what, n)
	}
	if d.err != nil {
		return 0, start
	}
	end = start + n
	if end > len(d.b) || end < start {
		d.fail("%s: length %d runs past the %d-byte message", what, n, len(d.b)-start)
		return 0, start
	}
	id = d.u8(what)
	return id, end
}

// expectEnd checks that a command's content ended exactly at end.
func (d *decoder) expectEnd(end int, what string) {
	if d.err == nil && d.off != end {
		d.fail("%s: content ends at byte %d, its length says %d", what, d.off, end)
	}
}

func typeName(t byte) string {
	switch t {
	case typeLonLat:
		return "position lon/lat"
	case type2D:
		return "position 2D"
	case typeLonLatAlt:
		return "position lon/lat/alt"
	case type3D:
		return "position 3D"
	case typeRoadMap:
		return "road map position"
	case typeBoundingBox:
		return "bounding box"
	case typePolygon:
		return "polygon"
	case typeUByte:
		return "ubyte"
	case typeByte:
		return "byte"
	case typeInteger:
		return "integer"
	case typeDouble:
		return "double"
	case typeString:
		return "string"
	case typeStringList:
		return "string list"
	case typeCompound:
		return "compound"
	case typeDoubleList:
		return "double list"
	case typeColor:
		return "color"
	}
	return "type 0x" + strconv.FormatUint(uint64(t), 16)
}

// interner returns one string per distinct byte sequence, so that decoding
// the same ids every step does not allocate. It forgets everything when it
// grows past its bound (a long run adds and removes vehicles without end).
type interner struct {
	m map[string]string
}

const (
	maxInterned    = 1 << 16
	maxInternedLen = 128 // ids; longer strings (messages) are not kept
)

func (in *interner) get(b []byte) string {
	if len(b) > maxInternedLen {
		return string(b)
	}
	if s, ok := in.m[string(b)]; ok { // no allocation for the lookup
		return s
	}
	if in.m == nil || len(in.m) >= maxInterned {
		in.m = make(map[string]string, 1024)
	}
	s := string(b)
	in.m[s] = s
	return s
}
