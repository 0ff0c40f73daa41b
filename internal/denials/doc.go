// Package denials turns a denied or partially denied 835 claim payment into
// work a biller can act on: it classifies the denial reasons ([Classify]),
// computes appeal deadlines and escalation dates ([Deadline],
// [AppealDeadline], [NextLevel], [EscalationDate]) and writes the appeal
// letter ([Letter]).
//
// The package is pure: it does no I/O, reads no clock and keeps no state.
package denials
