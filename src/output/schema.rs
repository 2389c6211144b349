//! The output contract: every table's name, columns, types and meaning.
//!
//! Declared once, statically, so that the Parquet schema, the field
//! descriptions embedded in each file, `logveil schema` and the README's
//! schema section all come from the same place (a test checks the README).

use std::fmt::Write;

/// A column's logical type and its Parquet/Arrow physical type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// `TIMESTAMP(MICROS, UTC)`.
    Timestamp,
    /// `DATE` (days since 1970-01-01).
    Date,
    /// UTF-8 string.
    Utf8,
    /// 64-bit signed integer.
    Int64,
    /// 32-bit signed integer.
    Int32,
    /// Boolean.
    Bool,
    /// 64-bit float.
    Float64,
    /// 64-bit float, null where there is no value.
    OptFloat64,
    /// 64-bit signed integer, null where withheld or not applicable.
    OptInt64,
    /// 32-bit signed integer, null where withheld or not applicable.
    OptInt32,
}

impl ColumnType {
    /// Name as DuckDB and the README show it.
    pub fn sql_name(self) -> &'static str {
        match self {
            ColumnType::Timestamp => "TIMESTAMP WITH TIME ZONE (UTC, µs)",
            ColumnType::Date => "DATE",
            ColumnType::Utf8 => "VARCHAR",
            ColumnType::Int64 => "BIGINT",
            ColumnType::Int32 => "INTEGER",
            ColumnType::Bool => "BOOLEAN",
            ColumnType::Float64 => "DOUBLE",
            ColumnType::OptFloat64 => "DOUBLE (nullable)",
            ColumnType::OptInt64 => "BIGINT (nullable)",
            ColumnType::OptInt32 => "INTEGER (nullable)",
        }
    }

    /// Whether the column may hold nulls.
    pub fn nullable(self) -> bool {
        matches!(
            self,
            ColumnType::OptFloat64 | ColumnType::OptInt64 | ColumnType::OptInt32
        )
    }
}

/// One column.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    /// Column name.
    pub name: &'static str,
    /// Type.
    pub ty: ColumnType,
    /// What the column means.
    pub doc: &'static str,
}

/// One table.
#[derive(Debug, Clone, Copy)]
pub struct TableSpec {
    /// Table name, also the file stem (`<name>.parquet`).
    pub name: &'static str,
    /// What a row is.
    pub doc: &'static str,
    /// Columns in file order.
    pub columns: &'static [ColumnSpec],
    /// The row order, in words.
    pub order: &'static str,
}

const fn col(name: &'static str, ty: ColumnType, doc: &'static str) -> ColumnSpec {
    ColumnSpec { name, ty, doc }
}

use ColumnType::*;

const DAY: ColumnSpec = col(
    "day",
    Date,
    "Calendar day of the requests (UTC unless a report time zone is set).",
);
const ZOOM_DAY: ColumnSpec = col(
    "day",
    Date,
    "UTC calendar day (of the meeting's start, the join, or the event).",
);
const SITE: ColumnSpec = col(
    "site",
    Utf8,
    "Virtual host (lower-cased, no port), or the `--site` label, or `(default)`; `(other site)` for the sites with fewer than k visitors on the day, and for host names that look like an address or an e-mail.",
);
const REQUESTS: ColumnSpec = col("requests", Int64, "Requests (parsed log lines) in the row.");
const VISITORS: ColumnSpec = col(
    "visitors",
    Int64,
    "Exact number of distinct client pseudonyms in the row. Pseudonyms rotate with the key epoch (a day by default), so a visitor seen on two days of a longer window counts twice there.",
);

