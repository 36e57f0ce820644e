package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"github.com/kilnhq/kiln/store/db"
	"github.com/kilnhq/kiln/store/objects"
	"github.com/nats-io/nats.go/jetstream"
)

// Upload is a deployment archive (or one chunk of it) sent by a client.
type Upload struct {
	Body       io.Reader
	Size       int64 // bytes in Body
	Entrypoint string
	Commands   string
	Activate   bool
	// Range is set for Appwrite's chunked uploads: this chunk's first and
	// last byte and the archive's total size. UploadID names the deployment
	// on every chunk after the first.
	Range    *ContentRange
	UploadID string
}

// ContentRange is a parsed "bytes start-end/total" header.
type ContentRange struct{ Start, End, Total int64 }

var contentRangeRE = regexp.MustCompile(`^bytes (\d+)-(\d+)/(\d+)$`)

// ParseContentRange parses Appwrite's Content-Range header of a chunk.
func ParseContentRange(h string) (*ContentRange, error) {
	m := contentRangeRE.FindStringSubmatch(h)
	if m == nil {
		return nil, invalid("Invalid Content-Range header %q: want \"bytes start-end/total\"", h)
	}
	start, _ := strconv.ParseInt(m[1], 10, 64)
	end, _ := strconv.ParseInt(m[2], 10, 64)
	total, _ := strconv.ParseInt(m[3], 10, 64)
	if start > end || end >= total {
		return nil, invalid("Invalid Content-Range header %q", h)
	}
	return &ContentRange{Start: start, End: end, Total: total}, nil
}

// BuildJob is the message a builder consumes.
type BuildJob struct {
	ProjectID    string `json:"projectId"`
	FunctionID   string `json:"functionId"`
	DeploymentID string `json:"deploymentId"`
}

func sourceKey(projectID, functionID, id string) string {
	return fmt.Sprintf("projects/%s/functions/%s/deployments/%s/source.tar.gz", projectID, functionID, id)
}

func buildKey(projectID, functionID, id string) string {
	return fmt.Sprintf("projects/%s/functions/%s/deployments/%s/build.wasm", projectID, functionID, id)
}

func chunkPrefix(projectID, id string) string {
	return fmt.Sprintf("uploads/%s/%s/", projectID, id)
}

var deploymentAttrs = listable{
	"status":     {column: "status"},
	"entrypoint": {column: "entrypoint"},
	"sourceSize": {column: "source_size", kind: kindNumber},
	"buildSize":  {column: "build_size", kind: kindNumber},
	"$id":        {column: "id"},
	"$createdAt": {column: "created_at", kind: kindTime},
	"$updatedAt": {column: "updated_at", kind: kindTime},
}

// CreateDeployment stores an uploaded archive (whole, or chunk by chunk)
// and, once complete, queues its build. It returns the deployment.
func (p *Platform) CreateDeployment(ctx context.Context, projectID, functionID string, up Upload) (db.Deployment, error) {
	if _, err := p.GetFunction(ctx, projectID, functionID); err != nil {
		return db.Deployment{}, err
	}
	if up.Range == nil {
		if up.Size > p.cfg.MaxSourceBytes {
			return db.Deployment{}, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, up.Size, p.cfg.MaxSourceBytes)
		}
		id := NewID()
		key := sourceKey(projectID, functionID, id)
		info, err := p.cfg.Objects.Put(ctx, key, io.LimitReader(up.Body, p.cfg.MaxSourceBytes+1), -1, "application/gzip")
		if err != nil {
			return db.Deployment{}, err
		}
		if info.Size > p.cfg.MaxSourceBytes {
			_ = p.cfg.Objects.Delete(ctx, key)
			return db.Deployment{}, fmt.Errorf("%w: the limit is %d bytes", ErrTooLarge, p.cfg.MaxSourceBytes)
		}
		return p.queueDeployment(ctx, db.Deployment{ProjectID: projectID, ID: id, FunctionID: functionID,
			Entrypoint: up.Entrypoint, Commands: up.Commands, Activate: up.Activate, SourceKey: key, SourceSize: info.Size})
	}
	return p.uploadChunk(ctx, projectID, functionID, up)
}

