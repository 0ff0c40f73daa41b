// Package e2e holds the end-to-end tests: the HTTP API against a real in-process
// Temporal server and a real PostgreSQL database.
package e2e
