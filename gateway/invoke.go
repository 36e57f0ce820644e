package gateway

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/kilnhq/kiln/platform"
)

// executionBody is Appwrite's createExecution parameters.
type executionBody struct {
	Body        string            `json:"body"`
	Async       bool              `json:"async"`
	Path        string            `json:"path"`
	Method      string            `json:"method"`
	Headers     map[string]string `json:"headers"`
	ScheduledAt string            `json:"scheduledAt"`
}

var methods = map[string]bool{"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true, "HEAD": true}

func (h *executionsAPI) create(c *fiber.Ctx) error {
	var b executionBody
	if err := parseBody(c, &b); err != nil {
		return err
	}
	if b.Method == "" {
		b.Method = "POST"
	}
	b.Method = strings.ToUpper(b.Method)
	if !methods[b.Method] {
		return NewError(fiber.StatusBadRequest, TypeGeneralArgument, "Invalid `method` param: one of GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD")
	}
	if b.Path == "" {
		b.Path = "/"
	}
	if !strings.HasPrefix(b.Path, "/") {
		return NewError(fiber.StatusBadRequest, TypeGeneralArgument, "Invalid `path` param: it must start with /")
	}
	hdr := http.Header{}
	for k, v := range b.Headers {
		hdr.Set(k, v)
	}
	pr := principal(c)
	inv := platform.Invocation{ProjectID: pr.ProjectID, FunctionID: c.Params("functionId"), Trigger: "http", Caller: pr,
		RecordNow: true, Request: platform.RunRequest{Method: b.Method, URL: b.Path, Host: c.Hostname(), Header: hdr,
			Body: []byte(b.Body), RemoteAddr: c.IP()}}
	if b.Async || b.ScheduledAt != "" {
		var at *time.Time
		if b.ScheduledAt != "" {
			t, err := time.Parse(time.RFC3339Nano, b.ScheduledAt)
			if err != nil {
				return NewError(fiber.StatusBadRequest, TypeGeneralArgument, "Invalid `scheduledAt` param: an ISO 8601 date")
			}
			at = &t
		}
		ex, err := h.p.ExecuteAsync(c.UserContext(), inv, at)
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusAccepted).JSON(toExecutionModel(ex))
	}
	ex, _, err := h.p.Invoke(c.UserContext(), inv)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toExecutionModel(ex))
}

// MountTriggers serves functions over HTTP: by path at
// /fn/{projectId}/{functionId}/… and by host at
// {functionId}-{projectId}.<domain>. Execute permissions decide who may
// call; an API key in the usual headers authenticates the caller.
func (a *App) MountTriggers(p *platform.Platform, domain string) {
	t := &triggers{p: p, domain: "." + strings.TrimPrefix(domain, ".")}
	// A node may serve triggers without the API; its errors still map.
	a.MapErrors(mapPlatformError)
	// Host routing first: a request to a function's host goes to it whatever the path.
	a.fiber.Use(t.byHost)
	a.fiber.All("/fn/:projectId/:functionId", t.byPath)
	a.fiber.All("/fn/:projectId/:functionId/*", t.byPath)
}

type triggers struct {
	p      *platform.Platform
	domain string
}

func (t *triggers) byHost(c *fiber.Ctx) error {
	host := strings.ToLower(c.Hostname())
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	sub, ok := strings.CutSuffix(host, t.domain)
	if !ok || sub == "" {
		return c.Next()
	}
	// {functionId}-{projectId}: project ids may not contain '-'? They may;
	// function ids are tried from the shortest prefix.
	for i := strings.IndexByte(sub, '-'); i > 0; i = nextDash(sub, i) {
		fn, project := sub[:i], sub[i+1:]
		if _, err := t.p.GetFunction(c.UserContext(), project, fn); err == nil {
			return t.invoke(c, project, fn, string(c.Request().URI().RequestURI()))
		}
	}
	return NewError(fiber.StatusNotFound, "function_not_found", "No function is served at %s.", host)
}

func nextDash(s string, i int) int {
	j := strings.IndexByte(s[i+1:], '-')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

func (t *triggers) byPath(c *fiber.Ctx) error {
	prefix := "/fn/" + c.Params("projectId") + "/" + c.Params("functionId")
	uri := string(c.Request().URI().RequestURI())
	rest := strings.TrimPrefix(uri, prefix)
	if rest == "" || rest[0] == '?' {
		rest = "/" + rest
	}
	return t.invoke(c, c.Params("projectId"), c.Params("functionId"), rest)
}

func (t *triggers) invoke(c *fiber.Ctx, project, fn, uri string) error {
	key := c.Get(HeaderKey)
	if key == "" {
		key = c.Get(HeaderKilnKey)
	}
	caller, err := authenticateCaller(c, t.p, project, key)
	if err != nil {
		return err
	}
	hdr := http.Header{}
	c.Request().Header.VisitAll(func(k, v []byte) { hdr.Add(string(k), string(v)) })
	inv := platform.Invocation{ProjectID: project, FunctionID: fn, Trigger: "http", Caller: caller,
		Request: platform.RunRequest{Method: c.Method(), URL: uri, Host: c.Hostname(), Header: hdr,
			Body: append([]byte(nil), c.Body()...), RemoteAddr: c.IP()}}
	ex, res, err := t.p.Invoke(c.UserContext(), inv)
	if err != nil {
		return err
	}
	c.Set("X-Appwrite-Execution-Id", ex.ID)
	if res.ErrorKind != "" {
		body, _ := json.Marshal(fiber.Map{"message": "The function failed: " + res.Errors, "code": ex.ResponseStatusCode,
			"type": "function_" + res.ErrorKind, "version": Version, "executionId": ex.ID})
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Status(ex.ResponseStatusCode).Send(body)
	}
	for k, vs := range res.Header {
		for _, v := range vs {
			c.Response().Header.Add(k, v)
		}
	}
	status := res.Status
	if status == 0 {
		status = fiber.StatusOK
	}
	return c.Status(status).Send(res.Body)
}
