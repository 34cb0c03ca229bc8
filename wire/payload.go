package wire

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// MaxPayloadBytes is the largest payload the wire protocol allows (64 KiB).
// Parsers refuse anything larger before decoding, so a hostile publisher
// cannot make a receiver spend memory on it.
const MaxPayloadBytes = 64 << 10

// FormatTime renders t the way every greenwave payload carries times:
// RFC 3339 in UTC with as many fractional digits as needed, so a time
// survives a round trip through JSON exactly.
func FormatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

// ParseTime parses an RFC 3339 time (fractional seconds allowed, any offset)
// and returns a *FieldError naming field when it is not one. A time whose
// UTC year is outside 0000–9999 is refused too: FormatTime could not write
// it back, so a receiver could not forward or audit what it accepted.
func ParseTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, Invalid(field, "not an RFC 3339 time: "+Quote(s, 40))
	}
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return time.Time{}, Invalid(field, "outside the years 0000-9999 in UTC: "+Quote(s, 40))
	}
	return t, nil
}

// CheckSize refuses a payload over MaxPayloadBytes with ErrTooLarge.
func CheckSize(b []byte) error {
	if len(b) > MaxPayloadBytes {
		return &FieldError{Field: "payload", Reason: "larger than " + strconv.Itoa(MaxPayloadBytes) + " bytes", Err: ErrTooLarge}
	}
	return nil
}

// DecodePayload unmarshals a wire payload into v after the checks every
// payload needs (size, UTF-8, a JSON object), translating encoding/json's
// errors into a *FieldError. Unknown fields are ignored, as the protocol
// requires. v should use pointer fields so that the caller can tell a
// missing field from a zero value.
func DecodePayload(b []byte, v any) error {
	if err := CheckSize(b); err != nil {
		return err
	}
	if !utf8.Valid(b) {
		return &FieldError{Field: "payload", Reason: "not valid UTF-8", Err: ErrMalformed}
	}
	if err := json.Unmarshal(b, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			if typeErr.Field == "" {
				return &FieldError{Field: "payload", Reason: "must be a JSON object, got JSON " + typeErr.Value, Err: ErrMalformed}
			}
			return Invalid(typeErr.Field, "wrong type: got JSON "+typeErr.Value+", want "+typeErr.Type.String())
		}
		return &FieldError{Field: "payload", Reason: "not a JSON object: " + err.Error(), Err: ErrMalformed}
	}
	return nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// FormatFloat writes f the shortest way that reads back exactly, for
// error messages.
func FormatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// field is a payload field's JSON name and whether the payload has it.
type field struct {
	name    string
	present bool
}

// required returns a *FieldError for the first field the payload lacks.
func required(fields ...field) error {
	for _, f := range fields {
		if !f.present {
			return Invalid(f.name, "required")
		}
	}
	return nil
}
