// Package e2e holds the end-to-end tests: the HTTP API against a real in-process
// Temporal server and a real PostgreSQL database.
package e2e

import "time"

// settle is how long a test waits for something the system does on its own
// (a workflow step, a visibility update, a timer). It is generous because the
// suite shares two cores with the build in CI; a healthy run settles in seconds.
const settle = 60 * time.Second
