CREATE TABLE apps (
    id TEXT COLLATE "C" PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL,
    config TEXT NOT NULL,
    annotations TEXT NOT NULL,
    syslog_url TEXT,
    shape TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT apps_name_key UNIQUE (name)
);

CREATE TABLE fns (
    id TEXT COLLATE "C" PRIMARY KEY,
    app_id TEXT COLLATE "C" NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    name TEXT COLLATE "C" NOT NULL,
    image TEXT NOT NULL,
    memory INTEGER NOT NULL,
    timeout INTEGER NOT NULL,
    idle_timeout INTEGER NOT NULL,
    config TEXT NOT NULL,
    annotations TEXT NOT NULL,
    shape TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT fns_name_key UNIQUE (app_id, name)
);

CREATE TABLE triggers (
    id TEXT COLLATE "C" PRIMARY KEY,
    app_id TEXT COLLATE "C" NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    fn_id TEXT COLLATE "C" NOT NULL REFERENCES fns (id) ON DELETE CASCADE,
    name TEXT COLLATE "C" NOT NULL,
    type TEXT NOT NULL,
    source TEXT COLLATE "C" NOT NULL,
    annotations TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT triggers_name_key UNIQUE (app_id, fn_id, name),
    CONSTRAINT triggers_source_key UNIQUE (app_id, type, source)
);

CREATE INDEX triggers_list_idx ON triggers (app_id, name, id);
CREATE INDEX triggers_fn_idx ON triggers (fn_id);
