package dslruncmd

import (
	"context"
	"fmt"
	"io"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
)

// watchProgress follows the history of a run (and of the runs it continues
// as) and prints a line when a step's activity, timer or child workflow
// starts and ends. It returns when ctx ends or the chain closes.
func watchProgress(ctx context.Context, c client.Client, id, runID string, w io.Writer) {
	p := &progress{w: w, started: map[int64]startedItem{}}
	for runID != "" && ctx.Err() == nil {
		next := ""
		it := c.GetWorkflowHistory(ctx, id, runID, true, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				return
			}
			if n := p.event(ev); n != "" {
				next = n
			}
		}
		runID = next
	}
}

type startedItem struct {
	label string
	at    time.Time
}

type progress struct {
	w       io.Writer
	started map[int64]startedItem
}

func summary(md *commonpb.Payload) string {
	if md == nil {
		return ""
	}
	var s string
	if err := converter.GetDefaultDataConverter().FromPayload(md, &s); err != nil {
		return ""
	}
	return s
}

func (p *progress) start(ev *historypb.HistoryEvent, label string) {
	if s := summary(ev.GetUserMetadata().GetSummary()); s != "" {
		label = s + " " + label
	}
	p.started[ev.GetEventId()] = startedItem{label: label, at: ev.GetEventTime().AsTime()}
	fmt.Fprintf(p.w, "  > %s\n", label)
}

func (p *progress) end(ev *historypb.HistoryEvent, startID int64, outcome string) {
	it, ok := p.started[startID]
	if !ok {
		return
	}
	delete(p.started, startID)
	d := ev.GetEventTime().AsTime().Sub(it.at).Round(time.Millisecond)
	fmt.Fprintf(p.w, "  %s %s (%s)\n", outcome, it.label, d)
}

// event prints ev if it marks progress, and returns the run id that the
// run continued as, if it did.
func (p *progress) event(ev *historypb.HistoryEvent) string {
	switch ev.GetEventType() {
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
		p.start(ev, "activity "+ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName())
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
		p.end(ev, ev.GetActivityTaskCompletedEventAttributes().GetScheduledEventId(), "ok")
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:
		p.end(ev, ev.GetActivityTaskFailedEventAttributes().GetScheduledEventId(), "failed")
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
		p.end(ev, ev.GetActivityTaskTimedOutEventAttributes().GetScheduledEventId(), "timed out")
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
		p.end(ev, ev.GetActivityTaskCanceledEventAttributes().GetScheduledEventId(), "cancelled")
	case enumspb.EVENT_TYPE_TIMER_STARTED:
		a := ev.GetTimerStartedEventAttributes()
		p.start(ev, "timer "+a.GetStartToFireTimeout().AsDuration().String())
	case enumspb.EVENT_TYPE_TIMER_FIRED:
		p.end(ev, ev.GetTimerFiredEventAttributes().GetStartedEventId(), "ok")
	case enumspb.EVENT_TYPE_TIMER_CANCELED:
		p.end(ev, ev.GetTimerCanceledEventAttributes().GetStartedEventId(), "cancelled")
	case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
		a := ev.GetStartChildWorkflowExecutionInitiatedEventAttributes()
		p.start(ev, "child "+a.GetWorkflowType().GetName()+" "+a.GetWorkflowId())
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
		p.end(ev, ev.GetChildWorkflowExecutionCompletedEventAttributes().GetInitiatedEventId(), "ok")
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
		p.end(ev, ev.GetChildWorkflowExecutionFailedEventAttributes().GetInitiatedEventId(), "failed")
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
		fmt.Fprintf(p.w, "  signal %s\n", ev.GetWorkflowExecutionSignaledEventAttributes().GetSignalName())
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
		fmt.Fprintf(p.w, "  update %s\n", ev.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest().GetInput().GetName())
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
		a := ev.GetWorkflowExecutionContinuedAsNewEventAttributes()
		fmt.Fprintf(p.w, "  continued as new (run id %s)\n", a.GetNewExecutionRunId())
		return a.GetNewExecutionRunId()
	}
	return ""
}
