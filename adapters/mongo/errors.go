package mongo

import (
	"errors"

	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"
)

// isNoDocuments reports a FindOne or FindOneAndX that matched nothing.
func isNoDocuments(err error) bool { return errors.Is(err, mongodriver.ErrNoDocuments) }

// isDuplicateKey reports an insert refused by a unique index (the _id one included). Each
// collection has one business key whose _id is either that key or a random 96-bit id, so any
// duplicate means the business key is taken.
func isDuplicateKey(err error) bool { return mongodriver.IsDuplicateKeyError(err) }
