#!/usr/bin/env python3
"""Regenerate logveil's bundled sample access logs.

    python3 sample-logs/make_samples.py

Standard library only, plus the `zstd` command-line tool (needed for
nginx/access.log.1.zst; the script stops with an error if it is missing).
Every run rewrites all sample files and README.md byte-identically: each
output file draws from its own random.Random seeded with a fixed string,
gzip is written with mtime=0 and zstd reads from stdin (no file name or
time stamp in the frame).

Everything in the output is invented: IP addresses, host names, user names,
e-mail addresses, tokens, profile ids and news items describe no real person
or machine.  Documentation ranges (192.0.2.0/24, 198.51.100.0/24,
203.0.113.0/24, 2001:db8::/32) stand in for the university's own networks.
"""

import gzip
import os
import random
import shutil
import subprocess
import sys
import zlib
from datetime import datetime, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def rng_for(name):
    # str seeds are hashed with SHA-512 by random.seed(version=2):
    # stable across runs and independent of PYTHONHASHSEED.
    return random.Random("logveil-sample-logs/v1/" + name)


def stable(path, lo, hi):
    """A size that stays the same for the same resource."""
    return lo + zlib.crc32(path.encode()) % (hi - lo)


# --------------------------------------------------------------------------
# User agents
# --------------------------------------------------------------------------

UA_DESKTOP = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/135.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:136.0) Gecko/20100101 Firefox/136.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:136.0) Gecko/20100101 Firefox/136.0",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:136.0) Gecko/20100101 Firefox/136.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.3.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36 Edg/134.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36 Edg/134.0.0.0",
]
UA_DESKTOP_W = [14, 6, 8, 3, 5, 2, 2, 6, 6, 1]

UA_MOBILE = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_3_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.3.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_3_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/134.0.6998.99 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPad; CPU OS 18_3_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.3.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36",
]
UA_MOBILE_W = [12, 2, 3, 9, 3]

UA_GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
UA_GOOGLEBOT_MOBILE = (
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/134.0.6998.165 Mobile Safari/537.36 "
    "(compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
)
UA_BINGBOT = (
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; "
    "+http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36"
)
UA_AHREFS = "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)"
UA_GPTBOT = (
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; "
    "+https://openai.com/gptbot)"
)
UA_MONITOR = "curl/8.5.0"
UA_API = "python-requests/2.32.3"
UA_SCANNERS = [
    "curl/8.12.1",
    "python-requests/2.31.0",
    "-",
    "Mozilla/5.0 zgrab/0.x",
    "Go-http-client/1.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.124 Safari/537.36",
]
# Written exactly as Apache escapes them inside the quoted field.
UA_ESCAPED_QUOTE = r'Mozilla/5.0 (compatible; \"SiteAuditor\" 2.4; +https://audit.example.net/bot)'
UA_ESCAPED_HEX = r"Mozilla/5.0 \xe2\x80\x94 Test"

# --------------------------------------------------------------------------
# Referrers
# --------------------------------------------------------------------------

SITE_BASE = {
    "www": "https://www.example.edu",
    "library": "https://library.example.edu",
    "events": "http://events.example.edu",
}

EXTERNAL_REFERERS = [
    ("-", 50),
    ("https://www.google.com/", 28),
    ("https://www.bing.com/search?q=example+university+admissions&form=QBLH", 3),
    ("https://www.bing.com/search?q=example+edu+library+hours&qs=n&form=QBRE", 2),
    ("https://duckduckgo.com/", 3),
    ("android-app://com.google.android.gm/", 2),
    ("https://l.facebook.com/", 2),
    ("https://t.co/", 1),
    ("https://www.reddit.com/", 1),
    ("https://outlook.office.com/", 2),
]
# A few odd-looking but valid referrers: upper-case hosts, explicit ports.
ODD_REFERERS = [
    "https://WWW.EXAMPLE.EDU/admissions/",
    "https://www.Example.edu:443/news/",
    "http://www.example.edu:8080/academics/calendar",
    "https://WWW.Google.COM/",
    "http://intranet.example.edu:8443/links",
]

# --------------------------------------------------------------------------
# Resources
# --------------------------------------------------------------------------

NEWS = [
    "/news/2026/03/spring-commencement-speaker-announced",
    "/news/2026/03/marine-lab-wins-ocean-research-grant",
    "/news/2026/03/basketball-advances-to-conference-final",
    "/news/2026/03/new-data-science-minor-approved",
    "/news/2026/02/residence-hall-renovation-complete",
]
PROFILES = [
    "/people/profile/8f14e45f-ceea-467f-a0e6-4b1e2c9d8a11",
    "/people/profile/c9f0f895-fb98-4b91-9f4e-2d6b5a1e7c33",
    "/people/profile/45c48cce-2e2d-4fbd-8e51-7b3a9d0f6e24",
]

# (path, weight)
WWW_PAGES = [
    ("/", 40),
    ("/admissions/", 12),
    ("/admissions/apply", 5),
    ("/admissions/visit", 4),
    ("/admissions/tuition-and-fees", 5),
    ("/financial-aid/", 5),
    ("/academics/", 3),
    ("/academics/programs/computer-science", 3),
    ("/academics/programs/nursing", 2),
    ("/academics/calendar", 4),
    ("/library/hours", 6),
    ("/library/", 2),
    ("/news/", 4),
    (NEWS[0], 4),
    (NEWS[1], 3),
    (NEWS[2], 3),
    (NEWS[3], 2),
    (NEWS[4], 1),
    ("/events/", 2),
    ("/about/contact", 3),
    ("/about/directions", 2),
    ("/people/", 2),
    (PROFILES[0], 2),
    (PROFILES[1], 1),
    (PROFILES[2], 1),
    ("/athletics/", 2),
    ("/careers/", 1),
    ("/search?q=financial+aid", 3),
    ("/search?q=campus+map", 2),
    ("/search?q=counseling+appointment", 1),
    ("/search?q=tuition+payment+plan", 1),
    ("/search?q=parking+permit", 1),
    ("/academics/courses?dept=BIOL&level=200", 2),
    ("/giving/thank-you?donor=Patricia+Okonkwo&amount=250", 1),
    ("/apply/status?application_id=A2026-004417&dob=2007-05-14", 1),
    ("/unsubscribe?email=r.nakamura%40example.org&list=alumni-news", 1),
    # old or mistyped links
    ("/admissions", 2),
    ("/apply", 1),
    ("/admisions/", 1),
    ("/news/2025/11/holiday-closure-schedule", 1),
]
REDIRECTS = {"/admissions": "/admissions/", "/apply": "/admissions/apply"}
NOT_FOUND = {"/admisions/", "/news/2025/11/holiday-closure-schedule",
             "/apple-touch-icon.png", "/apple-touch-icon-precomposed.png"}

LIBRARY_PAGES = [
    ("/", 20),
    ("/hours", 14),
    ("/search?q=organic+chemistry+textbook", 3),
    ("/search?q=thesis+template", 2),
    ("/search?q=jstor", 2),
    ("/databases/a-z", 5),
    ("/ezproxy/login?url=https%3A%2F%2Fwww.jstor.org%2Fstable%2F41234567", 3),
    ("/account/loans?patron=2300419", 2),
    ("/rooms/book?room=LIB-204&date=2026-03-31", 2),
    ("/guides/citing-sources", 3),
]
EVENTS_PAGES = [
    ("/", 10),
    ("/calendar/2026/04", 6),
    ("/event/spring-open-house-2026", 6),
    ("/event/spring-open-house-2026/register", 2),
    ("/event/faculty-jazz-night", 3),
    ("/calendar.ics", 2),
    ("/feed.rss", 2),
]
SITE_PAGES = {"www": WWW_PAGES, "library": LIBRARY_PAGES, "events": EVENTS_PAGES}

