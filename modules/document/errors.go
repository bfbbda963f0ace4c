package document

import "github.com/workspaceops/workspaceops/platform/apperr"

// Domain errors.
var (
	ErrNotFound        = apperr.New(apperr.NotFound, "document_not_found", "document not found")
	ErrTooLarge        = apperr.New(apperr.TooLarge, "file_too_large", "the file exceeds the maximum upload size")
	ErrEmptyFile       = apperr.Validation(apperr.FieldError{Field: "file", Message: "must not be empty"})
	ErrVersionConflict = apperr.New(apperr.Conflict, "version_conflict", "the document was changed since you read it; reload and retry")
	ErrConflict        = apperr.New(apperr.Conflict, "concurrent_update", "the document is being changed by others; retry")
)