const PATH: ColumnSpec = col(
    "path",
    Utf8,
    "Request path without query string, fragment or `;` parameters; id-like segments (5+ digit runs, UUIDs, long hex or token strings, e-mail-like or IP-like segments) replaced by `{id}`. Unparseable requests are `(invalid request)`, `\"\"` is `(empty request)`, `-` is `(no request)`.",
);
const PAGE_BYTES: ColumnSpec = col("bytes", Int64, "Response bytes sent.");
const ERRORS: ColumnSpec = col("errors", Int64, "Responses with status ≥ 400.");
const NOT_FOUND: ColumnSpec = col(
    "not_found",
    Int64,
    "Responses with status 404: the page's \"not found\" count.",
);
const REQUEST_CLASS: ColumnSpec = col(
    "class",
    Utf8,
    "Request class of the path, by the policy's `[classes]` rules, whose defaults are: `api` (`/api/`, `/graphql`, `/wp-json/`, `/rest/`, `/v1/`, `/v2/`, `.json`), `feed` (`/feed`, `/rss`, `/atom`, `.rss`, `.atom`, `.xml`), `static` (style, script, image, font and media files by extension), `download` (documents and archives: pdf, zip, office files, …), `page` otherwise, `other` for the folded and reserved rows. A site whose pages end in `.json`, or whose assets have no extension, lists its own prefixes and extensions in the policy.",
);
const PAGE_LATENCY_P50: ColumnSpec = col(
    "latency_p50_ms",
    OptFloat64,
    "Median time to serve the path in milliseconds, where the log format carries one (`%D`, `%T`, `$request_time`); null otherwise. From a mergeable log-bucket sketch: within 1% of a true value at that rank.",
);
const PAGE_LATENCY_P95: ColumnSpec = col(
    "latency_p95_ms",
    OptFloat64,
    "95th percentile time to serve the path, as above.",
);
const BOT_REQUESTS: ColumnSpec = col(
    "bot_requests",
    Int64,
    "Requests from crawlers and scripted HTTP clients (`web_clients.is_bot`); `requests - bot_requests` are the human (or unrecognised) ones.",
);
const STATUS_2XX: ColumnSpec = col("status_2xx", Int64, "Requests answered 200–299.");
const STATUS_3XX: ColumnSpec = col("status_3xx", Int64, "Requests answered 300–399.");
const STATUS_4XX: ColumnSpec = col("status_4xx", Int64, "Requests answered 400–499.");
const STATUS_5XX: ColumnSpec = col("status_5xx", Int64, "Requests answered 500–599.");
const REFERRER_HOST: ColumnSpec = col(
    "referrer_host",
    Utf8,
    "Host of the `Referer` (lower-cased, no port, no credentials); `(direct)` when absent, `(ip address)` for IP-literal hosts, `(invalid)` for values that are not URLs.",
);
const BROWSER: ColumnSpec = col(
    "browser",
    Utf8,
    "Browser, crawler or HTTP-library family. Browsers: `Chrome`, `Safari`, `Firefox`, `Edge`, `Opera`, `Samsung Internet`, `Yandex`, `UC Browser`, `Brave`, `Vivaldi`, `Silk`, `SeaMonkey`, `Internet Explorer`; a browser counts as itself when its agent names it with its own token, otherwise as the engine family it claims (Chromium browsers as `Chrome`, Gecko forks as `Firefox`, WebKit as `Safari`). `In-app` is traffic from inside a native app: its web view (Facebook, Instagram, WeChat, Android WebView, iOS web views) or its own HTTP stack (`CFNetwork`, `Dalvik`). Crawlers: a named family (`Googlebot`, `Bingbot`, `GPTBot`, …) or `Other bot`; scripts: `curl`, `python-requests`, …. `Other` for an agent no family matches, `(none)` without an agent, `(other)` on the row that folds classes below k.",
);
const OS: ColumnSpec = col(
    "os",
    Utf8,
    "Operating-system family: `Windows`, `macOS`, `iOS`, `iPadOS`, `Android`, `Linux`, `ChromeOS`, `Windows Phone`, `BlackBerry`, `KaiOS`, `Symbian`, `HarmonyOS`, `Tizen`, `webOS`, `watchOS`, `tvOS`, `FreeBSD`, `BSD`; `Other` when the agent names none of them (always for crawlers), `(none)` without an agent, `(other)` on the row that folds classes below k.",
);
const DEVICE: ColumnSpec = col(
    "device",
    Utf8,
    "`desktop`, `mobile` (phones and feature phones), `tablet`, `bot` (crawlers) or `other` (TVs, set-top boxes, consoles, headsets, watches, scripts, unknown).",
);
const IS_BOT: ColumnSpec = col(
    "is_bot",
    Bool,
    "Whether the agent is automated: a named crawler, a scripted HTTP client, or an agent that gives itself away by its build (a job word such as monitor, checker or scanner in a product name, a library or SDK name, a contact URL or e-mail, or product tokens with no browser, OS or device at all). Crawlers that copy a browser's agent exactly count as that browser.",
);
const TERM: ColumnSpec = col("term", Utf8, "The cleaned term, `(redacted)` or `(other)`.");
const SEARCHES: ColumnSpec = col("searches", Int64, "Searches for the term.");

