package httpapi

import (
	"encoding/json"
	"reflect"
	"time"
)

// optional tells a JSON field that is absent from one that is null from one with a value, as
// PATCH bodies need ("dueDate": null clears the date; no "dueDate" leaves it alone).
type optional[T any] struct {
	Set   bool
	Null  bool
	Value T
}

func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// timestamp is an RFC 3339 time in JSON whose parse errors name their field.
type timestamp struct{ time.Time }

var timeType = reflect.TypeFor[time.Time]()

func (t *timestamp) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &json.UnmarshalTypeError{Value: string(b), Type: timeType}
	}
	parsed, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return &json.UnmarshalTypeError{Value: "string " + s, Type: timeType}
	}
	t.Time = parsed
	return nil
}

func (t *timestamp) ptr() *time.Time {
	if t == nil {
		return nil
	}
	return &t.Time
}