// uploadChunk keeps each chunk as an object until all bytes arrived, then
// joins them into the source archive. Chunks may be retried; a chunk is
// identified by its start offset.
func (p *Platform) uploadChunk(ctx context.Context, projectID, functionID string, up Upload) (db.Deployment, error) {
	r := up.Range
	if r.Total > p.cfg.MaxSourceBytes {
		return db.Deployment{}, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, r.Total, p.cfg.MaxSourceBytes)
	}
	if up.Size != r.End-r.Start+1 {
		return db.Deployment{}, invalid("Chunk size %d does not match Content-Range %d-%d", up.Size, r.Start, r.End)
	}
	id := up.UploadID
	switch {
	case id == "" && r.Start != 0:
		return db.Deployment{}, invalid("A chunk after the first needs the x-appwrite-id header naming the upload")
	case id == "":
		id = NewID()
	default:
		if _, err := CheckID(id); err != nil || id == UniqueID {
			return db.Deployment{}, invalid("Invalid x-appwrite-id header %q", id)
		}
	}
	prefix := chunkPrefix(projectID, id)
	if _, err := p.cfg.Objects.Put(ctx, fmt.Sprintf("%s%020d", prefix, r.Start), up.Body, up.Size, "application/octet-stream"); err != nil {
		return db.Deployment{}, err
	}
	parts, err := p.cfg.Objects.List(ctx, prefix)
	if err != nil {
		return db.Deployment{}, err
	}
	var received int64
	for _, part := range parts {
		received += part.Size
	}
	pending := db.Deployment{ProjectID: projectID, ID: id, FunctionID: functionID, Entrypoint: up.Entrypoint,
		Commands: up.Commands, Activate: up.Activate, Status: db.DeploymentWaiting, SourceSize: received}
	if received < r.Total {
		return pending, nil
	}
	if received > r.Total {
		return db.Deployment{}, invalid("Chunks add up to %d bytes, more than the declared %d", received, r.Total)
	}
	key := sourceKey(projectID, functionID, id)
	pr, pw := io.Pipe()
	go func() {
		for _, part := range parts {
			rc, _, err := p.cfg.Objects.Get(ctx, part.Key, objects.GetOptions{})
			if err != nil {
				pw.CloseWithError(err)
				return
			}
			_, err = io.Copy(pw, rc)
			rc.Close()
			if err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.Close()
	}()
	info, err := p.cfg.Objects.Put(ctx, key, pr, r.Total, "application/gzip")
	if err != nil {
		return db.Deployment{}, fmt.Errorf("joining chunks: %w", err)
	}
	for _, part := range parts {
		_ = p.cfg.Objects.Delete(ctx, part.Key)
	}
	pending.SourceKey, pending.SourceSize = key, info.Size
	return p.queueDeployment(ctx, pending)
}

// queueDeployment stores the row and publishes the build job. The job's
// message id is the deployment id, so a retried publish is deduplicated.
func (p *Platform) queueDeployment(ctx context.Context, d db.Deployment) (db.Deployment, error) {
	created, err := p.db.CreateDeployment(ctx, d)
	if errors.Is(err, db.ErrConflict) {
		return db.Deployment{}, &ConflictError{Kind: "deployment", ID: d.ID}
	}
	if err != nil {
		return db.Deployment{}, err
	}
	job, _ := json.Marshal(BuildJob{ProjectID: d.ProjectID, FunctionID: d.FunctionID, DeploymentID: d.ID})
	subject := fmt.Sprintf("builds.%s.%s", d.ProjectID, d.ID)
	if _, err := p.cfg.JetStream.Publish(ctx, subject, job, jetstream.WithMsgID(d.ID)); err != nil {
		return db.Deployment{}, fmt.Errorf("queueing build: %w", err)
	}
	return created, nil
}

// GetDeployment returns a deployment of a function.
func (p *Platform) GetDeployment(ctx context.Context, projectID, functionID, id string) (db.Deployment, error) {
	d, err := p.db.GetDeployment(ctx, projectID, functionID, id)
	if errors.Is(err, db.ErrNotFound) {
		return db.Deployment{}, &NotFoundError{Kind: "deployment", ID: id}
	}
	return d, err
}

