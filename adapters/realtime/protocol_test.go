package realtime

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/platform/events"
)

const wid = "0123456789abcdef01234567"

func TestDecode(t *testing.T) {
	ok := []struct {
		name, in string
		want     Inbound
	}{
		{"auth", `{"type":"auth","token":"abc"}`, Inbound{Type: TypeAuth, Token: "abc"}},
		{"auth with ref", `{"type":"auth","token":"abc","ref":"r1"}`, Inbound{Type: TypeAuth, Token: "abc", Ref: json.RawMessage(`"r1"`)}},
		{"auth batched", `{"type":"auth","token":"abc","batch":true}`, Inbound{Type: TypeAuth, Token: "abc", Batch: true}},
		{"auth not batched", `{"type":"auth","token":"abc","batch":false}`, Inbound{Type: TypeAuth, Token: "abc"}},
		{"join", `{"type":"join","workspaceId":"` + wid + `"}`, Inbound{Type: TypeJoin, WorkspaceID: wid}},
		{"join since", `{"type":"join","workspaceId":"` + wid + `","since":42}`, Inbound{Type: TypeJoin, WorkspaceID: wid, Since: 42, HasSince: true}},
		{"join since 0", `{"type":"join","workspaceId":"` + wid + `","since":0}`, Inbound{Type: TypeJoin, WorkspaceID: wid, HasSince: true}},
		{"leave numeric ref", `{"ref":7,"type":"leave","workspaceId":"` + wid + `"}`, Inbound{Type: TypeLeave, WorkspaceID: wid, Ref: json.RawMessage(`7`)}},
		{"ping", `{"type":"ping"}`, Inbound{Type: TypePing}},
		{"ping null ref", `{"type":"ping","ref":null}`, Inbound{Type: TypePing}},
		{"whitespace", " \n{\"type\":\"ping\"}\n ", Inbound{Type: TypePing}},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode([]byte(tc.in))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got.Type != tc.want.Type || got.Token != tc.want.Token || got.WorkspaceID != tc.want.WorkspaceID ||
				got.Since != tc.want.Since || got.HasSince != tc.want.HasSince || string(got.Ref) != string(tc.want.Ref) ||
				got.Batch != tc.want.Batch {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	bad := []struct{ name, in, ref, msg string }{
		{"empty", ``, "", "one JSON object"},
		{"not json", `hello`, "", "one JSON object"},
		{"array", `[{"type":"ping"}]`, "", "one JSON object"},
		{"string", `"ping"`, "", "one JSON object"},
		{"null", `null`, "", "one JSON object"},
		{"truncated", `{"type":"ping"`, "", "not valid JSON"},
		{"two objects", `{"type":"ping"}{"type":"ping"}`, "", "one JSON object"},
		{"no type", `{"ref":"a"}`, `"a"`, "type is required"},
		{"type not a string", `{"type":1,"ref":"a"}`, `"a"`, "wrong type"},
		{"unknown type", `{"type":"subscribe","ref":"x"}`, `"x"`, "unknown type"},
		{"unknown field", `{"type":"ping","extra":1}`, "", "unknown field"},
		{"auth without token", `{"type":"auth"}`, "", "needs a token"},
		{"auth empty token", `{"type":"auth","token":""}`, "", "needs a token"},
		{"auth token not a string", `{"type":"auth","token":{"$ne":""}}`, "", "wrong type"},
		{"auth huge token", `{"type":"auth","token":"` + strings.Repeat("a", maxTokenLen+1) + `"}`, "", "needs a token"},
		{"join without workspace", `{"type":"join"}`, "", "needs a workspaceId"},
		{"batch outside auth", `{"type":"join","workspaceId":"` + wid + `","batch":true}`, "", "does not take batch"},
		{"batch not a bool", `{"type":"auth","token":"abc","batch":"yes"}`, "", "wrong type"},
		{"join bad workspace", `{"type":"join","workspaceId":"nope"}`, "", "needs a workspaceId"},
		{"join workspace injection", `{"type":"join","workspaceId":{"$gt":""}}`, "", "wrong type"},
		{"join negative since", `{"type":"join","workspaceId":"` + wid + `","since":-1,"ref":"s"}`, `"s"`, "non-negative"},
		{"join fractional since", `{"type":"join","workspaceId":"` + wid + `","since":1.5}`, "", "non-negative"},
		{"join string since", `{"type":"join","workspaceId":"` + wid + `","since":"3"}`, "", "non-negative"},
		{"join huge since", `{"type":"join","workspaceId":"` + wid + `","since":1e30}`, "", "non-negative"},
		{"leave with since", `{"type":"leave","workspaceId":"` + wid + `","since":1}`, "", "does not take since"},
		{"ping with token", `{"type":"ping","token":"x"}`, "", "does not take token"},
		{"auth with workspace", `{"type":"auth","token":"x","workspaceId":"` + wid + `"}`, "", "does not take workspaceId"},
		{"ref object", `{"type":"ping","ref":{}}`, "", "ref must be"},
		{"ref too long", `{"type":"ping","ref":"` + strings.Repeat("r", 65) + `"}`, "", "ref is too long"},
		{"ref bool", `{"type":"ping","ref":true}`, "", "ref must be"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode([]byte(tc.in))
			var pe *ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("Decode(%q) = %v, want a ProtocolError", tc.in, err)
			}
			if !strings.Contains(pe.Message, tc.msg) {
				t.Fatalf("message %q does not say %q", pe.Message, tc.msg)
			}
			if string(pe.Ref) != tc.ref {
				t.Fatalf("ref %q, want %q", pe.Ref, tc.ref)
			}
		})
	}
}

