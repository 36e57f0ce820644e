package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/kilnhq/kiln/platform"
)

// followLimit bounds one build-log stream; a build has its own time limit
// well under it.
const followLimit = 30 * time.Minute

// BuildLogEvent is one WebSocket message of a build-log stream: "log" with
// the next part of the log in Data, then one "done" with the finished
// deployment.
type BuildLogEvent struct {
	Type       string           `json:"type"`
	Data       string           `json:"data,omitempty"`
	Deployment *deploymentModel `json:"deployment,omitempty"`
}

// followLogs checks the deployment exists and the request is a WebSocket
// upgrade, so a plain GET gets a clear error instead of a hang.
func (h *deploymentsAPI) followLogs(c *fiber.Ctx) error {
	if _, err := h.p.GetDeployment(c.UserContext(), principal(c).ProjectID, c.Params("functionId"), c.Params("deploymentId")); err != nil {
		return err
	}
	if !websocket.IsWebSocketUpgrade(c) {
		return NewError(fiber.StatusUpgradeRequired, TypeGeneralArgument,
			"This route streams the build log over a WebSocket: connect with Upgrade: websocket (or read buildLogs from the deployment).")
	}
	c.Locals("kiln.project", principal(c).ProjectID)
	return c.Next()
}

// streamLogs sends the build log as it is written, then the deployment.
func (h *deploymentsAPI) streamLogs(conn *websocket.Conn) {
	project, _ := conn.Locals("kiln.project").(string)
	fn, id := conn.Params("functionId"), conn.Params("deploymentId")
	ctx, cancel := context.WithTimeout(context.Background(), followLimit)
	defer cancel()
	// The client sends nothing; a read error means it went away.
	go func() {
		defer cancel()
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}()
	send := func(ev BuildLogEvent) error {
		b, _ := json.Marshal(ev)
		_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		return conn.WriteMessage(websocket.TextMessage, b)
	}
	d, err := h.p.FollowBuildLog(ctx, project, fn, id, func(s string) error { return send(BuildLogEvent{Type: "log", Data: s}) })
	code, reason := websocket.CloseNormalClosure, ""
	switch {
	case err == nil:
		m := toDeploymentModel(d)
		if send(BuildLogEvent{Type: "done", Deployment: &m}) != nil {
			return
		}
	case errors.Is(err, context.Canceled):
		return // the client left
	default:
		code, reason = websocket.CloseInternalServerErr, "following the build log failed"
		var nf *platform.NotFoundError
		if errors.As(err, &nf) {
			code, reason = websocket.ClosePolicyViolation, "the deployment was deleted"
		}
	}
	_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
}
