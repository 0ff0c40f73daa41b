package contract

// Error type names of the non-retryable application errors that activities return
// and updates answer with, for workflows and callers to switch on. They are
// recorded in histories: keep the values.
const (
	// ErrTypeInvalid carries []validate.FieldError details naming the fields.
	ErrTypeInvalid  = "InvalidInput"
	ErrTypeNotFound = "NotFound"
	ErrTypeConflict = "Conflict"
	// ErrTypeIntegrity marks a write the database refused for its constraints; a
	// retry cannot succeed, so it fails at once instead of holding the case.
	ErrTypeIntegrity = "DataIntegrity"
	// ErrTypeUnreadable marks an inbound file that does not parse; its message
	// names the segment and position at fault.
	ErrTypeUnreadable = "UnreadableFile"
)
