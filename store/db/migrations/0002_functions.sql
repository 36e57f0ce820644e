-- Functions, their immutable deployments, executions and variables.
CREATE TABLE functions (
    project_id     text NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    id             text NOT NULL,
    name           text NOT NULL,
    runtime        text NOT NULL,
    execute        text[] NOT NULL DEFAULT '{}',
    events         text[] NOT NULL DEFAULT '{}',
    schedule       text NOT NULL DEFAULT '',
    timeout        integer NOT NULL DEFAULT 15,
    enabled        boolean NOT NULL DEFAULT true,
    logging        boolean NOT NULL DEFAULT true,
    entrypoint     text NOT NULL DEFAULT '',
    commands       text NOT NULL DEFAULT '',
    scopes         text[] NOT NULL DEFAULT '{}',
    deployment_id  text NOT NULL DEFAULT '',
    fuel           bigint NOT NULL DEFAULT 0,
    memory_pages   integer NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id)
);

CREATE TABLE deployments (
    project_id       text NOT NULL,
    id               text NOT NULL,
    function_id      text NOT NULL,
    entrypoint       text NOT NULL DEFAULT '',
    commands         text NOT NULL DEFAULT '',
    status           text NOT NULL DEFAULT 'waiting',
    activate         boolean NOT NULL DEFAULT false,
    source_key       text NOT NULL DEFAULT '',
    source_size      bigint NOT NULL DEFAULT 0,
    build_key        text NOT NULL DEFAULT '',
    build_size       bigint NOT NULL DEFAULT 0,
    build_logs       text NOT NULL DEFAULT '',
    build_duration   double precision NOT NULL DEFAULT 0,
    abi              text NOT NULL DEFAULT '',
    artifact_sha256  text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id),
    FOREIGN KEY (project_id, function_id) REFERENCES functions(project_id, id) ON DELETE CASCADE
);
CREATE INDEX deployments_function ON deployments (project_id, function_id, created_at);

CREATE TABLE executions (
    project_id            text NOT NULL,
    id                    text NOT NULL,
    function_id           text NOT NULL,
    deployment_id         text NOT NULL DEFAULT '',
    trigger               text NOT NULL,
    status                text NOT NULL,
    request_method        text NOT NULL DEFAULT '',
    request_path          text NOT NULL DEFAULT '',
    request_headers       jsonb NOT NULL DEFAULT '[]',
    response_status_code  integer NOT NULL DEFAULT 0,
    response_body         text NOT NULL DEFAULT '',
    response_headers      jsonb NOT NULL DEFAULT '[]',
    logs                  text NOT NULL DEFAULT '',
    errors                text NOT NULL DEFAULT '',
    duration              double precision NOT NULL DEFAULT 0,
    fuel                  bigint NOT NULL DEFAULT 0,
    memory                bigint NOT NULL DEFAULT 0,
    egress                bigint NOT NULL DEFAULT 0,
    scheduled_at          timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id)
);
CREATE INDEX executions_function ON executions (project_id, function_id, created_at);

CREATE TABLE variables (
    project_id     text NOT NULL,
    id             text NOT NULL,
    resource_type  text NOT NULL,
    resource_id    text NOT NULL,
    key            text NOT NULL,
    value          bytea NOT NULL,
    secret         boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id),
    UNIQUE (project_id, resource_type, resource_id, key)
);
