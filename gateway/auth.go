package gateway

import (
	"errors"

	"github.com/gofiber/fiber/v2"
	"github.com/kilnhq/kiln/platform"
)

// Project and key headers: Appwrite's, and Kiln's own names.
const (
	HeaderProject     = "X-Appwrite-Project"
	HeaderKey         = "X-Appwrite-Key"
	HeaderKilnProject = "X-Kiln-Project"
	HeaderKilnKey     = "X-Kiln-Key"
	// HeaderJWT carries a user JWT (see platform.CreateUserJWT).
	HeaderJWT = "X-Appwrite-JWT"
)

const localPrincipal = "kiln.principal"

// authenticate resolves the request's project and key into a principal.
func authenticate(p *platform.Platform) fiber.Handler {
	return func(c *fiber.Ctx) error {
		project := c.Get(HeaderProject)
		if project == "" {
			project = c.Get(HeaderKilnProject)
		}
		key := c.Get(HeaderKey)
		if key == "" {
			key = c.Get(HeaderKilnKey)
		}
		if project == "" {
			return NewError(fiber.StatusBadRequest, "project_not_found",
				"No project given: send the project id in the %s header.", HeaderProject)
		}
		pr, err := authenticateCaller(c, p, project, key)
		if err != nil {
			return err
		}
		c.Locals(localPrincipal, pr)
		return c.Next()
	}
}

// authenticateCaller resolves the project, the API key and a user JWT of a
// request into its principal.
func authenticateCaller(c *fiber.Ctx, p *platform.Platform, project, key string) (platform.Principal, error) {
	pr, err := p.Authenticate(c.UserContext(), project, key)
	if err != nil {
		return pr, err
	}
	if tok := c.Get(HeaderJWT); tok != "" {
		if pr.UserID, err = p.UserFromJWT(project, tok); err != nil {
			return platform.Principal{}, err
		}
	}
	return pr, nil
}

// principal returns the authenticated principal of the request.
func principal(c *fiber.Ctx) platform.Principal {
	pr, _ := c.Locals(localPrincipal).(platform.Principal)
	return pr
}

// requireScope rejects requests whose principal lacks scope.
func requireScope(scope string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		pr := principal(c)
		if !pr.Can(scope) {
			role := "guests"
			if pr.KeyID != "" {
				role = "applications"
			}
			return NewError(fiber.StatusUnauthorized, TypeGeneralUnauthorized,
				"The current user or API key (role: %s) is missing the scope (%s).", role, scope)
		}
		return c.Next()
	}
}

// mapPlatformError maps domain errors to Appwrite's error types.
func mapPlatformError(err error) *APIError {
	var nf *platform.NotFoundError
	var cf *platform.ConflictError
	var inv *platform.InvalidError
	switch {
	case errors.Is(err, platform.ErrProjectNotFound):
		return NewError(fiber.StatusNotFound, "project_not_found", "Project with the requested ID could not be found.")
	case errors.Is(err, platform.ErrKeyInvalid):
		return NewError(fiber.StatusUnauthorized, TypeGeneralUnauthorized, "The API key is invalid for this project.")
	case errors.Is(err, platform.ErrJWTInvalid):
		return NewError(fiber.StatusUnauthorized, "user_jwt_invalid", "The JWT is invalid, expired or for another project: %v", err)
	case errors.Is(err, platform.ErrKeyExpired):
		return NewError(fiber.StatusUnauthorized, "project_key_expired", "The API key has expired.")
	case errors.Is(err, platform.ErrFunctionDisabled):
		return NewError(fiber.StatusForbidden, "function_disabled", "The function is disabled: enable it to execute it.")
	case errors.Is(err, platform.ErrNoDeployment):
		return NewError(fiber.StatusNotFound, "deployment_not_found", "The function has no active deployment: deploy and activate one first.")
	case errors.Is(err, platform.ErrNotAllowed):
		return NewError(fiber.StatusUnauthorized, "user_unauthorized", "The caller is not allowed to execute this function.")
	case errors.Is(err, platform.ErrNoRunner):
		return NewError(fiber.StatusServiceUnavailable, TypeGeneralServiceDisabled, "This node does not run functions.")
	case errors.Is(err, platform.ErrTooLarge):
		return NewError(fiber.StatusRequestEntityTooLarge, TypePayloadTooLarge, "%v", err)
	case errors.As(err, &nf):
		return NewError(fiber.StatusNotFound, nf.Kind+"_not_found", "%s with the requested ID could not be found.", titleCase(nf.Kind))
	case errors.As(err, &cf):
		return NewError(fiber.StatusConflict, cf.Kind+"_already_exists", "%s with the requested ID already exists.", titleCase(cf.Kind))
	case errors.As(err, &inv):
		typ := TypeGeneralArgument
		switch {
		case len(inv.Msg) > 13 && inv.Msg[:13] == "Invalid query":
			typ = "general_query_invalid"
		case len(inv.Msg) > 15 && inv.Msg[:15] == "Unknown runtime":
			typ = "function_runtime_unsupported"
		}
		return NewError(fiber.StatusBadRequest, typ, "%s", inv.Msg)
	}
	return nil
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-32) + s[1:]
}
