package client

// Function is a function as the API returns it.
type Function struct {
	ID           string     `json:"$id"`
	CreatedAt    string     `json:"$createdAt"`
	UpdatedAt    string     `json:"$updatedAt"`
	Name         string     `json:"name"`
	Runtime      string     `json:"runtime"`
	Enabled      bool       `json:"enabled"`
	Execute      []string   `json:"execute"`
	Events       []string   `json:"events"`
	Schedule     string     `json:"schedule"`
	Timeout      int        `json:"timeout"`
	Entrypoint   string     `json:"entrypoint"`
	Commands     string     `json:"commands"`
	DeploymentID string     `json:"deploymentId"`
	Vars         []Variable `json:"vars"`
}

// FunctionParams creates or updates a function. Zero values are left to the server's defaults.
type FunctionParams struct {
	FunctionID string   `json:"functionId,omitempty"`
	Name       string   `json:"name,omitempty"`
	Runtime    string   `json:"runtime,omitempty"`
	Execute    []string `json:"execute,omitempty"`
	Timeout    int      `json:"timeout,omitempty"`
	Entrypoint string   `json:"entrypoint,omitempty"`
	Commands   string   `json:"commands,omitempty"`
}

// Deployment is a deployment as the API returns it.
type Deployment struct {
	ID            string  `json:"$id"`
	CreatedAt     string  `json:"$createdAt"`
	ResourceID    string  `json:"resourceId"`
	Status        string  `json:"status"`
	Activate      bool    `json:"activate"`
	SourceSize    int64   `json:"sourceSize"`
	BuildSize     int64   `json:"buildSize"`
	BuildLogs     string  `json:"buildLogs"`
	BuildDuration float64 `json:"buildDuration"`
	ABI           string  `json:"abi"`
}

// Finished reports whether the deployment's build is over.
func (d Deployment) Finished() bool {
	return d.Status == "ready" || d.Status == "failed" || d.Status == "canceled"
}

// Header is a request or response header of an execution.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Execution is the record of one invocation.
type Execution struct {
	ID                 string   `json:"$id"`
	CreatedAt          string   `json:"$createdAt"`
	FunctionID         string   `json:"functionId"`
	Trigger            string   `json:"trigger"`
	Status             string   `json:"status"`
	RequestMethod      string   `json:"requestMethod"`
	RequestPath        string   `json:"requestPath"`
	ResponseStatusCode int      `json:"responseStatusCode"`
	ResponseBody       string   `json:"responseBody"`
	ResponseHeaders    []Header `json:"responseHeaders"`
	Logs               string   `json:"logs"`
	Errors             string   `json:"errors"`
	Duration           float64  `json:"duration"`
	Fuel               int64    `json:"fuel"`
	Memory             int64    `json:"memory"`
	Egress             int64    `json:"egress"`
}

// Variable is a function variable; secret values come back empty.
type Variable struct {
	ID     string `json:"$id"`
	Key    string `json:"key"`
	Value  string `json:"value"`
	Secret bool   `json:"secret"`
}
