// Package versioned is the compare-and-set that every repository's Update runs on a versioned
// entity: load it, let the module's change function edit a copy, write the copy back only if the
// stored version is still the one loaded, and on a lost race start again from a fresh load, a
// bounded number of times, then report a conflict. The loop and its rules live here once; each
// store (MongoDB, SQLite, the in-memory fakes) supplies only its load and its conditional write.
// It is pure Go and does no I/O itself.
package versioned

// Entity is the constraint on what Update changes: *T for an entity type T that copies itself
// and knows the versioning rule. The methods are the entity's own (the module states its rules);
// Update only calls them.
type Entity[T any] interface {
	*T
	// Clone returns a deep copy, so a change function edits the copy and never what was loaded
	// (or what a store keeps in memory).
	Clone() T
	// Revision returns the entity's version: the number the conditional write must still find.
	Revision() int64
	// Succeed makes the entity the version written over prev: prev's identity (a change cannot
	// move an entity elsewhere) and prev's version plus one.
	Succeed(prev T)
}

// Store is one stored entity as Update reaches it.
type Store[T any] struct {
	// Load reads the entity; its error (the module's not found, a store failure) ends Update.
	Load func() (T, error)
	// Replace writes next over loaded only if the stored version is still loaded's, and reports
	// whether it did: false is a race lost to another writer.
	Replace func(loaded, next T) (bool, error)
	// Attempts bounds the rounds of load, change and replace; below 1 means 1 (a store whose
	// Load and Replace run under one lock or transaction never loses a race).
	Attempts int
	// Conflict is the error when every attempt lost its race (the module's ErrConflict).
	Conflict error
}

// Update is the compare-and-set loop. change edits a clone of the loaded entity and returns
// false to write nothing; on a lost race it is called again on a fresh load, so it must be pure
// (no store calls, no effects it cannot repeat). Update returns the entity as written, or as
// loaded when change declined, and whether it wrote; on an error, the zero T. A change
// function's error ends it before anything is written.
func Update[T any, P Entity[T]](s Store[T], change func(*T) (bool, error)) (T, bool, error) {
	var zero T
	for range max(s.Attempts, 1) {
		loaded, err := s.Load()
		if err != nil {
			return zero, false, err
		}
		next := P(&loaded).Clone()
		ok, err := change(&next)
		switch {
		case err != nil:
			return zero, false, err
		case !ok:
			return loaded, false, nil
		}
		P(&next).Succeed(loaded)
		ok, err = s.Replace(loaded, next)
		switch {
		case err != nil:
			return zero, false, err
		case ok:
			return next, true, nil
		}
	}
	return zero, false, s.Conflict
}

// InMemory is the Store of an entity that an in-memory fake keeps in m under id, for an Update
// run under the fake's lock: load returns a clone of m[id] (or the module's not-found error), and
// the write keeps a clone of next. Nothing else writes meanwhile, so it never loses a race.
func InMemory[T any, P Entity[T]](m map[string]T, id string, load func() (T, error)) Store[T] {
	return Store[T]{
		Load: load,
		Replace: func(_, next T) (bool, error) {
			m[id] = P(&next).Clone()
			return true, nil
		},
	}
}
