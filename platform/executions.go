package platform

import (
	"bytes"
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

// RecordExecution queues an execution record for the database and returns
// once it is stored in JetStream, so none is lost if Postgres is slow or
// the node stops. Concurrent records share a publish (see recordqueue.go);
// writing a record twice is harmless.
func (p *Platform) RecordExecution(ctx context.Context, e db.Execution) error {
	if e.CreatedAt.IsZero() {
		e.CreatedAt = time.Now().UTC()
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encoding execution %s: %w", e.ID, err)
	}
	return p.enqueueRecord(ctx, b)
}

// decodeRecords reads a record message: a JSON array of executions, or
// one execution object as published by earlier versions.
func decodeRecords(data []byte) ([]db.Execution, error) {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '[' {
		var execs []db.Execution
		err := json.Unmarshal(data, &execs)
		return execs, err
	}
	var e db.Execution
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, err
	}
	return []db.Execution{e}, nil
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
				recs, err := decodeRecords(msg.Data())
				if err == nil {
					for _, e := range recs {
						if e.ID == "" {
							err = errors.New("execution without id")
						}
					}
				}
				if err != nil {
					p.logger.Error("dropping malformed execution records", "err", err, "data", truncate(string(msg.Data()), 4096))
					_ = msg.Term()
					continue
				}
				msgs = append(msgs, msg)
				execs = append(execs, recs...)
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