/// Requests per hour and site.
pub static WEB_TRAFFIC: TableSpec = TableSpec {
    name: "web_traffic",
    doc: "Traffic per hour and site (of the report time zone, UTC unless set). Quiet hours are not published one by one: adjacent hours of a day and site merge into one bucket until it has k distinct visitors (policy, default 10), and a quiet end of the day joins the day's last bucket; `hour` is the bucket's start and `hours` its span. A day and site with fewer than k visitors in all is withheld from every table. Plot `requests / hours` for an hourly rate.",
    columns: &[
        col(
            "hour",
            Timestamp,
            "Start of the hour, or of the bucket of quiet hours.",
        ),
        col(
            "hours",
            Int32,
            "Hours the row spans (1 for an hour published on its own; hours inside the span without requests count).",
        ),
        SITE,
        REQUESTS,
        col(
            "bytes",
            Int64,
            "Response bytes sent (`%b`/`%O`; `-` counts as 0).",
        ),
        VISITORS,
        STATUS_2XX,
        STATUS_3XX,
        STATUS_4XX,
        STATUS_5XX,
        BOT_REQUESTS,
        col("get_requests", Int64, "Requests with method GET."),
        col("post_requests", Int64, "Requests with method POST."),
        col("head_requests", Int64, "Requests with method HEAD."),
        col(
            "other_method_requests",
            Int64,
            "Requests with any other method (PUT, OPTIONS, PROPFIND, scanners' junk), or with no readable request line.",
        ),
        col(
            "http1_requests",
            Int64,
            "Requests over HTTP/0.9, 1.0 or 1.1. With `http2_requests` and `http3_requests` this adds up to `requests` only where the log format records the protocol.",
        ),
        col("http2_requests", Int64, "Requests over HTTP/2."),
        col("http3_requests", Int64, "Requests over HTTP/3."),
        col(
            "requests_on_campus",
            OptInt64,
            "Requests from the policy's `network.on_campus` networks (0 when none are configured). The flag is computed from the address in memory; addresses are never stored. Null when the on-campus or the off-campus visitors of the row number between 1 and k − 1, since the split would describe them.",
        ),
        col(
            "visitors_on_campus",
            OptInt64,
            "Distinct visitor pseudonyms among those requests; null as above.",
        ),
        col(
            "latency_p50_ms",
            OptFloat64,
            "Median response time in milliseconds, where the log format carries one (`%D`, `%T`, `$request_time`); null otherwise. From a mergeable log-bucket sketch: within 1% of a true value at that rank.",
        ),
        col(
            "latency_p95_ms",
            OptFloat64,
            "95th percentile response time, as above.",
        ),
        col(
            "latency_p99_ms",
            OptFloat64,
            "99th percentile response time, as above.",
        ),
    ],
    order: "hour, site",
};

/// Requests per day, site and path.
pub static WEB_PAGES: TableSpec = TableSpec {
    name: "web_pages",
    doc: "Requests per day, site and path, with the path's request class, status classes and bot requests (so \"404s by page\" is `not_found`, and \"top human pages\" `requests - bot_requests` where `class = 'page'`). Paths with fewer than k distinct visitors (policy, default 10) fold into a `(other)` row per day and site; while that row is below k, the smallest published paths join it. So every row has at least k visitors and a day's rows add up to the day's totals in every web table. Sites with fewer than k visitors on a day fold into `(other site)`; a day and site below k in all is withheld from every table.",
    columns: &[
        DAY,
        SITE,
        PATH,
        REQUEST_CLASS,
        REQUESTS,
        VISITORS,
        PAGE_BYTES,
        ERRORS,
        NOT_FOUND,
        STATUS_2XX,
        STATUS_3XX,
        STATUS_4XX,
        STATUS_5XX,
        BOT_REQUESTS,
        PAGE_LATENCY_P50,
        PAGE_LATENCY_P95,
    ],
    order: "day, site, path",
};

/// Requests per day, site and status.
pub static WEB_STATUS: TableSpec = TableSpec {
    name: "web_status",
    doc: "Requests per day, site and HTTP status. Statuses with fewer than k distinct visitors fold into one row whose `status` is null, as `(other)` rows do in `web_pages`.",
    columns: &[
        DAY,
        SITE,
        col(
            "status",
            OptInt32,
            "HTTP status code; 0 when no response was sent (the client went away first); null for the row of folded small statuses.",
        ),
        REQUESTS,
        VISITORS,
    ],
    order: "day, site, status",
};

/// Requests per day, site and referrer host.
pub static WEB_REFERRERS: TableSpec = TableSpec {
    name: "web_referrers",
    doc: "Requests per day, site and referring host. Hosts with fewer than k distinct visitors fold into `(other)` as in `web_pages`.",
    columns: &[DAY, SITE, REFERRER_HOST, REQUESTS, VISITORS],
    order: "day, site, referrer_host",
};

/// Requests per day, site and client class.
pub static WEB_CLIENTS: TableSpec = TableSpec {
    name: "web_clients",
    doc: "Requests per day, site and coarse client class derived from the User-Agent. Classes with fewer than k distinct visitors fold into an `(other)` row (all labels `(other)`, `is_bot` false).",
    columns: &[DAY, SITE, BROWSER, OS, DEVICE, IS_BOT, REQUESTS, VISITORS],
    order: "day, site, browser, os, device, is_bot",
};