// FuzzDecode: whatever arrives, Decode returns a valid frame or a ProtocolError, never panics,
// and an error frame built from it is valid JSON.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"type":"auth","token":"abc"}`, `{"type":"join","workspaceId":"` + wid + `","since":3,"ref":1}`,
		`{"type":"leave","workspaceId":"` + wid + `"}`, `{"type":"ping","ref":"x"}`, `{`, `[]`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := Decode(b)
		if err != nil {
			var pe *ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("not a ProtocolError: %v", err)
			}
			if !json.Valid(encodeProblem(pe.Ref, errMalformedFrame.WithMessage(pe.Message))) {
				t.Fatalf("error frame for %q is not JSON", b)
			}
			return
		}
		switch in.Type {
		case TypeAuth:
			if in.Token == "" {
				t.Fatal("auth without token accepted")
			}
		case TypeJoin, TypeLeave:
			if len(in.WorkspaceID) != 24 || in.Since < 0 {
				t.Fatalf("bad join accepted: %+v", in)
			}
		case TypePing:
		default:
			t.Fatalf("unknown type accepted: %q", in.Type)
		}
		if in.Ref != nil && !json.Valid(in.Ref) {
			t.Fatalf("ref %q is not JSON", in.Ref)
		}
	})
}

func TestEncodeEvent(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	b, err := EncodeEvent(auditlog.Entry{
		ID: "e1", WorkspaceID: wid, Seq: 7, Action: "WORK_ITEM_STATUS_CHANGED", Event: events.WorkItemStatusChanged,
		TargetType: "work-item", TargetID: "t1", ActorID: "u1", At: at,
		Data: map[string]any{"from": "DRAFT", "to": "ACTIVE", "workspaceId": "spoofed"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Type, WorkspaceID, Event string
		Seq                      int64
		Data                     map[string]any
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"from": "DRAFT", "to": "ACTIVE", "workspaceId": wid, "targetId": "t1", "targetType": "work-item",
		"actorId": "u1", "at": "2030-01-02T03:04:05Z", "action": "WORK_ITEM_STATUS_CHANGED", "entryId": "e1"}
	if f.Type != "event" || f.WorkspaceID != wid || f.Seq != 7 || f.Event != "work-item:status-changed" {
		t.Fatalf("frame %s", b)
	}
	for k, v := range want {
		if f.Data[k] != v {
			t.Errorf("data.%s = %v, want %v", k, f.Data[k], v)
		}
	}
	b, _ = EncodeEvent(auditlog.Entry{WorkspaceID: wid, Seq: 1, Event: events.OverviewUpdated})
	if !strings.Contains(string(b), `"actorId":null`) {
		t.Fatalf("a system entry's actor is not null: %s", b)
	}
}
