package gateway

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/kilnhq/kiln/platform"
)

// MountFunctions registers the Functions API (Appwrite routes) on the app.
func (a *App) MountFunctions(p *platform.Platform) {
	a.MapErrors(mapPlatformError)
	h := &functionsAPI{p: p}
	r := a.fiber.Group("/v1/functions", authenticate(p))
	read, write := requireScope("functions.read"), requireScope("functions.write")
	r.Get("/runtimes", read, h.runtimes)
	r.Get("/", read, h.list)
	r.Get("", read, h.list)
	r.Post("/", write, h.create)
	r.Post("", write, h.create)
	r.Get("/:functionId", read, h.get)
	r.Put("/:functionId", write, h.update)
	r.Delete("/:functionId", write, h.delete)
	r.Get("/:functionId/variables", read, h.listVariables)
	r.Post("/:functionId/variables", write, h.createVariable)
	r.Get("/:functionId/variables/:variableId", read, h.getVariable)
	r.Put("/:functionId/variables/:variableId", write, h.updateVariable)
	r.Delete("/:functionId/variables/:variableId", write, h.deleteVariable)
	a.mountDeployments(r, p)
	a.mountExecutions(r, p)
	a.mountUsers(p)
}

type functionsAPI struct{ p *platform.Platform }

// functionBody is the JSON body of create and update.
type functionBody struct {
	FunctionID string   `json:"functionId"`
	Name       string   `json:"name"`
	Runtime    string   `json:"runtime"`
	Execute    []string `json:"execute"`
	Events     []string `json:"events"`
	Schedule   *string  `json:"schedule"`
	Timeout    *int     `json:"timeout"`
	Enabled    *bool    `json:"enabled"`
	Logging    *bool    `json:"logging"`
	Entrypoint *string  `json:"entrypoint"`
	Commands   *string  `json:"commands"`
	Scopes     []string `json:"scopes"`
	// Kiln's additions: the per-invocation fuel budget and memory cap.
	Fuel        *int64 `json:"fuel"`
	MemoryPages *int   `json:"memoryPages"`
}

func (b functionBody) input() platform.FunctionInput {
	return platform.FunctionInput{Name: b.Name, Runtime: b.Runtime, Execute: b.Execute, Events: b.Events,
		Schedule: b.Schedule, Timeout: b.Timeout, Enabled: b.Enabled, Logging: b.Logging,
		Entrypoint: b.Entrypoint, Commands: b.Commands, Scopes: b.Scopes, Fuel: b.Fuel, MemoryPages: b.MemoryPages}
}

// parseBody decodes a JSON body into v with a clear 400 on malformed input.
func parseBody(c *fiber.Ctx, v any) error {
	if len(c.Body()) == 0 {
		return nil
	}
	if err := c.BodyParser(v); err != nil {
		return NewError(fiber.StatusBadRequest, TypeGeneralArgument, "Invalid request body: %v", err)
	}
	return nil
}

func (h *functionsAPI) runtimes(c *fiber.Ctx) error {
	rts := platform.Runtimes()
	out := make([]runtimeModel, len(rts))
	for i, r := range rts {
		out[i] = runtimeModel{ID: r.ID, Key: r.Kind, Name: r.Name, Version: r.Version, Base: "wasm", Image: "kiln/" + r.Kind,
			Logo: r.Kind + ".png", Supports: r.Supports}
	}
	return c.JSON(fiber.Map{"total": len(out), "runtimes": out})
}

func (h *functionsAPI) list(c *fiber.Ctx) error {
	pr := principal(c)
	queries, err := queryList(c)
	if err != nil {
		return err
	}
	fns, total, err := h.p.ListFunctions(c.UserContext(), pr.ProjectID, queries, c.Query("search"))
	if err != nil {
		return err
	}
	out := make([]functionModel, len(fns))
	for i, f := range fns {
		out[i] = toFunctionModel(f, nil)
	}
	return c.JSON(fiber.Map{"total": total, "functions": out})
}

func (h *functionsAPI) model(c *fiber.Ctx, projectID, id string) (functionModel, error) {
	f, err := h.p.GetFunction(c.UserContext(), projectID, id)
	if err != nil {
		return functionModel{}, err
	}
	vars, err := h.p.ListVariables(c.UserContext(), projectID, id)
	if err != nil {
		return functionModel{}, err
	}
	return toFunctionModel(f, vars), nil
}

