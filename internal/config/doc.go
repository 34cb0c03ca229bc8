// Package config loads a command's settings from three places: a YAML
// file, GREENWAVE_* environment variables, and command-line flags, in
// that order of increasing precedence (flags win). Every setting is a flag
// first; the file key and the variable name are derived from the flag's
// name, so the three can never drift apart and `-h` documents all of them:
//
//	flag --controller-id   file key controller-id (or controller_id)   env GREENWAVE_CONTROLLER_ID
//
// Secrets (the broker password) are best given in the environment or the
// file, not on a command line other users can read with ps.
package config
