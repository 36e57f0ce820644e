// Command fiberhello is the baseline of the trigger benchmark: a bare Fiber
// app answering what examples/hello-go answers, with nothing in between.
// It prints its address on stdout and serves until killed.
package main

import (
	"fmt"
	"net"
	"os"

	"github.com/gofiber/fiber/v2"
)

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/", func(c *fiber.Ctx) error {
		name := c.Query("name", "world")
		c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
		return c.SendString("Hello, " + name + "!\n")
	})
	fmt.Println(ln.Addr().String())
	if err := app.Listener(ln); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
