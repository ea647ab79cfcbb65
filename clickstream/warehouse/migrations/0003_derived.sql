-- Derived tables the dashboards read, rebuilt by the ETL for each day a run touched.
-- Sessions are cut at midnight UTC, so every row belongs to exactly one day and a day can be
-- rebuilt from that day's events alone. Roll-ups carry (day, login_state, is_bot) of the
-- session so they can be filtered and summed.

CREATE TABLE sessions (
    day              date        NOT NULL,
    session_id       text        NOT NULL,
    client_id        text,
    user_id          text,
    started_at       timestamptz NOT NULL,
    ended_at         timestamptz NOT NULL,
    duration_seconds double precision NOT NULL,
    events           integer     NOT NULL,
    page_views       integer     NOT NULL,
    pages            integer     NOT NULL,
    landing_page     text,
    exit_page        text,
    product_views    integer     NOT NULL,
    cart_adds        integer     NOT NULL,
    checkouts        integer     NOT NULL,
    purchases        integer     NOT NULL,
    has_purchase     boolean     NOT NULL,
    revenue          numeric(16, 2) NOT NULL,
    login_state      text        NOT NULL,
    is_bounce        boolean     NOT NULL,
    visitor_type     text        NOT NULL CHECK (visitor_type IN ('new', 'returning')),
    is_bot           boolean     NOT NULL,
    device_type      text,
    browser          text,
    os               text,
    referrer         text,
    PRIMARY KEY (day, session_id)
);
CREATE INDEX sessions_dims_idx ON sessions (day, login_state, is_bot);

CREATE TABLE visitor_daily (
    day         date    NOT NULL,
    client_id   text    NOT NULL,
    login_state text    NOT NULL,
    is_bot      boolean NOT NULL,
    sessions    integer NOT NULL,
    events      integer NOT NULL,
    PRIMARY KEY (day, login_state, is_bot, client_id)
);

CREATE TABLE daily_kpis (
    day                 date    NOT NULL,
    login_state         text    NOT NULL,
    is_bot              boolean NOT NULL,
    sessions            integer NOT NULL,
    visitors            integer NOT NULL,
    new_sessions        integer NOT NULL,
    bounces             integer NOT NULL,
    events              bigint  NOT NULL,
    page_views          bigint  NOT NULL,
    product_views       bigint  NOT NULL,
    cart_adds           bigint  NOT NULL,
    checkouts           bigint  NOT NULL,
    purchases           bigint  NOT NULL,
    purchasing_sessions integer NOT NULL,
    revenue             numeric(16, 2) NOT NULL,
    duration_seconds    double precision NOT NULL,
    PRIMARY KEY (day, login_state, is_bot)
);

CREATE TABLE funnel_daily (
    day                    date    NOT NULL,
    login_state            text    NOT NULL,
    is_bot                 boolean NOT NULL,
    sessions               integer NOT NULL,
    reached_page_view      integer NOT NULL,
    reached_product_view   integer NOT NULL,
    reached_add_to_cart    integer NOT NULL,
    reached_begin_checkout integer NOT NULL,
    reached_purchase       integer NOT NULL,
    PRIMARY KEY (day, login_state, is_bot)
);

CREATE TABLE product_daily (
    day         date    NOT NULL,
    product_id  text    NOT NULL,
    login_state text    NOT NULL,
    is_bot      boolean NOT NULL,
    name        text,
    category    text,
    brand       text,
    views       integer NOT NULL,
    cart_adds   integer NOT NULL,
    purchases   integer NOT NULL,
    units       integer NOT NULL,
    revenue     numeric(16, 2) NOT NULL,
    PRIMARY KEY (day, login_state, is_bot, product_id)
);

CREATE TABLE page_daily (
    day         date    NOT NULL,
    page        text    NOT NULL,
    login_state text    NOT NULL,
    is_bot      boolean NOT NULL,
    page_views  integer NOT NULL,
    sessions    integer NOT NULL,
    entrances   integer NOT NULL,
    exits       integer NOT NULL,
    bounces     integer NOT NULL,
    PRIMARY KEY (day, login_state, is_bot, page)
);