/// Site-search terms per day and site.
pub static WEB_SEARCH_TERMS: TableSpec = TableSpec {
    name: "web_search_terms",
    doc: "Site-search terms per day and site, from the policy's search endpoints and parameters. Terms are URL-decoded, NFKC-normalised, lower-cased, whitespace-collapsed and capped in length; a term that looks like an e-mail, phone number, IP address, long number or id is `(redacted)` as a whole. Terms with fewer than k distinct searchers fold into `(other)`, which the smallest published terms join while it is below k; a day whose searchers are fewer than k publishes no term.",
    columns: &[
        DAY,
        SITE,
        TERM,
        SEARCHES,
        col(
            "searchers",
            Int64,
            "Distinct visitor pseudonyms who searched for it.",
        ),
    ],
    order: "day, site, term",
};

/// Requests per day, site, browser family and major version.
pub static WEB_BROWSER_VERSIONS: TableSpec = TableSpec {
    name: "web_browser_versions",
    doc: "Requests per day, site, browser family and major version, for browsers whose User-Agent states a version (crawlers, scripted clients and agents of no known browser are not in this table, so it adds up to the browsers' requests, not the day's). A version with fewer than k distinct visitors folds into a `(other)` row per day and site, as in `web_pages`; `web_clients` has the families without versions.",
    columns: &[
        DAY,
        SITE,
        col(
            "browser",
            Utf8,
            "Browser family, as in `web_clients.browser`; `(other)` for the folded row.",
        ),
        col(
            "major",
            OptInt32,
            "Major version the agent states (`Chrome/120` → 120; Safari's `Version/17` → 17); null for the folded row.",
        ),
        REQUESTS,
        VISITORS,
    ],
    order: "day, site, browser, major",
};

/// Sessions per day and site.
pub static WEB_SESSIONS: TableSpec = TableSpec {
    name: "web_sessions",
    doc: "Sessions per day and site. A session is one visitor pseudonym's requests with no gap longer than the policy's `sessions.gap_minutes` (default 30), and it ends at midnight (UTC unless a report time zone is set), so a day's row covers exactly the day's requests and visitors (its `visitors` are the day's distinct visitors). Human sessions are those with at least one page view: a request of class `page` (see `web_pages.class`) from a client that is not a bot; the page-view columns describe them, as GoAccess and web analytics count bounce and pages per session.",
    columns: &[
        DAY,
        SITE,
        col("sessions", Int64, "Sessions that started on the day."),
        col(
            "visitors",
            Int64,
            "Distinct visitor pseudonyms of the day (every visitor has a session).",
        ),
        col(
            "requests",
            Int64,
            "Requests of the day's sessions: the day's requests, as in every other web table.",
        ),
        col(
            "avg_session_seconds",
            Float64,
            "Mean time from first to last request of a session (0 for one request).",
        ),
        col("median_session_seconds", Float64, "Median of the same."),
        col(
            "requests_per_session",
            Float64,
            "Mean requests per session, assets and bots included.",
        ),
        col(
            "human_sessions",
            OptInt64,
            "Sessions with at least one page view. Null, with the three columns after it, when the visitors with a human session or those with another session number between 1 and k − 1, since the split would describe them.",
        ),
        col("page_views", OptInt64, "Page views of the human sessions."),
        col(
            "pages_per_session",
            OptFloat64,
            "Mean page views per human session.",
        ),
        col(
            "bounce_rate",
            OptFloat64,
            "Share of human sessions with a single page view (0–1).",
        ),
    ],
    order: "day, site",
};

/// Zoom meetings.
pub static ZOOM_MEETINGS: TableSpec = TableSpec {
    name: "zoom_meetings",
    doc: "One row per Zoom meeting occurrence (a weekly meeting gives one row per week: Zoom's occurrence uuid, else meeting id and start time) with at least k distinct participants (policy `suppression.k`, or `zoom.sensitive_k` for meetings of sensitive hosts under `raise_k`, and for meetings whose host is unknown whenever `sensitive_hosts` is set; meetings of sensitive hosts are left out entirely under the default `exclude`). The day's smaller meetings fold into one `(other)` row, which the smallest published meetings join while it is below k, so a day's meetings add up to the day's attendance; a day below k is withheld. Participants are counted conservatively: an e-mail and a display name on one row are one person, across the whole run, and display names are normalised first (case, Unicode width, ` (Host)`/` (Co-host)`/` (Guest)`/`(Me)`, pronoun notes, `'s iPhone` and other device suffixes), so one person under two identities counts once, and two people sharing a name may count as one. A person who rejoins counts once and their minutes are the union of their sessions.",
    columns: &[
        col(
            "meeting",
            Utf8,
            "Meeting pseudonym (16 hex digits); stable for a key and epoch, meaningless without the key. `(other)` for the day's meetings below their threshold, folded together (its `start_hour` is the day's midnight).",
        ),
        ZOOM_DAY,
        col(
            "start_hour",
            Timestamp,
            "UTC hour the meeting started (its start time, or its first join).",
        ),
        col(
            "duration_minutes",
            OptInt64,
            "Minutes from start to end (or first join to last leave); null for `(other)`.",
        ),
        col(
            "sessions",
            Int64,
            "Join sessions (rows): a person who drops and rejoins has several.",
        ),
        col("unique_participants", Int64, "Distinct participants."),
        col(
            "participant_minutes",
            Float64,
            "Sum over participants of the union of their sessions, in minutes.",
        ),
        col("guests", Int64, "Distinct participants flagged as guests."),
        col(
            "median_minutes_per_participant",
            Float64,
            "Median of the same per-participant minutes.",
        ),
    ],
    order: "day, start_hour, meeting",
};