ASSETS = [
    ("/static/css/site.css", 61842),
    ("/static/js/site.min.js", 23417),
    ("/static/js/vendor/jquery-3.7.1.min.js", 87533),
    ("/static/img/logo.svg", 6120),
    ("/static/fonts/SourceSans3-Regular.woff2", 41508),
]
HERO = ("/static/img/hero/spring-2026.webp", 184233)
FAVICON = ("/favicon.ico", 15086)
ASSET_SIZE = dict(ASSETS + [HERO, FAVICON])

SCANNER_PROBES = [
    ("GET", "/wp-login.php", 8),
    ("POST", "/wp-login.php", 2),
    ("GET", "/wp-admin/setup-config.php", 2),
    ("POST", "/xmlrpc.php", 2),
    ("GET", "/.env", 5),
    ("GET", "/.git/config", 4),
    ("GET", "/phpmyadmin/index.php", 2),
    ("GET", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", 2),
    ("GET", "/cgi-bin/luci/;stok=/locale", 1),
    ("GET", "/admin/", 2),
    ("GET", "/server-status", 2),
    ("GET", "/owa/auth/logon.aspx", 1),
    ("GET", "/?XDEBUG_SESSION_START=phpstorm", 1),
    ("GET", "/.well-known/security.txt", 1),
    ("HEAD", "/", 2),
]
FORBIDDEN = {"/admin/", "/server-status", "/.git/config"}

API_CALLS = [
    "/api/v1/courses/48213",
    "/api/v1/courses/48213/sections?term=2026SU",
    "/api/v1/courses?dept=BIOL&level=200",
    "/api/v1/courses/51190",
    "/api/v1/events?from=2026-03-28&to=2026-04-04",
]

# Sign-in links carry a user name in the query string.  These are NOT
# authuser names (see AUTHUSERS) and the leak check below keeps it that way.
QUERY_USERS = ["dkowalski", "pbanerjee", "tkaur", "wosei"]
RESETS = [
    "/reset?email=jane.doe%40example.edu&token=ab12cd34ef",
    "/reset?email=m.obi%40example.edu&token=9f8e7d6c5b",
]

# HTTP basic-auth / SSO user names (the %u field).  They must not occur
# anywhere else in any file.
AUTHUSERS = [
    "jsmith", "mgarcia", "lchen", "apatel", "tnguyen", "bwilliams",
    "kjohansson", "rokafor", "dmuller", "sfitzgerald", "hyamamoto",
    "ewright2", "zcohen", "vrossi",
]
KERBEROS_USER = "lchen@EXAMPLE.EDU"

INTRANET = [
    ("GET", "/intranet/", 6),
    ("GET", "/intranet/timesheets/2026-03", 4),
    ("POST", "/intranet/timesheets/submit", 2),
    ("GET", "/intranet/payroll/stub?period=2026-03-15", 2),
    ("GET", "/intranet/hr/forms/leave-request.pdf", 2),
    ("GET", "/staff/directory.csv", 1),
    ("PROPFIND", "/webdav/shared/", 2),
    ("GET", "/webdav/shared/budget-FY27.xlsx", 1),
    ("PUT", "/webdav/shared/budget-FY27.xlsx", 1),
]

# --------------------------------------------------------------------------
# Clients
# --------------------------------------------------------------------------


class Client:
    def __init__(self, addr, kind, ua=None, rdns=None):
        self.addr = addr
        self.kind = kind
        self.ua = ua
        self.rdns = rdns
        self.xff = None


def build_pool():
    """All clients, in Zipf rank order (rank 0 is the heaviest)."""
    rng = rng_for("clients")

    def human_ua():
        if rng.random() < 0.58:
            return rng.choices(UA_DESKTOP, UA_DESKTOP_W)[0]
        return rng.choices(UA_MOBILE, UA_MOBILE_W)[0]

    heavy = [
        Client("198.51.100.7", "nat"),  # campus NAT: many different browsers
        Client("66.249.66.1", "googlebot", UA_GOOGLEBOT, "crawl-66-249-66-1.googlebot.com"),
        Client("203.0.113.45", "api", UA_API),
        Client("71.105.2.9", "human", human_ua(), "pool-71-105-2-9.bstnma.fios.verizon.net"),
        Client("40.77.167.12", "bingbot", UA_BINGBOT, "msnbot-40-77-167-12.search.msn.com"),
        Client("198.51.100.20", "monitor", UA_MONITOR),
        Client("2001:db8:85a3::8a2e:370:7334", "human", human_ua()),
        Client("54.36.148.17", "ahrefs", UA_AHREFS),
        Client("73.162.88.14", "human", human_ua(), "c-73-162-88-14.hsd1.ca.comcast.net"),
        Client("20.171.207.44", "gptbot", UA_GPTBOT),
        Client("45.148.10.77", "scanner"),
        Client("98.14.220.7", "human", human_ua(), "cpe-98-14-220-7.nyc.res.rr.com"),
        Client("172.70.142.33", "proxy", human_ua()),
        Client("66.249.68.4", "googlebot", UA_GOOGLEBOT_MOBILE, "crawl-66-249-68-4.googlebot.com"),
        Client("86.142.33.21", "human", human_ua(), "host86-142-33-21.range86-142.btcentralplus.com"),
        Client("2600:1700:3e40:9c20:1d4b:2f6e:8a01:5c77", "human", human_ua()),
        Client("185.220.101.34", "scanner"),
        Client("157.55.39.50", "bingbot", UA_BINGBOT, "msnbot-157-55-39-50.search.msn.com"),
    ]
    others = [
        Client("66.249.66.33", "googlebot", UA_GOOGLEBOT, "crawl-66-249-66-33.googlebot.com"),
        Client("66.249.79.142", "googlebot", UA_GOOGLEBOT_MOBILE, "crawl-66-249-79-142.googlebot.com"),
        Client("207.46.13.101", "bingbot", UA_BINGBOT, "msnbot-207-46-13-101.search.msn.com"),
        Client("54.36.149.71", "ahrefs", UA_AHREFS),
        Client("20.171.206.2", "gptbot", UA_GPTBOT),
        Client("193.32.162.11", "scanner"),
        Client("89.248.165.60", "scanner"),
        Client("167.94.138.120", "scanner"),
        Client("64.62.197.50", "scanner"),
        Client("35.203.211.14", "scanner"),
        Client("162.158.90.12", "proxy", human_ua()),
        Client("192.0.2.60", "proxy", human_ua()),
        Client("2001:4860:4801:10::1a", "googlebot", UA_GOOGLEBOT),
        Client("2001:0db8:0000:0000:0000:ff00:0042:8329", "human", human_ua()),
        Client("2600:1f18:0243:6b00:0000:0000:0000:0a7e", "scanner"),
    ]
    ipv6 = [
        "2601:18c:8500:6f0::2b1e",
        "2a02:8108:1640:3e00:b5c2:11f9:4e0a:9d3c",
        "2a01:cb04:6e4:a900:ad1c:3fe2:77b0:1e45",
        "2607:fb90:a42d:1f33:0:47:9c1e:6501",
        "2804:14c:5b70:8c3a:e0f1:9ab2:3c4d:5e6f",
        "2400:4050:a2e1:1200:6d8f:c04e:91b3:27aa",
        "2a00:23c7:9b0e:ad01::4f",
        "2001:db8:cafe:12::1d0",
        "2603:7000:9f00:1a2b:40c1:88ff:fe3a:2d19",
        "2a02:c7c:5e4a:f300:1c9e:d3a0:6b27:e501",
        "2406:3003:2007:4d1b::8c",
        "2001:db8:4:7::3e",
    ]
    for a in ipv6:
        others.append(Client(a, "human", human_ua()))

    # Residential / mobile / campus IPv4 addresses in ordinary public ranges.
    firsts = [73, 98, 24, 71, 108, 67, 76, 99, 174, 50, 68, 69, 107, 47, 104,
              38, 12, 82, 86, 90, 93, 31, 81, 109, 176, 188, 212, 213, 49,
              110, 112, 121, 124, 175, 180, 187, 189, 200, 201, 41, 105, 197]
    seen = {c.addr for c in heavy + others}
    n_random = 0
    while n_random < 150:
        if rng.random() < 0.12:
            addr = "%s.%d" % (rng.choice(["198.51.100", "203.0.113"]), rng.randint(2, 250))
        else:
            addr = "%d.%d.%d.%d" % (rng.choice(firsts), rng.randint(1, 254),
                                    rng.randint(0, 255), rng.randint(1, 254))
        if addr in seen:
            continue
        seen.add(addr)
        n_random += 1
        o = addr.split(".")
        rdns = None
        if o[0] == "73" and rng.random() < 0.7:
            rdns = "c-%s-%s-%s-%s.hsd1.%s.comcast.net" % (*o, rng.choice(["ma", "nj", "il", "pa"]))
        elif o[0] == "24" and rng.random() < 0.7:
            rdns = "cpe-%s-%s-%s-%s.%s.res.rr.com" % (*o, rng.choice(["nyc", "twcny", "socal"]))
        elif o[0] == "71" and rng.random() < 0.6:
            rdns = "pool-%s-%s-%s-%s.nycmny.fios.verizon.net" % tuple(o)
        others.append(Client(addr, "human", human_ua(), rdns))
    rng.shuffle(others)
    pool = heavy + others
    # proxies forward for someone else; what they put in X-Forwarded-For
    xff_values = {
        "172.70.142.33": ["%s", "%s"],                   # CDN edge: one hop
        "162.158.90.12": ["%s", "2001:db8:cafe::17, %s"],
        "192.0.2.60": ["10.20.3.44", "203.0.113.195, 70.41.3.18, 150.172.238.178",
                       "unknown, 198.51.100.77"],
    }
    for c in pool:
        if c.kind == "proxy":
            c.xff = xff_values[c.addr]
    return pool


POOL = build_pool()
POOL_W = [1.0 / (i + 1) ** 1.0 for i in range(len(POOL))]
TAIL = POOL[40:]  # long tail of occasional visitors
V6 = [c for c in POOL if ":" in c.addr and c.kind == "human"]
HUMANS = [c for c in POOL if c.kind == "human"]

# Client names that only a reverse DNS lookup on the campus server produces.
CAMPUS_HOSTS = [
    ("dhcp-10-3-44-12.campus.example.edu", ["jsmith", "jsmith", "apatel"]),
    ("wifi-172-20-8-101.resnet.example.edu", ["tnguyen"]),
    ("vpn-4-17.vpn.example.edu", ["mgarcia", "mgarcia", "rokafor"]),
    ("lab-ws-23.cs.example.edu", ["bwilliams", "hyamamoto", "ewright2", "zcohen"]),
    ("adm-pc-114.admin.example.edu", ["kjohansson", KERBEROS_USER]),
    ("lib-desk-02.libnet.example.edu", ["sfitzgerald"]),
    ("pool-71-105-2-9.bstnma.fios.verizon.net", ["dmuller"]),
    ("c-73-162-88-14.hsd1.ca.comcast.net", ["lchen"]),
    ("203.0.113.88", ["vrossi"]),
]


# --------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------


class Rec:
    __slots__ = ("t", "client", "host", "user", "method", "path", "proto", "req",
                 "status", "size", "ref", "ua", "xff", "vhost", "note")

    def __init__(self, t, client, method, path, proto, status, size, ref, ua,
                 user="-", host=None, req=None, xff="-", vhost=None, note=None):
        self.t = t
        self.client = client
        self.host = host
        self.user = user
        self.method = method
        self.path = path
        self.proto = proto
        self.req = req
        self.status = status
        self.size = size
        self.ref = ref
        self.ua = ua
        self.xff = xff
        self.vhost = vhost
        self.note = note


class Ctx:
    """Per-file generation state."""

    def __init__(self, spec):
        self.spec = spec
        self.rng = rng_for(spec["name"])
        self.seen = {}  # client addr -> True once its cache is warm
        self.recs = []


def fmt_time(dt, off):
    return "[%02d/%s/%04d:%02d:%02d:%02d %s]" % (
        dt.day, MONTHS[dt.month - 1], dt.year, dt.hour, dt.minute, dt.second, off)


HOUR_W = [3, 2, 1, 1, 1, 2, 3, 5, 8, 10, 11, 11, 10, 11, 11, 10, 9, 8, 8, 9, 9, 8, 6, 4]


def sample_time(ctx, diurnal=True):
    rng = ctx.rng
    start, end = ctx.spec["start"], ctx.spec["end"]
    span = int((end - start).total_seconds())
    while True:
        t = start + timedelta(seconds=rng.randrange(span))
        if not diurnal or rng.random() * 11 < HOUR_W[t.hour]:
            return t


def browser_proto(ctx, site, ua):
    if site == "events" or ctx.spec.get("http1_only"):
        return "HTTP/1.1"
    return "HTTP/2.0" if ctx.rng.random() < 0.78 else "HTTP/1.1"


def page_size(path, site="www"):
    if site != "www":
        path = site + path
    if path.startswith("/api/"):
        return stable(path, 900, 14000)
    if path.startswith("/search"):
        return stable(path, 18000, 26000)
    if path.endswith((".ics", ".rss")):
        return stable(path, 4000, 30000)
    return stable(path, 21000, 52000)


def external_ref(rng):
    if rng.random() < 0.025:
        return rng.choice(ODD_REFERERS)
    refs, w = zip(*EXTERNAL_REFERERS)
    return rng.choices(refs, w)[0]


def add(ctx, t, client, method, path, proto, status, size, ref, ua, **kw):
    ctx.recs.append(Rec(t, client, method, path, proto, status, size, ref, ua, **kw))


def page_hit(ctx, t, c, site, path, proto, ref, ua, vhost):
    """Request one page (following a redirect if there is one); return the URL
    the browser ends up on, for use as the next Referer."""
    rng = ctx.rng
    base = SITE_BASE[site]
    if path in REDIRECTS:
        add(ctx, t, c, "GET", path, proto, 301, 243, ref, ua, vhost=vhost)
        path = REDIRECTS[path]
    if path in NOT_FOUND:
        add(ctx, t, c, "GET", path, proto, 404, 5321, ref, ua, vhost=vhost)
        return base + path
    status, size = 200, page_size(path, site) + rng.randint(-120, 120)
    r = rng.random()
    if path.startswith("/search") and r < 0.05:
        status, size = 503, 299   # search backend overloaded
    elif r < 0.006:
        status, size = 500, 531
    elif r < 0.01:
        status, size = 502, 341   # application server restarting
    add(ctx, t, c, "GET", path, proto, status, size, ref, ua, vhost=vhost)
    return base + path


def assets(ctx, t, c, page_url, proto, ua, vhost, home):
    rng = ctx.rng
    if c.kind == "nat":  # many different people behind one address
        warm = rng.random() < 0.5
    else:
        warm = ctx.seen.get(c.addr)
    if warm:
        if rng.random() < 0.35:
            for path, _ in ASSETS[:2]:
                add(ctx, t + timedelta(seconds=rng.randint(0, 1)), c, "GET", path,
                    proto, 304, 0, page_url, ua, vhost=vhost)
        return
    ctx.seen[c.addr] = True
    # css and js always; the rest depends on the page and on what the
    # browser still has cached without revalidation
    keep = [1.0, 1.0, 0.45, 0.6, 0.4]
    items = [a for a, p in zip(ASSETS, keep) if rng.random() < p]
    if home and rng.random() < 0.6:
        items.append(HERO)
    rng.shuffle(items)
    for path, size in items:
        dt = timedelta(seconds=rng.randint(0, 2))
        ref = page_url
        if path.endswith(".woff2"):
            ref = SITE_BASE["www"] + "/static/css/site.css"
        status = 200 if rng.random() < 0.8 else 304
        add(ctx, t + dt, c, "GET", path, proto, status, size if status == 200 else 0,
            ref, ua, vhost=vhost)
    if rng.random() < 0.3:
        add(ctx, t + timedelta(seconds=2), c, "GET", FAVICON[0], proto, 200, FAVICON[1],
            page_url, ua, vhost=vhost)
    if ("iPhone" in ua or "iPad" in ua) and rng.random() < 0.5:
        add(ctx, t + timedelta(seconds=2), c, "GET", "/apple-touch-icon.png", proto, 404,
            5321, "-", ua, vhost=vhost)


def human_session(ctx, c, t, site="www", vhost=None):
    rng = ctx.rng
    ua = c.ua or rng.choices(UA_DESKTOP + UA_MOBILE, UA_DESKTOP_W + UA_MOBILE_W)[0]
    proto = browser_proto(ctx, site, ua)
    ref = external_ref(rng)
    roll = rng.random()
    if site == "www" and roll < 0.05:
        # sign in: the link from the e-mail carries a user name
        user_q = rng.choice(QUERY_USERS)
        add(ctx, t, c, "GET", "/portal/", proto, 302, 0, ref, ua, vhost=vhost)
        login = "/login?user=%s&next=%%2Fportal" % user_q
        add(ctx, t, c, "GET", login, proto, 200, 8841, ref, ua, vhost=vhost)
        t2 = t + timedelta(seconds=rng.randint(6, 40))
        add(ctx, t2, c, "POST", "/login", proto, 302, 0, SITE_BASE["www"] + login, ua, vhost=vhost)
        add(ctx, t2 + timedelta(seconds=1), c, "GET", "/portal/", proto, 200, 31877,
            SITE_BASE["www"] + login, ua, vhost=vhost)
        return
    if site == "www" and roll < 0.07:
        reset = rng.choice(RESETS)
        add(ctx, t, c, "GET", reset, proto, 200, 7310, "android-app://com.google.android.gm/", ua, vhost=vhost)
        t2 = t + timedelta(seconds=rng.randint(20, 90))
        add(ctx, t2, c, "POST", "/reset", proto, 302, 0, SITE_BASE["www"] + reset, ua, vhost=vhost)
        return
    n = 1 + min(int(rng.expovariate(0.9)), 4)
    pages, w = zip(*SITE_PAGES[site])
    for i in range(n):
        path = "/" if (i == 0 and rng.random() < 0.3) else rng.choices(pages, w)[0]
        url = page_hit(ctx, t, c, site, path, proto, ref, ua, vhost)
        if site == "www":
            assets(ctx, t, c, url, proto, ua, vhost, path == "/")
            if path.startswith("/academics/courses") and rng.random() < 0.8:
                api = rng.choice(API_CALLS[:3])
                add(ctx, t + timedelta(seconds=1), c, "GET", api, proto, 200, page_size(api), url, ua, vhost=vhost)
        if site == "events" and path.endswith("/register") and rng.random() < 0.7:
            add(ctx, t + timedelta(seconds=rng.randint(30, 200)), c, "POST", path, proto, 303, 0,
                SITE_BASE[site] + path, ua, vhost=vhost)
        ref = url
        t += timedelta(seconds=rng.randint(6, 150))


def bot_session(ctx, c, t, vhost=None):
    rng = ctx.rng
    h2 = c.kind == "googlebot" and rng.random() < 0.25 and not ctx.spec.get("http1_only")
    proto = "HTTP/2.0" if h2 else "HTTP/1.1"
    pages, w = zip(*WWW_PAGES)
    for i in range(rng.randint(1, 4)):
        r = rng.random()
        if r < 0.12:
            add(ctx, t, c, "GET", "/robots.txt", proto, 200, 412, "-", c.ua, vhost=vhost)
        elif r < 0.16:
            add(ctx, t, c, "GET", "/sitemap.xml", proto, 200, 48119, "-", c.ua, vhost=vhost)
        elif r < 0.22 and c.kind == "googlebot":
            path, size = rng.choice(ASSETS[:2])
            add(ctx, t, c, "GET", path, proto, 200, size, "-", c.ua, vhost=vhost)
        elif r < 0.27 and c.kind in ("ahrefs", "gptbot"):
            path = rng.choice(["/news/2025/11/holiday-closure-schedule", "/events/2024-open-house",
                               "/people/profile/00000000-0000-0000-0000-000000000000"])
            add(ctx, t, c, "GET", path, proto, 404, 5321, "-", c.ua, vhost=vhost)
        else:
            path = rng.choices(pages, w)[0]
            if "?" in path and c.kind != "googlebot":
                path = rng.choice(NEWS)
            page_hit(ctx, t, c, "www", path, proto, "-", c.ua, vhost)
        t += timedelta(seconds=rng.randint(1, 90))


def scanner_session(ctx, c, t, vhost=None):
    rng = ctx.rng
    ua = rng.choice(UA_SCANNERS)
    proto = rng.choice(["HTTP/1.1", "HTTP/1.1", "HTTP/1.0"])
    probes = rng.sample(SCANNER_PROBES, rng.randint(1, 4))
    for method, path, _ in probes:
        status = 403 if path in FORBIDDEN else 404
        size = 199 if status == 403 else 5321
        if method == "HEAD":
            status, size = 200, 0
        add(ctx, t, c, method, path, proto, status, size, "-", ua, vhost=vhost)
        t += timedelta(seconds=rng.randint(0, 2))


def api_session(ctx, c, t, vhost=None):
    rng = ctx.rng
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(API_CALLS)
        status, size = 200, page_size(path)
        r = rng.random()
        if r < 0.05:
            status, size = 500, 531
        elif r < 0.08:
            status, size = 502, 341
        elif r < 0.11:
            status, size = 503, 299
        add(ctx, t, c, "GET", path, "HTTP/1.1", status, size, "-", c.ua, vhost=vhost)
        t += timedelta(seconds=rng.randint(0, 3))


def monitor_session(ctx, c, t, vhost=None):
    proto = "HTTP/1.0" if ctx.rng.random() < 0.3 else "HTTP/1.1"
    add(ctx, t, c, "HEAD", "/", proto, 200, 0, "-", c.ua, vhost=vhost)


def cors_preflight(ctx, c, t, vhost=None):
    ua = c.ua or UA_DESKTOP[0]
    path = API_CALLS[4]
    ref = SITE_BASE["events"] + "/calendar/2026/04"
    proto = "HTTP/1.1" if ctx.spec.get("http1_only") else "HTTP/2.0"
    add(ctx, t, c, "OPTIONS", path, proto, 204, 0, ref, ua, vhost=vhost)
    add(ctx, t, c, "GET", path, proto, 200, page_size(path), ref, ua, vhost=vhost)


def any_session(ctx, c, t, site="www", vhost=None):
    k = c.kind
    if k in ("human", "nat", "proxy"):
        if site == "www" and ctx.rng.random() < 0.04:
            cors_preflight(ctx, c, t, vhost)
        else:
            human_session(ctx, c, t, site, vhost)
    elif k in ("googlebot", "bingbot", "ahrefs", "gptbot"):
        bot_session(ctx, c, t, vhost)
    elif k == "scanner":
        scanner_session(ctx, c, t, vhost)
    elif k == "api":
        api_session(ctx, c, t, vhost)
    elif k == "monitor":
        monitor_session(ctx, c, t, vhost)


def pick_client(ctx):
    """Zipf over all clients, mixed with a flat long tail; IPv6 clients are
    steered towards roughly 10% of the lines of each file."""
    rng = ctx.rng
    n = len(ctx.recs)
    v6 = sum(1 for r in ctx.recs if ":" in (r.host or r.client.addr))
    share = v6 / n if n >= 30 else 0.09
    while True:
        c = rng.choice(TAIL) if rng.random() < 0.5 else rng.choices(POOL, POOL_W)[0]
        if ":" in c.addr:
            if share > 0.11:
                continue
        elif share < 0.08 and rng.random() < 0.3:
            c = rng.choice(V6)
        return c


def fill(ctx, session_fn):
    spec = ctx.spec
    while len(ctx.recs) < spec["target"]:
        c = pick_client(ctx)
        t = sample_time(ctx, diurnal=c.kind in ("human", "nat", "proxy"))
        session_fn(ctx, c, t)
    ctx.recs = [r for r in ctx.recs if spec["start"] <= r.t < spec["end"]]


# --------------------------------------------------------------------------
# Per-directory traffic
# --------------------------------------------------------------------------


def gen_www(ctx):
    fill(ctx, lambda ctx, c, t: any_session(ctx, c, t))


def gen_nginx(ctx):
    rng = ctx.rng
    # every (proxy, X-Forwarded-For shape) pair in turn
    routes = [(p, shape) for p in POOL if p.kind == "proxy" for shape in p.xff]
    state = {"next": rng.randrange(len(routes))}

    def session(ctx, c, t):
        xff = None
        if c.kind == "human" and rng.random() < 0.15:
            # this visitor comes through a CDN edge or a forward proxy
            proxy, shape = routes[state["next"] % len(routes)]
            state["next"] += 1
            xff = shape.replace("%s", c.addr)
            c = proxy
        elif c.kind == "proxy":
            xff = rng.choice(c.xff).replace("%s", rng.choice(HUMANS).addr)
        start = len(ctx.recs)
        any_session(ctx, c, t)
        if xff:
            for r in ctx.recs[start:]:
                r.xff = xff
    fill(ctx, session)


def gen_common(ctx):
    rng = ctx.rng

    def session(ctx, c, t):
        if rng.random() < 0.4:
            staff_session(ctx, t)
        else:
            any_session(ctx, c, t)
    fill(ctx, session)
    for r in ctx.recs:
        if r.host is None:
            r.host = r.client.rdns or r.client.addr


STAFF = [(h, u) for h, users in CAMPUS_HOSTS for u in users]


def staff_session(ctx, t):
    rng = ctx.rng
    # walk through all (host, user) pairs, then pick at random
    n = ctx.seen.get("#staff", 0)
    ctx.seen["#staff"] = n + 1
    host, user = STAFF[n] if n < len(STAFF) else rng.choice(STAFF)
    c = Client(host, "staff")
    proto = "HTTP/1.1" if rng.random() < 0.8 else "HTTP/1.0"
    items, w = [(m, p) for m, p, _ in INTRANET], [x for _, _, x in INTRANET]
    first = True
    for _ in range(rng.randint(1, 4)):
        method, path = rng.choices(items, w)[0]
        if first and rng.random() < 0.45:
            # browser asks without credentials first
            add(ctx, t, c, method, path, proto, 401, 381, "-", "-", host=host)
            if rng.random() < 0.15:
                # wrong password: Apache still logs the name that was tried
                add(ctx, t + timedelta(seconds=4), c, method, path, proto, 401, 381, "-", "-",
                    host=host, user=user)
            t += timedelta(seconds=rng.randint(2, 9))
        first = False
        if method == "PROPFIND":
            status, size = 207, stable(path, 900, 3000)
        elif method == "PUT":
            status, size = 204, 0
        elif method == "POST":
            status, size = 302, 0
        elif path.endswith(".pdf"):
            status, size = 200, 182544
        elif path.endswith(".xlsx"):
            status, size = 200, 64211
        else:
            status, size = (200, page_size(path)) if rng.random() < 0.85 else (304, 0)
        add(ctx, t, c, method, path, proto, status, size, "-", "-", host=host, user=user)
        t += timedelta(seconds=rng.randint(5, 240))


def gen_vhost(ctx):
    rng = ctx.rng

    def session(ctx, c, t):
        if c.kind not in ("human", "nat", "proxy"):
            vhost = "www.example.edu:443"
            if c.kind in ("googlebot", "bingbot") and rng.random() < 0.3:
                # crawlers also walk the library site
                vhost = "library.example.edu:443"
                proto = "HTTP/1.1"
                for _ in range(rng.randint(1, 3)):
                    path = rng.choice(["/", "/hours", "/databases/a-z", "/guides/citing-sources"])
                    page_hit(ctx, t, c, "library", path, proto, "-", c.ua, vhost)
                    t += timedelta(seconds=rng.randint(2, 60))
                return
            any_session(ctx, c, t, "www", vhost)
            return
        r = rng.random()
        if r < 0.08:
            # plain-HTTP hit, redirected to https
            ua = c.ua or UA_DESKTOP[0]
            path = rng.choice(["/", "/admissions/", "/library/hours"])
            add(ctx, t, c, "GET", path, "HTTP/1.1", 301, 235, "-", ua, vhost="www.example.edu:80")
            human_session(ctx, c, t + timedelta(seconds=1), "www", "www.example.edu:443")
        elif r < 0.32:
            human_session(ctx, c, t, "www", "www.example.edu:443")
        elif r < 0.70:
            human_session(ctx, c, t, "library", "library.example.edu:443")
        else:
            human_session(ctx, c, t, "events", "events.example.edu:80")
    fill(ctx, session)


# --------------------------------------------------------------------------
# Hand-placed quirks (valid lines that parsers tend to trip over)
# --------------------------------------------------------------------------


def special(ctx, kind):
    rng = ctx.rng
    # somewhere in the middle of the file, never among the first/last lines
    ctx.recs.sort(key=lambda r: r.t)
    t = ctx.recs[rng.randrange(10, len(ctx.recs) - 10)].t + timedelta(seconds=rng.randint(0, 1))
    spec = ctx.spec
    nginx = spec["fmt"] == "nginx"
    scanner = [c for c in POOL if c.kind == "scanner"]

    def put(**kw):
        kw.setdefault("method", None)
        kw.setdefault("path", None)
        kw.setdefault("proto", None)
        kw.setdefault("ref", "-")
        kw.setdefault("ua", "-")
        kw.setdefault("size", 0)
        client = kw.pop("client", None) or rng.choice(scanner)
        r = Rec(t, client, kw.pop("method"), kw.pop("path"), kw.pop("proto"),
                kw.pop("status"), kw.pop("size"), kw.pop("ref"), kw.pop("ua"), note=kind, **kw)
        ctx.recs.append(r)

    if kind == "tls-probe":
        if nginx:  # nginx escapes with upper-case hex and sends a 400 page
            put(req=r"\x16\x03\x01\x00\xF7\x01\x00\x00\xF3\x03\x03\xB5\x7E\x1C", status=400, size=157)
        else:
            put(req=r"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", status=400, size=None)
    elif kind == "empty-request":
        put(req="", status=400, size=None)
    elif kind == "408":
        put(req="-", status=408, size=None, client=rng.choice(HUMANS))
    elif kind == "escaped-quote-request":
        put(method="GET", path=r'/search?q=1\"+OR+\"1\"=\"1', proto="HTTP/1.1",
            status=200, size=19480, ua="sqlmap/1.8.3#stable (https://sqlmap.org)")
    elif kind == "escaped-quote-agent":
        put(method="GET", path="/", proto="HTTP/1.1", status=200, size=page_size("/"),
            ua=UA_ESCAPED_QUOTE)
    elif kind == "hex-escaped-agent":
        put(method="GET", path="/about/contact", proto="HTTP/1.1", status=200,
            size=page_size("/about/contact"), ua=UA_ESCAPED_HEX)
    elif kind.startswith("ipv4-mapped"):
        addr = kind.split(" ", 1)[1]
        c = Client(addr, "human", UA_DESKTOP[4])
        put(method="GET", path="/library/hours", proto="HTTP/1.1", status=200,
            size=page_size("/library/hours"), ref="https://www.google.com/", ua=c.ua, client=c)
    elif kind == "basic-auth":
        c = rng.choice(HUMANS)
        put(method="GET", path="/intranet/", proto="HTTP/2.0", status=200,
            size=page_size("/intranet/"), ua=c.ua, client=c, user=kw_user(ctx))
    elif kind == "mixed-case-vhost":
        c = rng.choice(HUMANS)
        put(method="GET", path="/", proto="HTTP/2.0", status=200, size=page_size("/"),
            ref="https://www.google.com/", ua=c.ua, client=c, vhost="WWW.Example.EDU:443")
    else:
        raise ValueError(kind)


def kw_user(ctx):
    return {"apache/access.log": "vrossi", "vhost/other_vhosts_access.log": "zcohen"}[ctx.spec["name"]]


# --------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------


def request_text(r):
    if r.req is not None:
        return r.req
    return "%s %s %s" % (r.method, r.path, r.proto)


def fmt_line(spec, r):
    fmt, off = spec["fmt"], spec["off"]
    host = r.host or r.client.addr
    head = '%s - %s %s "%s" %s' % (host, r.user, fmt_time(r.t, off), request_text(r), r.status)
    zero_body = r.size is None or r.size == 0 or r.method == "HEAD"
    if fmt == "common":
        return "%s %s" % (head, "-" if zero_body else r.size)
    if fmt == "combined":
        return '%s %s "%s" "%s"' % (head, "-" if zero_body else r.size, r.ref, r.ua)
    if fmt == "nginx":  # $body_bytes_sent is 0, never "-"
        return '%s %d "%s" "%s" "%s"' % (head, 0 if zero_body else r.size, r.ref, r.ua, r.xff)
    if fmt == "vhost":  # %O counts headers too, so it is never "-"
        rng = spec["_hdr_rng"]
        body = 0 if zero_body else r.size
        sent = body + (rng.randint(180, 260) if body == 0 else rng.randint(280, 540))
        if r.req is not None:
            sent = 0 if r.req in ("", "-") else 226
        return '%s %s "%s" "%s"' % (r.vhost + " " + head, sent, r.ref, r.ua)
    raise ValueError(fmt)


# --------------------------------------------------------------------------
# Malformed lines
# --------------------------------------------------------------------------


def malformed(spec, kind, rng, template):
    """Return (bytes, description) for one broken line; `template` is a
    formatted valid line from the same file to damage."""
    off = spec["off"]
    if kind == "truncated":
        q = template.index('"')
        end = template.index('" ', q + 1)
        cut = q + 1 + rng.randint(6, end - q - 4)
        text = template[:cut]
        return text.encode(), "truncated mid-request, ends `…%s`" % text[q - 7:]
    if kind == "binary-garbage":
        # non-UTF-8 bytes; no NUL, CR or LF so that the line stays one line
        alphabet = [b for b in range(1, 256) if b not in (0x0A, 0x0D)]
        n = rng.randint(48, 90)
        data = bytes([0xFF, 0xFE, 0xC3]) + bytes(
            rng.choice(alphabet) if rng.random() < 0.5 else rng.randint(0x80, 0xFF)
            for _ in range(n))
        try:
            data.decode("utf-8")
            raise AssertionError("garbage line happens to be valid UTF-8")
        except UnicodeDecodeError:
            pass
        return data, "%d bytes of binary garbage (not UTF-8)" % len(data)
    if kind == "impossible-date":
        i = template.index("[")
        j = template.index("]")
        text = template[:i] + "[31/Feb/2026:10:00:00 %s]" % off + template[j + 1:]
        return text.encode(), "impossible date `[31/Feb/2026:10:00:00 %s]`" % off
    if kind == "bad-status":
        status = {"combined": "2OO", "nginx": "OK", "common": "abc", "vhost": "-"}[spec["fmt"]]
        k = template.index('" ', template.index('"') + 1) + 2
        sp = template.index(" ", k)
        text = template[:k] + status + template[sp:]
        return text.encode(), "non-numeric status `%s`" % status
    if kind == "empty":
        return b"", "empty line"
    if kind == "comment":
        text = "# log reopened by logrotate (copytruncate) at %s" % spec["start"].strftime(
            "%Y-%m-%dT%H:%M:%S")
        return text.encode(), "comment line starting with `#`"
    raise ValueError(kind)


# --------------------------------------------------------------------------
# File specs
# --------------------------------------------------------------------------

D = datetime
SPECS = [
    dict(name="apache/access.log.2.gz", fmt="combined", off="-0500",
         start=D(2026, 3, 28, 6, 25, 3), end=D(2026, 3, 29, 6, 25, 2), target=300,
         gen=gen_www, specials=["408", "ipv4-mapped ::ffff:203.0.113.9"],
         bad=["truncated", "impossible-date", "comment"]),
    dict(name="apache/access.log.1", fmt="combined", off="-0500",
         start=D(2026, 3, 29, 6, 25, 2), end=D(2026, 3, 30, 6, 25, 4), target=240,
         gen=gen_www, specials=["tls-probe", "empty-request", "hex-escaped-agent"],
         bad=["binary-garbage", "bad-status", "empty"]),
    dict(name="apache/access.log", fmt="combined", off="-0500",
         start=D(2026, 3, 30, 6, 25, 4), end=D(2026, 3, 31, 4, 40, 0), target=235,
         gen=gen_www,
         specials=["tls-probe", "408", "escaped-quote-request", "escaped-quote-agent",
                   "ipv4-mapped ::ffff:198.51.100.14", "basic-auth"],
         bad=["truncated", "binary-garbage", "impossible-date", "bad-status"]),
    dict(name="nginx/access.log.1.zst", fmt="nginx", off="+0000",
         start=D(2026, 3, 29, 6, 25, 1), end=D(2026, 3, 30, 6, 25, 1), target=330,
         gen=gen_nginx, specials=["tls-probe", "ipv4-mapped ::ffff:203.0.113.9"],
         bad=["comment", "truncated", "impossible-date"]),
    dict(name="nginx/access.log", fmt="nginx", off="+0000",
         start=D(2026, 3, 30, 6, 25, 1), end=D(2026, 3, 31, 2, 10, 0), target=235,
         gen=gen_nginx, specials=["empty-request", "tls-probe"],
         bad=["truncated", "binary-garbage", "impossible-date", "bad-status", "empty"]),
    dict(name="common/access_log", fmt="common", off="+0100", crlf=True, http1_only=True,
         start=D(2026, 3, 28, 0, 0, 0), end=D(2026, 3, 29, 1, 59, 59), target=300,
         gen=gen_common, specials=[],
         bad=["truncated", "bad-status", "impossible-date", "comment", "binary-garbage"]),
    dict(name="vhost/other_vhosts_access.log", fmt="vhost", off="+0200",
         start=D(2026, 3, 30, 8, 0, 0), end=D(2026, 3, 31, 8, 0, 0), target=240,
         gen=gen_vhost, specials=["mixed-case-vhost", "mixed-case-vhost", "basic-auth"],
         bad=["truncated", "binary-garbage", "impossible-date", "empty"]),
]


def build(spec):
    ctx = Ctx(spec)
    rng = ctx.rng
    spec["_hdr_rng"] = rng_for(spec["name"] + "/headers")
    spec["gen"](ctx)
    for kind in spec["specials"]:
        special(ctx, kind)
    for r in ctx.recs:
        if r.vhost is None and spec["fmt"] == "vhost":
            r.vhost = "www.example.edu:443"
    ctx.recs.sort(key=lambda r: r.t)

    # A handful of lines logged late (slow responses): time stamp earlier
    # than the line before.
    recs = ctx.recs
    close = [i for i in range(5, len(recs) - 5)
             if (recs[i].t - recs[i - 1].t).total_seconds() <= 20]
    for i in sorted(rng.sample(close, 4)):
        gap = int((recs[i].t - recs[i - 1].t).total_seconds())
        recs[i].t -= timedelta(seconds=gap + rng.randint(1, 25))

    lines = [[fmt_line(spec, r).encode(), r] for r in ctx.recs]

    # Malformed lines, never first or last.
    bad_info = []
    positions = sorted(rng.sample(range(10, len(lines) - 10), len(spec["bad"])))
    for kind, pos in zip(spec["bad"], positions):
        if kind == "truncated":  # pick a line with a long request line to cut
            while lines[pos][1] is None or lines[pos][1].req is not None or len(lines[pos][1].path) < 12:
                pos += 1
        template = lines[pos][0].decode("latin-1")
        data, desc = malformed(spec, kind, rng, template)
        lines.insert(pos, [data, None])
        bad_info.append((kind, desc))
    # find final line numbers of the malformed lines
    bad_lines = []
    it = iter(bad_info)
    for n, (data, rec) in enumerate(lines, 1):
        if rec is None:
            kind, desc = next(it)
            bad_lines.append((n, kind, desc))

    eol = b"\r\n" if spec.get("crlf") else b"\n"
    body = eol.join(d for d, _ in lines)
    if not spec.get("crlf"):
        body += eol  # common/access_log deliberately ends without a newline
    spec["_lines"] = lines
    spec["_bad"] = bad_lines
    spec["_body"] = body
    return body


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------


def check(specs):
    problems = []
    names = AUTHUSERS
    for spec in specs:
        text = spec["_body"].decode("latin-1").lower()
        user_counts = {}
        for _, r in spec["_lines"]:
            if r is not None and r.user != "-":
                u = r.user.lower()
                user_counts[u] = user_counts.get(u, 0) + 1
            if r is not None:
                for field in (r.ref, r.ua, r.xff, r.path or "", r.req or ""):
                    for h, _ in CAMPUS_HOSTS:
                        if h.lower() in field.lower():
                            problems.append("%s: client host %s in another field" % (spec["name"], h))
                    for c in POOL:
                        if c.rdns and c.rdns in field:
                            problems.append("%s: client host %s in another field" % (spec["name"], c.rdns))
        for name in names:
            expected = sum(n for u, n in user_counts.items() if name in u)
            found = text.count(name)
            # malformed lines may repeat a line that carried a user name
            for n, kind, _ in spec["_bad"]:
                if kind in ("truncated", "impossible-date", "bad-status"):
                    line = spec["_lines"][n - 1][0].decode("latin-1").lower()
                    found -= line.count(name)
            if found != expected:
                problems.append("%s: authuser %r occurs %d times, %d as authuser"
                                % (spec["name"], name, found, expected))
        # every file spans midnight UTC
        sign = -1 if spec["off"][0] == "-" else 1
        off = timedelta(hours=int(spec["off"][1:3]), minutes=int(spec["off"][3:5])) * sign
        times = [r.t - off for _, r in spec["_lines"] if r is not None]
        if min(times).date() == max(times).date():
            problems.append("%s: does not cross midnight UTC" % spec["name"])
        n = len(spec["_lines"])
        if not 200 <= n <= 500:
            problems.append("%s: %d lines" % (spec["name"], n))
    if problems:
        sys.exit("make_samples.py: self-check failed:\n  " + "\n  ".join(problems))


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------


def compress_zstd(data):
    exe = shutil.which("zstd")
    if exe is None:
        sys.exit("make_samples.py: the `zstd` command-line tool is required for "
                 "nginx/access.log.1.zst (apt-get install -y zstd)")
    out = subprocess.run([exe, "-q", "-c", "-19", "-T1", "--no-progress"], input=data,
                         stdout=subprocess.PIPE, check=True)
    return out.stdout


def write(name, data):
    path = os.path.join(HERE, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def stats(spec):
    recs = [r for _, r in spec["_lines"] if r is not None]
    addrs = {}
    for r in recs:
        h = r.host or r.client.addr
        addrs[h] = addrs.get(h, 0) + 1
    v6 = sum(1 for r in recs if ":" in (r.host or r.client.addr))
    out_of_order, latest = [], None
    for n, (_, r) in enumerate(spec["_lines"], 1):
        if r is None:
            continue
        if latest is not None and r.t < latest:
            out_of_order.append(n)
        latest = r.t if latest is None else max(latest, r.t)
    users = sum(1 for r in recs if r.user != "-")
    first = min(r.t for r in recs)
    last = max(r.t for r in recs)
    return dict(recs=len(recs), distinct=len(addrs), v6=v6,
                ooo=out_of_order, users=users, first=first, last=last)


GITATTRIBUTES = """\
# Generated by make_samples.py.  The sample logs are byte-exact fixtures:
# common/access_log has CRLF line endings on purpose and several files
# contain non-UTF-8 lines, so git must never convert them.
apache/** -text
nginx/** -text
common/** -text
vhost/** -text
"""


def main():
    all_v4 = {}
    for spec in SPECS:
        body = build(spec)
        name = spec["name"]
        if name.endswith(".gz"):
            data = gzip.compress(body, compresslevel=9, mtime=0)
        elif name.endswith(".zst"):
            data = compress_zstd(body)
        else:
            data = body
        spec["_data"] = data
        for _, r in spec["_lines"]:
            if r is not None:
                a = r.host or r.client.addr
                if a.count(".") == 3 and a.replace(".", "").isdigit():
                    all_v4[a] = True
    check(SPECS)
    for spec in SPECS:
        write(spec["name"], spec["_data"])
    write("README.md", readme(SPECS, len(all_v4)).encode())
    write(".gitattributes", GITATTRIBUTES.encode())
    for spec in SPECS:
        s = stats(spec)
        print("%-32s %4d lines  %3d malformed  %3d clients  %2d IPv6  %8d bytes" % (
            spec["name"], len(spec["_lines"]), len(spec["_bad"]), s["distinct"], s["v6"],
            len(spec["_data"])))
    print("distinct IPv4 clients across all files: %d" % len(all_v4))


# --------------------------------------------------------------------------
# README
# --------------------------------------------------------------------------

FORMATS = {
    "combined": ("Apache Combined",
                 '`%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"`'),
    "nginx": ("nginx `combined` plus a trailing quoted `$http_x_forwarded_for`",
              '`$remote_addr - $remote_user [$time_local] "$request" $status '
              '$body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for"`'),
    "common": ("Common Log Format", '`%h %l %u %t "%r" %>s %b`'),
    "vhost": ("Apache `vhost_combined`",
              '`%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"`'),
}

QUIRK_TEXT = {
    "408": 'a `408` with request `"-"` (connection opened, nothing sent)',
    "tls-probe": "a TLS ClientHello sent to the plain-HTTP port, logged as a `\\x`-escaped request with status 400",
    "empty-request": 'an empty request `""` with status 400',
    "escaped-quote-request": 'a request line containing escaped quotes (`GET /search?q=1\\"+OR+\\"1\\"=\\"1 HTTP/1.1`)',
    "escaped-quote-agent": "a user agent containing escaped quotes (`\\\"SiteAuditor\\\"`)",
    "hex-escaped-agent": "a user agent with `\\x` escapes (`Mozilla/5.0 \\xe2\\x80\\x94 Test`)",
    "basic-auth": "one request with an authuser (`%u`) name",
    "mixed-case-vhost": "a request for virtual host `WWW.Example.EDU:443` (case folding)",
}


def quirk_line_numbers(spec, kind):
    return [n for n, (_, r) in enumerate(spec["_lines"], 1) if r is not None and r.note == kind]


def readme(specs, n_v4):
    out = []
    w = out.append
    w("# Sample access logs\n")
    w("Bundled test and demo input for `logveil`: invented traffic of a university web\n"
      "site (`www.example.edu`, `library.example.edu`, `events.example.edu`) in the log\n"
      "formats `logveil` reads.  Each directory is an independent sample; the files\n"
      "deliberately contain the quirks and broken lines real servers produce.\n")
    w("**Everything here is fictitious.** IP addresses, host names, user names, e-mail\n"
      "addresses, tokens, profile ids, names in query strings and news items were made\n"
      "up by a random generator and do not describe any real person, account or\n"
      "machine.  Documentation ranges (`192.0.2.0/24`, `198.51.100.0/24`,\n"
      "`203.0.113.0/24`, `2001:db8::/32`) stand in for the university's own networks;\n"
      "other addresses merely look like ordinary public addresses.\n")
    w("## Regenerating\n")
    w("```sh\npython3 sample-logs/make_samples.py\n```\n")
    w("The script (Python 3, standard library only, plus the `zstd` command-line tool\n"
      "for the `.zst` file) rewrites every file below, including this README and\n"
      "`.gitattributes` (which stops git from converting line endings), byte for\n"
      "byte: fixed seeds, gzip written with `mtime=0`, zstd fed from stdin.  Edit the\n"
      "script, not the outputs.  Before writing anything it checks that no authuser\n"
      "name occurs outside the `%u` field and that no client host name appears in a\n"
      "referrer, agent, path or `X-Forwarded-For` value.\n")
    w("## Contents at a glance\n")
    w("| file | format | offset | lines | malformed | time range (local) |")
    w("|---|---|---|---:|---:|---|")
    for spec in specs:
        s = stats(spec)
        w("| `%s` | %s | `%s` | %d | %d | %s – %s |" % (
            spec["name"], FORMATS[spec["fmt"]][0].split(" plus")[0], spec["off"],
            len(spec["_lines"]), len(spec["_bad"]),
            s["first"].strftime("%Y-%m-%d %H:%M:%S"), s["last"].strftime("%Y-%m-%d %H:%M:%S")))
    w("")
    w("\"lines\" counts physical lines including malformed ones (`wc -l` on the\n"
      "decompressed data; for `common/access_log` add one, because its last line has\n"
      "no newline).  Across all files there are %d distinct IPv4 client addresses with\n"
      "Zipf-like repetition (a campus NAT, Googlebot, an API client and a few people\n"
      "account for much of the traffic), about 10%% IPv6 clients (compressed and full\n"
      "forms) and some IPv4-mapped IPv6 addresses.\n" % n_v4)
    kinds = ["truncated", "binary-garbage", "impossible-date", "bad-status", "empty", "comment"]
    w("Malformed lines by kind (each file has at most one of each kind; line numbers\n"
      "are given in the per-file sections below):\n")
    w("| file | " + " | ".join(kinds) + " | total |")
    w("|---|" + "---:|" * (len(kinds) + 1))
    for spec in specs:
        have = [k for _, k, _ in spec["_bad"]]
        w("| `%s` | %s | %d |" % (spec["name"], " | ".join(str(have.count(k)) for k in kinds),
                                 len(have)))
    w("")
    w("Common to all files: mostly `GET`, some `POST`/`HEAD`/`OPTIONS`; `HTTP/2.0`,\n"
      "`HTTP/1.1` and a few `HTTP/1.0`; status mostly 200/304 with 301/302 redirects,\n"
      "404s (mistyped links, `/wp-login.php`-style probes), 403s and a few 500/502/503;\n"
      "query strings that look sensitive (`/search?q=financial+aid`,\n"
      "`/login?user=…&next=%2Fportal`, `/reset?email=…%40example.edu&token=…`,\n"
      "`/apply/status?application_id=…&dob=…`); paths with ids\n"
      "(`/api/v1/courses/48213`, `/people/profile/<uuid>`).  A few lines per file are\n"
      "slightly out of time order (slow responses are logged when they finish).\n")

    descriptions = {
        "apache/access.log.2.gz":
            "Oldest of three daily-rotated Apache files (gzip).  Rotation happens at\n"
            "about 06:25 local; `.2.gz`, `.1` and `access.log` cover consecutive\n"
            "periods, and each crosses midnight UTC (19:00 local).",
        "apache/access.log.1":
            "Middle rotated Apache file (plain text), continues where `.2.gz` ends.",
        "apache/access.log":
            "Current Apache file, continues where `.1` ends.",
        "nginx/access.log.1.zst":
            "Older nginx file (zstd).  nginx writes `0`, never `-`, for an empty body,\n"
            "and escapes non-printable bytes with upper-case `\\xHH`.  Crosses\n"
            "midnight UTC.  Some requests arrive through proxies, so the last field\n"
            "holds one address or a comma-separated list (including a private\n"
            "address, an IPv6 address and the literal `unknown`).",
        "nginx/access.log":
            "Current nginx file, continues where `.1.zst` ends.",
        "common/access_log":
            "A legacy departmental Apache server with `HostnameLookups On` and HTTP\n"
            "basic auth on `/intranet/`, `/staff/` and a WebDAV share\n"
            "(`PROPFIND`, `PUT`).  Many lines carry an authuser name (`%u`), one of\n"
            "them a Kerberos principal (`…@EXAMPLE.EDU`); browsers first ask without\n"
            "credentials (401 with `-`), and a rejected password is logged with the\n"
            "name that was tried.  Clients with reverse DNS appear as host names\n"
            "(`dhcp-10-3-44-12.campus.example.edu`, `crawl-66-249-66-1.googlebot.com`,\n"
            "`pool-71-105-2-9.bstnma.fios.verizon.net`, …), the rest as addresses.\n"
            "**CRLF line endings, and the last line has no trailing newline.**  All lines\n"
            "are from before 02:00 local on 29 March 2026, when Central Europe switches\n"
            "to summer time, so `+0100` is right throughout.  Crosses midnight UTC\n"
            "(01:00 local).",
        "vhost/other_vhosts_access.log":
            "Apache's `other_vhosts_access.log` for several sites: `www.example.edu:443`,\n"
            "`www.example.edu:80` (301 redirects to https), `library.example.edu:443`,\n"
            "`events.example.edu:80` and `WWW.Example.EDU:443` (same site, different\n"
            "case).  `%O` counts bytes sent including headers, so it is never `-`.\n"
            "Crosses midnight UTC (02:00 local).",
    }
    for spec in specs:
        s = stats(spec)
        name = spec["name"]
        w("## `%s`\n" % name)
        fmt_name, fmt_str = FORMATS[spec["fmt"]]
        w("%s, %s, time zone offset `%s`.\n" % (fmt_name, fmt_str, spec["off"]))
        w(descriptions[name] + "\n")
        lines_note = "%d lines" % len(spec["_lines"])
        if spec.get("crlf"):
            lines_note += " (`wc -l` prints %d)" % (len(spec["_lines"]) - 1)
        w("- %s; %s – %s local time; %d distinct clients; lines from IPv6 clients: %d;\n"
          "  lines with an authuser name: %d; lines out of time order: %s." % (
              lines_note, s["first"].strftime("%d/%b %H:%M:%S"),
              s["last"].strftime("%d/%b %H:%M:%S"), s["distinct"], s["v6"], s["users"],
              ", ".join(str(n) for n in s["ooo"])))
        quirks = []
        done = set()
        for kind in spec["specials"]:
            if kind in done:
                continue
            done.add(kind)
            ns = quirk_line_numbers(spec, kind)
            where = "line" + ("s " if len(ns) > 1 else " ") + ", ".join(map(str, ns))
            if kind.startswith("ipv4-mapped"):
                text = "an IPv4-mapped IPv6 client `%s`" % kind.split(" ", 1)[1]
            else:
                text = QUIRK_TEXT[kind]
            quirks.append("%s (%s)" % (text, where))
        if quirks:
            w("- Quirks (valid lines): " + "; ".join(quirks) + ".")
        w("- Malformed lines: %d, one of each kind:" % len(spec["_bad"]))
        for n, kind, desc in spec["_bad"]:
            w("  - line %d: %s" % (n, desc))
        w("")
    return "\n".join(out).rstrip("\n") + "\n"


if __name__ == "__main__":
    main()
