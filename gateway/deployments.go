package gateway

import (
	"fmt"
	"github.com/gofiber/contrib/websocket"
	"io"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/kilnhq/kiln/platform"
	"github.com/kilnhq/kiln/store/db"
)

// deploymentModel is Appwrite's Deployment object (response format 1.7).
type deploymentModel struct {
	ID                      string  `json:"$id"`
	CreatedAt               string  `json:"$createdAt"`
	UpdatedAt               string  `json:"$updatedAt"`
	Type                    string  `json:"type"`
	ResourceID              string  `json:"resourceId"`
	ResourceType            string  `json:"resourceType"`
	Entrypoint              string  `json:"entrypoint"`
	SourceSize              int64   `json:"sourceSize"`
	BuildSize               int64   `json:"buildSize"`
	TotalSize               int64   `json:"totalSize"`
	BuildID                 string  `json:"buildId"`
	Activate                bool    `json:"activate"`
	ScreenshotLight         string  `json:"screenshotLight"`
	ScreenshotDark          string  `json:"screenshotDark"`
	Status                  string  `json:"status"`
	BuildLogs               string  `json:"buildLogs"`
	BuildDuration           float64 `json:"buildDuration"`
	ProviderRepositoryName  string  `json:"providerRepositoryName"`
	ProviderRepositoryOwner string  `json:"providerRepositoryOwner"`
	ProviderRepositoryURL   string  `json:"providerRepositoryUrl"`
	ProviderBranch          string  `json:"providerBranch"`
	ProviderCommitHash      string  `json:"providerCommitHash"`
	ProviderCommitAuthorURL string  `json:"providerCommitAuthorUrl"`
	ProviderCommitAuthor    string  `json:"providerCommitAuthor"`
	ProviderCommitMessage   string  `json:"providerCommitMessage"`
	ProviderCommitURL       string  `json:"providerCommitUrl"`
	ProviderBranchURL       string  `json:"providerBranchUrl"`
	// Kiln: the guest contract the build produced and the artifact's hash.
	ABI    string `json:"abi"`
	SHA256 string `json:"sha256"`
}

func toDeploymentModel(d db.Deployment) deploymentModel {
	return deploymentModel{ID: d.ID, CreatedAt: ts(d.CreatedAt), UpdatedAt: ts(d.UpdatedAt), Type: "manual",
		ResourceID: d.FunctionID, ResourceType: "functions", Entrypoint: d.Entrypoint, SourceSize: d.SourceSize,
		BuildSize: d.BuildSize, TotalSize: d.SourceSize + d.BuildSize, BuildID: d.ID, Activate: d.Activate,
		Status: d.Status, BuildLogs: d.BuildLogs, BuildDuration: d.BuildDuration, ABI: d.ABI, SHA256: d.ArtifactSHA256}
}

func (a *App) mountDeployments(r fiber.Router, p *platform.Platform) {
	h := &deploymentsAPI{p: p}
	read, write := requireScope("functions.read"), requireScope("functions.write")
	r.Post("/:functionId/deployments", write, h.create)
	r.Get("/:functionId/deployments", read, h.list)
	r.Get("/:functionId/deployments/:deploymentId", read, h.get)
	r.Delete("/:functionId/deployments/:deploymentId", write, h.delete)
	r.Get("/:functionId/deployments/:deploymentId/download", read, h.download)
	r.Get("/:functionId/deployments/:deploymentId/logs", read, h.followLogs, websocket.New(h.streamLogs))
	r.Patch("/:functionId/deployments/:deploymentId/status", write, h.cancel)
	r.Patch("/:functionId/deployment", write, h.activate)
}

type deploymentsAPI struct{ p *platform.Platform }

