package gateway

import (
	"time"

	"github.com/kilnhq/kiln/platform"
	"github.com/kilnhq/kiln/store/db"
)

// timeFormat is Appwrite's: ISO 8601 with milliseconds and a numeric zone.
const timeFormat = "2006-01-02T15:04:05.000-07:00"

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeFormat)
}

// functionModel is Appwrite's Function object (response format 1.7) plus
// Kiln's fuel and memory limits.
type functionModel struct {
	ID                        string          `json:"$id"`
	CreatedAt                 string          `json:"$createdAt"`
	UpdatedAt                 string          `json:"$updatedAt"`
	Execute                   []string        `json:"execute"`
	Name                      string          `json:"name"`
	Enabled                   bool            `json:"enabled"`
	Live                      bool            `json:"live"`
	Logging                   bool            `json:"logging"`
	Runtime                   string          `json:"runtime"`
	DeploymentID              string          `json:"deploymentId"`
	DeploymentCreatedAt       string          `json:"deploymentCreatedAt"`
	LatestDeploymentID        string          `json:"latestDeploymentId"`
	LatestDeploymentCreatedAt string          `json:"latestDeploymentCreatedAt"`
	LatestDeploymentStatus    string          `json:"latestDeploymentStatus"`
	Scopes                    []string        `json:"scopes"`
	Vars                      []variableModel `json:"vars"`
	Events                    []string        `json:"events"`
	Schedule                  string          `json:"schedule"`
	Timeout                   int             `json:"timeout"`
	Entrypoint                string          `json:"entrypoint"`
	Commands                  string          `json:"commands"`
	Version                   string          `json:"version"`
	InstallationID            string          `json:"installationId"`
	ProviderRepositoryID      string          `json:"providerRepositoryId"`
	ProviderBranch            string          `json:"providerBranch"`
	ProviderRootDirectory     string          `json:"providerRootDirectory"`
	ProviderSilentMode        bool            `json:"providerSilentMode"`
	Specification             string          `json:"specification"`
	Fuel                      int64           `json:"fuel"`
	MemoryPages               int             `json:"memoryPages"`
}

func toFunctionModel(f db.Function, vars []platform.Variable) functionModel {
	m := functionModel{
		ID: f.ID, CreatedAt: ts(f.CreatedAt), UpdatedAt: ts(f.UpdatedAt), Execute: nonNilStrings(f.Execute),
		Name: f.Name, Enabled: f.Enabled, Live: true, Logging: f.Logging, Runtime: f.Runtime,
		DeploymentID: f.DeploymentID, Scopes: nonNilStrings(f.Scopes), Vars: []variableModel{},
		Events: nonNilStrings(f.Events), Schedule: f.Schedule, Timeout: f.Timeout, Entrypoint: f.Entrypoint,
		Commands: f.Commands, Version: "v5", Specification: "s-1vcpu-512mb", Fuel: f.Fuel, MemoryPages: f.MemoryPages,
	}
	for _, v := range vars {
		m.Vars = append(m.Vars, toVariableModel(v))
	}
	return m
}

// variableModel is Appwrite's Variable object; secret values are "".
type variableModel struct {
	ID           string `json:"$id"`
	CreatedAt    string `json:"$createdAt"`
	UpdatedAt    string `json:"$updatedAt"`
	Key          string `json:"key"`
	Value        string `json:"value"`
	Secret       bool   `json:"secret"`
	ResourceType string `json:"resourceType"`
	ResourceID   string `json:"resourceId"`
}

func toVariableModel(v platform.Variable) variableModel {
	return variableModel{ID: v.ID, CreatedAt: ts(v.CreatedAt), UpdatedAt: ts(v.UpdatedAt), Key: v.Key, Value: v.Value,
		Secret: v.Secret, ResourceType: "function", ResourceID: v.ResourceID}
}

// runtimeModel is Appwrite's Runtime object.
type runtimeModel struct {
	ID       string   `json:"$id"`
	Key      string   `json:"key"`
	Name     string   `json:"name"`
	Version  string   `json:"version"`
	Base     string   `json:"base"`
	Image    string   `json:"image"`
	Logo     string   `json:"logo"`
	Supports []string `json:"supports"`
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
