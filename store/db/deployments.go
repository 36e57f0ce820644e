package db

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Deployment statuses, Appwrite's.
const (
	DeploymentWaiting    = "waiting"
	DeploymentProcessing = "processing"
	DeploymentBuilding   = "building"
	DeploymentReady      = "ready"
	DeploymentFailed     = "failed"
	DeploymentCanceled   = "canceled"
)

// Deployment is one immutable version of a function's code.
type Deployment struct {
	ProjectID      string
	ID             string
	FunctionID     string
	Entrypoint     string
	Commands       string
	Status         string
	Activate       bool
	SourceKey      string
	SourceSize     int64
	BuildKey       string
	BuildSize      int64
	BuildLogs      string
	BuildDuration  float64 // seconds
	ABI            string
	ArtifactSHA256 string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

const deploymentColumns = `project_id, id, function_id, entrypoint, commands, status, activate, source_key, source_size,
	build_key, build_size, build_logs, build_duration, abi, artifact_sha256, created_at, updated_at`

func scanDeployment(row pgx.Row) (Deployment, error) {
	var d Deployment
	err := row.Scan(&d.ProjectID, &d.ID, &d.FunctionID, &d.Entrypoint, &d.Commands, &d.Status, &d.Activate, &d.SourceKey,
		&d.SourceSize, &d.BuildKey, &d.BuildSize, &d.BuildLogs, &d.BuildDuration, &d.ABI, &d.ArtifactSHA256, &d.CreatedAt, &d.UpdatedAt)
	return d, err
}

// CreateDeployment stores a new deployment row.
func (db *DB) CreateDeployment(ctx context.Context, d Deployment) (Deployment, error) {
	if d.Status == "" {
		d.Status = DeploymentWaiting
	}
	row := db.Pool.QueryRow(ctx, `INSERT INTO deployments (project_id, id, function_id, entrypoint, commands, status,
		activate, source_key, source_size) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING `+deploymentColumns,
		d.ProjectID, d.ID, d.FunctionID, d.Entrypoint, d.Commands, d.Status, d.Activate, d.SourceKey, d.SourceSize)
	created, err := scanDeployment(row)
	if isUniqueViolation(err) {
		return Deployment{}, fmt.Errorf("creating deployment %s: %w", d.ID, ErrConflict)
	}
	if err != nil {
		return Deployment{}, fmt.Errorf("creating deployment %s: %w", d.ID, notFound(err))
	}
	return created, nil
}

// GetDeployment returns a deployment of a function.
func (db *DB) GetDeployment(ctx context.Context, projectID, functionID, id string) (Deployment, error) {
	d, err := scanDeployment(db.Pool.QueryRow(ctx, `SELECT `+deploymentColumns+` FROM deployments
		WHERE project_id = $1 AND function_id = $2 AND id = $3`, projectID, functionID, id))
	if err != nil {
		return Deployment{}, fmt.Errorf("reading deployment %s: %w", id, notFound(err))
	}
	return d, nil
}

// ClaimDeployment moves a deployment from one of the from statuses to
// status, returning false when it is in none of them (another builder has it,
// or it is finished). This is what makes a redelivered build job harmless.
func (db *DB) ClaimDeployment(ctx context.Context, projectID, id, status string, from ...string) (Deployment, bool, error) {
	d, err := scanDeployment(db.Pool.QueryRow(ctx, `UPDATE deployments SET status = $3, updated_at = now()
		WHERE project_id = $1 AND id = $2 AND status = ANY($4) RETURNING `+deploymentColumns, projectID, id, status, from))
	if err == pgx.ErrNoRows {
		return Deployment{}, false, nil
	}
	if err != nil {
		return Deployment{}, false, fmt.Errorf("claiming deployment %s: %w", id, err)
	}
	return d, true, nil
}

// FinishBuild records the outcome of a build that is still building. A
// ready deployment created with Activate becomes the function's active one
// in the same statement, so nobody sees it ready but not yet serving.
func (db *DB) FinishBuild(ctx context.Context, d Deployment) (Deployment, error) {
	out, err := scanDeployment(db.Pool.QueryRow(ctx, `WITH dep AS (
			UPDATE deployments SET status = $3, build_key = $4, build_size = $5, build_logs = $6,
				build_duration = $7, abi = $8, artifact_sha256 = $9, updated_at = now()
			WHERE project_id = $1 AND id = $2 AND status = 'building' RETURNING `+deploymentColumns+`
		), act AS (
			UPDATE functions SET deployment_id = dep.id, updated_at = now() FROM dep
			WHERE functions.project_id = dep.project_id AND functions.id = dep.function_id
				AND dep.status = 'ready' AND dep.activate
		)
		SELECT `+deploymentColumns+` FROM dep`,
		d.ProjectID, d.ID, d.Status, d.BuildKey, d.BuildSize, d.BuildLogs, d.BuildDuration, d.ABI, d.ArtifactSHA256))
	if err != nil {
		return Deployment{}, fmt.Errorf("finishing build %s: %w", d.ID, notFound(err))
	}
	return out, nil
}

// SetBuildLogs stores the build log so far.
func (db *DB) SetBuildLogs(ctx context.Context, projectID, id, logs string) error {
	_, err := db.Pool.Exec(ctx, `UPDATE deployments SET build_logs = $3, updated_at = now() WHERE project_id = $1 AND id = $2`, projectID, id, logs)
	return err
}

// DeleteDeployment removes a deployment row.
func (db *DB) DeleteDeployment(ctx context.Context, projectID, functionID, id string) error {
	tag, err := db.Pool.Exec(ctx, `DELETE FROM deployments WHERE project_id = $1 AND function_id = $2 AND id = $3`, projectID, functionID, id)
	if err != nil {
		return fmt.Errorf("deleting deployment %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("deleting deployment %s: %w", id, ErrNotFound)
	}
	return nil
}

// ListDeployments lists a function's deployments.
func (db *DB) ListDeployments(ctx context.Context, projectID, functionID string, opt ListOptions) ([]Deployment, int, error) {
	var out []Deployment
	total, err := db.listQuery(ctx, "deployments", deploymentColumns, "project_id = $1 AND function_id = $2",
		[]any{projectID, functionID}, opt, "created_at", true, func(rows pgx.Rows) error {
			d, err := scanDeployment(rows)
			out = append(out, d)
			return err
		})
	return out, total, err
}

// DeploymentExists reports whether id names a deployment of the function.
func (db *DB) DeploymentExists(ctx context.Context, projectID, functionID, id string) (bool, error) {
	var ok bool
	err := db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM deployments WHERE project_id = $1 AND function_id = $2 AND id = $3)`,
		projectID, functionID, id).Scan(&ok)
	return ok, err
}

// ActivateDeployment points the function at a ready deployment, in one
// statement so concurrent activations cannot interleave: the last one wins
// and every reader sees one or the other. Returns ErrNotFound when the
// deployment is missing and ErrNotReady when it is not ready.
func (db *DB) ActivateDeployment(ctx context.Context, projectID, functionID, id string) (Function, error) {
	f, err := scanFunction(db.Pool.QueryRow(ctx, `UPDATE functions SET deployment_id = d.id, updated_at = now()
		FROM deployments d WHERE functions.project_id = $1 AND functions.id = $2
		AND d.project_id = $1 AND d.function_id = $2 AND d.id = $3 AND d.status = 'ready'
		RETURNING `+qualified("functions", functionColumns), projectID, functionID, id))
	if err == pgx.ErrNoRows {
		d, gerr := db.GetDeployment(ctx, projectID, functionID, id)
		if gerr != nil {
			return Function{}, gerr
		}
		return Function{}, fmt.Errorf("activating deployment %s (status %s): %w", id, d.Status, ErrNotReady)
	}
	if err != nil {
		return Function{}, fmt.Errorf("activating deployment %s: %w", id, err)
	}
	return f, nil
}

// LatestDeployment returns the newest deployment of a function, if any.
func (db *DB) LatestDeployment(ctx context.Context, projectID, functionID string) (Deployment, error) {
	d, err := scanDeployment(db.Pool.QueryRow(ctx, `SELECT `+deploymentColumns+` FROM deployments
		WHERE project_id = $1 AND function_id = $2 ORDER BY created_at DESC, id DESC LIMIT 1`, projectID, functionID))
	if err != nil {
		return Deployment{}, notFound(err)
	}
	return d, nil
}
