package gateway

import (
	"github.com/gofiber/fiber/v2"
	"github.com/kilnhq/kiln/platform"
	"github.com/kilnhq/kiln/store/db"
)

// executionModel is Appwrite's Execution object (response format 1.7) plus
// what Kiln measured: fuel, peak memory bytes and egress bytes.
type executionModel struct {
	ID                 string      `json:"$id"`
	CreatedAt          string      `json:"$createdAt"`
	UpdatedAt          string      `json:"$updatedAt"`
	Permissions        []string    `json:"$permissions"`
	FunctionID         string      `json:"functionId"`
	Trigger            string      `json:"trigger"`
	Status             string      `json:"status"`
	RequestMethod      string      `json:"requestMethod"`
	RequestPath        string      `json:"requestPath"`
	RequestHeaders     []db.Header `json:"requestHeaders"`
	ResponseStatusCode int         `json:"responseStatusCode"`
	ResponseBody       string      `json:"responseBody"`
	ResponseHeaders    []db.Header `json:"responseHeaders"`
	Logs               string      `json:"logs"`
	Errors             string      `json:"errors"`
	Duration           float64     `json:"duration"`
	ScheduledAt        *string     `json:"scheduledAt,omitempty"`
	Fuel               int64       `json:"fuel"`
	Memory             int64       `json:"memory"`
	Egress             int64       `json:"egress"`
}

func toExecutionModel(e db.Execution) executionModel {
	m := executionModel{ID: e.ID, CreatedAt: ts(e.CreatedAt), UpdatedAt: ts(e.UpdatedAt), Permissions: []string{},
		FunctionID: e.FunctionID, Trigger: e.Trigger, Status: e.Status, RequestMethod: e.RequestMethod,
		RequestPath: e.RequestPath, RequestHeaders: nonNilHeaders(e.RequestHeaders), ResponseStatusCode: e.ResponseStatusCode,
		ResponseBody: e.ResponseBody, ResponseHeaders: nonNilHeaders(e.ResponseHeaders), Logs: e.Logs, Errors: e.Errors,
		Duration: e.Duration, Fuel: e.Fuel, Memory: e.Memory, Egress: e.Egress}
	if e.ScheduledAt != nil {
		s := ts(*e.ScheduledAt)
		m.ScheduledAt = &s
	}
	return m
}

func nonNilHeaders(h []db.Header) []db.Header {
	if h == nil {
		return []db.Header{}
	}
	return h
}

func (a *App) mountExecutions(r fiber.Router, p *platform.Platform) {
	h := &executionsAPI{p: p}
	read, write := requireScope("execution.read"), requireScope("execution.write")
	r.Get("/:functionId/executions", read, h.list)
	// Creating an execution is governed by the function's execute roles
	// (an API key with execution.write may always), as in Appwrite.
	r.Post("/:functionId/executions", h.create)
	r.Get("/:functionId/executions/:executionId", read, h.get)
	r.Delete("/:functionId/executions/:executionId", write, h.delete)
}

type executionsAPI struct{ p *platform.Platform }

func (h *executionsAPI) list(c *fiber.Ctx) error {
	queries, err := queryList(c)
	if err != nil {
		return err
	}
	es, total, err := h.p.ListExecutions(c.UserContext(), principal(c).ProjectID, c.Params("functionId"), queries)
	if err != nil {
		return err
	}
	out := make([]executionModel, len(es))
	for i, e := range es {
		out[i] = toExecutionModel(e)
	}
	return c.JSON(fiber.Map{"total": total, "executions": out})
}

func (h *executionsAPI) get(c *fiber.Ctx) error {
	e, err := h.p.GetExecution(c.UserContext(), principal(c).ProjectID, c.Params("functionId"), c.Params("executionId"))
	if err != nil {
		return err
	}
	return c.JSON(toExecutionModel(e))
}

func (h *executionsAPI) delete(c *fiber.Ctx) error {
	if err := h.p.DeleteExecution(c.UserContext(), principal(c).ProjectID, c.Params("functionId"), c.Params("executionId")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
