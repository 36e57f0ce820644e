package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/url"
	"strconv"
	"time"
)

// ChunkSize is the size of each part of an upload, Appwrite's 5 MiB.
const ChunkSize = 5 << 20

// DeployParams describe an upload.
type DeployParams struct {
	Activate   bool
	Entrypoint string
	Commands   string
	// Progress, if set, is called after each chunk with bytes sent and total.
	Progress func(sent, total int64)
}

// CreateDeployment uploads a tar.gz archive, in 5 MiB chunks when larger,
// the way Appwrite's SDKs do, and returns the deployment.
func (c *Client) CreateDeployment(ctx context.Context, functionID string, archive []byte, p DeployParams) (Deployment, error) {
	total := int64(len(archive))
	var d Deployment
	id := ""
	for start := int64(0); start < total || (total == 0 && start == 0); start += ChunkSize {
		end := min(start+ChunkSize, total)
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		_ = w.WriteField("activate", strconv.FormatBool(p.Activate))
		if p.Entrypoint != "" {
			_ = w.WriteField("entrypoint", p.Entrypoint)
		}
		if p.Commands != "" {
			_ = w.WriteField("commands", p.Commands)
		}
		fw, err := w.CreateFormFile("code", "code.tar.gz")
		if err != nil {
			return d, err
		}
		if _, err := fw.Write(archive[start:end]); err != nil {
			return d, err
		}
		if err := w.Close(); err != nil {
			return d, err
		}
		req, err := c.newRequest(ctx, "POST", "/functions/"+url.PathEscape(functionID)+"/deployments", nil, &body, w.FormDataContentType())
		if err != nil {
			return d, err
		}
		if total > ChunkSize {
			req.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end-1, total))
			if id != "" {
				req.Header.Set("X-Appwrite-Id", id)
			}
		}
		if err := c.do(req, &d); err != nil {
			return d, err
		}
		id = d.ID
		if p.Progress != nil {
			p.Progress(end, total)
		}
		if total == 0 {
			break
		}
	}
	return d, nil
}

// GetDeployment returns a deployment.
func (c *Client) GetDeployment(ctx context.Context, functionID, id string) (Deployment, error) {
	var d Deployment
	return d, c.call(ctx, "GET", "/functions/"+url.PathEscape(functionID)+"/deployments/"+url.PathEscape(id), nil, nil, &d)
}

// ListDeployments lists a function's deployments, newest first.
func (c *Client) ListDeployments(ctx context.Context, functionID string, queries ...string) ([]Deployment, int, error) {
	var out struct {
		Total       int          `json:"total"`
		Deployments []Deployment `json:"deployments"`
	}
	err := c.call(ctx, "GET", "/functions/"+url.PathEscape(functionID)+"/deployments", Queries(queries...), nil, &out)
	return out.Deployments, out.Total, err
}

// ActivateDeployment makes a ready deployment the one that serves (also how to roll back).
func (c *Client) ActivateDeployment(ctx context.Context, functionID, id string) (Function, error) {
	var f Function
	return f, c.call(ctx, "PATCH", "/functions/"+url.PathEscape(functionID)+"/deployment", nil, map[string]string{"deploymentId": id}, &f)
}

// WaitDeployment waits until the build is over, calling onLog with each new
// part of the build log: streamed live where the server can, else (or if
// the stream breaks) by polling the deployment.
func (c *Client) WaitDeployment(ctx context.Context, functionID, id string, onLog func(string)) (Deployment, error) {
	shown := 0
	d, err := c.FollowBuildLog(ctx, functionID, id, func(s string) {
		shown += len(s)
		if onLog != nil {
			onLog(s)
		}
	})
	var apiErr *Error
	if err == nil || errors.As(err, &apiErr) || ctx.Err() != nil {
		return d, err
	}
	for {
		d, err := c.GetDeployment(ctx, functionID, id)
		if err != nil {
			return d, err
		}
		if onLog != nil && len(d.BuildLogs) > shown {
			onLog(d.BuildLogs[shown:])
			shown = len(d.BuildLogs)
		}
		if d.Finished() {
			return d, nil
		}
		select {
		case <-ctx.Done():
			return d, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// DownloadDeployment fetches a deployment's "source" archive or build "output".
func (c *Client) DownloadDeployment(ctx context.Context, functionID, id, kind string) ([]byte, error) {
	req, err := c.newRequest(ctx, "GET", "/functions/"+url.PathEscape(functionID)+"/deployments/"+url.PathEscape(id)+"/download",
		url.Values{"type": {kind}}, nil, "")
	if err != nil {
		return nil, err
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, &Error{Status: resp.StatusCode, Message: resp.Status}
	}
	return io.ReadAll(resp.Body)
}
