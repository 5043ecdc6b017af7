package dsl

import "strings"

// KindActivity runs a Temporal activity; its Body is *ActivityStep.
const KindActivity Kind = "activity"

// ActivityStep runs a Temporal activity.
type ActivityStep struct {
	// Name is the activity type; a string or a template (activity choice).
	Name string `json:"name"`
	// With is the single argument passed to the activity.
	With  Value `json:"with,omitempty"`
	Local bool  `json:"local,omitempty"`
	// ActivityID is the activity id; a template. Empty: Temporal's.
	ActivityID string `json:"activityId,omitempty"`
	ActivityOptions
}

func (*ActivityStep) children(_, _ string) []stepList { return nil }

func init() {
	registerKind(&kindSpec{
		StepKind: StepKind{Kind: KindActivity, Def: "activityStep", Doc: "Runs a Temporal activity: its type name, or a `${ ... }` template that chooses one at run time. Options: with, local, taskQueue, timeouts, retry.", Example: "`activity: ChargeCard`"},
		order:    10,
		defs: []*Def{
			{
				Name: "activityStep",
				Doc:  "Runs a Temporal activity. Its options override the workflow's `activity` defaults.",
				Keys: []Key{
					{Name: "id", Ref: "stepId"},
					{Name: "activity", Doc: "Activity type to run, or a `${ ... }` template that chooses one at run time (activity choice).", Example: "`activity: ChargeCard` or `activity: \"${ 'order_' + item.fruit }\"`", Required: true, Schema: map[string]any{
						"type":                "string",
						"pattern":             `\S`,
						"patternErrorMessage": "want a non-empty string",
					}},
					{Name: "with", Doc: "The single argument passed to the activity: any value, with `${ ... }` templates. Checked against the activity's input schema when the activity is registered.", Example: "`with: {orderId: \"${ input.orderId }\"}`", Ref: "value"},
					{Name: "local", Doc: "Run as a local activity, in the workflow's own worker, without a task queue round trip.", Default: "false", Example: "`local: true`", Schema: typ("boolean")},
					{Name: "activityId", Ref: "template", Doc: "Activity id of the step's activity; may be a template. With it, `dslrun activity complete` and other clients find the activity by workflow id and activity id. It must differ from the id of every other activity of the run that is still pending. Not allowed on a local activity.", Default: "Temporal's, the activity's sequence number in the run", Example: "`activityId: approval-${ input.requestId }`"},
					{Name: "taskQueue", Ref: "activityTaskQueue"},
					{Name: "startToCloseTimeout", Ref: "startToCloseTimeout"},
					{Name: "scheduleToCloseTimeout", Ref: "scheduleToCloseTimeout"},
					{Name: "scheduleToStartTimeout", Ref: "scheduleToStartTimeout"},
					{Name: "heartbeatTimeout", Ref: "heartbeatTimeout"},
					{Name: "retry", Ref: "activityRetry"},
				},
				Schema: map[string]any{
					"dependencies": map[string]any{
						"local": map[string]any{
							"if": map[string]any{
								"properties": map[string]any{
									"local": map[string]any{
										"const": true,
									},
								},
							},
							"then": map[string]any{
								"properties": map[string]any{
									"taskQueue":  false,
									"activityId": false,
								},
							},
						},
					},
				},
			},
		},
		decode: decodeBody[*ActivityStep],
		build:  buildActivity,
	})
}

func buildActivity(b *builder, s stepSrc) Body {
	st := &ActivityStep{}
	if name, ok := b.template(s.kv, s.kp, s.sc); ok {
		if strings.TrimSpace(name) == "" {
			b.errorf(s.kv, s.kp, CodeValue, "activity name must not be empty")
		}
		st.Name = name
	}
	b.readKeys(s.f, s.n, s.path, "activityStep", st, s.sc, "id", "activity", "activityId")
	if v := s.val("activityId"); v != nil {
		if id, ok := b.template(v, s.keyPath("activityId"), s.sc); ok {
			if strings.TrimSpace(id) == "" {
				b.errorf(v, s.keyPath("activityId"), CodeValue, "must not be empty")
			}
			st.ActivityID = id
		}
	}
	if st.Local && st.ScheduleToStartTimeout != 0 {
		b.errorf(s.val("scheduleToStartTimeout"), s.keyPath("scheduleToStartTimeout"), CodeValue, "a local activity has no schedule-to-start timeout")
	}
	if st.Local && st.ActivityID != "" {
		b.errorf(s.val("activityId"), s.keyPath("activityId"), CodeValue, "a local activity has no activity id of its own: activityId is not allowed")
	}
	if st.Local && st.TaskQueue != "" {
		b.errorf(s.val("taskQueue"), s.keyPath("taskQueue"), CodeValue, "a local activity runs on the workflow's worker: taskQueue is not allowed")
	}
	return st
}
