package client

import (
	"context"
	"net/url"
)

// CreateFunction creates a function ("unique()" as id lets the server pick).
func (c *Client) CreateFunction(ctx context.Context, p FunctionParams) (Function, error) {
	var f Function
	return f, c.call(ctx, "POST", "/functions", nil, p, &f)
}

// GetFunction returns a function.
func (c *Client) GetFunction(ctx context.Context, id string) (Function, error) {
	var f Function
	return f, c.call(ctx, "GET", "/functions/"+url.PathEscape(id), nil, nil, &f)
}

// ListFunctions lists functions; queries are Appwrite JSON queries.
func (c *Client) ListFunctions(ctx context.Context, queries ...string) ([]Function, int, error) {
	var out struct {
		Total     int        `json:"total"`
		Functions []Function `json:"functions"`
	}
	err := c.call(ctx, "GET", "/functions", Queries(queries...), nil, &out)
	return out.Functions, out.Total, err
}

// DeleteFunction deletes a function with its deployments.
func (c *Client) DeleteFunction(ctx context.Context, id string) error {
	return c.call(ctx, "DELETE", "/functions/"+url.PathEscape(id), nil, nil, nil)
}

// CreateVariable adds a variable to a function.
func (c *Client) CreateVariable(ctx context.Context, functionID, key, value string, secret bool) (Variable, error) {
	var v Variable
	body := map[string]any{"key": key, "value": value, "secret": secret}
	return v, c.call(ctx, "POST", "/functions/"+url.PathEscape(functionID)+"/variables", nil, body, &v)
}

// ListVariables lists a function's variables.
func (c *Client) ListVariables(ctx context.Context, functionID string) ([]Variable, error) {
	var out struct {
		Variables []Variable `json:"variables"`
	}
	return out.Variables, c.call(ctx, "GET", "/functions/"+url.PathEscape(functionID)+"/variables", nil, nil, &out)
}

// UpdateVariable changes a variable's value (and key).
func (c *Client) UpdateVariable(ctx context.Context, functionID, id, key, value string) (Variable, error) {
	var v Variable
	body := map[string]any{"key": key, "value": value}
	return v, c.call(ctx, "PUT", "/functions/"+url.PathEscape(functionID)+"/variables/"+url.PathEscape(id), nil, body, &v)
}

// DeleteVariable removes a variable.
func (c *Client) DeleteVariable(ctx context.Context, functionID, id string) error {
	return c.call(ctx, "DELETE", "/functions/"+url.PathEscape(functionID)+"/variables/"+url.PathEscape(id), nil, nil, nil)
}

// ListExecutions lists a function's executions, newest first.
func (c *Client) ListExecutions(ctx context.Context, functionID string, queries ...string) ([]Execution, int, error) {
	var out struct {
		Total      int         `json:"total"`
		Executions []Execution `json:"executions"`
	}
	err := c.call(ctx, "GET", "/functions/"+url.PathEscape(functionID)+"/executions", Queries(queries...), nil, &out)
	return out.Executions, out.Total, err
}

// ExecutionParams describe a call made through the executions API.
type ExecutionParams struct {
	Body        string            `json:"body,omitempty"`
	Async       bool              `json:"async,omitempty"`
	Path        string            `json:"path,omitempty"`
	Method      string            `json:"method,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	ScheduledAt string            `json:"scheduledAt,omitempty"`
}

// CreateExecution runs a function (or queues it when Async).
func (c *Client) CreateExecution(ctx context.Context, functionID string, p ExecutionParams) (Execution, error) {
	var e Execution
	return e, c.call(ctx, "POST", "/functions/"+url.PathEscape(functionID)+"/executions", nil, p, &e)
}

// GetExecution returns one execution.
func (c *Client) GetExecution(ctx context.Context, functionID, id string) (Execution, error) {
	var e Execution
	return e, c.call(ctx, "GET", "/functions/"+url.PathEscape(functionID)+"/executions/"+url.PathEscape(id), nil, nil, &e)
}
