// Package archtest holds the test that keeps greenwave's import graph as
// docs/architecture.md draws it: the table of packages there is parsed and
// every package's imports are checked against its row, in the spirit of
// CockroachDB's lint tests. It has no code of its own.
package archtest
