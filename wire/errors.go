package wire

import (
	"errors"
	"strconv"
)

// Classes of refusal, for errors.Is on a *FieldError's chain.
var (
	// ErrTooLarge: the payload is over MaxPayloadBytes.
	ErrTooLarge = errors.New("payload too large")
	// ErrMalformed: the payload is not UTF-8, not JSON, or not an object.
	ErrMalformed = errors.New("payload malformed")
	// ErrIDMismatch: the id in the body is not the id in the topic.
	ErrIDMismatch = errors.New("body id does not match the topic")
)

// FieldError reports a value that was refused, naming the offending field
// so that whoever wrote it (a device vendor, a GIS analyst, a traffic
// engineer writing a scenario) can fix their side from the message alone.
type FieldError struct {
	// Where is what holds the field: a file ("corridor.yaml"), a map
	// feature (`intersection "I-204"`); empty for a wire payload.
	Where string
	// Line is the line of Where the field is on, 0 when unknown.
	Line int
	// Field is the field's name as written: a JSON name for a payload
	// ("expires_at", "green_phases[2]", "payload" for the whole message),
	// a property or YAML path for files.
	Field  string
	Reason string
	// Err is the class of the problem (ErrTooLarge, ErrMalformed,
	// ErrIDMismatch), or nil when it is just an invalid value.
	Err error
}

// Error reads "invalid field: reason" for a payload, and
// "where[:line]: field: reason" when Where is set.
func (e *FieldError) Error() string {
	switch {
	case e.Where == "":
		return "invalid " + e.Field + ": " + e.Reason
	case e.Line > 0:
		return e.Where + ":" + strconv.Itoa(e.Line) + ": " + e.Field + ": " + e.Reason
	}
	return e.Where + ": " + e.Field + ": " + e.Reason
}

// Unwrap returns the class of the problem, for errors.Is.
func (e *FieldError) Unwrap() error { return e.Err }

// Invalid returns a *FieldError for a payload's field.
func Invalid(field, reason string) error {
	return &FieldError{Field: field, Reason: reason}
}

// Quote quotes s for an error message, cut to n bytes (and marked so) so
// that a hostile value cannot bloat a log line.
func Quote(s string, n int) string {
	if len(s) > n {
		s = s[:n] + "…"
	}
	return strconv.Quote(s)
}
