package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kilnhq/kiln/store/bus"
	"github.com/kilnhq/kiln/store/db"
	"github.com/nats-io/nats.go/jetstream"
)

// Execution record pipeline settings.
const (
	// Records and async jobs share the executions stream under their own
	// subjects, so each has its own work-queue consumer.
	recordSubjects   = "executions.records"
	asyncSubjects    = "executions.async"
	recorderConsumer = "recorder"
	recordBatch      = 256
	recordWait       = 100 * time.Millisecond
)

var executionAttrs = listable{
	"trigger":            {column: "trigger"},
	"status":             {column: "status"},
	"requestMethod":      {column: "request_method"},
	"requestPath":        {column: "request_path"},
	"responseStatusCode": {column: "response_status_code", kind: kindNumber},
	"duration":           {column: "duration", kind: kindNumber},
	"deploymentId":       {column: "deployment_id"},
	"fuel":               {column: "fuel", kind: kindNumber},
	"memory":             {column: "memory", kind: kindNumber},
	"egress":             {column: "egress", kind: kindNumber},
	"$id":                {column: "id"},
	"$createdAt":         {column: "created_at", kind: kindTime},
	"$updatedAt":         {column: "updated_at", kind: kindTime},
}

// RecordExecution queues an execution record for the database. Records go
// through JetStream so none is lost if Postgres is slow or the node stops;
// the message id (execution id and status) makes a retried publish harmless.
func (p *Platform) RecordExecution(ctx context.Context, e db.Execution) error {
	if e.CreatedAt.IsZero() {
		e.CreatedAt = time.Now().UTC()
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encoding execution %s: %w", e.ID, err)
	}
	subject := fmt.Sprintf("%s.%s.%s", recordSubjects, e.ProjectID, e.FunctionID)
	if _, err := p.cfg.JetStream.Publish(ctx, subject, b, jetstream.WithMsgID(e.ID+":"+e.Status)); err != nil {
		return fmt.Errorf("queueing execution %s: %w", e.ID, err)
	}
	return nil
}

// Recorder writes queued execution records to Postgres in batches.
type Recorder struct {
	stop func()
}

// StartRecorder starts the consumer that writes execution records in
// batches of up to 256, idempotent by execution id. Stop it with Stop.
func (p *Platform) StartRecorder(ctx context.Context) (*Recorder, error) {
	cons, err := p.cfg.JetStream.CreateOrUpdateConsumer(ctx, bus.ExecutionsStream, jetstream.ConsumerConfig{
		Durable:       recorderConsumer,
		FilterSubject: recordSubjects + ".>",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		MaxAckPending: 4 * recordBatch,
	})
	if err != nil {
		return nil, fmt.Errorf("creating execution recorder: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for runCtx.Err() == nil {
			batch, err := cons.Fetch(recordBatch, jetstream.FetchMaxWait(recordWait))
			if err != nil {
				if runCtx.Err() == nil && !errors.Is(err, jetstream.ErrConsumerDeleted) {
					time.Sleep(recordWait)
				}
				continue
			}
			var msgs []jetstream.Msg
			var execs []db.Execution
			for msg := range batch.Messages() {
				var e db.Execution
				if err := json.Unmarshal(msg.Data(), &e); err != nil || e.ID == "" {
					p.logger.Error("dropping malformed execution record", "data", string(msg.Data()))
					_ = msg.Term()
					continue
				}
				msgs = append(msgs, msg)
				execs = append(execs, e)
			}
			if len(execs) == 0 {
				continue
			}
			if err := p.db.UpsertExecutions(runCtx, execs); err != nil {
				p.logger.Error("writing execution records; will retry", "count", len(execs), "err", err)
				for _, m := range msgs {
					_ = m.NakWithDelay(time.Second)
				}
				continue
			}
			for _, m := range msgs {
				_ = m.Ack()
			}
		}
	}()
	return &Recorder{stop: func() { cancel(); wg.Wait() }}, nil
}

// Stop stops the recorder; records not yet written stay queued in JetStream.
func (r *Recorder) Stop() { r.stop() }

// GetExecution returns an execution of a function.
func (p *Platform) GetExecution(ctx context.Context, projectID, functionID, id string) (db.Execution, error) {
	e, err := p.db.GetExecution(ctx, projectID, functionID, id)
	if errors.Is(err, db.ErrNotFound) {
		return db.Execution{}, &NotFoundError{Kind: "execution", ID: id}
	}
	return e, err
}

// ListExecutions lists a function's executions matching Appwrite queries.
func (p *Platform) ListExecutions(ctx context.Context, projectID, functionID string, queries []string) ([]db.Execution, int, error) {
	if _, err := p.GetFunction(ctx, projectID, functionID); err != nil {
		return nil, 0, err
	}
	opt, err := ParseQueries(queries, executionAttrs)
	if err != nil {
		return nil, 0, err
	}
	if err := p.checkCursor(ctx, opt, func(id string) (bool, error) { return p.db.ExecutionExists(ctx, projectID, functionID, id) }); err != nil {
		return nil, 0, err
	}
	return p.db.ListExecutions(ctx, projectID, functionID, opt)
}

// DeleteExecution deletes an execution record.
func (p *Platform) DeleteExecution(ctx context.Context, projectID, functionID, id string) error {
	err := p.db.DeleteExecution(ctx, projectID, functionID, id)
	if errors.Is(err, db.ErrNotFound) {
		return &NotFoundError{Kind: "execution", ID: id}
	}
	return err
}