func (h *functionsAPI) create(c *fiber.Ctx) error {
	var b functionBody
	if err := parseBody(c, &b); err != nil {
		return err
	}
	if b.FunctionID == "" {
		return NewError(fiber.StatusBadRequest, TypeGeneralArgument, "Param \"functionId\" is not optional.")
	}
	f, err := h.p.CreateFunction(c.UserContext(), principal(c).ProjectID, b.FunctionID, b.input())
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toFunctionModel(f, nil))
}

func (h *functionsAPI) get(c *fiber.Ctx) error {
	m, err := h.model(c, principal(c).ProjectID, c.Params("functionId"))
	if err != nil {
		return err
	}
	return c.JSON(m)
}

func (h *functionsAPI) update(c *fiber.Ctx) error {
	var b functionBody
	if err := parseBody(c, &b); err != nil {
		return err
	}
	pr := principal(c)
	if _, err := h.p.UpdateFunction(c.UserContext(), pr.ProjectID, c.Params("functionId"), b.input()); err != nil {
		return err
	}
	m, err := h.model(c, pr.ProjectID, c.Params("functionId"))
	if err != nil {
		return err
	}
	return c.JSON(m)
}

func (h *functionsAPI) delete(c *fiber.Ctx) error {
	if err := h.p.DeleteFunction(c.UserContext(), principal(c).ProjectID, c.Params("functionId")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type variableBody struct {
	Key    string  `json:"key"`
	Value  *string `json:"value"`
	Secret *bool   `json:"secret"`
}

func (h *functionsAPI) listVariables(c *fiber.Ctx) error {
	vs, err := h.p.ListVariables(c.UserContext(), principal(c).ProjectID, c.Params("functionId"))
	if err != nil {
		return err
	}
	out := make([]variableModel, len(vs))
	for i, v := range vs {
		out[i] = toVariableModel(v)
	}
	return c.JSON(fiber.Map{"total": len(out), "variables": out})
}

func (h *functionsAPI) createVariable(c *fiber.Ctx) error {
	var b variableBody
	if err := parseBody(c, &b); err != nil {
		return err
	}
	if b.Key == "" || b.Value == nil {
		return NewError(fiber.StatusBadRequest, TypeGeneralArgument, "Params \"key\" and \"value\" are required.")
	}
	secret := b.Secret != nil && *b.Secret
	v, err := h.p.CreateVariable(c.UserContext(), principal(c).ProjectID, c.Params("functionId"), b.Key, *b.Value, secret)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toVariableModel(v))
}

func (h *functionsAPI) getVariable(c *fiber.Ctx) error {
	v, err := h.p.GetVariable(c.UserContext(), principal(c).ProjectID, c.Params("functionId"), c.Params("variableId"))
	if err != nil {
		return err
	}
	return c.JSON(toVariableModel(v))
}

func (h *functionsAPI) updateVariable(c *fiber.Ctx) error {
	var b variableBody
	if err := parseBody(c, &b); err != nil {
		return err
	}
	v, err := h.p.UpdateVariable(c.UserContext(), principal(c).ProjectID, c.Params("functionId"), c.Params("variableId"), b.Key, b.Value, b.Secret)
	if err != nil {
		return err
	}
	return c.JSON(toVariableModel(v))
}

func (h *functionsAPI) deleteVariable(c *fiber.Ctx) error {
	if err := h.p.DeleteVariable(c.UserContext(), principal(c).ProjectID, c.Params("functionId"), c.Params("variableId")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// queryList reads Appwrite's queries parameters in the order sent:
// queries[0]=…&queries[1]=… (the SDKs), queries[]=… or repeated queries=….
func queryList(c *fiber.Ctx) ([]string, error) {
	var out []string
	c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) {
		key := string(k)
		if key == "queries" || strings.HasPrefix(key, "queries[") {
			out = append(out, string(v))
		}
	})
	if len(out) > 100 {
		return nil, NewError(fiber.StatusBadRequest, "general_query_invalid", "Invalid query: at most 100 queries")
	}
	return out, nil
}