/// Zoom attendance by affiliation.
pub static ZOOM_ATTENDANCE: TableSpec = TableSpec {
    name: "zoom_attendance",
    doc: "Zoom attendance per UTC day (of the meeting's start, else the join), affiliation and device; minutes are per meeting and person, as in `zoom_meetings`. Affiliation comes from the e-mail domain through the policy's `zoom.affiliations` map (`external` otherwise, `unknown` without e-mail). Groups with fewer than k distinct users fold into `(other)`, lifted to k as in `web_pages`.",
    columns: &[
        ZOOM_DAY,
        col(
            "affiliation",
            Utf8,
            "Affiliation label, `external`, `unknown` or `(other)`.",
        ),
        col(
            "device",
            Utf8,
            "Device or client class where the data has one, else `unknown`.",
        ),
        col("sessions", Int64, "Join sessions."),
        col("users", Int64, "Distinct participant pseudonyms."),
        col(
            "minutes",
            Float64,
            "Sum over users of the union of their sessions, in minutes.",
        ),
    ],
    order: "day, affiliation, device",
};

/// Zoom concurrency.
pub static ZOOM_CONCURRENCY: TableSpec = TableSpec {
    name: "zoom_concurrency",
    doc: "Concurrent Zoom participants per UTC hour, across the meetings that `zoom_meetings` publishes on their own (never sensitive meetings, never those folded into `(other)`), from a sweep over join and leave events (a person's overlapping sessions in one meeting count once). Hours with someone present have a row; quiet hours merge into buckets of at least k distinct participants within a day, as in `web_traffic`, and a day below k is withheld.",
    columns: &[
        col(
            "hour",
            Timestamp,
            "Start of the UTC hour, or of the bucket of quiet hours.",
        ),
        col("hours", Int32, "Hours the row spans."),
        col(
            "peak_concurrent",
            Int64,
            "Most participants present at once during the row's hours.",
        ),
        col("joins", Int64, "Sessions that started in the row's hours."),
        col("leaves", Int64, "Sessions that ended in the row's hours."),
        col(
            "participants",
            Int64,
            "Distinct participants present during the row's hours.",
        ),
    ],
    order: "hour",
};

/// Zoom sign-ins.
pub static ZOOM_SIGNINS: TableSpec = TableSpec {
    name: "zoom_signins",
    doc: "Zoom sign-in and sign-out events per UTC day, type, client type and major version. Rows with fewer than k distinct users fold into `(other)`.",
    columns: &[
        ZOOM_DAY,
        col("type", Utf8, "`sign in`, `sign out`, or `(other)`."),
        col(
            "client_type",
            Utf8,
            "Client type as exported (`Browser`, `Windows`, …).",
        ),
        col("version_major", Utf8, "Major client version, or `unknown`."),
        col("events", Int64, "Events."),
        col("users", Int64, "Distinct account pseudonyms."),
        col(
            "networks",
            Int64,
            "Distinct pseudonyms of the addresses the events came from.",
        ),
    ],
    order: "day, type, client_type, version_major",
};

/// The visitors column of a table over a period.
const PERIOD_VISITORS: ColumnSpec = col(
    "visitors",
    Int64,
    "Exact number of distinct client pseudonyms in the row over the whole period: a visitor who came back on several of its days counts once.",
);

/// The site column of a table over a period.
const PERIOD_SITE: ColumnSpec = col(
    "site",
    Utf8,
    "As in the daily tables, but `(other site)` gathers the sites with fewer than k visitors over the period.",
);

