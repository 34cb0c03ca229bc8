// Package audit is the controller's audit trail on disk: an append-only
// file of JSON lines that survives a crash (fsynced on a short period)
// and does not fill the disk (rotated by size, a fixed number of old
// files kept).
package audit
