package workitem

import "github.com/workspaceops/workspaceops/platform/apperr"

// Domain errors.
var (
	ErrNotFound          = apperr.New(apperr.NotFound, "work_item_not_found", "work item not found")
	ErrInvalidTransition = apperr.New(apperr.Conflict, "invalid_transition", "the work item's status does not allow this move")
	ErrVersionConflict   = apperr.New(apperr.Conflict, "version_conflict", "the work item was changed since you read it; reload and retry")
	ErrConflict          = apperr.New(apperr.Conflict, "concurrent_update", "the work item is being changed by others; retry")
	ErrDocumentNotFound  = apperr.New(apperr.NotFound, "document_not_found", "no such document in this workspace")
	ErrAssigneeNotMember = apperr.Validation(apperr.FieldError{Field: "assigneeId", Message: "must be a member of the workspace"})
	ErrTooManyDocuments  = apperr.New(apperr.Conflict, "too_many_documents", "a work item links at most 100 documents")
)
