package gateway

import (
	"crypto/rand"
	"encoding/hex"

	"github.com/gofiber/fiber/v2"
)

// HeaderRequestID carries the request id on requests and responses.
const HeaderRequestID = "X-Request-Id"

const localRequestID = "kiln.requestID"

// requestIDMiddleware gives every request an id: a sane incoming one is kept
// (so ids follow a request through proxies), anything else is replaced.
func requestIDMiddleware(c *fiber.Ctx) error {
	setRequestID(c)
	return c.Next()
}

func setRequestID(c *fiber.Ctx) {
	id := c.Get(HeaderRequestID)
	if !saneID(id) {
		var b [12]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Locals(localRequestID, id)
	c.Set(HeaderRequestID, id)
}

func saneID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		ok := r == '-' || r == '_' || r == '.' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !ok {
			return false
		}
	}
	return true
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(localRequestID).(string)
	return id
}
