package gateway

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/kilnhq/kiln/platform"
)

// mountUsers serves the part of Appwrite's Users API Kiln has: minting a
// JWT for an end user of the app, so functions can be called as that user.
func (a *App) mountUsers(p *platform.Platform) {
	r := a.fiber.Group("/v1/users", authenticate(p))
	r.Post("/:userId/jwts", requireScope("users.write"), func(c *fiber.Ctx) error {
		var b struct {
			SessionID string `json:"sessionId"`
			Duration  int    `json:"duration"` // seconds
		}
		if len(c.Body()) > 0 {
			if err := parseBody(c, &b); err != nil {
				return err
			}
		}
		tok, _, err := p.CreateUserJWT(principal(c).ProjectID, c.Params("userId"), b.SessionID, time.Duration(b.Duration)*time.Second)
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(fiber.Map{"jwt": tok})
	})
}