/// The tables of one period grain, declared together since they differ
/// only in the period column and the words for it.
macro_rules! period_tables {
    ($suffix:literal, $key:literal, $period:literal, $epochs:literal, $grain:expr,
     $sites:ident, $pages:ident, $referrers:ident, $clients:ident, $search:ident) => {
        #[doc = concat!("Requests, visitors and sessions per ", $period, " and site.")]
        pub static $sites: TableSpec = TableSpec {
            name: concat!("web_sites_", $suffix),
            doc: concat!(
                "Requests, exact distinct visitors and sessions per ", $period, " and site. Published only by runs that keep a private state, under a key epoch of ", $epochs, ": pseudonyms then stay the same over the period, so a visitor counts once in it, where a sum of the daily rows counts them once per day. Each period is rebuilt from the private partials of all its days whenever one of them is re-published, and goes through the same disclosure control as the daily tables, over the period: a site with fewer than k visitors in the period folds into `(other site)`, withheld while that is still below k. A period some of whose days' partials retention deleted is not rebuilt (the manifest lists it)."
            ),
            columns: &[
                $grain,
                PERIOD_SITE,
                REQUESTS,
                PERIOD_VISITORS,
                col(
                    "sessions",
                    Int64,
                    "Sessions in the period (each lies in one day, so this is the sum of the days' sessions).",
                ),
            ],
            order: concat!($key, ", site"),
        };

        #[doc = concat!("Requests per ", $period, ", site and path.")]
        pub static $pages: TableSpec = TableSpec {
            name: concat!("web_pages_", $suffix),
            doc: concat!(
                "`web_pages` per ", $period, " instead of per day (see `web_sites_", $suffix, "` for when it is published): paths with fewer than k distinct visitors in the period fold into `(other)` as in `web_pages`."
            ),
            columns: &[
                $grain, PERIOD_SITE, PATH, REQUEST_CLASS, REQUESTS, PERIOD_VISITORS,
                PAGE_BYTES, ERRORS, NOT_FOUND, STATUS_2XX, STATUS_3XX, STATUS_4XX, STATUS_5XX,
                BOT_REQUESTS, PAGE_LATENCY_P50, PAGE_LATENCY_P95,
            ],
            order: concat!($key, ", site, path"),
        };

        #[doc = concat!("Requests per ", $period, ", site and referrer host.")]
        pub static $referrers: TableSpec = TableSpec {
            name: concat!("web_referrers_", $suffix),
            doc: concat!(
                "`web_referrers` per ", $period, " (see `web_sites_", $suffix, "`), folded over the period as in `web_pages`."
            ),
            columns: &[$grain, PERIOD_SITE, REFERRER_HOST, REQUESTS, PERIOD_VISITORS],
            order: concat!($key, ", site, referrer_host"),
        };

        #[doc = concat!("Requests per ", $period, ", site and client class.")]
        pub static $clients: TableSpec = TableSpec {
            name: concat!("web_clients_", $suffix),
            doc: concat!(
                "`web_clients` per ", $period, " (see `web_sites_", $suffix, "`), folded over the period as in `web_clients`."
            ),
            columns: &[$grain, PERIOD_SITE, BROWSER, OS, DEVICE, IS_BOT, REQUESTS, PERIOD_VISITORS],
            order: concat!($key, ", site, browser, os, device, is_bot"),
        };

        #[doc = concat!("Site-search terms per ", $period, " and site.")]
        pub static $search: TableSpec = TableSpec {
            name: concat!("web_search_terms_", $suffix),
            doc: concat!(
                "`web_search_terms` per ", $period, " (see `web_sites_", $suffix, "`), folded over the period as in `web_search_terms`."
            ),
            columns: &[
                $grain,
                PERIOD_SITE,
                TERM,
                SEARCHES,
                col(
                    "searchers",
                    Int64,
                    "Exact number of distinct visitor pseudonyms who searched for it in the period.",
                ),
            ],
            order: concat!($key, ", site, term"),
        };
    };
}

period_tables!(
    "weekly",
    "week",
    "ISO week (Monday to Sunday)",
    "`week` or `never`",
    col(
        "week",
        Date,
        "First day (Monday) of the ISO week; the partition key, `week=YYYY-MM-DD`."
    ),
    WEB_SITES_WEEKLY,
    WEB_PAGES_WEEKLY,
    WEB_REFERRERS_WEEKLY,
    WEB_CLIENTS_WEEKLY,
    WEB_SEARCH_TERMS_WEEKLY
);

period_tables!(
    "monthly",
    "month",
    "calendar month",
    "`month` or `never`",
    col(
        "month",
        Date,
        "First day of the calendar month; the partition key, `month=YYYY-MM-01`."
    ),
    WEB_SITES_MONTHLY,
    WEB_PAGES_MONTHLY,
    WEB_REFERRERS_MONTHLY,
    WEB_CLIENTS_MONTHLY,
    WEB_SEARCH_TERMS_MONTHLY
);