// create takes Appwrite's multipart upload: a "code" file (tar.gz),
// "activate", "entrypoint" and "commands" fields, and for chunked uploads a
// Content-Range header plus x-appwrite-id on every chunk after the first.
func (h *deploymentsAPI) create(c *fiber.Ctx) error {
	form, err := c.MultipartForm()
	if err != nil {
		return NewError(fiber.StatusBadRequest, TypeGeneralArgument, "Send the code as multipart/form-data with a \"code\" file: %v", err)
	}
	files := form.File["code"]
	if len(files) != 1 {
		return NewError(fiber.StatusBadRequest, "storage_file_empty", "Param \"code\" must be one file (a tar.gz of the function's folder).")
	}
	field := func(name string) string {
		if v := form.Value[name]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	activate, _ := strconv.ParseBool(field("activate"))
	fh := files[0]
	f, err := fh.Open()
	if err != nil {
		return fmt.Errorf("opening upload: %w", err)
	}
	defer f.Close()
	up := platform.Upload{Body: f, Size: fh.Size, Entrypoint: field("entrypoint"), Commands: field("commands"),
		Activate: activate, UploadID: c.Get("X-Appwrite-Id")}
	if cr := c.Get(fiber.HeaderContentRange); cr != "" {
		if up.Range, err = platform.ParseContentRange(cr); err != nil {
			return err
		}
	}
	d, err := h.p.CreateDeployment(c.UserContext(), principal(c).ProjectID, c.Params("functionId"), up)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(toDeploymentModel(d))
}

func (h *deploymentsAPI) list(c *fiber.Ctx) error {
	queries, err := queryList(c)
	if err != nil {
		return err
	}
	ds, total, err := h.p.ListDeployments(c.UserContext(), principal(c).ProjectID, c.Params("functionId"), queries)
	if err != nil {
		return err
	}
	out := make([]deploymentModel, len(ds))
	for i, d := range ds {
		out[i] = toDeploymentModel(d)
	}
	return c.JSON(fiber.Map{"total": total, "deployments": out})
}

func (h *deploymentsAPI) get(c *fiber.Ctx) error {
	d, err := h.p.GetDeployment(c.UserContext(), principal(c).ProjectID, c.Params("functionId"), c.Params("deploymentId"))
	if err != nil {
		return err
	}
	return c.JSON(toDeploymentModel(d))
}

func (h *deploymentsAPI) delete(c *fiber.Ctx) error {
	if err := h.p.DeleteDeployment(c.UserContext(), principal(c).ProjectID, c.Params("functionId"), c.Params("deploymentId")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *deploymentsAPI) cancel(c *fiber.Ctx) error {
	d, err := h.p.CancelDeployment(c.UserContext(), principal(c).ProjectID, c.Params("functionId"), c.Params("deploymentId"))
	if err != nil {
		return err
	}
	return c.JSON(toDeploymentModel(d))
}

func (h *deploymentsAPI) activate(c *fiber.Ctx) error {
	var b struct {
		DeploymentID string `json:"deploymentId"`
	}
	if err := parseBody(c, &b); err != nil {
		return err
	}
	if b.DeploymentID == "" {
		return NewError(fiber.StatusBadRequest, TypeGeneralArgument, "Param \"deploymentId\" is not optional.")
	}
	pr := principal(c)
	f, err := h.p.ActivateDeployment(c.UserContext(), pr.ProjectID, c.Params("functionId"), b.DeploymentID)
	if err != nil {
		return err
	}
	vars, err := h.p.ListVariables(c.UserContext(), pr.ProjectID, f.ID)
	if err != nil {
		return err
	}
	return c.JSON(toFunctionModel(f, vars))
}

func (h *deploymentsAPI) download(c *fiber.Ctx) error {
	rc, info, err := h.p.OpenDeploymentFile(c.UserContext(), principal(c).ProjectID, c.Params("functionId"), c.Params("deploymentId"), c.Query("type"))
	if err != nil {
		return err
	}
	defer rc.Close()
	name := "source.tar.gz"
	if c.Query("type") == "output" {
		name = "build.wasm"
	}
	c.Set(fiber.HeaderContentType, info.ContentType)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	b, err := io.ReadAll(rc)
	if err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	return c.Send(b)
}
