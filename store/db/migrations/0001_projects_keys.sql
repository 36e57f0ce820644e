-- Projects are Kiln's tenants; every other row belongs to one.
CREATE TABLE projects (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- API keys: only the sha256 of the secret is stored.
CREATE TABLE api_keys (
    id           text PRIMARY KEY,
    project_id   text NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name         text NOT NULL,
    secret_hash  bytea NOT NULL UNIQUE,
    scopes       text[] NOT NULL DEFAULT '{}',
    expire       timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    accessed_at  timestamptz
);
CREATE INDEX api_keys_project ON api_keys (project_id);