// ListDeployments lists a function's deployments, newest first by default.
func (p *Platform) ListDeployments(ctx context.Context, projectID, functionID string, queries []string) ([]db.Deployment, int, error) {
	if _, err := p.GetFunction(ctx, projectID, functionID); err != nil {
		return nil, 0, err
	}
	opt, err := ParseQueries(queries, deploymentAttrs)
	if err != nil {
		return nil, 0, err
	}
	if err := p.checkCursor(ctx, opt, func(id string) (bool, error) { return p.db.DeploymentExists(ctx, projectID, functionID, id) }); err != nil {
		return nil, 0, err
	}
	return p.db.ListDeployments(ctx, projectID, functionID, opt)
}

// ActivateDeployment makes a ready deployment the one that serves; rolling
// back is activating an older one.
func (p *Platform) ActivateDeployment(ctx context.Context, projectID, functionID, id string) (db.Function, error) {
	if _, err := p.GetFunction(ctx, projectID, functionID); err != nil {
		return db.Function{}, err
	}
	f, err := p.db.ActivateDeployment(ctx, projectID, functionID, id)
	switch {
	case errors.Is(err, db.ErrNotFound):
		return db.Function{}, &NotFoundError{Kind: "deployment", ID: id}
	case errors.Is(err, db.ErrNotReady):
		return db.Function{}, invalid("Deployment %s is not ready to serve: %v", id, err)
	}
	if err == nil {
		p.functionChanged(projectID, functionID)
		p.warmLater(projectID, functionID)
	}
	return f, err
}

// DeleteDeployment deletes a deployment that is not the active one.
func (p *Platform) DeleteDeployment(ctx context.Context, projectID, functionID, id string) error {
	f, err := p.GetFunction(ctx, projectID, functionID)
	if err != nil {
		return err
	}
	d, err := p.GetDeployment(ctx, projectID, functionID, id)
	if err != nil {
		return err
	}
	if f.DeploymentID == id {
		return invalid("Deployment %s is the function's active deployment: activate another one before deleting it", id)
	}
	if err := p.db.DeleteDeployment(ctx, projectID, functionID, id); err != nil {
		return err
	}
	for _, key := range []string{d.SourceKey, d.BuildKey} {
		if key != "" {
			_ = p.cfg.Objects.Delete(ctx, key)
		}
	}
	return nil
}

// CancelDeployment stops a build that has not finished. A build already
// running finishes in the background but its result is discarded.
func (p *Platform) CancelDeployment(ctx context.Context, projectID, functionID, id string) (db.Deployment, error) {
	if _, err := p.GetDeployment(ctx, projectID, functionID, id); err != nil {
		return db.Deployment{}, err
	}
	d, ok, err := p.db.ClaimDeployment(ctx, projectID, id, db.DeploymentCanceled,
		db.DeploymentWaiting, db.DeploymentProcessing, db.DeploymentBuilding)
	if err != nil {
		return db.Deployment{}, err
	}
	if !ok {
		cur, _ := p.GetDeployment(ctx, projectID, functionID, id)
		return db.Deployment{}, invalid("Deployment %s has already finished (status %s) and cannot be canceled", id, cur.Status)
	}
	return d, nil
}

// OpenDeploymentFile opens a deployment's source archive ("source") or build
// output ("output") for download.
func (p *Platform) OpenDeploymentFile(ctx context.Context, projectID, functionID, id, kind string) (io.ReadCloser, objects.Info, error) {
	d, err := p.GetDeployment(ctx, projectID, functionID, id)
	if err != nil {
		return nil, objects.Info{}, err
	}
	key := d.SourceKey
	switch kind {
	case "", "source":
	case "output":
		if d.BuildKey == "" {
			return nil, objects.Info{}, invalid("Deployment %s has no build output (status %s)", id, d.Status)
		}
		key = d.BuildKey
	default:
		return nil, objects.Info{}, invalid("Invalid `type` param: source or output")
	}
	return p.cfg.Objects.Get(ctx, key, objects.GetOptions{})
}
