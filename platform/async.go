package platform

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/kilnhq/kiln/store/bus"
	"github.com/kilnhq/kiln/store/db"
	"github.com/nats-io/nats.go/jetstream"
)

const asyncConsumer = "async-executions"

// asyncJob is a queued execution; it survives a node restart in JetStream.
type asyncJob struct {
	Invocation  Invocation `json:"invocation"`
	ScheduledAt *time.Time `json:"scheduledAt,omitempty"`
}

// ExecuteAsync records the execution as waiting (or scheduled) and queues
// it; a worker on any node runs it. It returns the recorded execution.
func (p *Platform) ExecuteAsync(ctx context.Context, inv Invocation, scheduledAt *time.Time) (db.Execution, error) {
	f, err := p.GetFunction(ctx, inv.ProjectID, inv.FunctionID)
	if err != nil {
		return db.Execution{}, err
	}
	if !f.Enabled {
		return db.Execution{}, ErrFunctionDisabled
	}
	if !mayExecute(f.Execute, inv.Caller) {
		return db.Execution{}, ErrNotAllowed
	}
	if f.DeploymentID == "" {
		return db.Execution{}, ErrNoDeployment
	}
	if scheduledAt != nil && scheduledAt.Before(time.Now().Add(-time.Minute)) {
		return db.Execution{}, invalid("Invalid `scheduledAt` param: it is in the past")
	}
	inv.ExecutionID = NewID()
	inv.RecordNow = true
	ex := db.Execution{ProjectID: inv.ProjectID, ID: inv.ExecutionID, FunctionID: f.ID, DeploymentID: f.DeploymentID,
		Trigger: inv.Trigger, Status: db.ExecutionWaiting, RequestMethod: inv.Request.Method, RequestPath: inv.Request.URL,
		RequestHeaders: headerList(inv.Request.Header, true), CreatedAt: time.Now().UTC(), ScheduledAt: scheduledAt}
	if scheduledAt != nil {
		ex.Status = db.ExecutionScheduled
	}
	// Written at once, so the caller can read it back right away; a job
	// that runs quickly still wins, since records only move forward in status.
	if err := p.db.UpsertExecutions(ctx, []db.Execution{ex}); err != nil {
		return db.Execution{}, err
	}
	b, err := json.Marshal(asyncJob{Invocation: inv, ScheduledAt: scheduledAt})
	if err != nil {
		return db.Execution{}, err
	}
	subject := fmt.Sprintf("%s.%s.%s", asyncSubjects, inv.ProjectID, inv.FunctionID)
	if _, err := p.cfg.JetStream.Publish(ctx, subject, b, jetstream.WithMsgID(inv.ExecutionID)); err != nil {
		return db.Execution{}, fmt.Errorf("queueing execution: %w", err)
	}
	return ex, nil
}

// StartAsyncWorker runs queued executions until the returned stop is called.
func (p *Platform) StartAsyncWorker(ctx context.Context) (stop func(), err error) {
	cons, err := p.cfg.JetStream.CreateOrUpdateConsumer(ctx, bus.ExecutionsStream, jetstream.ConsumerConfig{
		Durable:       asyncConsumer,
		FilterSubject: asyncSubjects + ".>",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       time.Duration(MaxTimeout+60) * time.Second,
		MaxDeliver:    5,
		MaxAckPending: 64,
	})
	if err != nil {
		return nil, fmt.Errorf("creating async execution consumer: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		wg.Add(1)
		defer wg.Done()
		p.runAsync(runCtx, msg)
	})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("consuming async executions: %w", err)
	}
	return func() {
		cc.Drain()
		<-cc.Closed()
		cancel()
		wg.Wait()
	}, nil
}

func (p *Platform) runAsync(ctx context.Context, msg jetstream.Msg) {
	var job asyncJob
	if err := json.Unmarshal(msg.Data(), &job); err != nil || job.Invocation.ExecutionID == "" {
		p.logger.Error("dropping malformed async execution", "data", string(msg.Data()))
		_ = msg.Term()
		return
	}
	if job.ScheduledAt != nil {
		if wait := time.Until(*job.ScheduledAt); wait > 0 {
			_ = msg.NakWithDelay(min(wait, time.Minute))
			return
		}
	}
	inv := job.Invocation
	// Already finished (a redelivery after the run was recorded): done.
	if ex, err := p.db.GetExecution(ctx, inv.ProjectID, inv.FunctionID, inv.ExecutionID); err == nil &&
		(ex.Status == db.ExecutionCompleted || ex.Status == db.ExecutionFailed) {
		_ = msg.Ack()
		return
	}
	_ = p.RecordExecution(ctx, db.Execution{ProjectID: inv.ProjectID, ID: inv.ExecutionID, FunctionID: inv.FunctionID,
		Trigger: inv.Trigger, Status: db.ExecutionProcessing, RequestMethod: inv.Request.Method, RequestPath: inv.Request.URL})
	if _, _, err := p.Invoke(ctx, inv); err != nil {
		p.logger.Error("async execution", "execution", inv.ExecutionID, "err", err)
		_ = p.RecordExecution(context.WithoutCancel(ctx), db.Execution{ProjectID: inv.ProjectID, ID: inv.ExecutionID,
			FunctionID: inv.FunctionID, Trigger: inv.Trigger, Status: db.ExecutionFailed, Errors: err.Error(),
			RequestMethod: inv.Request.Method, RequestPath: inv.Request.URL})
	}
	_ = msg.Ack()
}
