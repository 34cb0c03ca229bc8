// Package browsertest starts Debian's headless Chromium for tests that
// check what a person sees: the operator page (internal/web) and the
// simulator's HTML report. It skips a test when Chromium is not installed,
// saying why, unless GREENWAVE_REQUIRE_CHROMIUM is set (CI sets it): then
// a missing browser fails the test.
package browsertest
