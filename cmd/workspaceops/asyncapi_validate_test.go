package main

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"

	"github.com/workspaceops/workspaceops/adapters/realtime"
	"github.com/workspaceops/workspaceops/api"
	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/platform/events"
)

// frameContract holds the payload schema of every message of the published AsyncAPI document
// (api.AsyncAPI, the bytes the server serves). Every frame the e2e WebSocket and SSE helpers
// receive is checked against the schema of its type, as `call` checks REST answers: a frame
// the document does not describe fails the test.
type frameContract struct {
	payloads map[string]*openapi3.Schema // by message name, which is the frame's type
}

var (
	frameContractOnce sync.Once
	loadedFrames      *frameContract
	frameContractErr  error
	frameContractMu   sync.Mutex // as contractMu
)

func theFrameContract() (*frameContract, error) {
	frameContractOnce.Do(func() { loadedFrames, frameContractErr = newFrameContract(api.AsyncAPI) })
	return loadedFrames, frameContractErr
}

// newFrameContract reads the AsyncAPI document's schemas (AsyncAPI's schema format is JSON
// Schema) with kin-openapi's JSON Schema 2020-12 validator: the components' schemas and each
// message's payload go into an otherwise empty OpenAPI 3.1 document, where the $refs of the
// AsyncAPI document (#/components/schemas/...) resolve as they are.
func newFrameContract(spec []byte) (*frameContract, error) {
	var doc struct {
		Components struct {
			Messages map[string]struct {
				Payload any `yaml:"payload"`
			} `yaml:"messages"`
			Schemas map[string]any `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(spec, &doc); err != nil {
		return nil, fmt.Errorf("read api/asyncapi.yaml: %w", err)
	}
	if len(doc.Components.Messages) < 13 || doc.Components.Schemas["eventFrame"] == nil {
		return nil, fmt.Errorf("api/asyncapi.yaml has %d messages and no eventFrame: is it truncated?", len(doc.Components.Messages))
	}
	schemas := map[string]any{}
	for name, s := range doc.Components.Schemas {
		schemas[name] = s
	}
	for name, m := range doc.Components.Messages {
		schemas["message."+name] = m.Payload
	}
	oas, err := json.Marshal(map[string]any{
		"openapi": "3.1.0", "info": map[string]any{"title": "frames", "version": "1"}, "paths": map[string]any{},
		"components": map[string]any{"schemas": schemas},
	})
	if err != nil {
		return nil, err
	}
	loaded, err := openapi3.NewLoader().LoadFromData(oas)
	if err != nil {
		return nil, fmt.Errorf("load api/asyncapi.yaml's schemas: %w", err)
	}
	c := &frameContract{payloads: map[string]*openapi3.Schema{}}
	for name := range doc.Components.Messages {
		c.payloads[name] = loaded.Components.Schemas["message."+name].Value
	}
	return c, nil
}

func (c *frameContract) check(raw []byte) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	typ, _ := v.(map[string]any)["type"].(string)
	schema := c.payloads[typ]
	if schema == nil {
		return fmt.Errorf("no message of type %q is documented", typ)
	}
	frameContractMu.Lock()
	defer frameContractMu.Unlock()
	return schema.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.MultiErrors())
}

// checkFrame fails the test when a frame the server sent breaks the AsyncAPI document.
func checkFrame(t testing.TB, raw []byte) {
	t.Helper()
	c, err := theFrameContract()
	if err != nil {
		t.Fatalf("AsyncAPI contract: %v", err)
	}
	if err := c.check(raw); err != nil {
		t.Errorf("frame breaks the AsyncAPI contract: %v\nframe: %s", err, truncate(raw, 2000))
	}
}

// TestFrameContractLoads: the checker loads and refuses what the document does not allow.
func TestFrameContractLoads(t *testing.T) {
	c, err := theFrameContract()
	if err != nil {
		t.Fatal(err)
	}
	const (
		wid  = `"0123456789abcdef01234567"`
		std  = `"targetId":"0123456789abcdef01234568","workspaceId":` + wid + `,"actorId":null,"at":"2026-01-01T00:00:00Z","entryId":"e1"`
		good = `{"type":"event","workspaceId":` + wid + `,"seq":3,"event":"work-item:status-changed","data":{` + std + `,"targetType":"work-item","action":"WORK_ITEM_STATUS_CHANGED","from":"DRAFT","to":"ACTIVE"}}`
	)
	for _, f := range []string{good, `{"type":"joined","workspaceId":` + wid + `,"seq":0}`, `{"type":"pong"}`} {
		if err := c.check([]byte(f)); err != nil {
			t.Errorf("a conforming frame was refused: %v\n%s", err, f)
		}
	}
	for name, f := range map[string]string{
		"an unknown event name":      `{"type":"event","workspaceId":` + wid + `,"seq":3,"event":"work-item:stauts-changed","data":{` + std + `,"targetType":"work-item","action":"WORK_ITEM_STATUS_CHANGED","from":"DRAFT","to":"ACTIVE"}}`,
		"a status that is no status": `{"type":"event","workspaceId":` + wid + `,"seq":3,"event":"work-item:status-changed","data":{` + std + `,"targetType":"work-item","action":"WORK_ITEM_STATUS_CHANGED","from":"DRAFT","to":"DONE"}}`,
		"the wrong action":           `{"type":"event","workspaceId":` + wid + `,"seq":3,"event":"work-item:status-changed","data":{` + std + `,"targetType":"work-item","action":"WORK_ITEM_UPDATED","from":"DRAFT","to":"ACTIVE"}}`,
		"an event's own field gone":  `{"type":"event","workspaceId":` + wid + `,"seq":3,"event":"work-item:status-changed","data":{` + std + `,"targetType":"work-item","action":"WORK_ITEM_STATUS_CHANGED","from":"DRAFT"}}`,
		"an unknown type":            `{"type":"hello"}`,
		"an error code not listed":   `{"type":"error","code":"oops","message":"x"}`,
	} {
		if err := c.check([]byte(f)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestEventConstructorsMatchTheContract: the frame of what each event's constructor
// (platform/events) makes conforms to api/asyncapi.yaml's data schema of that event, and every
// event that reaches clients has a constructor exercised here — so the keys a client reads
// have one home, and the document cannot drift from it.
func TestEventConstructorsMatchTheContract(t *testing.T) {
	const wid, uid, id = "0123456789abcdef01234567", "0123456789abcdef0123456a", "0123456789abcdef0123456b"
	expires := time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	changes := []events.Change{
		events.NewWorkspaceCreated(wid, "Q3 plan"), events.NewWorkspaceUpdated(wid, "Q4 plan"), events.NewWorkspaceDeleted(wid),
		events.NewMemberInvited(uid, "MEMBER", "ACTIVE"), events.NewMemberInvitedByEmail(id, "VIEWER", "INVITED"),
		events.NewMemberJoined(uid, "MEMBER", id), events.NewMemberUpdated(uid, "ADMIN", "MEMBER"),
		events.NewMemberRemoved(uid, "MEMBER", true), events.NewInvitationRevoked(id),
		events.NewWorkItemCreated(id, "DRAFT"), events.NewWorkItemUpdated(id, []string{"title", "priority"}),
		events.NewWorkItemDeleted(id), events.NewWorkItemStatusChanged(id, "DRAFT", "ACTIVE"),
		events.NewWorkItemDocumentLinked(id, uid), events.NewWorkItemDocumentUnlinked(id, uid),
		events.NewDocumentUploaded(id, "plan.pdf", 1234), events.NewDocumentUpdated(id, "Plan", "EXPIRING_SOON", &expires),
		events.NewDocumentUpdated(id, "Plan", "VALID", nil), events.NewDocumentDeleted(id, "plan.pdf"),
		events.NewDocumentExpiryChanged(id, "VALID", "EXPIRING_SOON"), events.NewOverviewUpdated(wid),
		events.NewAPIKeyCreated(id, "CI", "MEMBER", "wso_abcdefgh"), events.NewAPIKeyRevoked(id, "CI"),
		events.NewWebhookDisabled(id, "the delivery of seq 7 failed 6 times (last: timed out)", 7),
	}
	made := map[events.Name]bool{}
	for i, c := range changes {
		e := c.Event(wid, uid, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		if i%2 == 0 {
			e.ActorID = "" // the system: actorId is null
		}
		action, ok := events.ActionOf(e.Name)
		if !ok {
			t.Fatalf("%s is not in the catalogue", e.Name)
		}
		raw, err := realtime.EncodeEvent(auditlog.Entry{ID: id, WorkspaceID: wid, Seq: int64(i + 1), Action: action, Event: e.Name,
			TargetType: e.TargetType, TargetID: e.TargetID, ActorID: e.ActorID, At: e.At, Data: e.Data})
		if err != nil {
			t.Fatal(err)
		}
		checkFrame(t, raw)
		made[e.Name] = true
	}
	for _, n := range events.Names() {
		if !made[n] && n != events.UserRegistered && n != events.AuditLogCreated { // never frames
			t.Errorf("%s has no constructor exercised here", n)
		}
	}
}
