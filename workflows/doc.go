// Package workflows holds the durable processes of the revenue cycle, one process
// per file: the case entity workflow (case.go), the claim workflow (claim.go) and
// the inbound-file and clearinghouse-poller workflows (inbound.go). What callers
// share with them (names, ids, inputs, payloads, error types) is in the leaf
// package workflows/contract. Workflows never touch the database or the network:
// activities do.
package workflows