/// The grain of a period table: its rows and its Hive partitions span an
/// ISO week or a calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grain {
    /// ISO weeks, Monday to Sunday.
    Week,
    /// Calendar months.
    Month,
}

/// One grain's tables, and the daily table whose policy settings (a
/// per-table `k`) each follows.
#[derive(Debug, Clone, Copy)]
pub struct PeriodTables {
    /// Requests, visitors and sessions per period and site.
    pub sites: &'static TableSpec,
    /// Per period, site and path.
    pub pages: &'static TableSpec,
    /// Per period, site and referrer host.
    pub referrers: &'static TableSpec,
    /// Per period, site and client class.
    pub clients: &'static TableSpec,
    /// Per period, site and search term.
    pub search: &'static TableSpec,
}

impl Grain {
    /// Both grains.
    pub const ALL: [Grain; 2] = [Grain::Week, Grain::Month];

    /// The partition key and period column: `week` or `month`.
    pub fn key(self) -> &'static str {
        match self {
            Grain::Week => "week",
            Grain::Month => "month",
        }
    }

    /// The grain's tables.
    pub fn tables(self) -> PeriodTables {
        match self {
            Grain::Week => PeriodTables {
                sites: &WEB_SITES_WEEKLY,
                pages: &WEB_PAGES_WEEKLY,
                referrers: &WEB_REFERRERS_WEEKLY,
                clients: &WEB_CLIENTS_WEEKLY,
                search: &WEB_SEARCH_TERMS_WEEKLY,
            },
            Grain::Month => PeriodTables {
                sites: &WEB_SITES_MONTHLY,
                pages: &WEB_PAGES_MONTHLY,
                referrers: &WEB_REFERRERS_MONTHLY,
                clients: &WEB_CLIENTS_MONTHLY,
                search: &WEB_SEARCH_TERMS_MONTHLY,
            },
        }
    }
}

/// Columns every differential-privacy table ends with.
const DP_VISITORS: ColumnSpec = col(
    "visitors",
    Int64,
    "Noisy number of distinct visitors (client pseudonyms of the day), each counted in at most the policy's `max_rows` rows of the table per day. Only rows whose noisy count passed the release threshold are published.",
);
const DP_REQUESTS: ColumnSpec = col(
    "requests",
    Int64,
    "Noisy requests, each visitor counting for at most the policy's `max_requests` in the row; never below `visitors`.",
);
const DP_VISITORS_SCALE: ColumnSpec = col(
    "visitors_scale",
    Float64,
    "Scale of the noise in `visitors` (the manifest's `dp.mechanism` says which): for discrete Laplace noise the true bounded count lies within `visitors ± 3.0 × visitors_scale` with 95% probability (±4.6 × for 99%); for discrete Gaussian noise the scale is σ and the 95% interval `± 1.96 × visitors_scale`.",
);
const DP_REQUESTS_SCALE: ColumnSpec = col(
    "requests_scale",
    Float64,
    "Scale of the noise in `requests`, read as `visitors_scale`.",
);
const DP_SITE: ColumnSpec = col(
    "site",
    Utf8,
    "Virtual host (lower-cased, no port), or the `--site` label, or `(default)`. A site appears only through rows that passed the threshold.",
);
const DP_DOC: &str = " Released under differential privacy (policy `[dp]`): every number is noisy, rows are published only when their noisy visitor count passes a threshold, and nothing adds up to a total.";

macro_rules! dp_table {
    ($id:ident, $name:literal, $doc:literal, [$($key:expr),*], $order:literal) => {
        #[doc = concat!("`", $name, "` of a differential-privacy release.")]
        pub static $id: TableSpec = TableSpec {
            name: $name,
            doc: $doc,
            columns: &[$($key,)* DP_VISITORS, DP_REQUESTS, DP_VISITORS_SCALE, DP_REQUESTS_SCALE],
            order: $order,
        };
    };
}

