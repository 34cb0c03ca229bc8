// Package logx builds greenwave's zap loggers: JSON lines for production
// (one object per event, for log shippers) and a coloured console format
// for people watching the demo; and Sampled, which logs refusals of
// input any broker client can send at most once a minute per reason, so
// that junk cannot flood the log.
package logx
