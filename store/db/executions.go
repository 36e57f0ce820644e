package db

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Execution statuses, Appwrite's.
const (
	ExecutionWaiting    = "waiting"
	ExecutionProcessing = "processing"
	ExecutionCompleted  = "completed"
	ExecutionFailed     = "failed"
	ExecutionScheduled  = "scheduled"
)

// Header is one request or response header as Appwrite lists them.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Execution is the record of one invocation, with what it used.
type Execution struct {
	ProjectID          string     `json:"projectId"`
	ID                 string     `json:"id"`
	FunctionID         string     `json:"functionId"`
	DeploymentID       string     `json:"deploymentId"`
	Trigger            string     `json:"trigger"` // http, schedule, event
	Status             string     `json:"status"`
	RequestMethod      string     `json:"requestMethod"`
	RequestPath        string     `json:"requestPath"`
	RequestHeaders     []Header   `json:"requestHeaders"`
	ResponseStatusCode int        `json:"responseStatusCode"`
	ResponseBody       string     `json:"responseBody"`
	ResponseHeaders    []Header   `json:"responseHeaders"`
	Logs               string     `json:"logs"`
	Errors             string     `json:"errors"`
	Duration           float64    `json:"duration"` // seconds
	Fuel               int64      `json:"fuel"`
	Memory             int64      `json:"memory"` // peak bytes
	Egress             int64      `json:"egress"` // bytes
	ScheduledAt        *time.Time `json:"scheduledAt,omitempty"`
	CreatedAt          time.Time  `json:"createdAt"`
	UpdatedAt          time.Time  `json:"updatedAt"`
}

const executionColumns = `project_id, id, function_id, deployment_id, trigger, status, request_method, request_path,
	request_headers, response_status_code, response_body, response_headers, logs, errors, duration, fuel, memory,
	egress, scheduled_at, created_at, updated_at`

func scanExecution(row pgx.Row) (Execution, error) {
	var e Execution
	var reqH, respH []byte
	err := row.Scan(&e.ProjectID, &e.ID, &e.FunctionID, &e.DeploymentID, &e.Trigger, &e.Status, &e.RequestMethod,
		&e.RequestPath, &reqH, &e.ResponseStatusCode, &e.ResponseBody, &respH, &e.Logs, &e.Errors, &e.Duration,
		&e.Fuel, &e.Memory, &e.Egress, &e.ScheduledAt, &e.CreatedAt, &e.UpdatedAt)
	if err != nil {
		return e, err
	}
	_ = json.Unmarshal(reqH, &e.RequestHeaders)
	_ = json.Unmarshal(respH, &e.ResponseHeaders)
	return e, nil
}

// statusRank orders statuses so a late, older record never overwrites a
// newer one: waiting/scheduled < processing < completed/failed.
const statusRank = `CASE %s WHEN 'completed' THEN 3 WHEN 'failed' THEN 3 WHEN 'processing' THEN 2 ELSE 1 END`

// UpsertExecutions writes a batch of execution records in one round trip.
// It is idempotent by (project, id): a redelivered record changes nothing,
// and a record only replaces one of the same or an earlier status.
func (db *DB) UpsertExecutions(ctx context.Context, execs []Execution) error {
	if len(execs) == 0 {
		return nil
	}
	batch := &pgx.Batch{}
	for _, e := range execs {
		reqH, _ := json.Marshal(nonNilHeaders(e.RequestHeaders))
		respH, _ := json.Marshal(nonNilHeaders(e.ResponseHeaders))
		created := e.CreatedAt
		if created.IsZero() {
			created = time.Now()
		}
		batch.Queue(`INSERT INTO executions (project_id, id, function_id, deployment_id, trigger, status, request_method,
			request_path, request_headers, response_status_code, response_body, response_headers, logs, errors, duration,
			fuel, memory, egress, scheduled_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, now())
			ON CONFLICT (project_id, id) DO UPDATE SET deployment_id = EXCLUDED.deployment_id, status = EXCLUDED.status,
			response_status_code = EXCLUDED.response_status_code, response_body = EXCLUDED.response_body,
			response_headers = EXCLUDED.response_headers, logs = EXCLUDED.logs, errors = EXCLUDED.errors,
			duration = EXCLUDED.duration, fuel = EXCLUDED.fuel, memory = EXCLUDED.memory, egress = EXCLUDED.egress,
			updated_at = now()
			WHERE `+fmt.Sprintf(statusRank, "executions.status")+` < `+fmt.Sprintf(statusRank, "EXCLUDED.status"),
			e.ProjectID, e.ID, e.FunctionID, e.DeploymentID, e.Trigger, e.Status, e.RequestMethod, e.RequestPath, reqH,
			e.ResponseStatusCode, e.ResponseBody, respH, e.Logs, e.Errors, e.Duration, e.Fuel, e.Memory, e.Egress,
			e.ScheduledAt, created)
	}
	if err := db.Pool.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("writing %d executions: %w", len(execs), err)
	}
	return nil
}

func nonNilHeaders(h []Header) []Header {
	if h == nil {
		return []Header{}
	}
	return h
}

// GetExecution returns an execution of a function.
func (db *DB) GetExecution(ctx context.Context, projectID, functionID, id string) (Execution, error) {
	e, err := scanExecution(db.Pool.QueryRow(ctx, `SELECT `+executionColumns+` FROM executions
		WHERE project_id = $1 AND function_id = $2 AND id = $3`, projectID, functionID, id))
	if err != nil {
		return Execution{}, fmt.Errorf("reading execution %s: %w", id, notFound(err))
	}
	return e, nil
}

// DeleteExecution removes an execution record.
func (db *DB) DeleteExecution(ctx context.Context, projectID, functionID, id string) error {
	tag, err := db.Pool.Exec(ctx, `DELETE FROM executions WHERE project_id = $1 AND function_id = $2 AND id = $3`, projectID, functionID, id)
	if err != nil {
		return fmt.Errorf("deleting execution %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("deleting execution %s: %w", id, ErrNotFound)
	}
	return nil
}

// ListExecutions lists a function's executions, newest first by default.
func (db *DB) ListExecutions(ctx context.Context, projectID, functionID string, opt ListOptions) ([]Execution, int, error) {
	var out []Execution
	total, err := db.listQuery(ctx, "executions", executionColumns, "project_id = $1 AND function_id = $2",
		[]any{projectID, functionID}, opt, "created_at", true, func(rows pgx.Rows) error {
			e, err := scanExecution(rows)
			out = append(out, e)
			return err
		})
	return out, total, err
}

// ExecutionExists reports whether id names an execution of the function.
func (db *DB) ExecutionExists(ctx context.Context, projectID, functionID, id string) (bool, error) {
	var ok bool
	err := db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM executions WHERE project_id = $1 AND function_id = $2 AND id = $3)`,
		projectID, functionID, id).Scan(&ok)
	return ok, err
}

// DeleteExecutionsBefore removes executions created before t (retention).
func (db *DB) DeleteExecutionsBefore(ctx context.Context, t time.Time) (int64, error) {
	tag, err := db.Pool.Exec(ctx, `DELETE FROM executions WHERE created_at < $1`, t)
	if err != nil {
		return 0, fmt.Errorf("deleting old executions: %w", err)
	}
	return tag.RowsAffected(), nil
}