dp_table!(
    DP_PAGES,
    "web_pages",
    "Visitors and requests per day, site and path, with the path's request class.",
    [DAY, DP_SITE, PATH, REQUEST_CLASS],
    "day, site, path"
);
dp_table!(
    DP_TRAFFIC,
    "web_traffic",
    "Visitors and requests per hour and site (of the report time zone, UTC unless set); an hour is published only when its noisy visitor count passed the threshold.",
    [col("hour", Timestamp, "Start of the hour."), DP_SITE],
    "hour, site"
);
dp_table!(
    DP_REFERRERS,
    "web_referrers",
    "Visitors and requests per day, site and referring host.",
    [DAY, DP_SITE, REFERRER_HOST],
    "day, site, referrer_host"
);
dp_table!(
    DP_CLIENTS,
    "web_clients",
    "Visitors and requests per day, site and coarse client class.",
    [DAY, DP_SITE, BROWSER, OS, DEVICE, IS_BOT],
    "day, site, browser, os, device, is_bot"
);
dp_table!(
    DP_SEARCH_TERMS,
    "web_search_terms",
    "Searchers (`visitors`) and searches (`requests`) per day, site and cleaned site-search term.",
    [DAY, DP_SITE, TERM],
    "day, site, term"
);
dp_table!(
    DP_STATUS,
    "web_status",
    "Visitors and requests per day, site and HTTP status.",
    [
        DAY,
        DP_SITE,
        col(
            "status",
            OptInt32,
            "HTTP status code; 0 when no response was sent."
        )
    ],
    "day, site, status"
);
dp_table!(
    DP_BROWSER_VERSIONS,
    "web_browser_versions",
    "Visitors and requests per day, site, browser family and major version.",
    [
        DAY,
        DP_SITE,
        col(
            "browser",
            Utf8,
            "Browser family, as in `web_clients.browser`."
        ),
        col("major", OptInt32, "Major version the agent states.")
    ],
    "day, site, browser, major"
);

/// The tables of a differential-privacy release (same names as the k
/// mode's, other columns), in the order they are written.
pub static DP_TABLES: &[&TableSpec] = &[
    &DP_TRAFFIC,
    &DP_PAGES,
    &DP_STATUS,
    &DP_REFERRERS,
    &DP_CLIENTS,
    &DP_SEARCH_TERMS,
    &DP_BROWSER_VERSIONS,
];

/// The differential-privacy release's spec of the table `name`.
pub fn dp_spec(name: &str) -> Option<&'static TableSpec> {
    DP_TABLES.iter().copied().find(|t| t.name == name)
}

/// Every period table: published only as Hive partitions of a run with a
/// private state, never as flat files.
pub static PERIOD_TABLES: &[&TableSpec] = &[
    &WEB_SITES_WEEKLY,
    &WEB_PAGES_WEEKLY,
    &WEB_REFERRERS_WEEKLY,
    &WEB_CLIENTS_WEEKLY,
    &WEB_SEARCH_TERMS_WEEKLY,
    &WEB_SITES_MONTHLY,
    &WEB_PAGES_MONTHLY,
    &WEB_REFERRERS_MONTHLY,
    &WEB_CLIENTS_MONTHLY,
    &WEB_SEARCH_TERMS_MONTHLY,
];

/// The Hive partition key of a table's directory: `day` for the tables of
/// [`ALL_TABLES`], `week` or `month` for a period table; `None` for a
/// name that is no table.
pub fn partition_key(table: &str) -> Option<&'static str> {
    if ALL_TABLES.iter().any(|t| t.name == table) {
        return Some("day");
    }
    Grain::ALL.into_iter().find_map(|g| {
        let t = g.tables();
        [t.sites, t.pages, t.referrers, t.clients, t.search]
            .iter()
            .any(|s| s.name == table)
            .then(|| g.key())
    })
}

/// Every table, in the order they are written.
pub static ALL_TABLES: &[&TableSpec] = &[
    &WEB_TRAFFIC,
    &WEB_PAGES,
    &WEB_STATUS,
    &WEB_REFERRERS,
    &WEB_CLIENTS,
    &WEB_SEARCH_TERMS,
    &WEB_SESSIONS,
    &WEB_BROWSER_VERSIONS,
    &ZOOM_MEETINGS,
    &ZOOM_ATTENDANCE,
    &ZOOM_CONCURRENCY,
    &ZOOM_SIGNINS,
];

/// Markdown documentation of every table (for `logveil schema` and the
/// README).
pub fn markdown() -> String {
    let mut out = String::new();
    for t in ALL_TABLES.iter().chain(PERIOD_TABLES) {
        let _ = writeln!(
            out,
            "#### `{}`\n\n{} Rows sorted by {}.\n",
            t.name, t.doc, t.order
        );
        out.push_str("| column | type | meaning |\n|---|---|---|\n");
        for c in t.columns {
            let _ = writeln!(out, "| `{}` | {} | {} |", c.name, c.ty.sql_name(), c.doc);
        }
        out.push('\n');
    }
    out.push_str("### Differential-privacy release\n\nWith `[dp] enabled = true` in the policy, the web tables below replace the k-mode tables of the same names (the others are not published).\n\n");
    for t in DP_TABLES {
        let _ = writeln!(
            out,
            "#### `{}` (differential privacy)\n\n{}{} Rows sorted by {}.\n",
            t.name, t.doc, DP_DOC, t.order
        );
        out.push_str("| column | type | meaning |\n|---|---|---|\n");
        for c in t.columns {
            let _ = writeln!(out, "| `{}` | {} | {} |", c.name, c.ty.sql_name(), c.doc);
        }
        out.push('\n');
    }
    out
}
