package apperr

// Fields collects field errors while a use case validates its input.
type Fields []FieldError

// Add records a problem with one field.
func (f *Fields) Add(field, message string) {
	*f = append(*f, FieldError{Field: field, Message: message})
}

// Err returns a validation error when any field was added, nil otherwise.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return Validation(f...)
}
