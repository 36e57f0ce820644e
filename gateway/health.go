package gateway

import (
	"context"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Check is one part of the node that health reports on.
type Check struct {
	Name string
	// Run returns the part's version, or an error when it is down.
	Run func(ctx context.Context) (version string, err error)
}

type partHealth struct {
	Status    string `json:"status"`
	Version   string `json:"version,omitempty"`
	LatencyMS int64  `json:"ping"`
	Error     string `json:"error,omitempty"`
}

// health runs every check concurrently (each bounded to 3s) and answers 200
// when all are ok, 503 otherwise.
func (a *App) health(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 3*time.Second)
	defer cancel()
	results := make([]partHealth, len(a.cfg.Checks))
	var wg sync.WaitGroup
	for i, chk := range a.cfg.Checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			v, err := chk.Run(ctx)
			r := partHealth{Status: "ok", Version: v, LatencyMS: time.Since(start).Milliseconds()}
			if err != nil {
				r.Status, r.Error = "down", err.Error()
			}
			results[i] = r
		}()
	}
	wg.Wait()
	status, code := "ok", fiber.StatusOK
	parts := fiber.Map{}
	for i, chk := range a.cfg.Checks {
		parts[chk.Name] = results[i]
		if results[i].Status != "ok" {
			status, code = "down", fiber.StatusServiceUnavailable
		}
	}
	body := fiber.Map{"status": status, "version": Version, "parts": parts}
	for k, v := range a.cfg.HealthInfo {
		body[k] = v
	}
	return c.Status(code).JSON(body)
}
