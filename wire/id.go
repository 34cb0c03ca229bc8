package wire

// IDPattern is what every identifier of the protocol (vehicle_id,
// intersection_id, controller_id, route_id, request_id, approach) matches.
const IDPattern = "^[A-Za-z0-9._-]{1,64}$"

// MaxIDLength is the longest identifier the protocol allows.
const MaxIDLength = 64

// ValidID reports whether s matches IDPattern. Written as a byte loop
// because it runs on every message the controller and the edges receive.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > MaxIDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// CheckID returns a *FieldError naming field when s is not an identifier:
// "required" when it is empty and required, nil when it is empty and not.
func CheckID(field, s string, required bool) error {
	if s == "" {
		if required {
			return Invalid(field, "required")
		}
		return nil
	}
	if !ValidID(s) {
		return Invalid(field, "must match "+IDPattern+", got "+Quote(s, 70))
	}
	return nil
}

// checkTopic refuses a body whose id is not the topic's; an empty topic id
// (tests and tools parsing a payload without a topic) skips the check.
func checkTopic(field, topicID, bodyID string) error {
	if topicID != "" && topicID != bodyID {
		return &FieldError{Field: field, Reason: "body says " + Quote(bodyID, 70) +
			" but the topic says " + Quote(topicID, 70), Err: ErrIDMismatch}
	}
	return nil
}
