package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/fasthttp/websocket"
)

// ErrNoLogStream means the server does not stream build logs (an older
// Kiln or another Appwrite-compatible server); poll the deployment instead.
var ErrNoLogStream = errors.New("server does not stream build logs")

// FollowBuildLog streams a deployment's build log over a WebSocket, calling
// onLog with each new part as the builder writes it, and returns the
// deployment once its build has finished.
func (c *Client) FollowBuildLog(ctx context.Context, functionID, id string, onLog func(string)) (Deployment, error) {
	u, err := url.Parse(strings.TrimSuffix(c.Endpoint, "/") + "/functions/" + url.PathEscape(functionID) +
		"/deployments/" + url.PathEscape(id) + "/logs")
	if err != nil {
		return Deployment{}, err
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	}
	h := http.Header{}
	h.Set("X-Appwrite-Project", c.Project)
	if c.Key != "" {
		h.Set("X-Appwrite-Key", c.Key)
	}
	conn, resp, err := websocket.DefaultDialer.DialContext(ctx, u.String(), h)
	if err != nil {
		if resp != nil {
			defer resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusNotFound, http.StatusUpgradeRequired, http.StatusMethodNotAllowed:
				var e Error
				if json.NewDecoder(resp.Body).Decode(&e) == nil && e.Type != "" && e.Type != "general_route_not_found" {
					e.Status = resp.StatusCode
					return Deployment{}, &e
				}
				return Deployment{}, ErrNoLogStream
			}
			var e Error
			if json.NewDecoder(resp.Body).Decode(&e) == nil && e.Message != "" {
				e.Status = resp.StatusCode
				return Deployment{}, &e
			}
			return Deployment{}, fmt.Errorf("following build log: %s", resp.Status)
		}
		return Deployment{}, fmt.Errorf("following build log: %w", err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	for {
		var ev struct {
			Type       string      `json:"type"`
			Data       string      `json:"data"`
			Deployment *Deployment `json:"deployment"`
		}
		if err := conn.ReadJSON(&ev); err != nil {
			if ctx.Err() != nil {
				return Deployment{}, ctx.Err()
			}
			return Deployment{}, fmt.Errorf("following build log: %w", err)
		}
		switch ev.Type {
		case "log":
			if onLog != nil {
				onLog(ev.Data)
			}
		case "done":
			if ev.Deployment == nil {
				return Deployment{}, errors.New("following build log: the server sent no deployment")
			}
			return *ev.Deployment, nil
		}
	}
}
