// Package logx builds greenwave's zap loggers: JSON lines for production
// (one object per event, for log shippers) and a coloured console format
// for people watching the demo.
package logx
